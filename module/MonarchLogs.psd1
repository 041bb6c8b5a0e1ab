@{
    # The cmdlets; they load MonarchLogs.Core and its dependencies from dependencies/ into a load
    # context of their own, and make its types reachable by name ([MonarchLogs.Core.MonarchLogLevel]).
    # No RequiredAssemblies: those would load into PowerShell's shared context.
    RootModule           = 'MonarchLogs.Cmdlets.dll'
    # Written by build/Build-Module.ps1 from the <Version> of Directory.Build.props.
    ModuleVersion        = '0.0.0'
    GUID                 = '5d0f7f0a-3c1e-4c55-9a57-2f4e8b1c6a31'
    Author               = 'MonarchLogs'
    CompanyName          = 'MonarchLogs'
    Copyright            = '(c) MonarchLogs. All rights reserved.'
    Description          = 'Query, follow, write, back up and trim the MonarchLogs log store in Valkey: Get-MonarchLog, Watch-MonarchLog, Write-MonarchLog, Export-MonarchLog, Import-MonarchLog, Remove-ExpiredMonarchLog, Update-MonarchLogStore (to storage format 2), and a web viewer: Start-MonarchLogViewer.'
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
        'Update-MonarchLogStore'
        'Watch-MonarchLog'
        'Write-MonarchLog'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Logging', 'Logs', 'Valkey', 'Redis', 'StructuredLogging', 'PSEdition_Core', 'Linux', 'Windows', 'MacOS')
            ProjectUri   = 'https://github.com/monarchlogs/monarchlogs'
            LicenseUri   = 'https://github.com/monarchlogs/monarchlogs/blob/main/LICENSE'
            ReleaseNotes = 'Query, follow, write, export, import and trim the log store; a web viewer started from the session. The module loads its dependencies in a load context of its own, so it works next to modules that use another StackExchange.Redis.'
        }
    }
}
