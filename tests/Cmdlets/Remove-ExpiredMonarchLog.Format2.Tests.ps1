#Requires -Version 7.4
# Remove-ExpiredMonarchLog on a format 2 store (blocks) against a real valkey-server. Blocks are
# written by hand with valkey-cli as docs/design/storage-format-2.md shows (codec jsonl), at old
# stream IDs, as a writer of that time would have left them. Each test uses a store of its own.

BeforeAll {
    $script:modulePath = Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs'
    Import-Module $modulePath -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force

    $script:server = Start-MonarchTestServer
    $script:c = @{ ConnectionString = $server.ConnectionString }
    $script:storeNumber = 0
    $script:now = [datetime]::UtcNow

    # One block of entries at the given times, at the stream ID of $Id's millisecond; each message names the block.
    function script:Add-Block([string] $Prefix, [string] $Level, [datetime] $Id, [datetime[]] $Times, [string] $Name) {
        $key = "${Prefix}:stream:orders:${Level}"
        $epoch = [datetime]::UnixEpoch
        $ticks = @($Times | ForEach-Object { ($_ - $epoch).Ticks } | Sort-Object)
        $lines = for ($i = 0; $i -lt $Times.Count; $i++) {
            '{"ts":"' + $Times[$i].ToString('yyyy-MM-ddTHH:mm:ss.fffffffZ') + '","category":"Pester.Format2","message":"' + "$Level/$Name/$i" + '"}'
        }
        $ms = [long][math]::Floor(($Id - $epoch).TotalMilliseconds)
        $null = Invoke-MonarchTestCli -Server $server XADD $key "$ms-*" n $Times.Count t0 $ticks[0] t1 $ticks[-1] codec jsonl data (($lines -join "`n") + "`n")
        $null = Invoke-MonarchTestCli -Server $server HSET "${Prefix}:partitions" $key "${Level}:orders"
    }

    # A format 2 store: per level, blocks of 3 and 2 entries 45 and 40 days old (expired), one
    # spanning the 30-day cutoff, and one of 4 entries 10 days old.
    function script:New-BlockStore {
        $script:storeNumber++
        $prefix = "format2-retention$($script:storeNumber):logs"
        $null = Invoke-MonarchTestCli -Server $server SET "${prefix}:format" 2
        foreach ($level in 'information', 'error') {
            $old = $now.AddDays(-45); $older = $now.AddDays(-40); $edge = $now.AddDays(-30); $young = $now.AddDays(-10)
            Add-Block $prefix $level $old @($old.AddSeconds(-2), $old.AddSeconds(-1), $old) 'd45'
            Add-Block $prefix $level $older @($older.AddSeconds(-1), $older) 'd40'
            Add-Block $prefix $level $edge.AddMinutes(2) @($edge.AddMinutes(-3), $edge.AddMinutes(2)) 'edge'
            Add-Block $prefix $level $young @($young.AddSeconds(-3), $young.AddSeconds(-2), $young.AddSeconds(-1), $young) 'd10'
        }
        $prefix
    }
}

AfterAll {
    Remove-MonarchTestServer -Server $server
}

Describe 'Remove-ExpiredMonarchLog on a format 2 store' {
    It '-WhatIf reports the exact entries of the blocks that would go and removes nothing' {
        $prefix = New-BlockStore
        $summary = Remove-ExpiredMonarchLog @c -Prefix $prefix -WhatIf
        $summary.EntriesRemoved | Should -Be 10
        $summary.PartitionsTouched | Should -Be 2
        $summary.Oldest | Should -Be $now.AddDays(-45).AddSeconds(-2)
        Invoke-MonarchTestCli -Server $server XLEN "${prefix}:stream:orders:error" | Should -Be 4
    }

    It '-Level keeps a period of its own and removes whole blocks, counted by their entries' {
        $prefix = New-BlockStore
        $summary = Remove-ExpiredMonarchLog @c -Prefix $prefix -Level Error -RetentionDays 20
        $summary.PartitionsScanned | Should -Be 1
        # The blocks 45 and 40 days old and the one spanning 30 days go; the 10-day block stays.
        $summary.EntriesRemoved | Should -Be 7
        Invoke-MonarchTestCli -Server $server XLEN "${prefix}:stream:orders:error" | Should -Be 1
        Invoke-MonarchTestCli -Server $server XLEN "${prefix}:stream:orders:information" | Should -Be 4
        (Remove-ExpiredMonarchLog @c -Prefix $prefix -Level Error -RetentionDays 20).EntriesRemoved | Should -Be 0
    }

    It '-ArchivePath writes the removed entries, which Import-MonarchLog reads into another store' {
        $prefix = New-BlockStore
        $folder = Join-Path $TestDrive ('archive-' + [guid]::NewGuid().ToString('N'))
        $summary = Remove-ExpiredMonarchLog @c -Prefix $prefix -ArchivePath $folder
        $summary.EntriesRemoved | Should -Be 10
        $summary.EntriesArchived | Should -Be 10
        $summary.ArchiveFiles.Count | Should -Be 4
        $restored = "$prefix-restored"
        $null = Get-ChildItem -LiteralPath $folder | Import-MonarchLog @c -Prefix $restored
        @(Get-MonarchLog @c -Prefix $restored -Oldest | ForEach-Object Message | Sort-Object) | Should -Be @(
            'error/d40/0', 'error/d40/1', 'error/d45/0', 'error/d45/1', 'error/d45/2',
            'information/d40/0', 'information/d40/1', 'information/d45/0', 'information/d45/1', 'information/d45/2')
        Invoke-MonarchTestCli -Server $server XLEN "${prefix}:stream:orders:information" | Should -Be 2
    }
}
