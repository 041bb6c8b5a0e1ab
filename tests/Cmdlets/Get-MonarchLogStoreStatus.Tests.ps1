#Requires -Version 7.4
# Get-MonarchLogStoreStatus reports the store and the server's memory and persistence, with warnings.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs') -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force

    $script:server = Start-MonarchTestServer
    $script:c = @{ ConnectionString = $server.ConnectionString }
    $now = [datetime]::UtcNow
    $script:base = [datetime]::new($now.Ticks - ($now.Ticks % [timespan]::TicksPerSecond), [DateTimeKind]::Utc).AddMinutes(-30)
    $script:counts = [ordered]@{ 'billing/warning' = 1; 'orders/information' = 2; 'orders/error' = 3 }
    Write-MonarchTestEntry -Server $server -Entry @(
        $minute = 0
        foreach ($pair in $counts.Keys) {
            $service, $level = $pair -split '/'
            foreach ($i in 1..$counts[$pair]) {
                [pscustomobject]@{ Timestamp = $base.AddMinutes($minute++); Level = $level; Service = $service; Message = "$pair $i" }
            }
        }
    )
    # The newest seeded entry is at base + 5 min.
    $script:newest = $base.AddMinutes(5)

    Write-MonarchTestEntry -Server $server -Prefix 'aged:logs' -Entry @(
        [pscustomobject]@{ Timestamp = $base.AddDays(-10); Level = 'error'; Service = 'legacy'; Message = 'ten days old' }
        [pscustomobject]@{ Timestamp = $base; Level = 'error'; Service = 'legacy'; Message = 'recent' }
    )

    function Get-Warning($Status, [string] $Pattern) { @($Status.Warnings -match $Pattern) }
}

AfterAll {
    Remove-MonarchTestServer -Server $server
}

Describe 'Get-MonarchLogStoreStatus' {
    It 'counts the partitions, services and entries of a seeded store exactly' {
        $status = Get-MonarchLogStoreStatus @c
        $status | Should -BeOfType ([MonarchLogs.Core.Storage.StoreStatus])
        $status.FormatVersion | Should -Be '1'
        $status.Prefix | Should -Be 'monarch:logs'
        $status.PartitionCount | Should -Be 3
        $status.ServiceCount | Should -Be 2
        $status.TotalEntries | Should -Be 6
        $status.Oldest | Should -Be $base
        $status.Oldest.Kind | Should -Be 'Utc'
        $status.Newest | Should -Be $newest
        $status.Partitions | ForEach-Object { "$($_.Service)/$($_.Level)=$($_.Entries)" } |
            Should -Be 'billing/Warning=1', 'orders/Information=2', 'orders/Error=3'
        $status.Partitions[0] | Should -BeOfType ([MonarchLogs.Core.Storage.PartitionStatus])
        ($status.Partitions | Where-Object Level -eq 'Error').Oldest | Should -Be $base.AddMinutes(3)
        $status.StoreMemoryBytes | Should -BeGreaterThan 0
        $status.StoreMemoryBytes | Should -Be ($status.Partitions | Measure-Object MemoryBytes -Sum).Sum
    }

    It 'reports memory and persistence from INFO' {
        $status = Get-MonarchLogStoreStatus @c
        $status.UsedMemoryBytes | Should -BeGreaterThan 0
        $status.MaxMemoryBytes | Should -Be 0
        $status.MaxMemoryPolicy | Should -Be 'noeviction'
        # The test server runs with --appendonly no and --save ''.
        $status.AofEnabled | Should -BeFalse
        $status.RdbLastBgsaveStatus | Should -Be 'ok'
        $status.AofLastWriteStatus | Should -Be 'ok'
        $status.RdbChangesSinceLastSave | Should -BeGreaterThan 0
        (Get-Warning $status 'aof_enabled:0').Count | Should -Be 1
        $status.Warnings.Count | Should -Be 1 -Because 'only persistence is wrong on the test server'
    }

    It 'warns about a maxmemory-policy that evicts, and stops once it is noeviction' {
        try {
            Invoke-MonarchTestCli -Server $server CONFIG SET maxmemory-policy allkeys-lru | Should -Be 'OK'
            $status = Get-MonarchLogStoreStatus @c
            $status.MaxMemoryPolicy | Should -Be 'allkeys-lru'
            (Get-Warning $status '^maxmemory-policy is allkeys-lru').Count | Should -Be 1
        }
        finally {
            Invoke-MonarchTestCli -Server $server CONFIG SET maxmemory-policy noeviction | Out-Null
        }
        (Get-Warning (Get-MonarchLogStoreStatus @c) 'maxmemory-policy').Count | Should -Be 0
    }

    It 'warns when used memory is above 80% of maxmemory' {
        $used = (Get-MonarchLogStoreStatus @c).UsedMemoryBytes
        try {
            Invoke-MonarchTestCli -Server $server CONFIG SET maxmemory ([long] ($used * 1.1)) | Should -Be 'OK'
            (Get-Warning (Get-MonarchLogStoreStatus @c) 'of maxmemory').Count | Should -Be 1
            Invoke-MonarchTestCli -Server $server CONFIG SET maxmemory ([long] ($used * 4)) | Should -Be 'OK'
            (Get-Warning (Get-MonarchLogStoreStatus @c) 'of maxmemory').Count | Should -Be 0
        }
        finally {
            Invoke-MonarchTestCli -Server $server CONFIG SET maxmemory 0 | Out-Null
        }
    }

    It 'warns about entries older than -RetentionDays' {
        $status = Get-MonarchLogStoreStatus @c -Prefix 'aged:logs' -RetentionDays 7
        $status.Oldest | Should -Be $base.AddDays(-10)
        $status.TotalEntries | Should -Be 2
        (Get-Warning $status 'retention is not running').Count | Should -Be 1
        (Get-Warning (Get-MonarchLogStoreStatus @c -Prefix 'aged:logs') 'retention').Count | Should -Be 0 -Because 'the default is 30 days'
        (Get-Warning (Get-MonarchLogStoreStatus @c -RetentionDays 1) 'retention').Count | Should -Be 0 -Because 'the seeded store is half an hour old'
    }

    It 'checks each level against its own period with -LevelRetentionDays' {
        Write-MonarchTestEntry -Server $server -Prefix 'levels:logs' -Entry @(
            [pscustomobject]@{ Timestamp = $base.AddDays(-5); Level = 'trace'; Service = 'api'; Message = 'five days old trace' }
            [pscustomobject]@{ Timestamp = $base.AddDays(-20); Level = 'error'; Service = 'api'; Message = 'twenty days old error' }
        )
        $both = Get-MonarchLogStoreStatus @c -Prefix 'levels:logs' -RetentionDays 30 -LevelRetentionDays @{ Trace = 3; Debug = 3 }
        @($both.Warnings -match 'retention').Count | Should -Be 1
        @($both.Warnings -match 'oldest Trace entry.*its retention period of 3 days.*-Level Trace').Count | Should -Be 1
        $both.LevelRetention[[MonarchLogs.Core.MonarchLogLevel]::Trace] | Should -Be ([timespan]::FromDays(3))
        @((Get-MonarchLogStoreStatus @c -Prefix 'levels:logs' -RetentionDays 30 -LevelRetentionDays @{ Trace = 7 }).Warnings -match 'retention').Count | Should -Be 0
        # The other levels keep -RetentionDays: the twenty-day-old error is overdue at 10 days, the trace at its own 7 is not.
        $errors = @((Get-MonarchLogStoreStatus @c -Prefix 'levels:logs' -RetentionDays 10 -LevelRetentionDays @{ Trace = 7 }).Warnings -match 'retention')
        $errors.Count | Should -Be 1
        $errors[0] | Should -Match 'retention period of 10 days'
    }

    It 'says Healthy, answers -Quiet with a boolean, and writes each warning as a PowerShell warning' {
        $aged = Get-MonarchLogStoreStatus @c -Prefix 'aged:logs' -RetentionDays 7 -WarningVariable warned -WarningAction SilentlyContinue
        $aged.Healthy | Should -BeFalse
        @($warned | ForEach-Object { "$_" }) | Should -Be @($aged.Warnings)
        @($warned -match 'retention is not running').Count | Should -Be 1
        Get-MonarchLogStoreStatus @c -Prefix 'aged:logs' -RetentionDays 7 -Quiet -WarningAction SilentlyContinue | Should -BeExactly $false
        $fine = Get-MonarchLogStoreStatus @c -Prefix 'aged:logs' -RetentionDays 30 -Quiet -WarningVariable none -WarningAction SilentlyContinue
        $fine | Should -BeOfType [bool]
        $fine | Should -Be (@($none).Count -eq 0)
    }

    It 'refuses a -LevelRetentionDays that names no level or no whole number of days' {
        { Get-MonarchLogStoreStatus @c -LevelRetentionDays @{ Loud = 3 } -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidLevel*'
        { Get-MonarchLogStoreStatus @c -LevelRetentionDays @{ Trace = 'soon' } -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidRetentionDays*'
        { Get-MonarchLogStoreStatus @c -LevelRetentionDays @{ Trace = 0 } -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidRetentionDays*'
    }

    It 'reports an empty store with zero counts, without error' {
        $status = Get-MonarchLogStoreStatus @c -Prefix 'empty:logs' -ErrorVariable problems
        $problems.Count | Should -Be 0
        $status.FormatVersion | Should -BeNullOrEmpty
        $status.PartitionCount | Should -Be 0
        $status.ServiceCount | Should -Be 0
        $status.TotalEntries | Should -Be 0
        $status.StoreMemoryBytes | Should -Be 0
        $status.Oldest | Should -BeNullOrEmpty
        $status.Newest | Should -BeNullOrEmpty
        @($status.Partitions).Count | Should -Be 0
    }

    It 'runs for the reader ACL user of docs/operations.md, leaving what it may not read empty' {
        # The reader rules of docs/operations.md: counts, but no MEMORY USAGE.
        $rules = '+xrange +xrevrange +xread +xlen +hgetall +get +subscribe +unsubscribe +ping +client|setname +info +echo ~monarch:logs:* &monarch:logs:notify' -split ' '
        Invoke-MonarchTestCli -Server $server ACL SETUSER status-reader on '>reader-secret' resetkeys resetchannels -@all @rules | Should -Be 'OK'
        $credential = [pscredential]::new('status-reader', (ConvertTo-SecureString 'reader-secret' -AsPlainText -Force))
        $status = Get-MonarchLogStoreStatus @c -Credential $credential -ErrorVariable problems
        $problems.Count | Should -Be 0
        $status.PartitionCount | Should -Be 3
        $status.Oldest | Should -Be $base
        $status.Newest | Should -Be $newest
        $status.TotalEntries | Should -Be 6
        @($status.Partitions).Count | Should -Be 3
        @($status.Partitions | Where-Object { $null -eq $_.Entries -or $null -ne $_.MemoryBytes }).Count | Should -Be 0
        $status.StoreMemoryBytes | Should -BeNullOrEmpty
        $status.MaxMemoryPolicy | Should -Be 'noeviction'
        $status.Warnings | Should -Be (Get-MonarchLogStoreStatus @c).Warnings -Because 'a refused command is no warning'
    }

    It 'shows a list with the counts and the warnings' {
        $text = Get-MonarchLogStoreStatus @c | Out-String
        $text | Should -Match '(?m)^TotalEntries\s+: 6\s*$'
        $text | Should -Match '(?m)^Oldest\s+: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s*$'
        $text | Should -Match '(?m)^Warnings\s+: The append-only file is off'
    }

    It 'a partition that cannot be read is one error each; the status covers the others' {
        Write-MonarchTestEntry -Server $server -Prefix 'poisoned:logs' -Entry @(
            [pscustomobject]@{ Timestamp = $base; Level = 'error'; Service = 'good'; Message = 'good one' }
        )
        Invoke-MonarchTestCli -Server $server SET poisoned:logs:stream:bad:error a-string | Out-Null
        Invoke-MonarchTestCli -Server $server HSET poisoned:logs:partitions poisoned:logs:stream:bad:error error:bad poisoned:logs:stream:junk:error junk | Out-Null
        $status = Get-MonarchLogStoreStatus @c -Prefix 'poisoned:logs' -ErrorVariable problems -ErrorAction SilentlyContinue
        @($problems | ForEach-Object { "$($_.FullyQualifiedErrorId) $($_.TargetObject)" } | Sort-Object) | Should -Be @(
            'InvalidRegistryEntry,MonarchLogs.Cmdlets.GetMonarchLogStoreStatusCommand poisoned:logs:stream:junk:error'
            'PartitionWrongType,MonarchLogs.Cmdlets.GetMonarchLogStoreStatusCommand bad/error'
        )
        $status.PartitionCount | Should -Be 1
        $status.TotalEntries | Should -Be 1
        Get-Warning $status '^2 registered partition\(s\) or registry entries cannot be read' | Should -HaveCount 1
    }

    It 'refuses -RetentionDays 0' {
        { Get-MonarchLogStoreStatus @c -RetentionDays 0 } | Should -Throw -ErrorId 'ParameterArgumentValidationError,MonarchLogs.Cmdlets.GetMonarchLogStoreStatusCommand'
    }
}
