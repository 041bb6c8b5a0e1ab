#Requires -Version 7.4
# Update-MonarchLogStore against a real valkey-server: a store of storage format 1 written through
# the documented format, previewed with -WhatIf (nothing changes), upgraded to format 2 (every
# entry in a block, none left as format 1), then upgraded again (nothing to do); a bulk store
# stopped half-way with Ctrl+C and finished by the next run. The stored blocks are read on the
# server by a small script, not through the readers.

BeforeAll {
    $script:modulePath = Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs'
    Import-Module $modulePath -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force

    $script:server = Start-MonarchTestServer
    $script:c = @{ ConnectionString = $server.ConnectionString }
    $script:prefix = 'upgrade:logs'
    $script:streams = 'orders:error', 'orders:information', "b`u{00FC}cher:warning" | ForEach-Object { "${prefix}:stream:$_" }

    $now = [datetime]::UtcNow
    $entries = foreach ($i in 0..29) {
        [pscustomobject]@{ Timestamp = $now.AddMinutes(-$i); Level = 'error'; Service = 'orders'; Message = "order $i `e[31m" }
        [pscustomobject]@{ Timestamp = $now.AddSeconds(-$i); Level = 'information'; Service = 'orders'; Message = "info $i" }
    }
    $entries = @($entries) + [pscustomobject]@{ Timestamp = $now; Level = 'warning'; Service = "b`u{00FC}cher"; Message = "`u{1F98B} line`r`nbreak" }
    # In time order, as the stream IDs (event times) must rise.
    $entries = $entries | Sort-Object Timestamp
    Write-MonarchTestEntry -Server $server -Prefix $prefix -Entry $entries -Counted

    # The entries a stream holds in blocks, or -1 when it still holds an entry of format 1 (one with ts and no data).
    function script:Get-BlockEntryCount([string] $Stream) {
        $script = "local t = 0 for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do local f, n, ts = e[2], nil, false " +
            "for i = 1, #f, 2 do if f[i] == 'n' then n = tonumber(f[i + 1]) elseif f[i] == 'ts' then ts = true end end " +
            "if ts and not n then return -1 end t = t + n end return t"
        [int] (Invoke-MonarchTestCli -Server $server EVAL $script 1 $Stream)
    }

    # The entries a stream holds in blocks and as entries of format 1, as "<in blocks> <format 1>".
    function script:Get-EntrySplit([string] $Stream) {
        $script = "local b, f = 0, 0 for _, e in ipairs(redis.call('XRANGE', KEYS[1], '-', '+')) do local x = e[2] local n = nil " +
            "for i = 1, #x, 2 do if x[i] == 'n' then n = tonumber(x[i + 1]) end end " +
            "if n then b = b + n else f = f + 1 end end return {b, f}"
        (Invoke-MonarchTestCli -Server $server EVAL $script 1 $Stream) -join ' '
    }
}

AfterAll {
    Remove-MonarchTestServer -Server $server
}

Describe 'Update-MonarchLogStore' {
    It '-WhatIf reports what would be converted and changes nothing' {
        $before = $streams | ForEach-Object { Invoke-MonarchTestCli -Server $server XLEN $_ }

        $summary = Update-MonarchLogStore @c -Prefix $prefix -WhatIf

        $summary | Should -BeOfType ([MonarchLogs.Cmdlets.UpgradeSummary])
        $summary.WhatIf | Should -BeTrue
        $summary.Version | Should -Be '1'
        $summary.PartitionsScanned | Should -Be 3
        $summary.PartitionsConverted | Should -Be 3
        $summary.EntriesConverted | Should -Be 61
        $summary.BlocksWritten | Should -Be 0
        Invoke-MonarchTestCli -Server $server GET "${prefix}:format" | Should -Be '1'
        $streams | ForEach-Object { Invoke-MonarchTestCli -Server $server XLEN $_ } | Should -Be $before
        $streams | ForEach-Object { Get-BlockEntryCount $_ } | Should -Be @(-1, -1, -1)
        Invoke-MonarchTestCli -Server $server KEYS "${prefix}:late:*" | Should -BeNullOrEmpty
    }

    It 'upgrades the store: marked version 2, every entry in a block, counted once, and the counts kept' {
        $counts = Invoke-MonarchTestCli -Server $server HGETALL "${prefix}:counts:{$($streams[0])}"

        $summary = Update-MonarchLogStore @c -Prefix $prefix -Confirm:$false -ProgressAction SilentlyContinue

        $summary.WhatIf | Should -BeFalse
        $summary.PreviousVersion | Should -Be '1'
        $summary.Version | Should -Be '2'
        $summary.PartitionsScanned | Should -Be 3
        $summary.PartitionsConverted | Should -Be 3
        $summary.EntriesConverted | Should -Be 61
        # orders/error spans 29 minutes: at most 10 minutes of event time per block.
        $summary.BlocksWritten | Should -BeGreaterOrEqual 5
        $summary.EntriesLeft | Should -Be 0
        Invoke-MonarchTestCli -Server $server GET "${prefix}:format" | Should -Be '2'
        $streams | ForEach-Object { Get-BlockEntryCount $_ } | Should -Be @(30, 30, 1)
        # Rebuilt beside the stream, each block at its entries' time: none late, and no rebuild key left behind.
        [int] (Invoke-MonarchTestCli -Server $server ZCARD "${prefix}:late:{$($streams[0])}") | Should -Be 0
        Invoke-MonarchTestCli -Server $server KEYS "${prefix}:rebuild:*" | Should -BeNullOrEmpty
        Invoke-MonarchTestCli -Server $server KEYS "${prefix}:replaced:*" | Should -BeNullOrEmpty
        Invoke-MonarchTestCli -Server $server HGETALL "${prefix}:counts:{$($streams[0])}" | Should -Be $counts
    }

    It 'a second run converts nothing' {
        $before = $streams | ForEach-Object { Invoke-MonarchTestCli -Server $server XRANGE $_ - + } | Out-String

        $summary = Update-MonarchLogStore @c -Prefix $prefix -Confirm:$false

        $summary.PreviousVersion | Should -Be '2'
        $summary.EntriesConverted | Should -Be 0
        $summary.BlocksWritten | Should -Be 0
        $summary.Passes | Should -Be 1
        ($streams | ForEach-Object { Invoke-MonarchTestCli -Server $server XRANGE $_ - + } | Out-String) | Should -Be $before
        (Update-MonarchLogStore @c -Prefix $prefix -WhatIf).EntriesConverted | Should -Be 0
    }

    It 'Ctrl+C stops between two blocks and says how far it got; the next run converts the rest' {
        Add-MonarchTestBulkEntry -Server $server -Prefix 'bulk:logs' -Count 200000 -StartTime ([datetime]::UtcNow.AddHours(-6))
        $stream = 'bulk:logs:stream:bulk:information'
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddCommand('Import-Module').AddArgument($modulePath).AddStatement()
            $null = $ps.AddCommand('Update-MonarchLogStore').AddParameter('ConnectionString', $server.ConnectionString).AddParameter('Prefix', 'bulk:logs').AddParameter('Confirm', $false)
            $handle = $ps.BeginInvoke()
            $deadline = [datetime]::UtcNow.AddSeconds(60)
            while (-not @($ps.Streams.Progress | Where-Object { $_.StatusDescription -match 'of about 200,000 entries in [1-9]' })) {
                if ([datetime]::UtcNow -gt $deadline -or $handle.IsCompleted) { throw 'the upgrade did not start' }
                Start-Sleep -Milliseconds 20
            }
            $ps.Stop()
            $handle.AsyncWaitHandle.WaitOne(10000) | Should -BeTrue -Because 'a stopped upgrade ends at once'
            $warning = @($ps.Streams.Warning)
            $warning.Count | Should -Be 1
            $warning[0].Message | Should -Match '^The upgrade stopped after converting ([\d,]+) entries; nothing was lost or stored twice\. Run Update-MonarchLogStore again to go on\.$'
            $before = [int] ([regex]::Match($warning[0].Message, '[\d,]+').Value -replace ',', '')
        }
        finally { $ps.Dispose() }

        # Stopped while it rebuilt the stream beside it: the stream still reads whole, as format 1 entries.
        $before | Should -BeGreaterThan 0
        $before | Should -BeLessThan 200000 -Because 'the upgrade was stopped before its end'
        Get-EntrySplit $stream | Should -Be '0 200000'
        Invoke-MonarchTestCli -Server $server GET 'bulk:logs:format' | Should -Be '2'

        # The next run goes on where the rebuild stopped: it converts only the rest.
        $rest = Update-MonarchLogStore @c -Prefix 'bulk:logs' -Confirm:$false -ProgressAction SilentlyContinue
        $rest.PreviousVersion | Should -Be '2'
        $rest.EntriesConverted | Should -Be (200000 - $before)
        Get-EntrySplit $stream | Should -Be '200000 0'
    }

    It 'warns of a prefix that holds no store and writes nothing there' {
        $summary = Update-MonarchLogStore @c -Prefix 'typo:logs' -Confirm:$false -WarningVariable warned -WarningAction SilentlyContinue
        $summary.Version | Should -BeNullOrEmpty
        $summary.PartitionsScanned | Should -Be 0
        "$warned" | Should -BeLike "There is no store under the prefix 'typo:logs'*"
        Invoke-MonarchTestCli -Server $server KEYS 'typo:logs:*' | Should -BeNullOrEmpty
        (Update-MonarchLogStore @c -Prefix 'typo:logs' -WhatIf -WarningAction SilentlyContinue).Version | Should -BeNullOrEmpty
    }

    It 'refuses a store of another version as UnsupportedStorageFormat and leaves it alone' {
        Write-MonarchTestEntry -Server $server -Prefix 'future:logs' -Entry ([pscustomobject]@{ Timestamp = [datetime]::UtcNow; Level = 'error'; Service = 'orders'; Message = 'm' })
        $null = Invoke-MonarchTestCli -Server $server SET 'future:logs:format' '99'

        { Update-MonarchLogStore @c -Prefix 'future:logs' -Confirm:$false } | Should -Throw -ErrorId 'UnsupportedStorageFormat,MonarchLogs.Cmdlets.UpdateMonarchLogStoreCommand'
        Invoke-MonarchTestCli -Server $server GET 'future:logs:format' | Should -Be '99'
        Get-BlockEntryCount 'future:logs:stream:orders:error' | Should -Be -1
    }
}
