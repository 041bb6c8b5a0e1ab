#Requires -Version 7.4
# The module as a package: its manifest, Publish-PSResource into a folder repository,
# Install-PSResource into a clean PowerShell, the module next to another module that loaded an
# older StackExchange.Redis (in both orders, built and installed), and Remove-Module closing what
# the module opened. Every session under test is a child PowerShell; the installing ones get a
# HOME, data folders and PSModulePath of their own, so the CurrentUser scope lands in this test's
# folder and the repository's artifacts are not on the module path.

BeforeDiscovery {
    $script:sessions = foreach ($source in 'built', 'installed') {
        foreach ($order in 'other module first', 'MonarchLogs first') { @{ Source = $source; Order = $order } }
    }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force
    $script:repository = (Resolve-Path (Join-Path $PSScriptRoot '..' '..')).Path
    $script:builtModule = Join-Path $repository 'artifacts' 'module' 'MonarchLogs'
    $script:work = Join-Path ([System.IO.Path]::GetTempPath()) ('monarchlogs-packaging-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $work | Out-Null

    $script:server = Start-MonarchTestServer
    $data = @(New-MonarchKnownDataSet)
    Write-MonarchTestEntry -Server $server -Entry $data
    # The event ids of the data set, newest first, as Get-MonarchLog returns them.
    $script:expectedIds = @($data | Sort-Object Timestamp -Descending | ForEach-Object { [int] $_.EventId }) -join ','
    $script:version = ([xml](Get-Content -Raw (Join-Path $repository 'Directory.Build.props'))).SelectSingleNode('/Project/PropertyGroup/Version').InnerText.Trim()

    # A clean user: nothing installed, no PSResourceGet configuration, no MonarchLogs connection.
    $script:cleanHome = Join-Path $work 'home'
    $dataHome = Join-Path $cleanHome '.local' 'share'
    foreach ($folder in $dataHome, (Join-Path $cleanHome '.config'), (Join-Path $cleanHome '.cache')) {
        New-Item -ItemType Directory -Path $folder -Force | Out-Null
    }
    $script:cleanEnvironment = @{
        HOME                   = $cleanHome
        XDG_DATA_HOME          = $dataHome
        XDG_CONFIG_HOME        = Join-Path $cleanHome '.config'
        XDG_CACHE_HOME         = Join-Path $cleanHome '.cache'
        PSModulePath           = Join-Path $dataHome 'powershell' 'Modules'
        MONARCHLOGS_CONNECTION = $null
    }

    # Runs a script in a clean child PowerShell with $env:TEST_* set from -Values; returns the
    # object that the script writes as its last line of JSON.
    function script:Invoke-CleanSession([string] $Script, [hashtable] $Values = @{}, [int] $TimeoutSeconds = 120) {
        $environment = $cleanEnvironment.Clone()
        foreach ($name in $Values.Keys) { $environment["TEST_$name"] = $Values[$name] }
        $run = Invoke-MonarchChildPwsh -Script $Script -Environment $environment -TimeoutSeconds $TimeoutSeconds
        $json = @($run.Output -split "`n" | Where-Object { $_.Trim() }) | Select-Object -Last 1
        if ($run.ExitCode -ne 0 -or -not $json) { throw "The child PowerShell failed ($($run.ExitCode)): $($run.Output) $($run.Error)" }
        $json | ConvertFrom-Json
    }

    # The package, published by the one command that publishes it, into a repository of this test.
    $script:psRepository = Join-Path $work 'psrepository'
    $published = Invoke-MonarchChildPwsh -TimeoutSeconds 300 -Script "& '$(Join-Path $repository 'build' 'Publish-Module.ps1')' -RepositoryPath '$psRepository'"
    if ($published.ExitCode -ne 0) { throw "Publishing the module failed: $($published.Output) $($published.Error)" }

    $script:installed = Invoke-CleanSession -Values @{ REPOSITORY = $psRepository } -Script @'
$ErrorActionPreference = 'Stop'
Register-PSResourceRepository -Name MonarchLogsTest -Uri $env:TEST_REPOSITORY -Trusted
Install-PSResource -Name MonarchLogs -Repository MonarchLogsTest -Scope CurrentUser
$found = @(Get-Module -ListAvailable -Name MonarchLogs)
[pscustomobject]@{ Found = $found.Count; ModuleBase = $found[0].ModuleBase; Version = "$($found[0].Version)" } | ConvertTo-Json -Compress
'@

    # Another binary module, built against StackExchange.Redis 2.7.27, loaded the usual way (into
    # PowerShell's default load context).
    $script:otherModule = Join-Path $work 'OtherRedisModule'
    & dotnet publish (Join-Path $repository 'tests' 'Fixtures' 'OtherRedisModule') -c Release -o $otherModule --nologo -v quiet 2>&1 |
        Where-Object { $_ -match ' error ' } | Write-Host
    if ($LASTEXITCODE -ne 0) { throw "Publishing the other module fixture failed ($LASTEXITCODE)." }
    $script:otherModule = Join-Path $otherModule 'OtherRedisModule.dll'
}

AfterAll {
    if ($server) { Remove-MonarchTestServer -Server $server }
    if ($work) { Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue }
}

Describe 'The MonarchLogs module package' {
    Context 'The laid-out manifest' {
        BeforeAll {
            $script:manifest = Import-PowerShellDataFile (Join-Path $builtModule 'MonarchLogs.psd1')
        }

        It 'has the version of Directory.Build.props' {
            $version | Should -Not -BeNullOrEmpty
            $manifest.ModuleVersion | Should -Be $version
            (Test-ModuleManifest (Join-Path $builtModule 'MonarchLogs.psd1')).Version | Should -Be ([version] $version)
        }

        It 'names the project, the licence, release notes and tags' {
            $manifest.PrivateData.PSData.ProjectUri | Should -Be 'https://github.com/monarchlogs/monarchlogs'
            $manifest.PrivateData.PSData.LicenseUri | Should -Be 'https://github.com/monarchlogs/monarchlogs/blob/main/LICENSE'
            $manifest.PrivateData.PSData.ReleaseNotes | Should -Not -BeNullOrEmpty
            $manifest.PrivateData.PSData.ReleaseNotes | Should -Not -Match '#\d'
            $manifest.PrivateData.PSData.Tags | Should -Contain 'Valkey'
        }

        It 'exports its cmdlets by name, no wildcards' {
            $manifest.CmdletsToExport | Should -Contain 'Get-MonarchLog'
            @($manifest.CmdletsToExport + $manifest.FunctionsToExport + $manifest.VariablesToExport + $manifest.AliasesToExport) -join ' ' |
                Should -Not -Match '\*'
        }

        It 'keeps the engine and its dependencies in dependencies/, out of the shared load context' {
            $manifest.Keys | Should -Not -Contain 'RequiredAssemblies'
            @(Get-ChildItem $builtModule -File -Filter '*.dll').Name | Should -Be @('MonarchLogs.Cmdlets.dll')
            foreach ($name in 'MonarchLogs.Core.dll', 'StackExchange.Redis.dll', 'Pipelines.Sockets.Unofficial.dll') {
                Join-Path $builtModule 'dependencies' $name | Should -Exist
            }
        }

        It 'has cmdlets that reference no StackExchange.Redis of their own' {
            $stream = [System.IO.File]::OpenRead((Join-Path $builtModule 'MonarchLogs.Cmdlets.dll'))
            try {
                $reader = [System.Reflection.PortableExecutable.PEReader]::new($stream)
                $md = [System.Reflection.Metadata.PEReaderExtensions]::GetMetadataReader($reader)
                $names = @($md.AssemblyReferences | ForEach-Object { $md.GetString($md.GetAssemblyReference($_).Name) })
            }
            finally { $stream.Dispose() }
            $names | Should -Contain 'MonarchLogs.Core'
            $names | Should -Not -Contain 'StackExchange.Redis'
        }
    }

    Context 'Installed with Install-PSResource into a clean PowerShell' {
        It 'installs from the published package into the CurrentUser scope of the clean HOME' {
            $installed.Found | Should -Be 1
            $installed.Version | Should -Be $version
            $installed.ModuleBase | Should -BeLike "$cleanHome*"
        }

        It 'imports by name and Get-MonarchLog reads the stored entries' {
            $result = Invoke-CleanSession -Values @{ CONNECTION = $server.ConnectionString } -Script @'
$ErrorActionPreference = 'Stop'
Import-Module MonarchLogs
$module = Get-Module MonarchLogs
$entries = @(Get-MonarchLog -ConnectionString $env:TEST_CONNECTION)
[pscustomobject]@{
    ModuleBase = $module.ModuleBase
    Version    = "$($module.Version)"
    Ids        = @($entries | ForEach-Object { [int] $_.EventId }) -join ','
    Level      = $entries[0].Level -is [MonarchLogs.Core.MonarchLogLevel]
} | ConvertTo-Json -Compress
'@
            $result.ModuleBase | Should -BeLike "$cleanHome*"
            $result.Version | Should -Be $version
            $result.Ids | Should -Be $expectedIds
            $result.Level | Should -BeTrue
        }
    }

    Context 'Next to another module that loaded StackExchange.Redis 2.7.27 (<Source> module, <Order>)' -ForEach $sessions {
        BeforeAll {
            $script:result = Invoke-CleanSession -Values @{
                CONNECTION = $server.ConnectionString
                MODULE     = if ($Source -eq 'built') { $builtModule } else { 'MonarchLogs' }
                OTHER      = $otherModule
                ORDER      = $Order
            } -Script @'
$ErrorActionPreference = 'Stop'
$connection = $env:TEST_CONNECTION
if ($env:TEST_ORDER -eq 'other module first') {
    Import-Module $env:TEST_OTHER
    $otherBefore = Test-OtherRedis $connection
    Import-Module $env:TEST_MODULE
    $entries = @(Get-MonarchLog -ConnectionString $connection)
}
else {
    Import-Module $env:TEST_MODULE
    $null = @(Get-MonarchLog -ConnectionString $connection -First 1)
    Import-Module $env:TEST_OTHER
    $otherBefore = Test-OtherRedis $connection
    $entries = @(Get-MonarchLog -ConnectionString $connection)
}
$otherAfter = Test-OtherRedis $connection

# A failure still comes as one ErrorRecord with its id, not a raw exception.
$listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
$listener.Start(); $closedPort = $listener.LocalEndpoint.Port; $listener.Stop()
$failure = try { Get-MonarchLog -ConnectionString "127.0.0.1:$closedPort"; $null } catch { $_ }

[pscustomobject]@{
    ModuleBase   = (Get-Module MonarchLogs).ModuleBase
    Ids          = @($entries | ForEach-Object { [int] $_.EventId }) -join ','
    OtherBefore  = $otherBefore
    OtherAfter   = $otherAfter
    Redis        = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'StackExchange.Redis' } |
        ForEach-Object {
            [pscustomobject]@{
                Version     = [System.Diagnostics.FileVersionInfo]::GetVersionInfo($_.Location).FileVersion
                LoadContext = [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($_).Name
            }
        })
    ErrorId      = $failure.FullyQualifiedErrorId
    ErrorType    = $failure.Exception.GetType().FullName
    ErrorMessage = $failure.Exception.Message
} | ConvertTo-Json -Compress -Depth 4
'@
        }

        It 'imports the <Source> module' {
            if ($Source -eq 'built') { $result.ModuleBase | Should -Be ([System.IO.Path]::GetFullPath($builtModule)) }
            else { $result.ModuleBase | Should -BeLike "$cleanHome*" }
        }

        It 'Get-MonarchLog reads every stored entry' {
            $result.Ids | Should -Be $expectedIds
        }

        It 'the other module PINGs Valkey through its 2.7.27 before and after' {
            foreach ($other in $result.OtherBefore, $result.OtherAfter) {
                $other.Reply | Should -Be 'PONG'
                $other.RedisVersion | Should -BeLike '2.7.27.*'
                $other.LoadContext | Should -Be 'Default'
            }
        }

        It 'has the two StackExchange.Redis versions loaded, each in its own load context' {
            @($result.Redis).Count | Should -Be 2
            ($result.Redis | Where-Object Version -Like '2.7.27.*').LoadContext | Should -Be 'Default'
            $ours = $result.Redis | Where-Object Version -NotLike '2.7.27.*'
            $ours.LoadContext | Should -Be 'MonarchLogs'
        }

        It 'reports an unreachable server as one ErrorRecord with its id' {
            $result.ErrorId | Should -Be 'ValkeyUnreachable,MonarchLogs.Cmdlets.GetMonarchLogCommand'
            $result.ErrorType | Should -Be 'MonarchLogs.Core.MonarchLogsException'
            $result.ErrorMessage | Should -Not -Match "`n"
        }
    }

    Context 'Remove-Module' {
        BeforeAll {
            $script:removal = Invoke-CleanSession -Values @{ CONNECTION = $server.ConnectionString; MODULE = $builtModule; PORT = $server.Port } -Script @'
$ErrorActionPreference = 'Stop'
function Get-ModuleClient {
    @(& valkey-cli -p $env:TEST_PORT CLIENT LIST | Where-Object { $_ -match 'name=MonarchLogs\.PowerShell ' })
}
Import-Module $env:TEST_MODULE
$null = @(Get-MonarchLog -ConnectionString $env:TEST_CONNECTION -First 1)
$listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
$listener.Start(); $port = $listener.LocalEndpoint.Port; $listener.Stop()
$viewer = Start-MonarchLogViewer -ConnectionString $env:TEST_CONNECTION -Port $port
$clientsBefore = (Get-ModuleClient).Count
$viewerBefore = -not (Get-Process -Id $viewer.ProcessId).HasExited

Remove-Module MonarchLogs
$deadline = [DateTime]::UtcNow.AddSeconds(10)
while ((Get-ModuleClient).Count -gt 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 100 }
$clientsAfter = (Get-ModuleClient).Count
$viewerProcess = Get-Process -Id $viewer.ProcessId -ErrorAction SilentlyContinue
$viewerAfter = $null -ne $viewerProcess -and -not $viewerProcess.HasExited

# Imported again in the same session, it works as before.
Import-Module $env:TEST_MODULE
$again = @(Get-MonarchLog -ConnectionString $env:TEST_CONNECTION).Count
[pscustomobject]@{
    ClientsBefore = $clientsBefore; ClientsAfter = $clientsAfter
    ViewerBefore = $viewerBefore; ViewerAfter = $viewerAfter
    Again = $again; LevelType = ([MonarchLogs.Core.MonarchLogLevel]::Error).GetType().FullName
} | ConvertTo-Json -Compress
'@
        }

        It 'closes the connections the module opened' {
            $removal.ClientsBefore | Should -BeGreaterThan 0
            $removal.ClientsAfter | Should -Be 0
        }

        It 'stops the viewers the session started' {
            $removal.ViewerBefore | Should -BeTrue
            $removal.ViewerAfter | Should -BeFalse
        }

        It 'imports again in the same session' {
            $removal.Again | Should -Be 60
            $removal.LevelType | Should -Be 'MonarchLogs.Core.MonarchLogLevel'
        }
    }
}
