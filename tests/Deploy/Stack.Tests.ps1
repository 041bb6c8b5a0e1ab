#Requires -Version 7.4
# The deployable stack of deploy/, run as compose.yaml runs it but without a container engine:
# a real valkey-server started with the shipped valkey.conf and the users file that
# deploy/new-secrets.sh writes from the shipped one; the demo service and the standalone viewer
# started with the images' entrypoint commands and compose.yaml's environment; the retention
# job's script run as its container runs it. Each role is used for its job and refused the rest.

BeforeAll {
    $script:repository = (Resolve-Path (Join-Path $PSScriptRoot '..' '..')).Path
    $script:deploy = Join-Path $repository 'deploy'
    Import-Module (Join-Path $repository 'artifacts' 'module' 'MonarchLogs') -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force

    $script:work = Join-Path ([System.IO.Path]::GetTempPath()) ('monarchlogs-deploy-' + [guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $work | Out-Null
    $script:secrets = Join-Path $work 'secrets'
    & bash (Join-Path $deploy 'new-secrets.sh') $secrets | Out-Null
    if ($LASTEXITCODE -ne 0) { throw 'deploy/new-secrets.sh failed.' }
    function script:Get-Secret([string] $Name) { Get-Content -LiteralPath (Join-Path $secrets $Name) -Raw }
    $script:passwords = @{}
    foreach ($role in 'admin', 'writer', 'reader', 'maintainer', 'importer') { $passwords[$role] = Get-Secret "monarch-$role.password" }
    $script:token = Get-Secret 'viewer.token'

    $script:server = Start-MonarchTestServer -ConfigFile (Join-Path $deploy 'valkey' 'valkey.conf') `
        -ExtraArguments @('--aclfile', (Join-Path $secrets 'users.acl')) -CliArguments @('--user', 'monarch-admin', '--pass', $passwords.admin)

    # valkey-cli as one of the roles: the reply's text, errors included.
    function script:Invoke-AsRole([string] $Role, [string[]] $Command) {
        (& valkey-cli -p $server.Port --user "monarch-$Role" --pass $passwords[$Role] --no-auth-warning @Command 2>&1 | Out-String).Trim()
    }


    # Starts `dotnet <dll>` in the dll's folder (the images' WORKDIR and ENTRYPOINT) with the
    # environment compose.yaml gives; its output goes to a file.
    function script:Start-Entrypoint([string] $Dll, [hashtable] $Environment) {
        $log = Join-Path $work ([System.IO.Path]::GetFileNameWithoutExtension($Dll) + '-' + [guid]::NewGuid().ToString('N').Substring(0, 6) + '.log')
        $start = [System.Diagnostics.ProcessStartInfo]::new('bash')
        foreach ($argument in '-c', 'exec dotnet "$0" > "$1" 2>&1', $Dll, $log) { $start.ArgumentList.Add($argument) }
        $start.WorkingDirectory = Split-Path $Dll
        $start.UseShellExecute = $false
        foreach ($key in $Environment.Keys) { $start.Environment[$key] = [string] $Environment[$key] }
        $process = [System.Diagnostics.Process]::Start($start)
        [pscustomobject]@{ Process = $process; Log = $log }
    }

    function script:Stop-Entrypoint($Started) {
        if ($Started -and -not $Started.Process.HasExited) { $Started.Process.Kill($true); $Started.Process.WaitForExit(5000) | Out-Null }
    }

    # An HTTP GET that returns status and body, and never throws for a status code.
    function script:Invoke-Get([string] $Url, [hashtable] $Headers = @{}) {
        try {
            $response = Invoke-WebRequest -Uri $Url -Headers $Headers -SkipHttpErrorCheck -TimeoutSec 5
            [pscustomobject]@{ Status = [int] $response.StatusCode; Body = [string] $response.Content }
        }
        catch { [pscustomobject]@{ Status = 0; Body = $_.Exception.Message } }
    }

    function script:Wait-Until([scriptblock] $Condition, [int] $TimeoutSeconds, [string] $What) {
        $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
        while ([DateTime]::UtcNow -lt $deadline) {
            $result = & $Condition
            if ($result) { return $result }
            Start-Sleep -Milliseconds 200
        }
        throw "Timed out after $TimeoutSeconds s waiting for: $What"
    }

    $configuration = 'Release'
    $script:demoDll = Join-Path $repository 'samples' 'MonarchLogs.DemoService' 'bin' $configuration 'net10.0' 'MonarchLogs.DemoService.dll'
    # The standalone viewer as the module ships it: the same published app the viewer image runs.
    $script:viewerDll = Get-ChildItem (Join-Path $repository 'artifacts' 'module' 'MonarchLogs' 'viewer') -Filter 'MonarchLogs.*.dll' |
        Where-Object { Test-Path ([System.IO.Path]::ChangeExtension($_.FullName, '.runtimeconfig.json')) } | Select-Object -First 1 -ExpandProperty FullName

    # The demo service as the service image runs it, with compose.yaml's environment; only the
    # address differs (loopback and a free port instead of 0.0.0.0:8081) and the health check's
    # time without writes (2 s instead of a minute, so that a test can wait for it).
    $script:demoPort = Get-FreeLoopbackPort
    $script:demo = Start-Entrypoint $demoDll @{
        Urls                                      = "http://127.0.0.1:$demoPort"
        Valkey__ConnectionString                  = "127.0.0.1:$($server.Port)"
        Logging__MonarchValkey__Service           = 'monarch'
        Logging__MonarchValkey__User              = 'monarch-writer'
        Logging__MonarchValkey__Password          = $passwords.writer
        Viewer__Valkey__User                      = 'monarch-reader'
        Viewer__Valkey__Password                  = $passwords.reader
        Viewer__BearerToken                       = $token
        Monitoring__Health__NotWrittenFor         = '00:00:02'
        Monitoring__Health__DroppedWithin         = '00:00:02'
    }
    $script:demoUrl = "http://127.0.0.1:$demoPort"
}

AfterAll {
    Stop-Entrypoint $demo
    if ($server) { Remove-MonarchTestServer -Server $server }
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
}

Describe 'The shipped users file' {
    It 'holds the roles of docs/operations.md with the default prefix, an admin, and the default user off' {
        $shipped = Get-Content (Join-Path $deploy 'valkey' 'users.acl')
        $documented = Get-Content (Join-Path $repository 'docs' 'operations.md') | Where-Object { $_ -like 'ACL SETUSER monarch-*' } | ForEach-Object {
            # valkey-cli needs a selector quoted, as one word; the users file takes it bare.
            ($_ -replace '^ACL SETUSER ', 'user ' -replace ' >PASSWORD ', ' #HASH ' -replace '~P:', '~monarch:logs:' -replace '&P:', '&monarch:logs:' -replace '"', '')
        }
        $documented | Should -HaveCount 4
        $roles = $shipped -replace '#[0-9a-f]{64}', '#HASH'
        foreach ($line in $documented) { $roles | Should -Contain $line }
        # Off, so nobody logs in as it; its rights kept, since Valkey replays the append-only
        # file's transactions (every scripted append) as the default user when it starts.
        $roles | Should -Contain 'user default off resetpass ~* &* +@all'
        $roles | Should -Contain 'user monarch-admin on #HASH ~* &* +@all'
        $shipped | Should -HaveCount 6
    }

    It 'is what new-secrets.sh writes, but for the password hashes, in an owner-only folder' {
        $generated = Get-Content (Join-Path $secrets 'users.acl')
        ($generated -replace '#[0-9a-f]{64}', '#HASH') | Should -Be ((Get-Content (Join-Path $deploy 'valkey' 'users.acl')) -replace '#[0-9a-f]{64}', '#HASH')
        ((Compare-Object $generated (Get-Content (Join-Path $deploy 'valkey' 'users.acl'))) | Measure-Object).Count | Should -Be 10
        (Get-Item $secrets).UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite, UserExecute')
        foreach ($file in Get-ChildItem $secrets) { $file.UnixFileMode | Should -Be ([System.IO.UnixFileMode]'UserRead, UserWrite') -Because $file.Name }
        & bash (Join-Path $deploy 'new-secrets.sh') $secrets 2>&1 | Out-Null
        $LASTEXITCODE | Should -Be 1 -Because 'existing secrets are never overwritten'
    }

    It 'loads as shipped into valkey-server, where nobody can log in' {
        $shipped = Start-MonarchTestServer -ConfigFile (Join-Path $deploy 'valkey' 'valkey.conf') -ExtraArguments @('--aclfile', (Join-Path $deploy 'valkey' 'users.acl'))
        try {
            (& valkey-cli -p $shipped.Port PING 2>&1 | Out-String) | Should -Match 'NOAUTH'
            (& valkey-cli -p $shipped.Port --user monarch-admin --pass '' --no-auth-warning PING 2>&1 | Out-String) | Should -Match 'WRONGPASS|invalid'
        }
        finally { Remove-MonarchTestServer -Server $shipped }
    }
}

Describe 'The shipped valkey.conf on a real server' {
    It 'keeps the original design''s persistence and never evicts' {
        $config = @{}
        foreach ($name in 'appendonly', 'appendfsync', 'save', 'maxmemory-policy', 'maxmemory', 'protected-mode') {
            $config[$name] = @(Invoke-MonarchTestCli -Server $server CONFIG GET $name)[1]
        }
        $config['appendonly'] | Should -Be 'yes'
        $config['appendfsync'] | Should -Be 'everysec'
        $config['save'] | Should -Be '900 1 300 10 60 10000'
        $config['maxmemory-policy'] | Should -Be 'noeviction'
        $config['maxmemory'] | Should -Be ([string] 2GB)
        $config['protected-mode'] | Should -Be 'yes'
        (Invoke-MonarchTestCli -Server $server INFO persistence | Out-String) | Should -Match 'aof_enabled:1'
    }

    It 'turns the default user off: a client without a user is refused' {
        (& valkey-cli -p $server.Port PING 2>&1 | Out-String) | Should -Match 'NOAUTH'
        (& valkey-cli -p $server.Port --user monarch-writer --pass 'not-the-password' --no-auth-warning PING 2>&1 | Out-String) | Should -Match 'WRONGPASS'
    }
}

Describe 'The demo service as its image runs it (writer user; viewer as reader user)' {
    It 'stores entries as the writer, answers /healthz and /metrics, and its viewer reads them as the reader' {
        Wait-Until { (Invoke-Get "$demoUrl/healthz").Status -eq 200 } 30 "the demo service's /healthz ($($demo.Log))" | Out-Null
        Wait-Until { (Get-MonarchTestEntryCount -Server $server -Prefix 'monarch:logs' -Service orders -Level information) -gt 5 } 20 'entries in the store' | Out-Null
        # The writer role may mark the store it creates: a new store is version 2.
        Invoke-MonarchTestCli -Server $server GET 'monarch:logs:format' | Should -Be '2'
        (Invoke-Get "$demoUrl/healthz").Body | Should -Be 'Healthy'
        $metrics = Wait-Until { $m = Invoke-Get "$demoUrl/metrics"; if ($m.Body -match 'monarchlogs_entries_written_total\{[^}]*service="monarch"[^}]*\} [1-9]') { $m } } 30 'written entries in /metrics'
        $metrics.Body | Should -Match 'monarchlogs_batch_duration_seconds_bucket\{'
        $metrics.Body | Should -Match 'monarchlogs_queue_length\{[^}]*service="monarch"'
        $metrics.Body | Should -Not -Match 'monarchlogs_entries_dropped_total'

        $logs = Invoke-Get "$demoUrl/logs/api/logs?limit=5" @{ Authorization = "Bearer $token" }
        $logs.Status | Should -Be 200
        ($logs.Body | ConvertFrom-Json).entries.Count | Should -Be 5
    }

    It 'reports Unhealthy at /healthz while Valkey is stopped, and Healthy again once it is back, with no entry lost' {
        Wait-Until { (Invoke-Get "$demoUrl/healthz").Status -eq 200 } 30 'a healthy demo service' | Out-Null
        Stop-MonarchTestServer -Server $server
        $down = Wait-Until { $h = Invoke-Get "$demoUrl/healthz"; if ($h.Status -eq 503) { $h } } 20 '503 from /healthz while Valkey is stopped'
        $down.Body | Should -Be 'Unhealthy'

        Start-MonarchTestServerAgain -Server $server
        Wait-Until { (Invoke-Get "$demoUrl/healthz").Status -eq 200 } 30 'a healthy /healthz once Valkey is back' | Out-Null
        (Invoke-Get "$demoUrl/metrics").Body | Should -Not -Match 'monarchlogs_entries_dropped_total'
    }

    It 'runs the writer with the least rights: it cannot read, delete or trim' {
        $stream = 'monarch:logs:stream:orders:information'
        Invoke-AsRole writer @('XRANGE', $stream, '-', '+', 'COUNT', '1') | Should -Match 'NOPERM'
        Invoke-AsRole writer @('HGETALL', 'monarch:logs:partitions') | Should -Match 'NOPERM'
        Invoke-AsRole writer @('DEL', $stream) | Should -Match 'NOPERM'
        Invoke-AsRole writer @('XTRIM', $stream, 'MAXLEN', '0') | Should -Match 'NOPERM'
        Invoke-AsRole writer @('CONFIG', 'GET', 'save') | Should -Match 'NOPERM'
    }
}

Describe 'The standalone viewer as its image runs it (reader user, bearer token, all interfaces)' {
    It 'serves the store to a request with the token and refuses one without it from another address' {
        $port = Get-FreeLoopbackPort
        $viewer = Start-Entrypoint $viewerDll @{
            Urls                     = "http://0.0.0.0:$port"
            Valkey__ConnectionString = "127.0.0.1:$($server.Port)"
            Valkey__User             = 'monarch-reader'
            Valkey__Password         = $passwords.reader
            Viewer__BearerToken      = $token
        }
        try {
            $withToken = Wait-Until { $r = Invoke-Get "http://127.0.0.1:$port/api/logs?limit=3" @{ Authorization = "Bearer $token" }; if ($r.Status -eq 200) { $r } } 30 "the viewer's API ($($viewer.Log))"
            ($withToken.Body | ConvertFrom-Json).entries.Count | Should -Be 3
            (Invoke-Get "http://127.0.0.1:$port/api/logs?limit=3" @{ Authorization = 'Bearer wrong-token' }).Status | Should -Be 401
            $probe = Invoke-Get "http://127.0.0.1:$port/healthz"
            "$($probe.Status) $($probe.Body)" | Should -Be '200 Healthy' -Because 'a probe needs no token'
        }
        finally { Stop-Entrypoint $viewer }
    }

    It 'runs the reader with the least rights: it cannot write, trim or run scripts' {
        Invoke-AsRole reader @('XADD', 'monarch:logs:stream:orders:error', '*', 'message', 'forged') | Should -Match 'NOPERM'
        Invoke-AsRole reader @('XTRIM', 'monarch:logs:stream:orders:error', 'MAXLEN', '0') | Should -Match 'NOPERM'
        Invoke-AsRole reader @('EVAL', 'return 1', '0') | Should -Match 'NOPERM'
        $reader = [pscredential]::new('monarch-reader', (ConvertTo-SecureString $passwords.reader -AsPlainText -Force))
        @(Get-MonarchLog -ConnectionString $server.ConnectionString -Credential $reader -First 2).Count | Should -Be 2
    }
}

Describe 'The retention job as its container runs it (maintainer user, password from a file)' {
    BeforeAll {
        $script:retention = Join-Path $deploy 'retention' 'retention.ps1'
        $old = [datetime]::UtcNow.AddDays(-40)
        Write-MonarchTestEntry -Server $server -Entry @(
            [pscustomobject]@{ Timestamp = $old; Level = 'warning'; Service = 'archive'; Message = 'forty days old' }
            [pscustomobject]@{ Timestamp = $old.AddDays(35); Level = 'warning'; Service = 'archive'; Message = 'five days old' }
            [pscustomobject]@{ Timestamp = $old.AddDays(35); Level = 'debug'; Service = 'archive'; Message = 'debug, five days old' })
        $script:passwordFile = Join-Path $work 'maintainer.password'
        Set-Content -LiteralPath $passwordFile -Value $passwords.maintainer -NoNewline
        [System.IO.File]::SetUnixFileMode($passwordFile, [System.IO.UnixFileMode]'UserRead, UserWrite')

        # pwsh -File retention.ps1 with the job's environment, the module found by name as in the image.
        function script:Invoke-Retention([hashtable] $Environment) {
            $moduleRoot = Join-Path $repository 'artifacts' 'module'
            $lines = @("`$env:PSModulePath = '$moduleRoot' + [System.IO.Path]::PathSeparator + `$env:PSModulePath")
            foreach ($key in $Environment.Keys) { $lines += "`$env:$key = '$($Environment[$key])'" }
            $lines += "& '$retention'"
            $lines += 'exit $LASTEXITCODE'
            Invoke-MonarchChildPwsh -Script ($lines -join "`n") -TimeoutSeconds 120
        }
    }

    It 'removes what is past each period and keeps the rest' {
        $run = Invoke-Retention @{
            MONARCHLOGS_CONNECTION    = $server.ConnectionString
            MONARCHLOGS_USER          = 'monarch-maintainer'
            MONARCHLOGS_PASSWORD_FILE = $passwordFile
        }
        $run.ExitCode | Should -Be 0 -Because "$($run.Output) $($run.Error)"
        Invoke-MonarchTestCli -Server $server XLEN 'monarch:logs:stream:archive:warning' | Should -Be 1
        Invoke-MonarchTestCli -Server $server XLEN 'monarch:logs:stream:archive:debug' | Should -Be 0
    }

    It 'refuses a password file that others may read, and fails without a password' {
        $open = Join-Path $work 'open.password'
        Set-Content -LiteralPath $open -Value $passwords.maintainer -NoNewline
        [System.IO.File]::SetUnixFileMode($open, [System.IO.UnixFileMode]'UserRead, UserWrite, GroupRead, OtherRead')
        $run = Invoke-Retention @{ MONARCHLOGS_CONNECTION = $server.ConnectionString; MONARCHLOGS_PASSWORD_FILE = $open }
        $run.ExitCode | Should -Not -Be 0
        "$($run.Output) $($run.Error)" | Should -Match 'may be read by others'

        $run = Invoke-Retention @{ MONARCHLOGS_CONNECTION = $server.ConnectionString }
        $run.ExitCode | Should -Not -Be 0
        "$($run.Output) $($run.Error)" | Should -Match 'No password'
    }

    It 'runs the maintainer with the least rights: it cannot add, delete or change the format' {
        Invoke-AsRole maintainer @('XADD', 'monarch:logs:stream:orders:error', '*', 'message', 'forged') | Should -Match 'NOPERM'
        Invoke-AsRole maintainer @('DEL', 'monarch:logs:stream:orders:error') | Should -Match 'NOPERM'
        Invoke-AsRole maintainer @('SET', 'monarch:logs:format', '2') | Should -Match 'NOPERM'
    }
}

Describe 'A restore as the importer user of the shipped users file' {
    It 'puts a partition lost from the store back from its export, found by queries, and may delete nothing' {
        $admin = [pscredential]::new('monarch-admin', (ConvertTo-SecureString $passwords.admin -AsPlainText -Force))
        $importer = [pscredential]::new('monarch-importer', (ConvertTo-SecureString $passwords.importer -AsPlainText -Force))
        $at = [datetime]::UtcNow.AddHours(-2)
        0..2 | ForEach-Object { [pscustomobject]@{ Message = "restored $_"; Level = 'Error'; Service = 'restore'; Timestamp = $at.AddSeconds($_) } } |
            Write-MonarchLog -ConnectionString $server.ConnectionString -Credential $admin
        $file = Join-Path $work 'restore.jsonl.gz'
        (Export-MonarchLog -ConnectionString $server.ConnectionString -Credential $admin -Service restore -Path $file).Entries | Should -Be 3

        # The bad day: the partition and its registry entry are gone.
        $stream = 'monarch:logs:stream:restore:error'
        foreach ($key in $stream, 'monarch:logs:head:{monarch:logs:stream:restore:error}', 'monarch:logs:late:{monarch:logs:stream:restore:error}') { Invoke-MonarchTestCli -Server $server DEL $key | Out-Null }
        Invoke-MonarchTestCli -Server $server HDEL 'monarch:logs:partitions' $stream | Out-Null
        @(Get-MonarchLog -ConnectionString $server.ConnectionString -Credential $admin -Service restore).Count | Should -Be 0

        $result = Import-MonarchLog -ConnectionString $server.ConnectionString -Credential $importer -Path $file -ErrorVariable problems
        $problems | Should -BeNullOrEmpty
        ($result.Imported, $result.Failed, $result.Displaced) | Should -Be @(3, 0, 0)
        (Get-MonarchLog -ConnectionString $server.ConnectionString -Credential $admin -Service restore -Oldest).Message | Should -Be @('restored 0', 'restored 1', 'restored 2')
        Invoke-AsRole importer @('DEL', $stream) | Should -Match 'NOPERM'
        Invoke-AsRole importer @('XTRIM', $stream, 'MAXLEN', '0') | Should -Match 'NOPERM'
        Invoke-AsRole importer @('SCAN', '0') | Should -Match 'NOPERM'
    }
}

Describe 'Persistence of the shipped configuration' {
    It 'keeps acknowledged entries through a crash (SIGKILL) and a start from the append-only file' {
        $before = (Get-MonarchTestEntryCount -Server $server -Prefix 'monarch:logs' -Service orders -Level information)
        $before | Should -BeGreaterThan 0
        Start-Sleep -Seconds 2    # appendfsync everysec: what is a second old is on disk
        $server.Process.Kill()
        $server.Process.WaitForExit()
        Start-MonarchTestServerAgain -Server $server
        (Get-MonarchTestEntryCount -Server $server -Prefix 'monarch:logs' -Service orders -Level information) | Should -BeGreaterOrEqual $before -Because (Get-Content (Join-Path $server.Directory 'valkey.log') -Tail 12 | Out-String)
        Get-Content (Join-Path $server.Directory 'valkey.log') -Raw | Should -Not -Match 'CRITICAL'
    }
}
