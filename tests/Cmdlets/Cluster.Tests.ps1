#Requires -Version 7.4
# The cmdlets against a real Valkey Cluster: three masters with one replica each, the connection
# string listing every node. The store is filled through the documented storage format with
# valkey-cli, each command sent to the master that holds its key, so the partitions lie on
# several masters. Every filter below is checked against a truth that spans more than one
# master, so a read that looked at one node only would fail it.

BeforeAll {
    $script:modulePath = Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs'
    Import-Module $modulePath -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchWatch.psm1') -Force

    $script:cluster = Start-MonarchTestCluster
    $script:c = @{ ConnectionString = $cluster.ConnectionString }
    $script:data = @(New-MonarchKnownDataSet)
    Write-MonarchTestEntry -Server $cluster -Entry $data
    $script:newestFirst = @($data | Sort-Object Timestamp -Descending)

    function script:Get-StreamKey($Entry, [string] $Prefix = 'monarch:logs') { "${Prefix}:stream:$($Entry.Service):$($Entry.Level.ToString().ToLowerInvariant())" }

    # The ports of the masters that hold the streams of these entries (valkey-cli asked, not the module).
    function script:Get-HoldingMaster($Entries, [string] $Prefix = 'monarch:logs') {
        $keys = [string[]] @($Entries | ForEach-Object { Get-StreamKey $_ $Prefix } | Sort-Object -Unique)
        $owners = Get-MonarchTestClusterKeyOwner -Cluster $cluster -Key $keys
        @($owners.Values | ForEach-Object Port | Sort-Object -Unique)
    }

    function script:Get-Truth([scriptblock] $Filter) { @($newestFirst | Where-Object $Filter) }

    function script:Ids($entries) { @($entries | Where-Object { $null -ne $_ } | ForEach-Object { [int] $_.EventId }) -join ',' }

    # What INFO <section> of each master says of one field.
    function script:Get-MasterInfo([string] $Section, [string] $Field) {
        foreach ($master in Get-MonarchTestClusterMaster -Cluster $cluster) {
            $line = @(& valkey-cli -p $master.Port INFO $Section | Where-Object { $_ -like "${Field}:*" })[0]
            [pscustomobject]@{ Port = $master.Port; Value = ($line -split ':', 2)[1].Trim() }
        }
    }

    function script:Wait-Until([scriptblock] $Condition, [double] $Seconds = 10) {
        $deadline = [datetime]::UtcNow.AddSeconds($Seconds)
        while ([datetime]::UtcNow -lt $deadline) {
            if (& $Condition) { return $true }
            [System.Threading.Thread]::Sleep(1)
        }
        return [bool] (& $Condition)
    }

}

AfterAll {
    if ($cluster) { Remove-MonarchTestCluster -Cluster $cluster }
}

Describe 'The cmdlets against a Valkey Cluster' {
    Context 'The store' {
        It 'spreads its 12 partitions over the masters: each stream on exactly one, more than one master used' {
            $expected = @($data | ForEach-Object { Get-StreamKey $_ } | Sort-Object -Unique)
            $expected.Count | Should -Be 12
            $held = foreach ($master in Get-MonarchTestClusterMaster -Cluster $cluster) {
                [pscustomobject]@{ Port = $master.Port; Streams = @(& valkey-cli -p $master.Port --scan --pattern 'monarch:logs:stream:*') }
            }
            @($held | Where-Object { $_.Streams.Count -gt 0 }).Count | Should -BeGreaterThan 1
            # Every stream once over all masters: none missing, none on two.
            @($held | ForEach-Object { $_.Streams } | Sort-Object) | Should -Be $expected
        }
    }

    Context 'Get-MonarchLog' {
        It 'returns all 60 entries, newest first, and oldest first with -Oldest' {
            Ids @(Get-MonarchLog @c) | Should -Be (Ids $newestFirst)
            Ids @(Get-MonarchLog @c -Oldest) | Should -Be (Ids ($data | Sort-Object Timestamp))
        }

        It 'returns every field of an entry as it was written' {
            $truth = $newestFirst | Where-Object { $_.Exception } | Select-Object -First 1
            $entry = Get-MonarchLog @c -Service $truth.Service -Level $truth.Level -First 1
            $entry.Id | Should -Match "^\d+-\d+@$($truth.Service)/$($truth.Level)$"
            $entry.Timestamp | Should -Be $truth.Timestamp
            $entry.Message | Should -Be $truth.Message
            $entry.Category | Should -Be $truth.Category
            $entry.EventId | Should -Be $truth.EventId
            $entry.Exception | Should -Be $truth.Exception
            $entry.Properties | Should -Be $truth.Properties
        }

        It '<Name> returns exactly the matching entries of several masters' -ForEach @(
            @{ Name = '-Level trace'; Parameters = @{ Level = 'trace' }; Truth = { $_.Level -eq 'trace' } }
            @{ Name = '-Level warning, error'; Parameters = @{ Level = 'warning', 'error' }; Truth = { $_.Level -in 'warning', 'error' } }
            @{ Name = '-MinimumLevel warning'; Parameters = @{ MinimumLevel = 'warning' }; Truth = { $_.Level -in 'warning', 'error', 'critical' } }
            @{ Name = '-Service orders'; Parameters = @{ Service = 'orders' }; Truth = { $_.Service -eq 'orders' } }
            @{ Name = '-Service ship*, web-*'; Parameters = @{ Service = 'ship*', 'web-*' }; Truth = { $_.Service -like 'ship*' -or $_.Service -like 'web-*' } }
            @{ Name = '-ExcludeService orders'; Parameters = @{ ExcludeService = 'orders' }; Truth = { $_.Service -ne 'orders' } }
            @{ Name = '-Message *shipped'; Parameters = @{ Message = '*shipped' }; Truth = { $_.Message -like '*shipped' } }
            @{ Name = '-Message Payment*'; Parameters = @{ Message = 'Payment*' }; Truth = { $_.Message -like 'Payment*' } }
            @{ Name = '-Message Cache refreshed in *'; Parameters = @{ Message = 'Cache refreshed in *' }; Truth = { $_.Message -like 'Cache refreshed in *' } }
            @{ Name = '-Service orders, billing, web-* -MinimumLevel information -Message *shipped'
                Parameters = @{ Service = 'orders', 'billing', 'web-*'; MinimumLevel = 'information'; Message = '*shipped' }
                Truth = { $_.Service -in 'orders', 'billing', 'web-api' -and $_.Level -notin 'trace', 'debug' -and $_.Message -like '*shipped' } }
        ) {
            $truth = Get-Truth $Truth
            (Get-HoldingMaster $truth).Count | Should -BeGreaterThan 1 -Because 'the truth must span masters for the test to prove anything'
            $result = @(Get-MonarchLog @c @Parameters)
            $result.Count | Should -Be $truth.Count
            Ids $result | Should -Be (Ids $truth)
        }

        It '-Since <Since> returns the <Count> newest entries' -ForEach @(
            @{ Since = '-30min'; Count = 15 }
            @{ Since = '-1h'; Count = 30 }
            @{ Since = '2d'; Count = 60 }
        ) {
            $truth = @($newestFirst | Select-Object -First $Count)
            (Get-HoldingMaster $truth).Count | Should -BeGreaterThan 1
            Ids @(Get-MonarchLog @c -Since $Since) | Should -Be (Ids $truth)
        }

        It '-Since and -Until give the half-open range [Since, Until) across masters' {
            $times = @($newestFirst.Timestamp)
            $truth = @($newestFirst | Where-Object { $_.Timestamp -ge $times[20] -and $_.Timestamp -lt $times[5] })
            $truth.Count | Should -Be 15
            (Get-HoldingMaster $truth).Count | Should -BeGreaterThan 1
            Ids @(Get-MonarchLog @c -Since $times[20] -Until $times[5]) | Should -Be (Ids $truth)
        }

        It '-First 5 returns the 5 newest; with -Oldest the 5 oldest' {
            $newest = @($newestFirst | Select-Object -First 5)
            $oldest = @($data | Sort-Object Timestamp | Select-Object -First 5)
            (Get-HoldingMaster $newest).Count | Should -BeGreaterThan 1
            (Get-HoldingMaster $oldest).Count | Should -BeGreaterThan 1
            Ids @(Get-MonarchLog @c -First 5) | Should -Be (Ids $newest)
            Ids @(Get-MonarchLog @c -First 5 -Oldest) | Should -Be (Ids $oldest)
        }

        It 'pages with -First and -Before the last Id: every entry once, in order' {
            $pages = [System.Collections.Generic.List[object]]::new()
            $page = @(Get-MonarchLog @c -First 7)
            while ($page.Count -gt 0) {
                $pages.AddRange($page)
                $page = @(Get-MonarchLog @c -First 7 -Before $page[-1].Id)
            }
            Ids $pages | Should -Be (Ids $newestFirst)
        }
    }

    Context 'Get-MonarchLogService' {
        It 'lists the 12 partitions of the registry, by service then severity' {
            $truth = @($data | Group-Object Service, Level | ForEach-Object { $_.Group[0] } |
                    Sort-Object { $_.Service }, { [MonarchLogs.Core.MonarchLogLevel] $_.Level } |
                    ForEach-Object { "$($_.Service)/$([MonarchLogs.Core.MonarchLogLevel] $_.Level)" })
            $truth.Count | Should -Be 12
            @(Get-MonarchLogService @c | ForEach-Object { "$($_.Service)/$($_.Level)" }) | Should -Be $truth
        }

        It '-Service s* lists the partitions of shipping only' {
            @(Get-MonarchLogService @c -Service 's*' | ForEach-Object { "$($_.Service)/$($_.Level)" }) |
                Should -Be 'shipping/Trace', 'shipping/Information', 'shipping/Error'
        }
    }

    Context 'Get-MonarchLogStoreStatus' {
        It 'counts the partitions, services and entries of every master exactly' {
            $status = Get-MonarchLogStoreStatus @c
            $status.FormatVersion | Should -Be '1'
            $status.PartitionCount | Should -Be 12
            $status.ServiceCount | Should -Be 4
            $status.TotalEntries | Should -Be 60
            $status.Oldest | Should -Be ($data.Timestamp | Measure-Object -Minimum).Minimum
            $status.Newest | Should -Be ($data.Timestamp | Measure-Object -Maximum).Maximum
            $truth = @($data | Group-Object Service, Level | Sort-Object { $_.Group[0].Service }, { [MonarchLogs.Core.MonarchLogLevel] $_.Group[0].Level } |
                    ForEach-Object { "$($_.Group[0].Service)/$([MonarchLogs.Core.MonarchLogLevel] $_.Group[0].Level)=$($_.Count)" })
            @($status.Partitions | ForEach-Object { "$($_.Service)/$($_.Level)=$($_.Entries)" }) | Should -Be $truth
            $status.StoreMemoryBytes | Should -Be ($status.Partitions | Measure-Object MemoryBytes -Sum).Sum
        }

        It 'sums memory and unsaved changes over the masters' {
            $before = @(Get-MasterInfo memory used_memory | ForEach-Object { [long] $_.Value })
            $changes = (Get-MasterInfo persistence rdb_changes_since_last_save | ForEach-Object { [long] $_.Value } | Measure-Object -Sum).Sum
            $status = Get-MonarchLogStoreStatus @c
            # used_memory moves a little between two INFO calls; three masters' sum is far above any one.
            $sum = ($before | Measure-Object -Sum).Sum
            $status.UsedMemoryBytes | Should -BeGreaterThan ($sum * 0.9)
            $status.UsedMemoryBytes | Should -BeLessThan ($sum * 1.1)
            $status.UsedMemoryBytes | Should -BeGreaterThan (($before | Measure-Object -Maximum).Maximum * 2)
            $status.MaxMemoryBytes | Should -Be 0
            # Nothing is written meanwhile (no save is configured), so the count is exact.
            $changes | Should -BeGreaterThan 0
            $status.RdbChangesSinceLastSave | Should -Be $changes
            $status.AofEnabled | Should -BeFalse
            @($status.Warnings -match '^The append-only file is off').Count | Should -Be 1
        }

        It 'warns about a maxmemory-policy that evicts on one master: <Policy>' -ForEach @(
            @{ Policy = 'volatile-lru' }
            @{ Policy = 'allkeys-lfu' }
        ) {
            $master = @(Get-MonarchTestClusterMaster -Cluster $cluster)[1]
            try {
                & valkey-cli -p $master.Port CONFIG SET maxmemory-policy $Policy | Should -Be 'OK'
                $status = Get-MonarchLogStoreStatus @c
                $status.MaxMemoryPolicy | Should -Be $Policy
                @($status.Warnings -match "^maxmemory-policy is $Policy").Count | Should -Be 1
            }
            finally { & valkey-cli -p $master.Port CONFIG SET maxmemory-policy noeviction | Out-Null }
            @((Get-MonarchLogStoreStatus @c).Warnings -match 'maxmemory-policy').Count | Should -Be 0
        }

        It 'warns when one master uses more than 80% of its maxmemory, though the others have room' {
            $masters = @(Get-MonarchTestClusterMaster -Cluster $cluster)
            try {
                foreach ($master in $masters) {
                    $used = [long] (@(& valkey-cli -p $master.Port INFO memory | Where-Object { $_ -like 'used_memory:*' })[0] -split ':')[1]
                    $limit = if ($master.Port -eq $masters[0].Port) { [long] ($used * 1.1) } else { $used * 20 }
                    & valkey-cli -p $master.Port CONFIG SET maxmemory $limit | Should -Be 'OK'
                }
                $warnings = @((Get-MonarchLogStoreStatus @c).Warnings -match 'of maxmemory')
                $warnings.Count | Should -Be 1
                $warnings[0] | Should -Match ([regex]::Escape("127.0.0.1:$($masters[0].Port)"))
            }
            finally {
                foreach ($master in $masters) { & valkey-cli -p $master.Port CONFIG SET maxmemory 0 | Out-Null }
            }
            @((Get-MonarchLogStoreStatus @c).Warnings -match 'of maxmemory').Count | Should -Be 0
        }
    }

    Context 'Watch-MonarchLog' {
        It '-Tail 5 shows the last 5 entries of the store, oldest of them first' {
            $truth = @($newestFirst | Select-Object -First 5)
            (Get-HoldingMaster $truth).Count | Should -BeGreaterThan 1
            $result = @(Watch-MonarchLog @c -Tail 5 -Count 5 -Timeout 20)
            Ids $result | Should -Be (Ids ($truth | Sort-Object Timestamp))
        }

        It 'shows the matching entries written after it starts, of partitions on several masters, in the order written' {
            # Six services, three of them registered before the watch starts, three after.
            $written = foreach ($i in 0..17) {
                [pscustomobject]@{ Service = "live-$($i % 6)"; Level = ('information', 'warning', 'error')[$i % 3]; Message = "live $i" }
            }
            $matching = @($written | Where-Object Level -ne 'information')
            (Get-HoldingMaster $matching).Count | Should -BeGreaterThan 1
            Write-MonarchTestEntry -Server $cluster -Entry @(0..2 | ForEach-Object {
                    [pscustomobject]@{ Timestamp = [datetime]::UtcNow.AddMinutes(-1); Level = 'warning'; Service = "live-$_"; Message = 'before the watch' }
                })

            $watch = Start-Watch @{ ConnectionString = $cluster.ConnectionString; Service = 'live-*'; MinimumLevel = 'warning' }
            try {
                $shown = 0
                foreach ($entry in $written) {
                    Write-MonarchTestEntry -Server $cluster -Entry ([pscustomobject]@{
                            Timestamp = [datetime]::UtcNow; Level = $entry.Level; Service = $entry.Service; Category = 'Pester.Cluster'; Message = $entry.Message })
                    if ($entry.Level -ne 'information') {
                        $shown++
                        Wait-Until { $watch.Output.Count -ge $shown } 10 | Should -BeTrue -Because "'$($entry.Message)' on $($entry.Service) is shown"
                    }
                }
                Start-Sleep -Milliseconds 300
                Get-Shown $watch | ForEach-Object { "$($_.Service):$($_.Level.ToString().ToLowerInvariant()):$($_.Message)" } |
                    Should -Be ($matching | ForEach-Object { "$($_.Service):$($_.Level):$($_.Message)" })
                $watch.PowerShell.Streams.Error.Count | Should -Be 0
            }
            finally { Stop-Watch $watch }
        }
    }

    Context 'Remove-ExpiredMonarchLog' {
        BeforeAll {
            # A store of its own: six services, information and error, one entry 40 days old and
            # one an hour old in each partition.
            $script:retention = 'retention:logs'
            $now = [datetime]::UtcNow
            $script:old = $now.AddDays(-40)
            $script:retained = foreach ($service in 0..5 | ForEach-Object { "svc$_" }) {
                foreach ($level in 'information', 'error') {
                    [pscustomobject]@{ Timestamp = $old; Level = $level; Service = $service; Message = "$service/$level/old" }
                    [pscustomobject]@{ Timestamp = $now.AddHours(-1); Level = $level; Service = $service; Message = "$service/$level/new" }
                }
            }
            Write-MonarchTestEntry -Server $cluster -Prefix $retention -Entry $retained
            $script:r = @{ ConnectionString = $cluster.ConnectionString; Prefix = $retention }

            function script:Get-Remaining { @(Get-MonarchLog @r | ForEach-Object Message | Sort-Object) }

            # The length of each stream, asked of the master that holds it.
            function script:Get-StreamLength {
                $keys = [string[]] @($retained | ForEach-Object { Get-StreamKey $_ $retention } | Sort-Object -Unique)
                $owners = Get-MonarchTestClusterKeyOwner -Cluster $cluster -Key $keys
                @($keys | ForEach-Object { "$_=$(& valkey-cli -p $owners[$_].Port XLEN $_)" })
            }
        }

        It 'the old entries lie on more than one master' {
            (Get-HoldingMaster ($retained | Where-Object Message -like '*/old') $retention).Count | Should -BeGreaterThan 1
        }

        It '-WhatIf reports the 12 old entries of the 12 partitions and changes nothing' {
            $lengths = Get-StreamLength
            $summary = Remove-ExpiredMonarchLog @r -WhatIf
            $summary.WhatIf | Should -BeTrue
            $summary.PartitionsScanned | Should -Be 12
            $summary.PartitionsTouched | Should -Be 12
            $summary.EntriesRemoved | Should -Be 12
            $summary.Oldest | Should -Be ([datetime]::new($old.Ticks - $old.Ticks % [TimeSpan]::TicksPerMillisecond, [DateTimeKind]::Utc))
            Get-StreamLength | Should -Be $lengths
            @($lengths | Where-Object { $_ -notlike '*=2' }).Count | Should -Be 0
            (Get-Remaining).Count | Should -Be 24
        }

        It 'removes the old entries on every master and keeps the new ones; a second run removes nothing' {
            $summary = Remove-ExpiredMonarchLog @r -RetentionDays 30
            $summary.EntriesRemoved | Should -Be 12
            $summary.PartitionsTouched | Should -Be 12
            Get-Remaining | Should -Be @($retained | Where-Object Message -like '*/new' | ForEach-Object Message | Sort-Object)
            @(Get-StreamLength | Where-Object { $_ -notlike '*=1' }).Count | Should -Be 0
            $again = Remove-ExpiredMonarchLog @r -RetentionDays 30
            $again.EntriesRemoved | Should -Be 0
            $again.PartitionsTouched | Should -Be 0
            (Get-Remaining).Count | Should -Be 12
        }

        It 'leaves the other store of the cluster alone' {
            @(Get-MonarchLog @c -Service 'orders', 'billing', 'shipping', 'web-api').Count | Should -Be 60
        }
    }
}
