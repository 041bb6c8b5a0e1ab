#Requires -Version 7.4
<#
.SYNOPSIS
    Publishes the laid-out MonarchLogs module into a local PSResourceGet repository (a folder), from
    which Install-PSResource installs it like any gallery module.
.DESCRIPTION
    Takes artifacts/module/MonarchLogs (build/Build-Module.ps1 lays it out) and publishes it with
    Publish-PSResource into artifacts/psrepository as MonarchLogs.<version>.nupkg, replacing a
    package of the same version. The folder is registered as a repository only for this run, under
    a name of its own, and unregistered afterwards; on Linux and macOS the registration also lives
    in a throwaway PSResourceGet configuration, so the user's own is never touched.
.EXAMPLE
    dotnet pwsh -NoProfile -File build/Publish-Module.ps1
    Register-PSResourceRepository -Name MonarchLogsLocal -Uri ./artifacts/psrepository -Trusted
    Install-PSResource MonarchLogs -Repository MonarchLogsLocal
#>
[CmdletBinding()]
param(
    # The laid-out module folder.
    [string] $ModulePath = (Join-Path $PSScriptRoot '..' 'artifacts' 'module' 'MonarchLogs'),

    # The repository folder that receives the package.
    [string] $RepositoryPath = (Join-Path $PSScriptRoot '..' 'artifacts' 'psrepository')
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$ModulePath = [System.IO.Path]::GetFullPath($ModulePath)
$RepositoryPath = [System.IO.Path]::GetFullPath($RepositoryPath)
$manifestPath = Join-Path $ModulePath 'MonarchLogs.psd1'
if (-not (Test-Path $manifestPath)) { throw "The module is not laid out ($manifestPath); run build/Build-Module.ps1 first." }
$manifest = Test-ModuleManifest $manifestPath
New-Item -ItemType Directory -Path $RepositoryPath -Force | Out-Null
$package = Join-Path $RepositoryPath "$($manifest.Name).$($manifest.Version).nupkg"
if (Test-Path $package) { Remove-Item $package -Force }

# PSResourceGet keeps its repositories under the local application data folder, which on Linux
# and macOS follows XDG_DATA_HOME; it reads the location once, when it loads.
$savedDataHome = $env:XDG_DATA_HOME
$configuration = $null
if (-not $IsWindows -and -not (Get-Module Microsoft.PowerShell.PSResourceGet)) {
    $configuration = Join-Path ([System.IO.Path]::GetTempPath()) ('monarchlogs-psresourceget-' + [guid]::NewGuid().ToString('N'))
    # It must exist: .NET gives no folder for a data home that does not.
    New-Item -ItemType Directory -Path $configuration | Out-Null
    $env:XDG_DATA_HOME = $configuration
}

$repositoryName = 'MonarchLogsPublish' + [guid]::NewGuid().ToString('N').Substring(0, 8)
try {
    Import-Module Microsoft.PowerShell.PSResourceGet
    Register-PSResourceRepository -Name $repositoryName -Uri $RepositoryPath -Trusted
    Publish-PSResource -Path $ModulePath -Repository $repositoryName
    if (-not (Test-Path $package)) { throw "Publish-PSResource did not write $package." }
    Write-Host "Published $($manifest.Name) $($manifest.Version) to $package"
}
finally {
    Unregister-PSResourceRepository -Name $repositoryName -ErrorAction SilentlyContinue
    $env:XDG_DATA_HOME = $savedDataHome
    if ($configuration -and (Test-Path $configuration)) { Remove-Item $configuration -Recurse -Force }
}
