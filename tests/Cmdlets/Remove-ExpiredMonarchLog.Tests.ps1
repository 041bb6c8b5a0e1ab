#Requires -Version 7.4
# Remove-ExpiredMonarchLog against a real valkey-server. Old entries are written through the
# documented storage format with old stream IDs (their event times), as a writer that logged them
# back then would have. Each test uses a store of its own (a prefix), so none depends on another.

BeforeAll {
    $script:modulePath = Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs'
    Import-Module $modulePath -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force

    $script:server = Start-MonarchTestServer
    $script:c = @{ ConnectionString = $server.ConnectionString }
    $script:storeNumber = 0

    # Times at millisecond precision, as stream IDs hold them.
    $ticks = [datetime]::UtcNow.Ticks
    $script:now = [datetime]::new($ticks - $ticks % [TimeSpan]::TicksPerMillisecond, [DateTimeKind]::Utc)
    $script:ages = [ordered]@{ '45d' = $now.AddDays(-45); '40d' = $now.AddDays(-40); '31d' = $now.AddDays(-31)
        '29d' = $now.AddDays(-29); '10d' = $now.AddDays(-10); '1h' = $now.AddHours(-1) }

    # A store of its own with 24 entries: orders and billing, information and error, each with
    # entries aged 45, 40, 31, 29 and 10 days and 1 hour. The message names partition and age.
    function script:New-RetentionStore {
        $script:storeNumber++
        $prefix = "retention$($script:storeNumber):logs"
        $entries = foreach ($service in 'orders', 'billing') {
            foreach ($level in 'information', 'error') {
                foreach ($age in $ages.Keys) {
                    [pscustomobject]@{ Timestamp = $ages[$age]; Level = $level; Service = $service; Category = 'Pester.Retention'; Message = "$service/$level/$age" }
                }
            }
        }
        Write-MonarchTestEntry -Server $server -Prefix $prefix -Entry $entries
        $prefix
    }

    # A store whose one expired entry belongs to a service named with every character a file name cannot hold.
    function script:New-Prefix-Unsafe {
        Write-MonarchTestEntry -Server $server -Prefix 'unsafe:logs' -Entry ([pscustomobject]@{ Timestamp = $ages['45d']; Level = 'error'; Service = "a/b\c:*?`"<>| `u{202E}%"; Message = 'unsafe' })
        'unsafe:logs'
    }

    function script:Get-Remaining([string] $Prefix) {
        @(Get-MonarchLog @c -Prefix $Prefix -ExcludeService broken | ForEach-Object Message | Sort-Object)
    }

    # The messages a store of New-RetentionStore keeps when the entries of these ages stay.
    function script:Get-Expected([string[]] $Kept) {
        @(foreach ($service in 'orders', 'billing') {
                foreach ($level in 'information', 'error') {
                    foreach ($age in $script:ages.Keys) {
                        if ($age -in $Kept) { "$service/$level/$age" }
                    }
                }
            }) | Sort-Object
    }
}

AfterAll {
    Remove-MonarchTestServer -Server $server
}

Describe 'Remove-ExpiredMonarchLog' {
    Context 'What goes' {
        It '-WhatIf reports what would go (entries, oldest, newest, memory) and removes nothing' {
            $prefix = New-RetentionStore
            $summary = Remove-ExpiredMonarchLog @c -Prefix $prefix -WhatIf
            $summary | Should -BeOfType ([MonarchLogs.Cmdlets.RetentionSummary])
            $summary.WhatIf | Should -BeTrue
            $summary.PartitionsScanned | Should -Be 4
            $summary.PartitionsTouched | Should -Be 4
            $summary.EntriesRemoved | Should -Be 12
            $summary.Oldest | Should -Be $ages['45d']
            $summary.Newest | Should -Be $ages['31d']
            $summary.BytesReclaimed | Should -BeGreaterThan 0
            (Get-Remaining $prefix).Count | Should -Be 24
            Invoke-MonarchTestCli -Server $server XLEN "${prefix}:stream:orders:error" | Should -Be 6
        }

        It '-Level keeps a period of its own for some levels' {
            $prefix = New-RetentionStore
            $summary = Remove-ExpiredMonarchLog @c -Prefix $prefix -Level Error -RetentionDays 20
            $summary.PartitionsScanned | Should -Be 2
            $summary.EntriesRemoved | Should -Be 8
            # The errors keep 10 days and an hour; the information entries keep everything.
            Get-Remaining $prefix | Should -Be @(
                'billing/error/10d', 'billing/error/1h', 'billing/information/10d', 'billing/information/1h', 'billing/information/29d',
                'billing/information/31d', 'billing/information/40d', 'billing/information/45d',
                'orders/error/10d', 'orders/error/1h', 'orders/information/10d', 'orders/information/1h', 'orders/information/29d',
                'orders/information/31d', 'orders/information/40d', 'orders/information/45d' | Sort-Object)
        }

        It 'removes exactly the entries older than 30 days by default' {
            $prefix = New-RetentionStore
            $summary = Remove-ExpiredMonarchLog @c -Prefix $prefix
            $summary.WhatIf | Should -BeFalse
            $summary.EntriesRemoved | Should -Be 12
            $summary.PartitionsTouched | Should -Be 4
            $summary.Cutoff | Should -BeGreaterThan $now.AddDays(-30).AddMinutes(-1)
            $summary.Cutoff | Should -BeLessThan ([datetime]::UtcNow.AddDays(-30).AddSeconds(1))
            Get-Remaining $prefix | Should -Be (Get-Expected -Kept '29d', '10d', '1h')
        }

        It 'removes nothing more on a second run' {
            $prefix = New-RetentionStore
            $null = Remove-ExpiredMonarchLog @c -Prefix $prefix -RetentionDays 30
            $again = Remove-ExpiredMonarchLog @c -Prefix $prefix -RetentionDays 30
            $again.EntriesRemoved | Should -Be 0
            $again.PartitionsTouched | Should -Be 0
            $again.PartitionsScanned | Should -Be 4
            Get-Remaining $prefix | Should -Be (Get-Expected -Kept '29d', '10d', '1h')
        }

        It '-RetentionDays <Days> keeps <Kept>' -ForEach @(
            @{ Days = 35; Kept = @('31d', '29d', '10d', '1h'); Removed = 8 }
            @{ Days = 5; Kept = @('1h'); Removed = 20 }
            @{ Days = 60; Kept = @('45d', '40d', '31d', '29d', '10d', '1h'); Removed = 0 }
        ) {
            $prefix = New-RetentionStore
            (Remove-ExpiredMonarchLog @c -Prefix $prefix -RetentionDays $Days).EntriesRemoved | Should -Be $Removed
            Get-Remaining $prefix | Should -Be (Get-Expected -Kept $Kept)
        }

        It '-Before keeps an entry at exactly that time and removes the older ones' {
            $prefix = New-RetentionStore
            (Remove-ExpiredMonarchLog @c -Prefix $prefix -Before $ages['29d']).EntriesRemoved | Should -Be 12
            Get-Remaining $prefix | Should -Be (Get-Expected -Kept '29d', '10d', '1h')
            (Remove-ExpiredMonarchLog @c -Prefix $prefix -Before $ages['29d'].AddMilliseconds(1)).EntriesRemoved | Should -Be 4
            Get-Remaining $prefix | Should -Be (Get-Expected -Kept '10d', '1h')
        }

        It '-Before takes text such as -20d' {
            $prefix = New-RetentionStore
            (Remove-ExpiredMonarchLog @c -Prefix $prefix -Before '-20d').EntriesRemoved | Should -Be 16
            Get-Remaining $prefix | Should -Be (Get-Expected -Kept '10d', '1h')
        }

        It '-Service <Service> touches only the partitions of <Matching>' -ForEach @(
            @{ Service = @('ord*'); Matching = @('orders') }
            @{ Service = @('BILLING'); Matching = @('billing') }
            @{ Service = @('orders', 'billing'); Matching = @('orders', 'billing') }
            @{ Service = @('nobody'); Matching = @() }
        ) {
            $prefix = New-RetentionStore
            $summary = Remove-ExpiredMonarchLog @c -Prefix $prefix -Service $Service
            $summary.PartitionsScanned | Should -Be (2 * $Matching.Count)
            $summary.EntriesRemoved | Should -Be (6 * $Matching.Count)
            $kept = @('29d', '10d', '1h')
            $expected = @(foreach ($service in 'orders', 'billing') {
                    foreach ($level in 'information', 'error') {
                        foreach ($age in $ages.Keys) {
                            if ($service -notin $Matching -or $age -in $kept) { "$service/$level/$age" }
                        }
                    }
                }) | Sort-Object
            Get-Remaining $prefix | Should -Be $expected
        }

        It 'removes 5000 old entries of one partition in bounded steps and keeps the 10 newer ones exactly' {
            $prefix = 'bulk-retention:logs'
            Add-MonarchTestBulkEntry -Server $server -Prefix $prefix -Service big -Level information -Count 5000 -StartTime $now.AddDays(-60)
            Write-MonarchTestEntry -Server $server -Prefix $prefix -Entry @(1..10 | ForEach-Object {
                    [pscustomobject]@{ Timestamp = $now.AddDays(-1).AddSeconds($_); Level = 'information'; Service = 'big'; Message = "recent $_" } })
            Invoke-MonarchTestCli -Server $server CONFIG RESETSTAT | Out-Null
            $summary = Remove-ExpiredMonarchLog @c -Prefix $prefix -RetentionDays 30
            $summary.EntriesRemoved | Should -Be 5000
            $summary.BytesReclaimed | Should -BeGreaterThan 0
            (Get-MonarchLog @c -Prefix $prefix -Oldest).Message | Should -Be (1..10 | ForEach-Object { "recent $_" })
            $trims = (Invoke-MonarchTestCli -Server $server INFO commandstats | Where-Object { $_ -match '^cmdstat_xtrim:calls=(\d+)' } | ForEach-Object { [int] $Matches[1] })
            $trims | Should -BeGreaterThan 5 -Because 'no single command may remove thousands of entries'
        }

        It 'two overlapping runs remove each entry once, with no error' {
            $prefix = 'overlap:logs'
            foreach ($service in 'one', 'two') {
                Add-MonarchTestBulkEntry -Server $server -Prefix $prefix -Service $service -Level error -Count 4000 -StartTime $now.AddDays(-50)
                Write-MonarchTestEntry -Server $server -Prefix $prefix -Entry ([pscustomobject]@{ Timestamp = $now.AddMinutes(-1); Level = 'error'; Service = $service; Message = "$service stays" })
            }
            $runs = foreach ($i in 1..2) {
                $ps = [powershell]::Create()
                $null = $ps.AddScript('param($module, $parameters) Import-Module $module; Remove-ExpiredMonarchLog @parameters').
                    AddArgument($modulePath).AddArgument(@{ ConnectionString = $server.ConnectionString; Prefix = $prefix; RetentionDays = 30 })
                [pscustomobject]@{ PowerShell = $ps; Handle = $ps.BeginInvoke() }
            }
            $summaries = foreach ($run in $runs) { $run.PowerShell.EndInvoke($run.Handle); $run.PowerShell.Streams.Error.Count | Should -Be 0; $run.PowerShell.Dispose() }
            ($summaries | Measure-Object EntriesRemoved -Sum).Sum | Should -Be 8000
            (Get-MonarchLog @c -Prefix $prefix -Oldest).Message | Should -Be 'one stays', 'two stays'
        }
    }

    Context 'Archiving before removing' {
        BeforeAll {
            function script:New-ArchiveFolder { Join-Path $TestDrive ('archive-' + [guid]::NewGuid().ToString('N')) }

            # Every line of an archive file, read without the module: the header, then the entries.
            function script:Read-Archive([string] $Path) {
                $stream = [System.IO.Compression.GZipStream]::new([System.IO.File]::OpenRead($Path), [System.IO.Compression.CompressionMode]::Decompress)
                try { $text = [System.IO.StreamReader]::new($stream).ReadToEnd() } finally { $stream.Dispose() }
                $text.EndsWith("`n") | Should -BeTrue
                $lines = $text.Substring(0, $text.Length - 1).Split("`n")
                [pscustomobject]@{ Header = ($lines[0] | ConvertFrom-Json); Entries = @($lines | Select-Object -Skip 1 | ForEach-Object { $_ | ConvertFrom-Json }) }
            }
        }

        It 'writes one checked file per day and partition, and removes exactly the entries archived' {
            $prefix = New-RetentionStore
            $folder = New-ArchiveFolder
            $summary = Remove-ExpiredMonarchLog @c -Prefix $prefix -RetentionDays 30 -ArchivePath $folder
            $summary.EntriesArchived | Should -Be 12
            $summary.EntriesRemoved | Should -Be 12
            $summary.PartitionsTouched | Should -Be 4
            $expectedNames = foreach ($service in 'orders', 'billing') {
                foreach ($level in 'information', 'error') {
                    foreach ($age in '45d', '40d', '31d') {
                        "$($prefix -replace ':', '%3A')_${service}_${level}_$($ages[$age].ToString('yyyy-MM-dd')).jsonl.gz"
                    }
                }
            }
            @(Get-ChildItem -LiteralPath $folder -Name | Sort-Object) | Should -Be @($expectedNames | Sort-Object) -Because 'no temporary file stays behind'
            @($summary.ArchiveFiles | ForEach-Object { Split-Path $_ -Leaf } | Sort-Object) | Should -Be @($expectedNames | Sort-Object)
            foreach ($service in 'orders', 'billing') {
                foreach ($level in 'information', 'error') {
                    foreach ($age in '45d', '40d', '31d') {
                        $name = "$($prefix -replace ':', '%3A')_${service}_${level}_$($ages[$age].ToString('yyyy-MM-dd')).jsonl.gz"
                        $archive = Read-Archive (Join-Path $folder $name)
                        $archive.Header.archive | Should -BeExactly 'MonarchLogs'
                        $archive.Header.kind | Should -BeExactly 'retention'
                        $archive.Header.partition.service | Should -BeExactly $service
                        $archive.Header.partition.level | Should -BeExactly $level
                        $archive.Entries.Count | Should -Be 1 -Because "$name holds the one entry of that day"
                        $archive.Entries[0].message | Should -BeExactly "$service/$level/$age"
                        $archive.Entries[0].id | Should -BeExactly "$([DateTimeOffset]::new($ages[$age]).ToUnixTimeMilliseconds())-0@$service/$level"
                    }
                }
            }
            Get-Remaining $prefix | Should -Be (Get-Expected -Kept '29d', '10d', '1h')
        }

        It 'gives back exactly the removed entries, every field, when the files are imported into an empty store' {
            $prefix = New-RetentionStore
            $cutoff = $now.AddDays(-30)
            $removed = @(Get-MonarchLog @c -Prefix $prefix -Until $cutoff -Oldest)
            $folder = New-ArchiveFolder
            $summary = Remove-ExpiredMonarchLog @c -Prefix $prefix -Before $cutoff -ArchivePath $folder
            $summary.EntriesRemoved | Should -Be $removed.Count
            $restored = "$prefix-restored"
            $null = Get-ChildItem -LiteralPath $folder | Import-MonarchLog @c -Prefix $restored
            Compare-MonarchEntry -Expected $removed -Actual @(Get-MonarchLog @c -Prefix $restored -Oldest) -Exclude @() | Should -BeNullOrEmpty
        }

        It 'never removes an entry it did not archive, while a writer adds entries with old times' {
            $prefix = 'archive-race:logs'
            Add-MonarchTestBulkEntry -Server $server -Prefix $prefix -Service race -Level warning -Count 30000 -StartTime $now.AddDays(-40)
            $stopFile = Join-Path $TestDrive ('stop-' + [guid]::NewGuid().ToString('N'))
            $writer = [powershell]::Create()
            # A service of an earlier release, which writes format 1 entries (this version writes format 2 only).
            $null = $writer.AddScript(@'
param($support, $server, $prefix, $start, $stopFile)
Import-Module $support
$stop = [datetime]::UtcNow.AddSeconds(60)
for ($i = 0; [datetime]::UtcNow -lt $stop -and -not (Test-Path $stopFile); $i++) {
    Write-MonarchTestEntry -Server $server -Prefix $prefix -Entry ([pscustomobject]@{ Timestamp = $start.AddMilliseconds($i); Level = 'warning'; Service = 'race'; Message = "late $i" })
}
'@).AddArgument((Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1')).AddArgument($server).AddArgument($prefix).AddArgument($now.AddDays(-35)).AddArgument($stopFile)
            $handle = $writer.BeginInvoke()
            try {
                $deadline = [datetime]::UtcNow.AddSeconds(30)
                while ((Invoke-MonarchTestCli -Server $server XLEN "${prefix}:stream:race:warning") -lt 30010 -and [datetime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
                $folder = New-ArchiveFolder
                $summary = Remove-ExpiredMonarchLog @c -Prefix $prefix -RetentionDays 30 -ArchivePath $folder
                Start-Sleep -Milliseconds 200
            }
            finally {
                Set-Content -LiteralPath $stopFile -Value stop
                $null = $writer.EndInvoke($handle)
                $writer.Streams.Error | Should -BeNullOrEmpty
                $writer.Dispose()
            }

            $late = [int] (Invoke-MonarchTestCli -Server $server XLEN "${prefix}:stream:race:warning") + $summary.EntriesRemoved - 30000
            $late | Should -BeGreaterOrEqual 10 -Because 'the writer wrote before and while the archive ran'
            $archived = @($summary.ArchiveFiles | ForEach-Object { (Read-Archive $_).Entries })
            $archived.Count | Should -Be $summary.EntriesArchived
            $summary.EntriesRemoved | Should -Be $summary.EntriesArchived -Because 'exactly what was archived is removed'
            $remaining = @(Get-MonarchLog @c -Prefix $prefix -Oldest)
            $all = @($archived.message) + @($remaining.Message)
            $all.Count | Should -Be (30000 + $late) -Because 'every entry is archived or still there, once'
            @($all | Sort-Object -Unique).Count | Should -Be $all.Count
            @($all | Where-Object { $_ -like 'late *' }).Count | Should -Be $late
            @($archived.id | Sort-Object -Unique).Count | Should -Be $archived.Count
        }

        It 'gives a second file of an archived day the name _2 and never overwrites the first' {
            $prefix = New-RetentionStore
            $folder = New-ArchiveFolder
            $null = Remove-ExpiredMonarchLog @c -Prefix $prefix -Service orders -RetentionDays 30 -ArchivePath $folder
            $first = Join-Path $folder "$($prefix -replace ':', '%3A')_orders_error_$($ages['45d'].ToString('yyyy-MM-dd')).jsonl.gz"
            $before = Get-FileHash -LiteralPath $first
            # The stream starts over (deleted and written again), so the same day holds an entry again.
            Invoke-MonarchTestCli -Server $server DEL "${prefix}:stream:orders:error" | Out-Null
            Write-MonarchTestEntry -Server $server -Prefix $prefix -Entry ([pscustomobject]@{ Timestamp = $ages['45d'].AddMinutes(1); Level = 'error'; Service = 'orders'; Message = 'again' })
            $summary = Remove-ExpiredMonarchLog @c -Prefix $prefix -Service orders -RetentionDays 30 -ArchivePath $folder
            $summary.ArchiveFiles | Should -Be @($first -replace '\.jsonl\.gz$', '_2.jsonl.gz')
            (Read-Archive $summary.ArchiveFiles[0]).Entries.message | Should -BeExactly 'again'
            (Get-FileHash -LiteralPath $first).Hash | Should -Be $before.Hash
        }

        It '-WhatIf archives nothing and removes nothing' {
            $prefix = New-RetentionStore
            $folder = New-ArchiveFolder
            $summary = Remove-ExpiredMonarchLog @c -Prefix $prefix -ArchivePath $folder -WhatIf
            $summary.EntriesRemoved | Should -Be 12
            $summary.EntriesArchived | Should -Be 0
            $folder | Should -Not -Exist
            (Get-Remaining $prefix).Count | Should -Be 24
        }

        It 'an archive folder that cannot be used is ArchiveWriteFailed, and nothing is removed' {
            $prefix = New-RetentionStore
            $file = Join-Path $TestDrive 'a-file'
            Set-Content -LiteralPath $file -Value 'not a folder'
            { Remove-ExpiredMonarchLog @c -Prefix $prefix -ArchivePath $file } |
                Should -Throw -ErrorId 'ArchiveWriteFailed,MonarchLogs.Cmdlets.RemoveExpiredMonarchLogCommand'
            (Get-Remaining $prefix).Count | Should -Be 24
        }

        It 'archives service names with characters unsafe in file names under escaped names' {
            $prefix = New-Prefix-Unsafe
            $summary = Remove-ExpiredMonarchLog @c -Prefix $prefix -RetentionDays 30 -ArchivePath (New-ArchiveFolder)
            Split-Path $summary.ArchiveFiles[0] -Leaf | Should -BeExactly "unsafe%3Alogs_a%2Fb%5Cc%3A%2A%3F%22%3C%3E%7C%20%E2%80%AE%25_error_$($ages['45d'].ToString('yyyy-MM-dd')).jsonl.gz"
            (Read-Archive $summary.ArchiveFiles[0]).Entries[0].service | Should -BeExactly "a/b\c:*?`"<>| `u{202E}%"
        }
    }

    Context 'In a scheduled, non-interactive script' {
        BeforeAll {
            # One child PowerShell, started as a scheduled task would start it, runs three steps:
            # a retention run, a -WhatIf preview, and a run against a server that is down.
            $script:removed = New-RetentionStore
            $script:previewed = New-RetentionStore
            $script:child = Invoke-MonarchChildPwsh -Script @"
`$ErrorActionPreference = 'Stop'
Import-Module '$modulePath'
'SUMMARY ' + (Remove-ExpiredMonarchLog -ConnectionString '$($server.ConnectionString)' -Prefix '$removed' -RetentionDays 30 | ConvertTo-Json -Compress)
`$null = Remove-ExpiredMonarchLog -ConnectionString '$($server.ConnectionString)' -Prefix '$previewed' -WhatIf
try { Remove-ExpiredMonarchLog -ConnectionString '127.0.0.1:1'; 'NOT STOPPED' } catch { 'STOPPED ' + `$_.FullyQualifiedErrorId; exit 3 }
"@
            $script:childLines = @($child.Output -split "`r?`n")
        }

        It 'runs without a prompt and reports its summary' {
            $summary = $childLines | Where-Object { $_ -like 'SUMMARY *' }
            ($summary -replace '^SUMMARY ' | ConvertFrom-Json).EntriesRemoved | Should -Be 12
            Get-Remaining $removed | Should -Be (Get-Expected -Kept '29d', '10d', '1h')
        }

        It '-WhatIf writes one line per partition with entries, oldest, newest and memory, and removes nothing' {
            $lines = @($childLines | Where-Object { $_ -like 'What if:*' })
            $lines.Count | Should -Be 4
            $oldest = $ages['45d'].ToString("yyyy-MM-dd HH:mm:ss'Z'", [cultureinfo]::InvariantCulture)
            $newest = $ages['31d'].ToString("yyyy-MM-dd HH:mm:ss'Z'", [cultureinfo]::InvariantCulture)
            $lines | Should -Match "Remove 3 of 6 entries, written $oldest to $newest, about [\d.]+ (bytes|KB|MB)"
            ($lines -join "`n") | Should -Match 'on target "orders/error"'
            (Get-Remaining $previewed).Count | Should -Be 24
        }

        It 'stops the script when Valkey is unreachable, with ValkeyUnreachable' {
            $child.ExitCode | Should -Be 3 -Because $child.Error
            $childLines | Should -Contain 'STOPPED ValkeyUnreachable,MonarchLogs.Cmdlets.RemoveExpiredMonarchLogCommand'
            $childLines | Should -Not -Contain 'NOT STOPPED'
        }
    }

    Context 'Errors' {
        BeforeAll {
            $script:brokenPrefix = New-RetentionStore
            Invoke-MonarchTestCli -Server $server HSET "${brokenPrefix}:partitions" "${brokenPrefix}:stream:broken:error" error:broken | Out-Null
            Invoke-MonarchTestCli -Server $server SET "${brokenPrefix}:stream:broken:error" not-a-stream | Out-Null
        }

        It 'a partition that fails is an error record; the others are still trimmed and summed up' {
            $summary = Remove-ExpiredMonarchLog @c -Prefix $brokenPrefix -ErrorVariable problems -ErrorAction SilentlyContinue
            $problems.Count | Should -Be 1
            $problems[0].FullyQualifiedErrorId | Should -Be 'PartitionWrongType,MonarchLogs.Cmdlets.RemoveExpiredMonarchLogCommand'
            $problems[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $problems[0].TargetObject | Should -Be 'broken/error'
            $summary.PartitionsScanned | Should -Be 5
            $summary.EntriesRemoved | Should -Be 12
            Get-Remaining $brokenPrefix | Should -Be (Get-Expected -Kept '29d', '10d', '1h')
        }

        It 'with -ErrorAction Stop the failure stops the command' {
            { Remove-ExpiredMonarchLog @c -Prefix $brokenPrefix -ErrorAction Stop } |
                Should -Throw -ErrorId 'PartitionWrongType,MonarchLogs.Cmdlets.RemoveExpiredMonarchLogCommand'
        }

        It 'a junk registry entry is an InvalidRegistryEntry error and the partitions are still trimmed' {
            $junkPrefix = New-RetentionStore
            Invoke-MonarchTestCli -Server $server HSET "${junkPrefix}:partitions" "${junkPrefix}:stream:junk:error" 'not-a-level:junk' | Out-Null
            $summary = Remove-ExpiredMonarchLog @c -Prefix $junkPrefix -ErrorVariable problems -ErrorAction SilentlyContinue
            $problems.Count | Should -Be 1
            $problems[0].FullyQualifiedErrorId | Should -Be 'InvalidRegistryEntry,MonarchLogs.Cmdlets.RemoveExpiredMonarchLogCommand'
            $problems[0].TargetObject | Should -Be "${junkPrefix}:stream:junk:error"
            $summary.PartitionsScanned | Should -Be 4
            $summary.EntriesRemoved | Should -Be 12
        }

        It '<Name> is <ErrorId>' -ForEach @(
            @{ Name = '-RetentionDays 0'; Parameters = @{ RetentionDays = 0 }; ErrorId = 'ParameterArgumentValidationError' }
            @{ Name = '-RetentionDays -3'; Parameters = @{ RetentionDays = -3 }; ErrorId = 'ParameterArgumentValidationError' }
            @{ Name = '-Before in the future'; Parameters = @{ Before = '2099-01-01T00:00Z' }; ErrorId = 'CutoffInFuture' }
            @{ Name = '-Before that is not a time'; Parameters = @{ Before = 'someday' }; ErrorId = 'ParameterArgumentTransformationError' }
            @{ Name = '-RetentionDays with -Before'; Parameters = @{ RetentionDays = 3; Before = '-1d' }; ErrorId = 'AmbiguousParameterSet' }
        ) {
            { Remove-ExpiredMonarchLog @c @Parameters } | Should -Throw -ErrorId "$ErrorId,MonarchLogs.Cmdlets.RemoveExpiredMonarchLogCommand"
        }

        It 'an unreachable server is ValkeyUnreachable' {
            { Remove-ExpiredMonarchLog -ConnectionString '127.0.0.1:1' } |
                Should -Throw -ErrorId 'ValkeyUnreachable,MonarchLogs.Cmdlets.RemoveExpiredMonarchLogCommand'
        }
    }
}
