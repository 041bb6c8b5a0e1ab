#Requires -Version 7.4
<#
.SYNOPSIS
    Runs every Pester test of the repository (tests/**/*.Tests.ps1) against the built module.
.DESCRIPTION
    Imports Pester 5.7.1 from the NuGet cache, where `dotnet restore tools/MonarchLogs.Tools`
    puts it, runs the tests with detailed output, prints one closing line
    "Pester: N passed, N failed, N skipped" and exits non-zero when a test failed.
    Build the module first: build/Build-Module.ps1.
.EXAMPLE
    dotnet pwsh -NoProfile -File tests/Invoke-PesterTests.ps1
#>
[CmdletBinding()]
param(
    # Only the test files under these paths; all of tests/ by default.
    [string[]] $Path = @($PSScriptRoot),

    # Only tests whose full name matches one of these wildcards.
    [string[]] $FullNameFilter = @()
)

$ErrorActionPreference = 'Stop'

$nuget = ((dotnet nuget locals global-packages -l) -replace '^global-packages:\s*', '').Trim()
$pester = Join-Path $nuget 'pester' '5.7.1' 'tools' 'Pester.psd1'
if (-not (Test-Path $pester)) {
    Write-Host "Pester 5.7.1 is not in the NuGet cache ($nuget); restoring tools/MonarchLogs.Tools..."
    & dotnet restore (Join-Path $PSScriptRoot '..' 'tools' 'MonarchLogs.Tools') --nologo -v quiet
    if ($LASTEXITCODE -ne 0 -or -not (Test-Path $pester)) { throw "Could not restore Pester 5.7.1 (expected $pester)." }
}
Import-Module $pester -Force

$module = Join-Path $PSScriptRoot '..' 'artifacts' 'module' 'MonarchLogs' 'MonarchLogs.psd1'
if (-not (Test-Path $module)) {
    throw "The module is not built ($module); run build/Build-Module.ps1 first."
}

$configuration = New-PesterConfiguration
$configuration.Run.Path = $Path
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
if ($FullNameFilter.Count -gt 0) { $configuration.Filter.FullName = $FullNameFilter }

$result = Invoke-Pester -Configuration $configuration

# A file that failed to run (a syntax error) counts as a failure; so does a failed block
# (BeforeAll/AfterAll) whose tests did not themselves fail.
$failed = $result.FailedCount + $result.FailedContainersCount
if ($failed -eq 0 -and $result.Result -ne 'Passed') { $failed = [Math]::Max(1, $result.FailedBlocksCount) }
Write-Host "Pester: $($result.PassedCount) passed, $failed failed, $($result.SkippedCount) skipped"
exit ([int] ($failed -gt 0 -or $result.Result -ne 'Passed'))
