#Requires -Version 7.4
<#
.SYNOPSIS
    Lays out the ready-to-import MonarchLogs module folder: artifacts/module/MonarchLogs.
.DESCRIPTION
    Publishes src/MonarchLogs.Cmdlets, then copies the manifest (with the <Version> of
    Directory.Build.props as its ModuleVersion), the types and format files, the cmdlet assembly,
    its runtime dependencies (MonarchLogs.Core, StackExchange.Redis and what it needs) into
    dependencies/, the web viewer (src/MonarchLogs.Viewer, published framework-dependent into viewer/ for
    Start-MonarchLogViewer), and the en-US help built from docs/ by Build-Help.ps1 when that script exists.
    System.Management.Automation comes from the PowerShell host and is never copied.
.EXAMPLE
    dotnet pwsh -NoProfile -File build/Build-Module.ps1
    Import-Module ./artifacts/module/MonarchLogs
#>
[CmdletBinding()]
param(
    [ValidateSet('Release', 'Debug')]
    [string] $Configuration = 'Release',

    # The folder that receives MonarchLogs/; artifacts/module under the repository by default.
    [string] $OutputRoot = (Join-Path $PSScriptRoot '..' 'artifacts' 'module'),

    # Publish what `dotnet build -c <Configuration>` already compiled (build.sh builds the
    # solution first) instead of building again.
    [switch] $NoBuild,

    # Lay out the module without en-US help (for a quick inner loop; a release build has help).
    [switch] $SkipHelp
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$repository = (Resolve-Path (Join-Path $PSScriptRoot '..')).Path
$moduleFolder = [System.IO.Path]::GetFullPath((Join-Path $OutputRoot 'MonarchLogs'))
$publishFolder = Join-Path ([System.IO.Path]::GetTempPath()) ('monarchlogs-publish-' + [guid]::NewGuid().ToString('N'))

try {
    Write-Host "Publishing MonarchLogs.Cmdlets ($Configuration)..."
    $publishArguments = @((Join-Path $repository 'src' 'MonarchLogs.Cmdlets'), '-c', $Configuration, '-o', $publishFolder, '--nologo', '-v', 'quiet')
    if ($NoBuild) { $publishArguments += '--no-build' }
    & dotnet publish @publishArguments
    if ($LASTEXITCODE -ne 0) { throw "dotnet publish failed with exit code $LASTEXITCODE." }

    if (Test-Path $moduleFolder) { Remove-Item $moduleFolder -Recurse -Force }
    New-Item -ItemType Directory -Path $moduleFolder -Force | Out-Null

    # The manifest's version is the one <Version> of Directory.Build.props, like the assemblies'.
    $version = ([xml](Get-Content -Raw (Join-Path $repository 'Directory.Build.props'))).SelectSingleNode('/Project/PropertyGroup/Version').InnerText.Trim()
    if (-not $version) { throw 'Directory.Build.props has no <Version>.' }
    $manifestText = Get-Content -Raw (Join-Path $repository 'module' 'MonarchLogs.psd1')
    $versionLine = [regex]::new("(?m)^(\s*ModuleVersion\s*=\s*)'[^']*'")
    if (-not $versionLine.IsMatch($manifestText)) { throw 'module/MonarchLogs.psd1 has no ModuleVersion line.' }
    Set-Content (Join-Path $moduleFolder 'MonarchLogs.psd1') -Value $versionLine.Replace($manifestText, "`${1}'$version'", 1) -NoNewline
    Copy-Item (Join-Path $repository 'module' 'MonarchLogs.Types.ps1xml') $moduleFolder
    Copy-Item (Join-Path $repository 'module' 'MonarchLogs.Format.ps1xml') $moduleFolder

    # The cmdlets load into PowerShell's own load context; everything else the publish step
    # resolved for net8.0 (MonarchLogs.Core, StackExchange.Redis and what it needs) goes to
    # dependencies/, which the module loads into a context of its own (Loading/EngineLoadContext.cs),
    # so it never meets another module's versions. System.Management.Automation comes from the host.
    $rootAssemblies = @('MonarchLogs.Cmdlets.dll', 'MonarchLogs.Cmdlets.pdb')
    $hostSupplied = @('System.Management.Automation.dll')
    $dependencyFolder = New-Item -ItemType Directory -Path (Join-Path $moduleFolder 'dependencies') -Force
    Get-ChildItem $publishFolder -File | Where-Object Name -In $rootAssemblies | Copy-Item -Destination $moduleFolder
    Get-ChildItem $publishFolder -File -Filter '*.dll' |
        Where-Object { $_.Name -notin $rootAssemblies -and $_.Name -notin $hostSupplied } |
        Copy-Item -Destination $dependencyFolder
    Get-ChildItem $publishFolder -File -Filter 'MonarchLogs.*.pdb' | Where-Object Name -NotIn $rootAssemblies |
        Copy-Item -Destination $dependencyFolder

    # The web viewer, framework-dependent, in a folder of its own: Start-MonarchLogViewer runs it
    # as a separate `dotnet viewer/MonarchLogs.Viewer.dll` process, so ASP.NET Core never loads into PowerShell.
    Write-Host "Publishing MonarchLogs.Viewer, the standalone viewer ($Configuration)..."
    $viewerArguments = @((Join-Path $repository 'src' 'MonarchLogs.Viewer'), '-c', $Configuration, '-o', (Join-Path $moduleFolder 'viewer'),
        '--nologo', '-v', 'quiet', '-p:UseAppHost=false', '-p:IsTransformWebConfigDisabled=true')
    if ($NoBuild) { $viewerArguments += '--no-build' }
    & dotnet publish @viewerArguments
    if ($LASTEXITCODE -ne 0) { throw "dotnet publish of the viewer failed with exit code $LASTEXITCODE." }

    $helpScript = Join-Path $PSScriptRoot 'Build-Help.ps1'
    if ($SkipHelp) {
        Write-Warning '-SkipHelp: the module is laid out without en-US help.'
    }
    elseif (Test-Path $helpScript) {
        Write-Host 'Building en-US help from docs/...'
        & $helpScript -OutputPath (Join-Path $moduleFolder 'en-US')
    }
    else {
        Write-Warning 'build/Build-Help.ps1 not found: the module is laid out without en-US help.'
    }

    if ((Test-Path (Join-Path $moduleFolder 'System.Management.Automation.dll')) -or (Test-Path (Join-Path $dependencyFolder 'System.Management.Automation.dll'))) {
        throw 'System.Management.Automation.dll must not ship in the module folder.'
    }

    $manifest = Test-ModuleManifest (Join-Path $moduleFolder 'MonarchLogs.psd1')
    Write-Host "Module $($manifest.Name) $($manifest.Version) laid out in $moduleFolder"
}
finally {
    if (Test-Path $publishFolder) { Remove-Item $publishFolder -Recurse -Force }
}
