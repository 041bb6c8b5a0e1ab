#Requires -Version 7.4
# Measure-MonarchLog against a real valkey-server: counts per interval, level and service
# compared with counting the entries themselves, from the counts hashes and by reading alike.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs') -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force

    $script:server = Start-MonarchTestServer
    $script:c = @{ ConnectionString = $server.ConnectionString }

    # Three days of entries, 7 minutes 13 seconds apart, over 3 services and 3 levels, ending an hour ago.
    $ticks = [datetime]::UtcNow.AddHours(-1).Ticks
    $end = [datetime]::new($ticks - $ticks % [TimeSpan]::TicksPerSecond, [DateTimeKind]::Utc)
    $script:truth = for ($k = 0; $k -lt 600; $k++) {
        [pscustomobject]@{
            Timestamp = $end.AddSeconds(-433 * $k)
            Level     = ('information', 'warning', 'error')[[Math]::Floor($k / 3) % 3]
            Service   = ('orders', 'billing', 'web')[$k % 3]
            Category  = 'Pester.Measure'
            Message   = "m$k"
        }
    }
    $oldestFirst = @($truth | Sort-Object Timestamp)
    Write-MonarchTestEntry -Server $server -Entry $oldestFirst -Counted
    Write-MonarchTestEntry -Server $server -Prefix 'uncounted:logs' -Entry $oldestFirst

    # The truth of one bucketing: entries per (bucket start, level, service).
    function script:Expected([timespan] $Interval, [datetime] $Since, [datetime] $Until, [string[]] $By, [scriptblock] $Where = { $true }) {
        $groups = @{}
        foreach ($e in $truth | Where-Object $Where) {
            if ($e.Timestamp -lt $Since -or $e.Timestamp -ge $Until) { continue }
            $start = [datetime]::new($e.Timestamp.Ticks - ($e.Timestamp.Ticks - [datetime]::UnixEpoch.Ticks) % $Interval.Ticks, [DateTimeKind]::Utc)
            if ($start -lt $Since) { $start = $Since }
            $key = '{0:o}|{1}|{2}' -f $start, $(if ('Level' -in $By) { (Get-Culture).TextInfo.ToTitleCase($e.Level) }), $(if ('Service' -in $By) { $e.Service })
            $groups[$key] = 1 + [int] $groups[$key]
        }
        $groups
    }

    function script:Measured($Counts) {
        $groups = @{}
        foreach ($row in $Counts | Where-Object Count -gt 0) { $groups['{0:o}|{1}|{2}' -f $row.Start, $row.Level, $row.Service] = [int] $row.Count }
        $groups
    }

    function script:Same($Actual, $Expected) {
        ($Actual.Keys | Sort-Object) -join ';' | Should -Be (($Expected.Keys | Sort-Object) -join ';')
        foreach ($key in $Expected.Keys) { $Actual[$key] | Should -Be $Expected[$key] -Because $key }
    }
}

AfterAll {
    Remove-MonarchTestServer $server
}

Describe 'Measure-MonarchLog' {
    It 'counts per hour and service exactly, for a range that cuts minutes' {
        $since = $truth[-1].Timestamp.AddMinutes(95).AddSeconds(17)
        $until = $truth[0].Timestamp.AddMinutes(-200).AddSeconds(-29)
        $counts = Measure-MonarchLog @c -By Service -Interval 1h -Since $since -Until $until
        Same (Measured $counts) (Expected ([timespan]::FromHours(1)) $since $until 'Service')
        ($counts | Measure-Object Count -Sum).Sum | Should -Be @($truth | Where-Object { $_.Timestamp -ge $since -and $_.Timestamp -lt $until }).Count
    }

    It 'counts per day, level and service, with empty buckets as 0' {
        $counts = @(Measure-MonarchLog @c -By Level, Service -Interval 1d)
        $since = $truth[-1].Timestamp
        Same (Measured $counts) (Expected ([timespan]::FromDays(1)) $since $truth[0].Timestamp.AddMilliseconds(1) 'Level', 'Service')
        $days = @($counts | Select-Object -ExpandProperty Start -Unique).Count
        $counts.Count | Should -Be ($days * 9)
        $counts[0].Start | Should -Be $since
        $counts[-1].End | Should -Be $truth[0].Timestamp.AddMilliseconds(1)
    }

    It 'gives one total without -Interval and filters partitions by level and service' {
        $total = Measure-MonarchLog @c -MinimumLevel Warning -Service 'o*', web
        $total.Count | Should -Be @($truth | Where-Object { $_.Level -ne 'information' -and $_.Service -ne 'billing' }).Count
        $total.Level | Should -BeNullOrEmpty
    }

    It 'counts a store without counts (written by hand) by reading, exactly, and says so with -Verbose' {
        $counts = Measure-MonarchLog @c -Prefix 'uncounted:logs' -By Level -Interval 5min -Since -2d -Verbose 4>&1
        $verbose = @($counts | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match 'Counted by reading' })
        $verbose.Count | Should -Be 1
        $verbose[0].Message | Should -Match 'Counted by reading'
        $rows = @($counts | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
        $since = $rows[0].Start
        Same (Measured $rows) (Expected ([timespan]::FromMinutes(5)) $since $rows[-1].End 'Level')
    }

    It 'says nothing with -Verbose when every partition is counted' {
        @(Measure-MonarchLog @c -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message -match 'Counted by reading' }) | Should -BeNullOrEmpty
    }

    It 'takes intervals as text, TimeSpans and seconds' {
        (Measure-MonarchLog @c -Interval '6h')[0].End - (Measure-MonarchLog @c -Interval ([timespan]::FromHours(6)))[0].End | Should -Be ([timespan]::Zero)
        @(Measure-MonarchLog @c -Interval 21600).Count | Should -Be @(Measure-MonarchLog @c -Interval 6h).Count
        # Unquoted, 1d is the decimal number 1 to PowerShell: it means a day, as for -Since.
        (Measure-MonarchLog @c -Interval 1d)[0].End - (Measure-MonarchLog @c -Interval '1d')[0].End | Should -Be ([timespan]::Zero)
    }

    It 'refuses too many buckets and a bad interval with stable error ids' {
        { Measure-MonarchLog @c -Interval 1s -Since -30d -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidInterval*'
        { Measure-MonarchLog @c -Interval 'fortnightly' -ErrorAction Stop } | Should -Throw -ErrorId 'ParameterArgumentTransformationError*'
        { Measure-MonarchLog @c -Since -1h -Until -2h -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidTimeRange*'
    }

    It 'counts 0 on an empty store' {
        $empty = Measure-MonarchLog @c -Prefix 'nothing:here'
        $empty.Count | Should -Be 0
    }
}
