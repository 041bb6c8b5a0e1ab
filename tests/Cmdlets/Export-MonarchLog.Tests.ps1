#Requires -Version 7.4
# Export-MonarchLog against a real valkey-server: the file is read back as plain JSON Lines, not
# through the module, so a wrong file fails here even if Import-MonarchLog read it. Round trips
# through Import-MonarchLog are in Import-MonarchLog.Tests.ps1.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs') -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force

    $script:server = Start-MonarchTestServer
    $script:c = @{ ConnectionString = $server.ConnectionString }
    $script:now = [datetime]::UtcNow
    $script:data = @(New-MonarchKnownDataSet -Now $now)
    Write-MonarchTestEntry -Server $server -Entry $data
    $script:fileNumber = 0
    function script:New-ExportPath([string] $Extension = '.jsonl') { $script:fileNumber++; Join-Path $TestDrive "export$($script:fileNumber)$Extension" }

    # One line as an ordered hashtable of its raw JSON values: strings exactly as written (ConvertFrom-Json would turn times into DateTimes).
    function script:Read-JsonLine([string] $Line) {
        $document = [System.Text.Json.JsonDocument]::Parse($Line)
        try {
            $values = [ordered]@{}
            foreach ($property in $document.RootElement.EnumerateObject()) {
                $values[$property.Name] = switch ($property.Value.ValueKind) {
                    'String' { $property.Value.GetString() }
                    'Number' { $property.Value.GetInt64() }
                    default { $property.Value.GetRawText() }
                }
            }
            $values
        }
        finally { $document.Dispose() }
    }

    # The lines of a file, decompressed when it is gzip, read without the module.
    function script:Read-Lines([string] $Path) {
        $stream = [System.IO.File]::OpenRead($Path)
        try {
            if ($Path.EndsWith('.gz')) { $stream = [System.IO.Compression.GZipStream]::new($stream, [System.IO.Compression.CompressionMode]::Decompress) }
            $reader = [System.IO.StreamReader]::new($stream, [System.Text.UTF8Encoding]::new($false))
            $text = $reader.ReadToEnd()
        }
        finally { $stream.Dispose() }
        $text.EndsWith("`n") | Should -BeTrue -Because 'every line, the last included, ends with a line feed'
        @($text.Substring(0, $text.Length - 1).Split("`n"))
    }
}

AfterAll {
    Remove-MonarchTestServer -Server $server
}

Describe 'Export-MonarchLog' {
    Context 'The file' {
        BeforeAll {
            $script:path = New-ExportPath
            $script:since = $now.AddMinutes(-90)
            $script:summary = Export-MonarchLog @c -Path $path -Since $since -MinimumLevel Warning -Service orders, billing
            $script:lines = @(Read-Lines $path)
            $script:expected = @($data | Where-Object { $_.Timestamp -ge $since -and $_.Level -in 'warning', 'error', 'critical' -and $_.Service -in 'orders', 'billing' } | Sort-Object Timestamp)
        }

        It 'starts with a header: marker, versions, export time and the filter used' {
            $header = Read-JsonLine $lines[0]
            $header.archive | Should -BeExactly 'MonarchLogs'
            $header.version | Should -Be 1
            $header.storageFormat | Should -BeExactly '1'
            $header.kind | Should -BeExactly 'export'
            $header.exported | Should -Match '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$'
            [datetime]::Parse($header.exported, [cultureinfo]::InvariantCulture, 'RoundtripKind') | Should -BeGreaterThan $now.AddMinutes(-5)
            $header.filter | Should -BeExactly ('{"since":"' + $since.ToString('o') + '","minimumLevel":"warning","services":["orders","billing"]}')
        }

        It 'holds exactly the entries the filter selects, oldest first' {
            $expected.Count | Should -BeGreaterThan 3 -Because 'the test needs entries to compare'
            $lines.Count | Should -Be ($expected.Count + 1)
            $entries = @($lines | Select-Object -Skip 1 | ConvertFrom-Json)
            ($entries.eventId -join ',') | Should -BeExactly (($expected.EventId) -join ',')
        }

        It 'keeps every field of every entry, the exact event time and the entry Id' {
            $stored = @(Get-MonarchLog @c -Since $since -MinimumLevel Warning -Service orders, billing -Oldest)
            $entries = @($lines | Select-Object -Skip 1 | ForEach-Object { Read-JsonLine $_ })
            for ($i = 0; $i -lt $stored.Count; $i++) {
                $line = $entries[$i]
                @($line.Keys) | Should -Be @('id', 'ts', 'level', 'service', 'category', 'message', 'template', 'eventId', 'eventName', 'exType', 'exMessage', 'exStack', 'traceId', 'spanId', 'host', 'props')
                $line.id | Should -BeExactly $stored[$i].Id
                $line.ts | Should -BeExactly $stored[$i].Timestamp.ToString('o')
                $line.ts | Should -Match '^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$'
                $line.level | Should -BeExactly ([string] $stored[$i].Level).ToLowerInvariant()
                $line.service | Should -BeExactly $stored[$i].Service
                $line.category | Should -BeExactly $stored[$i].Category
                $line.message | Should -BeExactly $stored[$i].Message
                $line.eventId | Should -Be $stored[$i].EventId
                $line.exType | Should -BeExactly $stored[$i].ExceptionType
                $line.exStack | Should -BeExactly $stored[$i].Exception
                $line.host | Should -BeExactly 'pester-host'
                $line.props | Should -BeExactly ([string] $stored[$i].Properties)
            }
        }

        It 'writes a summary: path, entries, bytes, first and last event time, last Id' {
            $summary | Should -BeOfType ([MonarchLogs.Cmdlets.ExportSummary])
            $summary.Path | Should -BeExactly $path
            $summary.Entries | Should -Be $expected.Count
            $summary.Bytes | Should -Be (Get-Item $path).Length
            $summary.From | Should -Be $expected[0].Timestamp
            $summary.To | Should -Be $expected[-1].Timestamp
            $summary.LastId | Should -BeExactly (($lines[-1] | ConvertFrom-Json).id)
        }
    }

    Context 'Compression and files' {
        It 'gzips a .gz file, with the same lines as a plain export' {
            $plain = New-ExportPath
            $zipped = New-ExportPath '.jsonl.gz'
            $null = Export-MonarchLog @c -Path $plain
            $null = Export-MonarchLog @c -Path $zipped
            $bytes = [System.IO.File]::ReadAllBytes($zipped)
            $bytes[0] | Should -Be 0x1f
            $bytes[1] | Should -Be 0x8b
            $bytes.Length | Should -BeLessThan (Get-Item $plain).Length
            $a = @(Read-Lines $plain); $b = @(Read-Lines $zipped)
            $b.Count | Should -Be 61
            ($b | Select-Object -Skip 1) -join "`n" | Should -BeExactly (($a | Select-Object -Skip 1) -join "`n")
        }

        It 'refuses to overwrite a file without -Force (ExportFileExists), and overwrites it with -Force' {
            $path = New-ExportPath
            Set-Content -LiteralPath $path -Value 'keep me'
            { Export-MonarchLog @c -Path $path } | Should -Throw -ErrorId 'ExportFileExists,MonarchLogs.Cmdlets.ExportMonarchLogCommand'
            Get-Content -LiteralPath $path | Should -Be 'keep me'
            (Export-MonarchLog @c -Path $path -Force).Entries | Should -Be 60
            @(Read-Lines $path).Count | Should -Be 61
        }

        It '-WhatIf writes no file' {
            $path = New-ExportPath
            Export-MonarchLog @c -Path $path -WhatIf | Should -BeNullOrEmpty
            $path | Should -Not -Exist
        }

        It '-After the last Id exports only what came since' {
            $path = New-ExportPath
            $first = Export-MonarchLog @c -Path $path -Service web-api
            $prefixData = @($data | Where-Object Service -eq 'web-api')
            $first.Entries | Should -Be $prefixData.Count
            $again = Export-MonarchLog @c -Path (New-ExportPath) -Service web-api -After $first.LastId
            $again.Entries | Should -Be 0
            $again.LastId | Should -BeNullOrEmpty
        }

        It 'reports a partition it cannot read, one error, and exports the others' {
            $prefix = 'broken:logs'
            Write-MonarchTestEntry -Server $server -Prefix $prefix -Entry @(
                [pscustomobject]@{ Timestamp = $now.AddMinutes(-1); Level = 'error'; Service = 'fine'; Message = 'kept' })
            Invoke-MonarchTestCli -Server $server HSET "${prefix}:partitions" "${prefix}:stream:bad:error" 'error:bad' | Out-Null
            Invoke-MonarchTestCli -Server $server SET "${prefix}:stream:bad:error" 'not a stream' | Out-Null
            $path = New-ExportPath
            $summary = Export-MonarchLog @c -Prefix $prefix -Path $path -ErrorVariable bad -ErrorAction SilentlyContinue
            @($bad.FullyQualifiedErrorId) | Should -Be @('PartitionWrongType,MonarchLogs.Cmdlets.ExportMonarchLogCommand')
            $summary.Entries | Should -Be 1
            (@(Read-Lines $path)[1] | ConvertFrom-Json).message | Should -BeExactly 'kept'
        }
    }

    Context 'A large export' {
        BeforeAll {
            $script:bigPrefix = 'big:logs'
            Add-MonarchTestBulkEntry -Server $server -Prefix $bigPrefix -Count 200000 -StartTime $now.AddHours(-3)
            function script:Start-Export([string] $Path) {
                $ps = [powershell]::Create()
                $null = $ps.AddCommand('Import-Module').AddArgument((Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs')).AddStatement()
                $null = $ps.AddCommand('Export-MonarchLog').AddParameter('ConnectionString', $server.ConnectionString).AddParameter('Prefix', $bigPrefix).AddParameter('Path', $Path)
                [pscustomobject]@{ PowerShell = $ps; Handle = $ps.BeginInvoke() }
            }
        }

        It 'writes progress with the entries and bytes written' {
            $export = Start-Export (New-ExportPath '.jsonl.gz')
            try {
                $summary = $export.PowerShell.EndInvoke($export.Handle)
                $summary.Entries | Should -Be 200000
                $progress = @($export.PowerShell.Streams.Progress | Where-Object { $_.RecordType -eq 'Processing' -and $_.StatusDescription -match '^[\d,]+ entries, ' })
                $progress.Count | Should -BeGreaterThan 0 -Because 'an export of some seconds shows its progress'
                $progress[-1].StatusDescription | Should -Match 'entries, [\d.]+ (bytes|KB|MB) written to export\d+\.jsonl\.gz$'
                @($export.PowerShell.Streams.Progress | Where-Object RecordType -eq 'Completed').Count | Should -Be 1
            }
            finally { $export.PowerShell.Dispose() }
        }

        It 'Ctrl+C leaves a <Kind> file of whole lines, the oldest entries in order, and says how many' -ForEach @(
            @{ Kind = 'plain'; Extension = '.jsonl' }
            @{ Kind = 'gzip'; Extension = '.jsonl.gz' }
        ) {
            $path = New-ExportPath $Extension
            $export = Start-Export $path
            try {
                $deadline = [datetime]::UtcNow.AddSeconds(30)
                while (-not (Test-Path $path) -or (Get-Item $path).Length -lt 20000) {
                    if ([datetime]::UtcNow -gt $deadline) { throw 'the export did not start' }
                    Start-Sleep -Milliseconds 20
                }
                $export.PowerShell.Stop()
                $export.Handle.AsyncWaitHandle.WaitOne(10000) | Should -BeTrue -Because 'a stopped export ends at once'
                $warning = @($export.PowerShell.Streams.Warning)
                $warning.Count | Should -Be 1
                $warning[0].Message | Should -Match "^The export stopped: '.*$([regex]::Escape((Split-Path $path -Leaf)))' holds the first (\d+) entries, up to .* and ends at a whole line\.$"
                $held = [long] ([regex]::Match($warning[0].Message, 'holds the first (\d+) entries').Groups[1].Value)
                $held | Should -BeGreaterThan 0
                $held | Should -BeLessThan 200000 -Because 'the export was stopped before its end'
                $lines = @(Read-Lines $path)
                $lines.Count | Should -Be ($held + 1)
                $messages = $lines | Select-Object -Skip 1 | ForEach-Object { ($_ | ConvertFrom-Json).message }
                ($messages -join ',') | Should -BeExactly ((0..($held - 1) | ForEach-Object { "bulk $_" }) -join ',')
            }
            finally { $export.PowerShell.Dispose() }
        }
    }
}
