#Requires -Version 7.4
# Measure-MonarchLog and Get-MonarchLogStoreStatus on a format 2 store (blocks) against a real
# valkey-server. Blocks are written by hand with valkey-cli as docs/storage-format.md shows (codec
# jsonl), with their counts per minute and hour, as the append script keeps them.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs') -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force

    $script:server = Start-MonarchTestServer
    $script:c = @{ ConnectionString = $server.ConnectionString }
    $script:prefix = 'format2-stats:logs'
    $ticks = [datetime]::UtcNow.AddMinutes(-6).Ticks
    $script:start = [datetime]::new($ticks - $ticks % [TimeSpan]::TicksPerMinute, [DateTimeKind]::Utc)

    # One jsonl block of a partition, its counts, the registry entry.
    function script:Add-Block([string] $Service, [string] $Level, [datetime[]] $Times) {
        $key = "${prefix}:stream:${Service}:${Level}"
        $epoch = [datetime]::UnixEpoch
        $ticks = @($Times | ForEach-Object { ($_ - $epoch).Ticks } | Sort-Object)
        $minutes = $Times | Group-Object { [long][math]::Floor(($_ - $epoch).TotalMinutes) } | Sort-Object { [long] $_.Name }
        $lines = foreach ($time in $Times) { '{"ts":"' + $time.ToString('yyyy-MM-ddTHH:mm:ss.fffffffZ') + '","message":"' + "$Service $Level" + '"}' }
        $min = ($minutes | ForEach-Object { "$($_.Name):$($_.Count)" }) -join ' '
        # At the writer's clock (a bare * would be expanded as a file name pattern on the way to valkey-cli).
        $ms = [DateTimeOffset]::UtcNow.ToUnixTimeMilliseconds()
        $null = Invoke-MonarchTestCli -Server $server XADD $key "$ms-*" n $Times.Count t0 $ticks[0] t1 $ticks[-1] codec jsonl min $min data (($lines -join "`n") + "`n")
        foreach ($minute in $minutes) {
            $null = Invoke-MonarchTestCli -Server $server HINCRBY "${prefix}:counts:{$key}" $minute.Name $minute.Count
            $null = Invoke-MonarchTestCli -Server $server HINCRBY "${prefix}:counts:{$key}:hours" ([long][math]::Floor([long] $minute.Name / 60)) $minute.Count
        }
        $null = Invoke-MonarchTestCli -Server $server HSET "${prefix}:partitions" $key "${Level}:${Service}"
    }

    $null = Invoke-MonarchTestCli -Server $server SET "${prefix}:format" 2
    Add-Block 'orders' 'error' @($start.AddSeconds(5), $start.AddSeconds(65), $start.AddSeconds(70))
    Add-Block 'orders' 'information' @($start.AddSeconds(1), $start.AddSeconds(2), $start.AddSeconds(130))
    Add-Block 'billing' 'error' @($start.AddSeconds(200))
}

AfterAll {
    Remove-MonarchTestServer $server
}

Describe 'Measure-MonarchLog and Get-MonarchLogStoreStatus on a format 2 store' {
    It 'counts blocks per minute and level by event time' {
        $counts = @(Measure-MonarchLog @c -Prefix $prefix -By Level -Interval 00:01:00 -Since $start -Until $start.AddMinutes(4))
        $nonZero = @($counts | Where-Object Count -gt 0 | ForEach-Object { '{0:HH:mm} {1} {2}' -f $_.Start, $_.Level, $_.Count })
        $nonZero | Should -Be @(
            ('{0:HH:mm} Information 2' -f $start), ('{0:HH:mm} Error 1' -f $start),
            ('{0:HH:mm} Error 2' -f $start.AddMinutes(1)),
            ('{0:HH:mm} Information 1' -f $start.AddMinutes(2)),
            ('{0:HH:mm} Error 1' -f $start.AddMinutes(3)))
        (Measure-MonarchLog @c -Prefix $prefix -Service orders).Count | Should -Be 6
    }

    It 'shows the format version, the entries from the counts and the times from the blocks' {
        $status = Get-MonarchLogStoreStatus @c -Prefix $prefix -RetentionDays 30
        $status.FormatVersion | Should -Be '2'
        $status.TotalEntries | Should -Be 7
        $status.Oldest | Should -Be $start.AddSeconds(1)
        $status.Newest | Should -Be $start.AddSeconds(200)
        ($status.Partitions | Where-Object { $_.Service -eq 'orders' -and $_.Level -eq 'Error' }).Entries | Should -Be 3
    }
}
