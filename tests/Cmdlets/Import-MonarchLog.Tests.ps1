#Requires -Version 7.4
# Import-MonarchLog against a real valkey-server: archives written by Export-MonarchLog come back
# with every field of every entry, twice imported is once stored, and the lines of the .NET JSON
# console logger become the entries the logging provider stored for the same calls.
#
# Data/demo-console.jsonl is the standard output of samples/MonarchLogs.DemoService (AddJsonConsole
# with scopes and TimestampFormat), and Data/demo-store.jsonl the export of what its MonarchLogs
# provider stored in the same run (host names replaced by demo-host).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs') -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force

    $script:server = Start-MonarchTestServer
    $script:c = @{ ConnectionString = $server.ConnectionString }
    $script:now = [datetime]::UtcNow
    $script:data = Join-Path $PSScriptRoot 'Data'
    $script:storeNumber = 0
    # The stores here are version 2, as this version makes them (a store of version 1 is refused:
    # it must be upgraded first).
    function script:New-Prefix {
        $script:storeNumber++
        $prefix = "import$($script:storeNumber):logs"
        Invoke-MonarchTestCli -Server $server SET "${prefix}:format" 2 | Out-Null
        $prefix
    }
    function script:New-FilePath([string] $Extension = '.jsonl') { Join-Path $TestDrive ("file$([guid]::NewGuid().ToString('N'))$Extension") }

    # Deletes every key of a store: what is left of it afterwards is what an import puts back.
    function script:Clear-Store([string] $Prefix) {
        $keys = @(Invoke-MonarchTestCli -Server $server --scan --pattern "${Prefix}:*")
        foreach ($key in $keys) { Invoke-MonarchTestCli -Server $server DEL $key | Out-Null }
        @(Invoke-MonarchTestCli -Server $server --scan --pattern "${Prefix}:*").Count | Should -Be 0
        Invoke-MonarchTestCli -Server $server SET "${Prefix}:format" 2 | Out-Null
    }

    # A store with the known data set, plus entries of hostile text: line breaks, escapes, bidi
    # controls, NUL, emoji, text that looks like JSON, and a 1 MB message.
    function script:New-RichStore {
        $prefix = New-Prefix
        New-MonarchKnownDataSet -Now $now | Write-MonarchLog @c -Prefix $prefix -ErrorAction Stop
        $hostile = "a`r`nb`e[2J`e]8;;http://evil`a`u{202E}cba`u{0}`u{1F600} `"quoted`" \ {`"not`":`"json`"}"
        Write-MonarchLog @c -Prefix $prefix -Message $hostile -Service "edge`u{202E}" -Level Critical -Category $hostile -Exception $hostile `
            -Template $hostile -EventName $hostile -TraceId $hostile -SpanId $hostile -Properties @{ Text = $hostile } -Timestamp $now.AddMinutes(-30).AddTicks(1234567) -ErrorAction Stop
        Write-MonarchLog @c -Prefix $prefix -Service edge -Level Error -Message ('y' * 1MB + $hostile) -Timestamp $now.AddMinutes(-29) -ErrorAction Stop
        $prefix
    }
}

AfterAll {
    Remove-MonarchTestServer -Server $server
}

Describe 'Import-MonarchLog' {
    Context 'Archives' {
        It 'restores a filtered range after a wipe with every field of every entry, Ids included (<Kind>)' -ForEach @(
            @{ Kind = 'plain'; Extension = '.jsonl' }
            @{ Kind = 'gzip'; Extension = '.jsonl.gz' }
        ) {
            $prefix = New-RichStore
            $range = @{ Since = $now.AddMinutes(-100); Until = $now.AddMinutes(-20) }
            $expected = @(Get-MonarchLog @c -Prefix $prefix @range -Oldest)
            $expected.Count | Should -BeGreaterThan 40
            $expected.Service | Should -Contain "edge`u{202E}"
            $path = New-FilePath $Extension
            (Export-MonarchLog @c -Prefix $prefix @range -Path $path).Entries | Should -Be $expected.Count
            Clear-Store $prefix

            $summary = Import-MonarchLog @c -Prefix $prefix -Path $path
            $summary | Should -BeOfType ([MonarchLogs.Cmdlets.ImportSummary])
            $summary.Read | Should -Be $expected.Count
            $summary.Imported | Should -Be $expected.Count
            $summary.Skipped | Should -Be 0
            $summary.Failed | Should -Be 0
            $summary.Displaced | Should -Be 0
            $summary.From | Should -Be $expected[0].Timestamp
            $summary.To | Should -Be $expected[-1].Timestamp
            $actual = @(Get-MonarchLog @c -Prefix $prefix -Oldest)
            Compare-MonarchEntry -Expected $expected -Actual $actual -Exclude @() | Should -BeNullOrEmpty
            Invoke-MonarchTestCli -Server $server GET "${prefix}:format" | Should -Be '2'
        }

        It 'does not double the store when a file is imported twice, and keeps an entry a file holds twice' {
            $prefix = New-RichStore
            $path = New-FilePath '.jsonl.gz'
            $null = Export-MonarchLog @c -Prefix $prefix -Path $path
            $expected = @(Get-MonarchLog @c -Prefix $prefix -Oldest)
            $again = Import-MonarchLog @c -Prefix $prefix -Path $path
            $again.Read | Should -Be $expected.Count
            $again.Skipped | Should -Be $expected.Count
            $again.Imported | Should -Be 0
            @(Get-MonarchLog @c -Prefix $prefix -Oldest).Count | Should -Be $expected.Count

            # A file that holds one entry twice stores it twice, once: the second import skips both.
            $target = New-Prefix
            $doubled = New-FilePath
            $null = Export-MonarchLog @c -Prefix $prefix -Service orders -Level error -Path $doubled -Force
            $lines = @(Get-Content -LiteralPath $doubled)
            Set-Content -LiteralPath $doubled -Value (@($lines) + $lines[1]) -Encoding utf8NoBOM
            $first = Import-MonarchLog @c -Prefix $target -Path $doubled
            $first.Imported | Should -Be $lines.Count
            $second = Import-MonarchLog @c -Prefix $target -Path $doubled
            $second.Imported | Should -Be 0
            $second.Skipped | Should -Be $lines.Count
            @(Get-MonarchLog @c -Prefix $target).Count | Should -Be $lines.Count
        }

        It 'puts a restore at its entries'' time, and says how many entries went in late into a partition that holds later ones (Displaced)' {
            $day = $now.Date.AddDays(-3)
            $lines = foreach ($i in 0..299) {
                $ts = $day.AddMinutes($i).ToString('yyyy-MM-ddTHH:mm:ss.fffffffZ', [Globalization.CultureInfo]::InvariantCulture)
                "{`"ts`":`"$ts`",`"level`":`"information`",`"service`":`"restore`",`"message`":`"m$i`"}"
            }
            $path = New-FilePath
            Set-Content -LiteralPath $path -Value $lines
            $prefix = New-Prefix
            $stream = "${prefix}:stream:restore:information"
            $summary = Import-MonarchLog @c -Prefix $prefix -Path $path -WarningVariable warned
            ($summary.Imported, $summary.Displaced) | Should -Be @(300, 0)
            $warned | Should -BeNullOrEmpty
            Invoke-MonarchTestCli -Server $server ZCARD "${prefix}:late:{$stream}" | Should -Be 0
            $top = Invoke-MonarchTestCli -Server $server XREVRANGE $stream + - COUNT 1
            [long]($top[0] -split '-')[0] | Should -BeLessThan ([DateTimeOffset]$day.AddDays(1)).ToUnixTimeMilliseconds()

            # A partition whose stream holds a block of now: the restore's blocks go in late.
            $later = New-Prefix
            $laterStream = "${later}:stream:restore:information"
            $ms = ([DateTimeOffset]$now).ToUnixTimeMilliseconds()
            $t = $ms * 10000
            Invoke-MonarchTestCli -Server $server XADD $laterStream "$ms-*" n 1 t0 $t t1 ($t + 9999) codec jsonl data "{`"ts`":`"$($now.ToString('o'))`",`"message`":`"now`"}" | Out-Null
            Invoke-MonarchTestCli -Server $server HSET "${later}:partitions" $laterStream 'information:restore' | Out-Null
            $summary = Import-MonarchLog @c -Prefix $later -Path $path -WarningVariable warned -WarningAction SilentlyContinue
            ($summary.Imported, $summary.Displaced) | Should -Be @(300, 300)
            $warned | Should -Match '^300 entries of .* went in at the time of this import'
            Invoke-MonarchTestCli -Server $server ZCARD "${later}:late:{$laterStream}" | Should -BeGreaterThan 0
            @(Get-MonarchLog @c -Prefix $later -Since $day -Until $day.AddDays(1) -Oldest).Message | Should -Be @(0..299 | ForEach-Object { "m$_" })
        }

        It 'imports the rest of a file whose first part is there, skipping that part' {
            $prefix = New-RichStore
            $all = New-FilePath
            $null = Export-MonarchLog @c -Prefix $prefix -Path $all
            $expected = @(Get-MonarchLog @c -Prefix $prefix -Oldest)
            $lines = @(Get-Content -LiteralPath $all)
            $firstPart = New-FilePath
            Set-Content -LiteralPath $firstPart -Value $lines[0..25] -Encoding utf8NoBOM
            Clear-Store $prefix
            (Import-MonarchLog @c -Prefix $prefix -Path $firstPart).Imported | Should -Be 25
            $rest = Import-MonarchLog @c -Prefix $prefix -Path $all
            $rest.Skipped | Should -Be 25
            $rest.Imported | Should -Be ($expected.Count - 25)
            Compare-MonarchEntry -Expected $expected -Actual @(Get-MonarchLog @c -Prefix $prefix -Oldest) -Exclude @() | Should -BeNullOrEmpty
        }

        It 'refuses a store of format 1 at once (StoreNeedsUpgrade), reading and writing nothing' {
            $prefix = New-Prefix
            Write-MonarchLog @c -Prefix $prefix -Service late -Message 'old 1' -Timestamp $now.AddHours(-2)
            $path = New-FilePath
            $null = Export-MonarchLog @c -Prefix $prefix -Path $path
            # A store an older version wrote.
            $target = "import-old$($script:storeNumber):logs"
            Write-MonarchTestEntry -Server $server -Prefix $target -Entry @([pscustomobject]@{ Timestamp = $now; Level = 'information'; Service = 'late'; Message = 'newer' })
            $thrown = { Import-MonarchLog @c -Prefix $target -Path $path } | Should -Throw -ErrorId 'StoreNeedsUpgrade,MonarchLogs.Cmdlets.ImportMonarchLogCommand' -PassThru
            $thrown.Exception.Message | Should -BeExactly "The store '$target' is storage format 1; this version writes format 2 only. Run Update-MonarchLogStore to upgrade it."
            (Get-MonarchLog @c -Prefix $target).Message | Should -Be @('newer')
            Invoke-MonarchTestCli -Server $server GET "${target}:format" | Should -Be '1'
        }

        It 'refuses a file of another archive version (UnsupportedArchive) and goes on with the next file' {
            $prefix = New-Prefix
            $future = New-FilePath
            Set-Content -LiteralPath $future -Encoding utf8NoBOM -Value @(
                '{"archive":"MonarchLogs","version":2,"storageFormat":"1","exported":"2026-01-01T00:00:00.0000000Z","kind":"export","filter":{}}'
                '{"ts":"2026-01-01T00:00:00.0000000Z","level":"error","service":"s","message":"m"}')
            $good = New-FilePath
            Set-Content -LiteralPath $good -Encoding utf8NoBOM -Value '{"ts":"2026-01-01T00:00:00.0000000Z","level":"error","service":"s","message":"hand-written"}'
            $summaries = @(Import-MonarchLog @c -Prefix $prefix -Path $future, $good -ErrorVariable bad -ErrorAction SilentlyContinue)
            @($bad.FullyQualifiedErrorId) | Should -Be @('UnsupportedArchive,MonarchLogs.Cmdlets.ImportMonarchLogCommand')
            $bad[0].TargetObject | Should -BeExactly $future
            $summaries.Count | Should -Be 1
            (Get-MonarchLog @c -Prefix $prefix).Message | Should -BeExactly 'hand-written'
        }
    }

    Context 'JSON console logs' {
        BeforeAll {
            # The console capture with broken lines mixed in; each broken line's number is known.
            $script:console = New-FilePath '.log'
            $good = @(Get-Content -LiteralPath (Join-Path $data 'demo-console.jsonl'))
            $broken = @{
                3  = 'Unhandled exception. System.InvalidOperationException: printed by hand'
                10 = '{"Timestamp":"2026-11-29T22:58:29.400Z","EventId":0,"LogLevel":"Loud","Category":"C","Message":"bad level"}'
                20 = '{"EventId":0,"LogLevel":"Information","Category":"C","Message":"no time"}'
                30 = '{"Timestamp":"2026-11-29T22:58:29.400Z","EventId":0,"LogLevel":"Information","Category":"C","Message":"cut in the mid'
                40 = '[1,2,3]'
            }
            $lines = [System.Collections.Generic.List[string]]::new()
            $g = 0
            for ($n = 1; $g -lt $good.Count -or $broken.Contains($n); $n++) {
                if ($broken.Contains($n)) { $lines.Add($broken[$n]) } else { $lines.Add($good[$g++]) }
            }
            $lines.Add('{"Timestamp":"2026-11-29T22:58:29.400Z","LogLevel":"Error","Category":"C","Message":"the last line, without a line feed')
            [System.IO.File]::WriteAllText($console, ($lines -join "`n"))
            $script:brokenLines = @($broken.Keys | Sort-Object) + $lines.Count
            $script:goodCount = $good.Count
        }

        It 'imports the good lines and names file and line of each broken one (InvalidImportLine)' {
            $prefix = New-Prefix
            $summary = Import-MonarchLog @c -Prefix $prefix -Path $console -Service monarch -ServicePropertyName Service -ErrorVariable bad -ErrorAction SilentlyContinue
            $summary.Read | Should -Be ($goodCount + $brokenLines.Count)
            $summary.Imported | Should -Be $goodCount
            $summary.Failed | Should -Be $brokenLines.Count
            @($bad.FullyQualifiedErrorId | Select-Object -Unique) | Should -Be @('InvalidImportLine,MonarchLogs.Cmdlets.ImportMonarchLogCommand')
            @($bad.TargetObject) | Should -Be @($brokenLines | ForEach-Object { "${console}:$_" })
            foreach ($record in $bad) {
                $record.Exception.Message | Should -Match "^$([regex]::Escape($console)):\d+: .+; the line is not imported\.$"
                $record.ToString() | Should -Not -Match '[\r\n]'
            }
            $bad[2].Exception.Message | Should -Match 'no "Timestamp".*-DefaultTimestamp'
            @(Get-MonarchLog @c -Prefix $prefix).Count | Should -Be $goodCount
        }

        It 'stores each line as the entry the logging provider stored for the same call' {
            $prefix = New-Prefix
            $null = Import-MonarchLog @c -Prefix $prefix -Path (Join-Path $data 'demo-console.jsonl') -Service monarch -ServicePropertyName Service
            $provider = New-Prefix
            $null = Import-MonarchLog @c -Prefix $provider -Path (Join-Path $data 'demo-store.jsonl')
            $stored = @(Get-MonarchLog @c -Prefix $provider)
            $imported = @(Get-MonarchLog @c -Prefix $prefix -Oldest)
            $imported.Count | Should -Be $goodCount
            @($imported.Service | Sort-Object -Unique) | Should -Be @('billing', 'gateway', 'inventory', 'monarch', 'orders')
            @($imported | Where-Object Properties -Match '"Scope":\["Customer ').Count | Should -BeGreaterThan 10
            @($imported | Where-Object TraceId).Count | Should -BeGreaterThan 10
            foreach ($entry in $imported) {
                $twin = @($stored | Where-Object { $_.Message -ceq $entry.Message -and $_.Category -ceq $entry.Category -and $_.Service -ceq $entry.Service -and $_.Level -eq $entry.Level })
                $twin.Count | Should -Be 1 -Because "the provider stored '$($entry.Message)' once"
                Compare-MonarchEntry -Expected $twin -Actual @($entry) -Exclude Id, Host, Timestamp, EventName | Should -BeNullOrEmpty
                [math]::Abs(($twin[0].Timestamp - $entry.Timestamp).TotalMilliseconds) | Should -BeLessThan 100 -Because 'the console logger takes its time when it formats the line'
                $entry.Host | Should -BeExactly '' -Because 'a console line does not say where it was written'
            }
        }

        It 'gives lines without Timestamp the -DefaultTimestamp, and imports a console file only once' {
            $prefix = New-Prefix
            $path = New-FilePath
            Set-Content -LiteralPath $path -Encoding utf8NoBOM -Value @(
                '{"EventId":3,"LogLevel":"Warning","Category":"Job","Message":"disk at 91%","State":{"Message":"disk at 91%","Percent":91,"{OriginalFormat}":"disk at {Percent}%"}}'
                '{"EventId":4,"LogLevel":"Error","Category":"Job","Message":"failed","Exception":"System.IO.IOException: disk full\n   at Job.Run()"}')
            $at = [datetime]::new(2026, 5, 1, 3, 0, 0, [DateTimeKind]::Utc)
            $summary = Import-MonarchLog @c -Prefix $prefix -Path $path -Service nightly -DefaultTimestamp $at
            $summary.Imported | Should -Be 2
            $entries = @(Get-MonarchLog @c -Prefix $prefix -Level Warning) + @(Get-MonarchLog @c -Prefix $prefix -Level Error)
            $entries.Timestamp | Should -Be @($at, $at)
            $entries[0].Template | Should -BeExactly 'disk at {Percent}%'
            [string] $entries[0].Properties | Should -BeExactly '{"Percent":91}'
            $entries[1].ExceptionType | Should -BeExactly 'System.IO.IOException'
            $entries[1].ExceptionMessage | Should -BeExactly 'disk full'
            $entries[1].Exception | Should -BeExactly "System.IO.IOException: disk full`n   at Job.Run()"
            (Import-MonarchLog @c -Prefix $prefix -Path $path -Service nightly -DefaultTimestamp $at).Skipped | Should -Be 2
            @(Get-MonarchLog @c -Prefix $prefix).Count | Should -Be 2
        }

        It 'needs a service for console lines: without -Service each line is an InvalidImportLine' {
            $prefix = New-Prefix
            $summary = Import-MonarchLog @c -Prefix $prefix -Path (Join-Path $data 'demo-console.jsonl') -ErrorVariable bad -ErrorAction SilentlyContinue
            $summary.Imported | Should -Be 0
            $summary.Failed | Should -Be $goodCount
            $bad[0].Exception.Message | Should -Match 'names no service; give one with -Service'
        }
    }

    Context 'Files' {
        It 'takes files from Get-ChildItem and reports one that does not exist' {
            $prefix = New-Prefix
            $folder = Join-Path $TestDrive ([guid]::NewGuid().ToString('N'))
            $null = New-Item -ItemType Directory $folder
            foreach ($i in 1..2) {
                Set-Content -LiteralPath (Join-Path $folder "part$i.jsonl") -Encoding utf8NoBOM -Value "{`"ts`":`"2026-01-0${i}T00:00:00.0000000Z`",`"level`":`"information`",`"service`":`"s`",`"message`":`"part $i`"}"
            }
            $summaries = @(Get-ChildItem $folder | Import-MonarchLog @c -Prefix $prefix)
            $summaries.Imported | Should -Be @(1, 1)
            @(Get-MonarchLog @c -Prefix $prefix -Oldest).Message | Should -Be @('part 1', 'part 2')
            Import-MonarchLog @c -Prefix $prefix -LiteralPath (Join-Path $folder 'missing.jsonl') -ErrorVariable bad -ErrorAction SilentlyContinue
            @($bad.FullyQualifiedErrorId) | Should -Be @('ImportFileNotFound,MonarchLogs.Cmdlets.ImportMonarchLogCommand')
        }

        It 'imports nothing of a gzip file whose data is damaged (InvalidImportFile), and the part of one cut short up to its last whole line' {
            $prefix = New-RichStore
            $path = New-FilePath '.jsonl.gz'
            $null = Export-MonarchLog @c -Prefix $prefix -Path $path
            $bytes = [System.IO.File]::ReadAllBytes($path)
            $damaged = New-FilePath '.jsonl.gz'
            $spoiled = [byte[]] $bytes.Clone()
            for ($i = [int]($bytes.Length / 2); $i -lt [int]($bytes.Length / 2) + 64; $i++) { $spoiled[$i] = $spoiled[$i] -bxor 0x5A }
            [System.IO.File]::WriteAllBytes($damaged, $spoiled)
            $target = New-Prefix
            $summary = Import-MonarchLog @c -Prefix $target -Path $damaged -ErrorVariable bad -ErrorAction SilentlyContinue
            @($bad.FullyQualifiedErrorId) | Should -Be @('InvalidImportFile,MonarchLogs.Cmdlets.ImportMonarchLogCommand')
            $bad[0].Exception.Message | Should -Match "^'.*' is damaged, so none of it was imported: "
            $summary | Should -BeNullOrEmpty
            Invoke-MonarchTestCli -Server $server EXISTS "${target}:partitions" | Should -Be 0

            # Cut short: gzip cannot tell, the lines up to the cut are whole and imported, the cut one is an error.
            $cut = New-FilePath '.jsonl.gz'
            [System.IO.File]::WriteAllBytes($cut, $bytes[0..($bytes.Length - 200)])
            $gzip = [System.IO.Compression.GZipStream]::new([System.IO.File]::OpenRead($cut), [System.IO.Compression.CompressionMode]::Decompress)
            try { $text = [System.IO.StreamReader]::new($gzip).ReadToEnd() } finally { $gzip.Dispose() }
            $lines = @($text.Split("`n") | Where-Object { $_ })
            $summary = Import-MonarchLog @c -Prefix $target -Path $cut -ErrorVariable bad -ErrorAction SilentlyContinue
            $summary.Imported | Should -BeGreaterThan 0
            $summary.Imported + $summary.Failed | Should -Be ($lines.Count - 1)
            $summary.Failed | Should -BeLessOrEqual 1 -Because 'only the cut line can be broken'
            @($bad | Where-Object FullyQualifiedErrorId -ne 'InvalidImportLine,MonarchLogs.Cmdlets.ImportMonarchLogCommand') | Should -BeNullOrEmpty
            $original = @{}
            Get-MonarchLog @c -Prefix $prefix | ForEach-Object { $original[$_.Id] = $_ }
            foreach ($entry in @(Get-MonarchLog @c -Prefix $target)) {
                Compare-MonarchEntry -Expected @($original[$entry.Id]) -Actual @($entry) -Exclude @() | Should -BeNullOrEmpty
            }
        }

        It '-WhatIf reads no file and writes nothing' {
            $prefix = New-Prefix
            $path = New-FilePath
            Set-Content -LiteralPath $path -Encoding utf8NoBOM -Value '{"ts":"2026-01-01T00:00:00.0000000Z","level":"error","service":"s","message":"m"}'
            Import-MonarchLog @c -Prefix $prefix -Path $path -WhatIf | Should -BeNullOrEmpty
            Invoke-MonarchTestCli -Server $server EXISTS "${prefix}:stream:s:error" | Should -Be 0
        }
    }
}
