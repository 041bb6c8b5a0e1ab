#Requires -Version 7.4
<#
.SYNOPSIS
    Runs every Pester test of the repository (tests/**/*.Tests.ps1) against the built module.
.DESCRIPTION
    Imports Pester 5.7.1 from the NuGet cache, where `dotnet restore tools/MonarchLogs.Tools`
    puts it, runs the tests with detailed output, prints one closing line
    "Pester: N passed, N failed, N skipped" and exits non-zero when a test failed, when a file
    failed to load or to discover its tests, when no test ran, or when fewer tests ran than
    -MinimumTestCount (for the whole suite, a floor kept in this script). A run that quietly
    lost its tests must not pass. Build the module first: build/Build-Module.ps1.
.EXAMPLE
    dotnet pwsh -NoProfile -File tests/Invoke-PesterTests.ps1
#>
[CmdletBinding()]
param(
    # Only the test files under these paths; all of tests/ by default.
    [string[]] $Path = @($PSScriptRoot),

    # Only tests whose full name matches one of these wildcards.
    [string[]] $FullNameFilter = @(),

    # Fail when fewer tests than this ran (passed or failed; skipped ones do not count).
    # The whole suite's floor by default, 1 for a run of some paths or a filter.
    [int] $MinimumTestCount
)

$ErrorActionPreference = 'Stop'

# The floor of the whole suite: it held 868 tests when this was set. It sits somewhat below, so
# that removing a test or two on purpose, or a test skipped on some machine, does not fail the
# run, while a file or a block whose tests are no longer discovered does. It must be raised as
# tests are added, or it stops catching lost tests.
$FullSuiteFloor = 865
$fullSuite = -not $PSBoundParameters.ContainsKey('Path') -and $FullNameFilter.Count -eq 0
if (-not $PSBoundParameters.ContainsKey('MinimumTestCount')) {
    $MinimumTestCount = if ($fullSuite) { $FullSuiteFloor } else { 1 }
}

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

# What makes a run prove nothing while every test that ran passed.
$problems = [System.Collections.Generic.List[string]]::new()
foreach ($container in $result.Containers) {
    # A file that does not parse, or whose BeforeDiscovery or top-level BeforeAll throws, has an error of its own.
    if ($container.ErrorRecord.Count -gt 0) {
        $problems.Add("$($container.Item) failed outside its tests (loading, discovery or set-up): $($container.ErrorRecord[0].ToString() -replace '\s*\r?\n\s*', ' ')")
    }
    elseif ($fullSuite -and $container.TotalCount -eq 0) {
        $problems.Add("$($container.Item) holds no test.")
    }
}
$ran = $result.PassedCount + $result.FailedCount
if ($ran -eq 0) { $problems.Add('No test ran.') }
elseif ($ran -lt $MinimumTestCount) {
    $problems.Add("Only $ran tests ran; at least $MinimumTestCount were expected$(if ($fullSuite) { ' (the floor in tests/Invoke-PesterTests.ps1)' }).")
}
foreach ($problem in $problems) { Write-Host "Pester: $problem" -ForegroundColor Red }

Write-Host "Pester: $($result.PassedCount) passed, $failed failed, $($result.SkippedCount) skipped"
exit ([int] ($failed -gt 0 -or $result.Result -ne 'Passed' -or $problems.Count -gt 0))
