#Requires -Version 7.4
# Watch-MonarchLog against a real valkey-server: backlog, live entries, filters, -Count,
# -Timeout, stopping (Ctrl+C) and a Valkey restart in the middle of a watch. How fast entries
# show up is measured by the benchmarks (bench/), not asserted here; the waits below are only
# deadlines after which a test gives up.

BeforeAll {
    $script:modulePath = Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs'
    Import-Module $modulePath -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchWatch.psm1') -Force

    $script:server = Start-MonarchTestServer
    $script:c = @{ ConnectionString = $server.ConnectionString }

    function script:New-Entry([string] $Service, [string] $Message, [string] $Level = 'information') {
        [pscustomobject]@{ Timestamp = [datetime]::UtcNow; Level = $Level; Service = $Service; Category = 'Pester.Watch'; Message = $Message }
    }

    function script:Wait-Until([scriptblock] $Condition, [double] $Seconds = 10) {
        $deadline = [datetime]::UtcNow.AddSeconds($Seconds)
        while ([datetime]::UtcNow -lt $deadline) {
            if (& $Condition) { return $true }
            [System.Threading.Thread]::Sleep(1)
        }
        return [bool] (& $Condition)
    }


    # Entries for the -Tail tests, written before any watch starts.
    $backlog = foreach ($i in 1..5) {
        [pscustomobject]@{ Timestamp = [datetime]::UtcNow.AddMinutes(-10 + $i); Level = if ($i % 2) { 'error' } else { 'information' }
            Service = 'backlog'; Category = 'Pester.Watch'; Message = "old $i" }
    }
    Write-MonarchTestEntry -Server $server -Entry ($backlog | Sort-Object Timestamp)
}

AfterAll {
    Remove-MonarchTestServer -Server $server
}

Describe 'Watch-MonarchLog' {
    Context 'Backlog' {
        It '-Tail 3 shows the last 3 matching entries first, oldest of them first' {
            $result = @(Watch-MonarchLog @c -Service backlog -Tail 3 -Count 3)
            $result.Message | Should -Be 'old 3', 'old 4', 'old 5'
            $result[0] | Should -BeOfType ([MonarchLogs.Cmdlets.MonarchLogRecord])
            $result[0].Level | Should -BeOfType ([MonarchLogs.Core.MonarchLogLevel])
        }

        It 'a partition that cannot be read is one error each; the tail shows the others' {
            Write-MonarchTestEntry -Server $server -Prefix 'poisoned:logs' -Entry @(
                [pscustomobject]@{ Timestamp = [datetime]::UtcNow.AddMinutes(-2); Level = 'error'; Service = 'good'; Message = 'good one' }
                [pscustomobject]@{ Timestamp = [datetime]::UtcNow.AddMinutes(-1); Level = 'information'; Service = 'good'; Message = 'good two' }
            )
            Invoke-MonarchTestCli -Server $server SET poisoned:logs:stream:bad:error a-string | Out-Null
            Invoke-MonarchTestCli -Server $server HSET poisoned:logs:partitions poisoned:logs:stream:bad:error error:bad poisoned:logs:stream:junk:error junk | Out-Null
            $result = @(Watch-MonarchLog @c -Prefix 'poisoned:logs' -Tail 5 -Count 2 -Timeout 20 -ErrorVariable problems -ErrorAction SilentlyContinue)
            $result.Message | Should -Be 'good one', 'good two'
            @($problems | ForEach-Object { "$($_.FullyQualifiedErrorId) $($_.TargetObject)" } | Sort-Object) | Should -Be @(
                'InvalidRegistryEntry,MonarchLogs.Cmdlets.WatchMonarchLogCommand poisoned:logs:stream:junk:error'
                'PartitionWrongType,MonarchLogs.Cmdlets.WatchMonarchLogCommand bad/error'
            )
        }

        It '-Tail applies the filters' {
            $result = @(Watch-MonarchLog @c -Service backlog -Level error -Tail 2 -Count 2)
            $result.Message | Should -Be 'old 3', 'old 5'
        }

        It 'Select-Object -First 2 ends the watch' {
            # Without -Count or -Timeout only Select-Object can end it; the deadline keeps a
            # watch that does not end from hanging the run.
            $ps = [powershell]::Create()
            try {
                $null = $ps.AddScript('param($module, $connection) Import-Module $module; Watch-MonarchLog -ConnectionString $connection -Service backlog -Tail 5 | Select-Object -First 2').
                    AddArgument($modulePath).AddArgument($server.ConnectionString)
                $handle = $ps.BeginInvoke()
                Wait-Until { $handle.IsCompleted } 30 | Should -BeTrue -Because 'Select-Object -First 2 stops the watch'
                $two = @($ps.EndInvoke($handle))
                $two.Message | Should -Be 'old 1', 'old 2'
                $ps.Streams.Error.Count | Should -Be 0
            }
            finally {
                if (-not $handle.IsCompleted) { $ps.Stop() }
                $ps.Dispose()
            }
        }
    }

    Context 'Live entries' {
        It 'shows each new entry, in the order written' {
            $watch = Start-Watch @{ ConnectionString = $server.ConnectionString; Service = 'live' }
            try {
                foreach ($i in 1..20) {
                    Write-MonarchTestEntry -Server $server -Entry (New-Entry live "live $i")
                    Wait-Until { $watch.Output.Count -ge $i } 10 | Should -BeTrue
                }
                (Get-Shown $watch).Message | Should -Be (1..20 | ForEach-Object { "live $_" })
            }
            finally { Stop-Watch $watch }
        }

        It 'shows an entry from a writer that does not publish, by the slow poll' {
            # The partition exists before the watch starts; a partition that is new and never
            # nudged about is found at the next registry read (every 5 s), which is not tested here.
            Write-MonarchTestEntry -Server $server -Entry (New-Entry quiet 'before the watch')
            $watch = Start-Watch @{ ConnectionString = $server.ConnectionString; Service = 'quiet' }
            try {
                Write-MonarchTestEntry -Server $server -Entry (New-Entry quiet 'no nudge') -NoNotify
                Wait-Until { $watch.Output.Count -ge 1 } 10 | Should -BeTrue
                (Get-Shown $watch).Message | Should -Be 'no nudge'
            }
            finally { Stop-Watch $watch }
        }

        It 'shows only the entries that match its filters' {
            $watch = Start-Watch @{ ConnectionString = $server.ConnectionString; Service = 'filtered', 'also-*'; Level = 'error', 'Fatal'; Pattern = 'disk' }
            try {
                Write-MonarchTestEntry -Server $server -Entry @(
                    New-Entry filtered 'disk full' information
                    New-Entry other 'disk full' error
                    New-Entry filtered 'cpu hot' error
                    New-Entry filtered 'disk full' error
                )
                Write-MonarchTestEntry -Server $server -Entry @(
                    New-Entry also-this 'disk gone' critical
                    New-Entry filtered 'disk slow' warning
                )
                Write-MonarchTestEntry -Server $server -Entry (New-Entry filtered 'disk last' error)
                Wait-Until { $watch.Output.Count -ge 3 } 3 | Should -BeTrue
                Start-Sleep -Milliseconds 200
                Get-Shown $watch | ForEach-Object { "$($_.Service):$($_.Level):$($_.Message)" } |
                    Should -Be 'filtered:Error:disk full', 'also-this:Critical:disk gone', 'filtered:Error:disk last'
            }
            finally { Stop-Watch $watch }
        }

        It 'shows entries of a service registered after the watch started' {
            $watch = Start-Watch @{ ConnectionString = $server.ConnectionString; Service = 'newcomer*' }
            try {
                Write-MonarchTestEntry -Server $server -Entry (New-Entry newcomer-1 'first words')
                # The writer's nudge makes the watch read the registry again and find the new partition.
                Wait-Until { $watch.Output.Count -ge 1 } 10 | Should -BeTrue
                (Get-Shown $watch).Message | Should -Be 'first words'
            }
            finally { Stop-Watch $watch }
        }
    }

    Context 'Ending' {
        It '-Count 3 ends by itself after 3 entries' {
            $watch = Start-Watch @{ ConnectionString = $server.ConnectionString; Service = 'counted'; Count = 3 }
            try {
                Write-MonarchTestEntry -Server $server -Entry @(1..5 | ForEach-Object { New-Entry counted "count $_" })
                Wait-Until { $watch.Handle.IsCompleted } 3 | Should -BeTrue
                (Get-Shown $watch).Message | Should -Be 'count 1', 'count 2', 'count 3'
                $watch.PowerShell.Streams.Error.Count | Should -Be 0
            }
            finally { Stop-Watch $watch }
        }

        It '-Timeout <Timeout> ends quietly, not before <Seconds> s' -ForEach @(
            @{ Timeout = 1; Seconds = 1 }
            @{ Timeout = '1.5'; Seconds = 1.5 }
            @{ Timeout = (New-TimeSpan -Milliseconds 1200); Seconds = 1.2 }
            @{ Timeout = '00:00:01'; Seconds = 1 }
        ) {
            $elapsed = Measure-Command { $script:result = @(Watch-MonarchLog @c -Service 'silent' -Timeout $Timeout -ErrorVariable problems) }
            $result.Count | Should -Be 0
            $problems.Count | Should -Be 0
            # The lower bound shows the value was read as that duration; a unit misread as
            # minutes, or 1.5 read as 15, would not end within the test's 10 s.
            $elapsed.TotalSeconds | Should -BeGreaterOrEqual ($Seconds - 0.05)
            $elapsed.TotalSeconds | Should -BeLessThan 10
        }

        It 'Stop (Ctrl+C) ends it' {
            $watch = Start-Watch @{ ConnectionString = $server.ConnectionString; Service = 'stopped' }
            Start-Sleep -Milliseconds 300
            $watch.PowerShell.Stop()
            $watch.Handle.IsCompleted | Should -BeTrue
            $watch.PowerShell.InvocationStateInfo.State | Should -Be 'Stopped'
            $watch.PowerShell.Dispose()
        }
    }

    Context 'Valkey restart' {
        It 'resumes after a restart with no gap and no duplicate, warning once' {
            $watch = Start-Watch @{ ConnectionString = $server.ConnectionString; Service = 'restart' }
            try {
                Write-MonarchTestEntry -Server $server -Entry @((New-Entry restart 'before 1'), (New-Entry restart 'before 2'))
                Wait-Until { $watch.Output.Count -ge 2 } 3 | Should -BeTrue
                # Written without a nudge just before the shutdown: the watch has most likely not read
                # it yet, and must find it after the restart, from the last Id it showed.
                Write-MonarchTestEntry -Server $server -Entry (New-Entry restart 'before 3') -NoNotify
                Stop-MonarchTestServer -Server $server
                Start-Sleep -Seconds 6
                Start-MonarchTestServerAgain -Server $server
                Write-MonarchTestEntry -Server $server -Entry @((New-Entry restart 'after 1'), (New-Entry restart 'after 2'))
                Wait-Until { $watch.Output.Count -ge 5 } 20 | Should -BeTrue
                Start-Sleep -Milliseconds 300
                (Get-Shown $watch).Message | Should -Be 'before 1', 'before 2', 'before 3', 'after 1', 'after 2'
                $watch.Handle.IsCompleted | Should -BeFalse -Because 'a restart only pauses the watch'
                $watch.PowerShell.Streams.Error.Count | Should -Be 0
                @($watch.PowerShell.Streams.Warning).Count | Should -Be 1
                $watch.PowerShell.Streams.Warning[0].Message | Should -Match 'Lost the connection to Valkey'
            }
            finally { Stop-Watch $watch }
        }

        It 'Stop ends it while Valkey is down' {
            $watch = Start-Watch @{ ConnectionString = $server.ConnectionString; Service = 'down' }
            try {
                Stop-MonarchTestServer -Server $server
                Start-Sleep -Milliseconds 1500
                $watch.PowerShell.Stop()
                $watch.Handle.IsCompleted | Should -BeTrue
                $watch.PowerShell.InvocationStateInfo.State | Should -Be 'Stopped'
            }
            finally {
                Stop-Watch $watch
                Start-MonarchTestServerAgain -Server $server
            }
        }
    }

    Context 'Errors' {
        It '<Name> is <ErrorId>' -ForEach @(
            @{ Name = '-Count 0'; Parameters = @{ Count = 0 }; ErrorId = 'ParameterArgumentValidationError' }
            @{ Name = '-Tail -1'; Parameters = @{ Tail = -1 }; ErrorId = 'ParameterArgumentValidationError' }
            @{ Name = '-Timeout 0'; Parameters = @{ Timeout = 0 }; ErrorId = 'ParameterArgumentValidationError' }
            @{ Name = '-Timeout -5'; Parameters = @{ Timeout = -5 }; ErrorId = 'ParameterArgumentValidationError' }
            @{ Name = '-Timeout soon'; Parameters = @{ Timeout = 'soon' }; ErrorId = 'ParameterArgumentTransformationError' }
            @{ Name = '-Level loud'; Parameters = @{ Level = 'loud' }; ErrorId = 'ParameterArgumentValidationError' }
            @{ Name = 'an invalid -Pattern'; Parameters = @{ Pattern = '[a-' }; ErrorId = 'InvalidPattern' }
        ) {
            $all = @{ ConnectionString = $server.ConnectionString; Timeout = 1 }
            foreach ($name in $Parameters.Keys) { $all[$name] = $Parameters[$name] }
            { Watch-MonarchLog @all } | Should -Throw -ErrorId "$ErrorId,MonarchLogs.Cmdlets.WatchMonarchLogCommand"
        }

        It 'an unreachable server is ValkeyUnreachable' {
            { Watch-MonarchLog -ConnectionString '127.0.0.1:1' -Timeout 5 } |
                Should -Throw -ErrorId 'ValkeyUnreachable,MonarchLogs.Cmdlets.WatchMonarchLogCommand'
        }
    }
}
