#Requires -Version 7.4
# Watch-MonarchLog as a user's console runs it, for the Pester tests: in a runspace of its own,
# read while it runs, stopped as Ctrl+C stops it.

$DefaultModulePath = Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs'

function Wait-WatchCondition([scriptblock] $Condition, [double] $Seconds = 10) {
    $deadline = [datetime]::UtcNow.AddSeconds($Seconds)
    while ([datetime]::UtcNow -lt $deadline) {
        if (& $Condition) { return $true }
        [System.Threading.Thread]::Sleep(1)
    }
    return [bool] (& $Condition)
}

<#
.SYNOPSIS
    Starts Watch-MonarchLog with these parameters in a runspace of its own and returns once the
    tail is open (the verbose line "Watching for new entries.").
#>
function Start-Watch {
    [CmdletBinding()]
    param([Parameter(Mandatory, Position = 0)] [hashtable] $Parameters, [string] $ModulePath = $DefaultModulePath)
    $ps = [powershell]::Create()
    $null = $ps.AddScript('param($module, $parameters) Import-Module $module; Watch-MonarchLog @parameters -Verbose').
        AddArgument($ModulePath).AddArgument($Parameters)
    $inputData = [System.Management.Automation.PSDataCollection[psobject]]::new()
    $inputData.Complete()
    $output = [System.Management.Automation.PSDataCollection[psobject]]::new()
    $handle = $ps.BeginInvoke($inputData, $output)
    $watch = [pscustomobject]@{ PowerShell = $ps; Output = $output; Handle = $handle }
    $ready = Wait-WatchCondition { $ps.Streams.Verbose.Message -contains 'Watching for new entries.' -or $handle.IsCompleted }
    if (-not $ready -or $handle.IsCompleted) {
        throw "Watch-MonarchLog did not start: $($ps.Streams.Error | Out-String)"
    }
    $watch
}

<#
.SYNOPSIS
    What the watch has written so far. Enumerating its output collection would wait for the
    watch to end, so the entries are read by index.
#>
function Get-Shown($Watch) {
    $output = $Watch.Output
    @(for ($i = 0; $i -lt $output.Count; $i++) { $output[$i] })
}

<# .SYNOPSIS Stops the watch as Ctrl+C does (PowerShell.Stop) and disposes its runspace. #>
function Stop-Watch($Watch) {
    if (-not $Watch.Handle.IsCompleted) { $Watch.PowerShell.Stop() }
    $Watch.PowerShell.Dispose()
}

Export-ModuleMember -Function Start-Watch, Get-Shown, Stop-Watch
