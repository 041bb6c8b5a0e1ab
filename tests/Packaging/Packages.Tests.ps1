#Requires -Version 7.4
# The NuGet packages as a user gets them: the files in artifacts/packages (./build.sh pack) carry
# their metadata, and a fresh `dotnet new web` app that installs MonarchLogs.Logging and
# MonarchLogs.Web from them stores its logs in a real valkey-server and serves them at /logs.
# The app restores from artifacts/packages and from this machine's NuGet cache only, into a
# NuGet folder of its own: no network, and never a stale cached copy of the same version.

BeforeDiscovery {
    $script:packageIds = @('MonarchLogs.Core', 'MonarchLogs.Logging', 'MonarchLogs.Web')
}

BeforeAll {
    $script:savedNuGetPackages = $env:NUGET_PACKAGES
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force
    Add-Type -AssemblyName System.IO.Compression.FileSystem

    $repository = (Resolve-Path (Join-Path $PSScriptRoot '..' '..')).Path
    $script:packageFolder = Join-Path $repository 'artifacts' 'packages'
    if (-not (Get-ChildItem $packageFolder -Filter '*.nupkg' -ErrorAction SilentlyContinue)) {
        throw "No package in $packageFolder. Build them first: ./build.sh pack (./build.sh test does it before the tests)."
    }

    [xml] $props = Get-Content (Join-Path $repository 'Directory.Build.props') -Raw
    $script:version = $props.SelectSingleNode('/Project/PropertyGroup/Version').InnerText.Trim()
    $script:repositoryUrl = $props.SelectSingleNode('/Project/PropertyGroup/RepositoryUrl').InnerText.Trim()


    function script:Read-PackageEntry([string] $Package, [string] $Name) {
        $zip = [System.IO.Compression.ZipFile]::OpenRead($Package)
        try {
            $entry = $zip.GetEntry($Name)
            if ($null -eq $entry) { return $null }
            $reader = [System.IO.StreamReader]::new($entry.Open())
            try { $reader.ReadToEnd() } finally { $reader.Dispose() }
        }
        finally { $zip.Dispose() }
    }

    function script:Get-PackageEntryNames([string] $Package) {
        $zip = [System.IO.Compression.ZipFile]::OpenRead($Package)
        try { $zip.Entries.FullName } finally { $zip.Dispose() }
    }

    # Runs dotnet with the test's private NuGet folder; throws with its output when it fails.
    function script:Invoke-Dotnet([string] $WorkingDirectory, [string[]] $Arguments) {
        Push-Location $WorkingDirectory
        try {
            $output = & dotnet @Arguments 2>&1 | Out-String
            if ($LASTEXITCODE -ne 0) { throw "dotnet $($Arguments -join ' ') failed ($LASTEXITCODE):`n$output" }
            $output
        }
        finally { Pop-Location }
    }

    $script:work = Join-Path ([System.IO.Path]::GetTempPath()) ('monarchlogs-packaging-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $work | Out-Null

    # The machine's NuGet cache, read before NUGET_PACKAGES points elsewhere: it serves every
    # dependency (Microsoft.Extensions, StackExchange.Redis, the net8.0 reference packs) as a
    # local source. MonarchLogs.* come only from artifacts/packages (package source mapping), and
    # land in a NuGet folder of this test's own, so an older build of the same version that some
    # cache still holds is never used. The MonarchLogs source is the line README.md gives.
    $script:machineCache = ((& dotnet nuget locals global-packages -l) -replace '^global-packages:\s*', '').Trim()
    $env:NUGET_PACKAGES = Join-Path $work 'nuget-packages'
    $env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
    $env:DOTNET_NOLOGO = '1'
    @"
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="MonarchLogs" value="$packageFolder" />
    <add key="machine-cache" value="$machineCache" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="MonarchLogs">
      <package pattern="MonarchLogs.*" />
    </packageSource>
    <packageSource key="machine-cache">
      <package pattern="*" />
    </packageSource>
  </packageSourceMapping>
</configuration>
"@ | Set-Content (Join-Path $work 'nuget.config')

    $script:server = Start-MonarchTestServer
    $script:app = Join-Path $work 'PackagedApp'
    $script:run = [guid]::NewGuid().ToString('N').Substring(0, 12)
    $script:appProcess = $null
    $script:appOutput = Join-Path $work 'app-output.txt'
}

AfterAll {
    if ($null -ne $appProcess -and -not $appProcess.HasExited) {
        $appProcess.Kill($true)
        $appProcess.WaitForExit(10000) | Out-Null
    }
    if ($null -ne $server) { Remove-MonarchTestServer -Server $server }
    $env:NUGET_PACKAGES = $savedNuGetPackages
    if ($work -and (Test-Path $work)) { Remove-Item $work -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'The package <_>' -ForEach $packageIds {
    BeforeAll {
        $script:id = $_
        $script:nupkg = Join-Path $packageFolder "$id.$version.nupkg"
        $script:snupkg = Join-Path $packageFolder "$id.$version.snupkg"
        $script:nuspecText = if (Test-Path $nupkg) { Read-PackageEntry $nupkg "$id.nuspec" }
        $script:nuspec = if ($nuspecText) { ([xml] $nuspecText).package.metadata }
        $script:entries = if (Test-Path $nupkg) { @(Get-PackageEntryNames $nupkg) } else { @() }
    }

    It 'is in artifacts/packages with the version of Directory.Build.props, and its symbol package beside it' {
        $nupkg | Should -Exist
        $snupkg | Should -Exist
        $nuspec.version | Should -Be $version
        $symbols = @(Get-PackageEntryNames $snupkg | Where-Object { $_ -like "lib/*/$id.pdb" })
        $symbols.Count | Should -BeGreaterThan 0 -Because 'the symbol package holds the pdb of every target framework'
    }

    It 'has the MIT license expression, the repository URL and release notes' {
        $nuspec.license.type | Should -Be 'expression'
        $nuspec.license.'#text' | Should -Be 'MIT'
        $nuspec.repository.url | Should -Be $repositoryUrl
        $nuspec.projectUrl | Should -Be $repositoryUrl
        $nuspec.releaseNotes | Should -Match ([regex]::Escape("## $version"))
        $nuspec.tags | Should -Match 'valkey'
    }

    It 'has its own readme, with a usage snippet and no path of a build machine' {
        $nuspec.readme | Should -Be 'README.md'
        $readme = Read-PackageEntry $nupkg 'README.md'
        $readme | Should -Match "^# $([regex]::Escape($id))"
        $readme | Should -Match '```csharp'
        $readme | Should -Not -Match '(/work/|/home/|/tmp/|[A-Z]:\\)'
    }

    It 'has XML docs beside every assembly' {
        $assemblies = @($entries | Where-Object { $_ -like "lib/*/$id.dll" })
        $assemblies.Count | Should -BeGreaterThan 0
        foreach ($assembly in $assemblies) {
            $entries | Should -Contain ($assembly -replace '\.dll$', '.xml')
        }
    }
}

Describe 'The packages together' {
    It 'MonarchLogs.Logging depends on MonarchLogs.Core of the same version' {
        $nuspec = ([xml] (Read-PackageEntry (Join-Path $packageFolder "MonarchLogs.Logging.$version.nupkg") 'MonarchLogs.Logging.nuspec')).package.metadata
        $core = @($nuspec.dependencies.group.dependency | Where-Object id -EQ 'MonarchLogs.Core')
        $core.Count | Should -BeGreaterThan 0
        $core.version | Sort-Object -Unique | Should -Be $version
    }

    It 'MonarchLogs.Web is a library for net8.0 and net10.0 hosts, over the ASP.NET Core shared framework' {
        $package = Join-Path $packageFolder "MonarchLogs.Web.$version.nupkg"
        $entries = @(Get-PackageEntryNames $package)
        $entries | Should -Contain 'lib/net8.0/MonarchLogs.Web.dll'
        $entries | Should -Contain 'lib/net10.0/MonarchLogs.Web.dll'
        $nuspec = ([xml] (Read-PackageEntry $package 'MonarchLogs.Web.nuspec')).package.metadata
        @($nuspec.frameworkReferences.group.frameworkReference.name | Sort-Object -Unique) | Should -Be @('Microsoft.AspNetCore.App')
    }
}

Describe 'A fresh web app that installs the packages' {
    BeforeAll {
        Invoke-Dotnet $work @('new', 'web', '--name', 'PackagedApp', '--output', $app, '--no-restore') | Out-Null
        Invoke-Dotnet $app @('add', 'package', 'MonarchLogs.Logging', '--version', $version) | Out-Null
        Invoke-Dotnet $app @('add', 'package', 'MonarchLogs.Web', '--version', $version) | Out-Null
        @'
using MonarchLogs.Logging;
using MonarchLogs.Web;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.AddMonarchValkey(o => o.Service = "packaged");   // the store of the Valkey section, as the viewer's
builder.Services.AddMonarchLogViewer();

var app = builder.Build();
app.MapMonarchLogViewer("/logs");
app.Lifetime.ApplicationStarted.Register(() =>
{
    var run = app.Configuration["Run"];
    for (var number = 1; number <= 3; number++)
    {
        app.Logger.LogWarning("Packaged entry {Number} of run {Run}", number, run);
    }

    app.Logger.LogError(new InvalidOperationException("packaged failure"), "Packaged error of run {Run}", run);
});
app.Run();
'@ | Set-Content (Join-Path $app 'Program.cs')
        Invoke-Dotnet $app @('build', '-c', 'Release', '--nologo', '-v', 'q') | Out-Null

        $script:appPort = Get-FreeLoopbackPort
        $script:appUrl = "http://127.0.0.1:$appPort"
        $start = [System.Diagnostics.ProcessStartInfo]::new('dotnet')
        foreach ($argument in @((Join-Path $app 'bin' 'Release' 'net10.0' 'PackagedApp.dll'), '--urls', $appUrl,
                '--Valkey:ConnectionString', $server.ConnectionString, '--Run', $run)) {
            $start.ArgumentList.Add($argument)
        }
        $start.WorkingDirectory = $app
        $start.UseShellExecute = $false
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $script:appProcess = [System.Diagnostics.Process]::Start($start)
        $script:stdoutTask = $appProcess.StandardOutput.ReadToEndAsync()
        $script:stderrTask = $appProcess.StandardError.ReadToEndAsync()

        # The entries are written in the background: wait until the viewer lists all four.
        $script:page = $null
        $deadline = [DateTime]::UtcNow.AddSeconds(30)
        while ([DateTime]::UtcNow -lt $deadline -and -not $appProcess.HasExited) {
            try {
                $page = Invoke-RestMethod "$appUrl/logs/api/logs?service=packaged&q=$run" -TimeoutSec 5
                if (@($page.entries).Count -ge 4) { break }
            }
            catch { }
            Start-Sleep -Milliseconds 250
        }
        if ($appProcess.HasExited) {
            throw "The packaged app exited ($($appProcess.ExitCode)):`n$($stdoutTask.Result)`n$($stderrTask.Result)"
        }
    }

    It 'restored MonarchLogs.* from artifacts/packages, not from any other cache' {
        $assets = Get-Content (Join-Path $app 'obj' 'project.assets.json') -Raw | ConvertFrom-Json -AsHashtable
        foreach ($id in 'MonarchLogs.Core', 'MonarchLogs.Logging', 'MonarchLogs.Web') {
            $assets['libraries'].Keys | Should -Contain "$id/$version"
        }
        $restored = Join-Path $env:NUGET_PACKAGES 'monarchlogs.web' $version '.nupkg.metadata'
        $restored | Should -Exist
        (Get-Content $restored -Raw | ConvertFrom-Json).source.TrimEnd('/') | Should -Be $packageFolder
    }

    It 'stores its entries in Valkey by the storage format' {
        $partitions = & valkey-cli -p $server.Port HGETALL 'monarch:logs:partitions'
        $partitions | Should -Contain 'monarch:logs:stream:packaged:warning'
        $partitions | Should -Contain 'warning:packaged'
        $partitions | Should -Contain 'error:packaged'
        # A new store is version 2: compressed blocks, counted here by their headers; the viewer's
        # test below reads every entry back.
        & valkey-cli -p $server.Port GET 'monarch:logs:format' | Should -Be '2'
        Get-MonarchTestEntryCount -Server $server -Prefix 'monarch:logs' -Service packaged -Level warning | Should -BeGreaterOrEqual 3
        Get-MonarchTestEntryCount -Server $server -Prefix 'monarch:logs' -Service packaged -Level error | Should -BeGreaterOrEqual 1
    }

    It 'serves them in the viewer at /logs/api/logs' {
        $page | Should -Not -BeNullOrEmpty -Because "the viewer at $appUrl/logs/ should have answered"
        $entries = @($page.entries)
        $entries.Count | Should -Be 4
        @($entries | Where-Object level -EQ 'Warning').Count | Should -Be 3
        ($entries | Where-Object level -EQ 'Error').exceptionType | Should -Be 'System.InvalidOperationException'
        $entries.service | Sort-Object -Unique | Should -Be 'packaged'
        ($entries.message | Sort-Object) | Should -Be @(
            "Packaged entry 1 of run $run", "Packaged entry 2 of run $run", "Packaged entry 3 of run $run", "Packaged error of run $run")
    }

    It 'serves the page at /logs/' {
        $response = Invoke-WebRequest "$appUrl/logs/" -TimeoutSec 5
        $response.StatusCode | Should -Be 200
        $response.Headers['Content-Type'] | Should -Match 'text/html'
        $response.Content | Should -Match '<script'
    }
}

Describe 'A net8.0 web app' {
    It 'restores and compiles against the packages (no .NET 8 runtime here to run it)' {
        $app8 = Join-Path $work 'PackagedApp8'
        New-Item -ItemType Directory -Path $app8 | Out-Null
        Copy-Item (Join-Path $app 'Program.cs') $app8
        $project = (Get-Content (Join-Path $app 'PackagedApp.csproj') -Raw) `
            -replace '<TargetFramework>net10\.0</TargetFramework>', '<TargetFramework>net8.0</TargetFramework><UseAppHost>false</UseAppHost>'
        $project | Should -Match 'net8\.0' -Because 'the template''s project names its target framework'
        Set-Content (Join-Path $app8 'PackagedApp8.csproj') $project
        Invoke-Dotnet $app8 @('build', '-c', 'Release', '--nologo', '-v', 'q') | Out-Null
        Join-Path $app8 'bin' 'Release' 'net8.0' 'PackagedApp8.dll' | Should -Exist
        $assets = Get-Content (Join-Path $app8 'obj' 'project.assets.json') -Raw | ConvertFrom-Json -AsHashtable
        $assets['targets'].Keys | Should -Contain 'net8.0'
        @($assets['targets']['net8.0'].Keys) | Should -Contain "MonarchLogs.Web/$version"
    }
}
