@{
    RootModule           = 'MonarchLogs.Cmdlets.dll'
    # Loaded at import so that the entry types ([MonarchLogs.Core.MonarchLogLevel], ...) are there at once.
    RequiredAssemblies   = @('MonarchLogs.Core.dll')
    ModuleVersion        = '0.1.0'
    GUID                 = '5d0f7f0a-3c1e-4c55-9a57-2f4e8b1c6a31'
    Author               = 'MonarchLogs'
    CompanyName          = 'MonarchLogs'
    Copyright            = '(c) MonarchLogs. All rights reserved.'
    Description          = 'Query, follow, write, back up and trim the MonarchLogs log store in Valkey: Get-MonarchLog, Watch-MonarchLog, Write-MonarchLog, Export-MonarchLog, Import-MonarchLog, Remove-ExpiredMonarchLog, and a web viewer: Start-MonarchLogViewer.'
    PowerShellVersion    = '7.4'
    CompatiblePSEditions = @('Core')
    # Typed Level and Timestamp members of the entries that Get-MonarchLog and Watch-MonarchLog write.
    TypesToProcess       = @('MonarchLogs.Types.ps1xml')
    FormatsToProcess     = @('MonarchLogs.Format.ps1xml')
    CmdletsToExport      = @(
        'Connect-MonarchLog'
        'Export-MonarchLog'
        'Get-MonarchLog'
        'Get-MonarchLogService'
        'Get-MonarchLogStoreStatus'
        'Import-MonarchLog'
        'Measure-MonarchLog'
        'Remove-ExpiredMonarchLog'
        'Start-MonarchLogViewer'
        'Stop-MonarchLogViewer'
        'Watch-MonarchLog'
        'Write-MonarchLog'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags = @('Logging', 'Valkey', 'Redis', 'Logs')
        }
    }
}
