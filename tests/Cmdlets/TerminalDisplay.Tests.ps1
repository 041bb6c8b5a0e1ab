#Requires -Version 7.4
# Log text must not drive the operator's terminal. Entries whose message, category, exception
# and service hold escape sequences, BEL, NUL, lone CR, forged lines, a C1 CSI and bidi overrides
# are written to a real valkey-server; every view of them (the default table, Format-Table,
# Format-List, Watch-MonarchLog, the other cmdlets' views, errors, verbose lines, completion)
# must show those characters as PowerShell-style tokens (`e, `a, `0, `r, `n, `u{202E}), and the
# objects (.Message, Export-Csv, ConvertTo-Json) must keep the exact text.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs') -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force

    # What a redirected run (a scheduled task, CI) renders. PowerShell itself then removes colour
    # (SGR) sequences and OSC 8 links from strings, but not the others (clear screen, window
    # title, BEL, NUL, C1, bidi), so each test looks both for raw characters and for the tokens.
    $script:rendering = $PSStyle.OutputRendering
    $PSStyle.OutputRendering = 'PlainText'

    $script:server = Start-MonarchTestServer
    $script:c = @{ ConnectionString = $server.ConnectionString }

    $e = [char] 0x1B
    # The store refuses control characters in service names (docs/storage-format.md), not bidi controls.
    $script:service = "pay`u{202E}lanoitan`u{202C}-api"
    $script:category = "Monarch.${e}[31mRed${e}[0m.Sub`u{9B}2J`tTabbed"
    $script:message = "clear${e}[2J scrollback${e}[3J title${e}]0;pwned`a link${e}]8;;https://evil.example/${e}\click${e}]8;;${e}\ " +
        "bell`a nul`0 lone-cr`rover crlf`r`nLevel            : Critical forged`n" +
        "c1-csi`u{9B}2J del`u{7F} rlo`u{202E}txet`u{202C} isolate`u{2066}x`u{2069} List``1"
    $script:exception = "System.InvalidOperationException: boom${e}[2J`r`n   at Monarch.Evil()`u{200F}`n   at x${e}]0;t`a"
    $script:now = [datetime]::UtcNow
    Write-MonarchTestEntry -Server $server -Entry @(
        [pscustomobject]@{ Timestamp = $now.AddMinutes(-2); Level = 'error'; Service = $service; Category = $category
            Message = $message; ExceptionType = 'System.InvalidOperationException'; Exception = $exception; Properties = '{"K":1}' }
        [pscustomobject]@{ Timestamp = $now.AddMinutes(-1); Level = 'information'; Service = $service; Category = 'Plain'
            Message = 'plain text'; Properties = '' }
    )

    # An old entry for the retention test's verbose line.
    Write-MonarchTestEntry -Server $server -Prefix 'old:logs' -Entry @(
        [pscustomobject]@{ Timestamp = $now.AddDays(-40); Level = 'warning'; Service = $service; Message = 'old' }
    )

    # Tokens each text view must show, one for every kind of character in the data.
    $script:messageTokens = '`e[2J', '`e[3J', '`e]0;pwned`a', '`e]8;;https://evil.example/`e\click', 'bell`a', 'nul`0',
        'lone-cr`rover', 'crlf`r`nLevel            : Critical forged`n', 'c1-csi`u{9B}2J', 'del`u{7F}',
        'rlo`u{202E}txet`u{202C}', 'isolate`u{2066}x`u{2069}', 'List`1'
    $script:serviceToken = 'pay`u{202E}lanoitan`u{202C}-api'

    # The raw control and bidi characters of a text, as U+XXXX, leaving out the line breaks the
    # view itself writes.
    function script:Get-RawControl([string] $Text) {
        $body = $Text.Replace([Environment]::NewLine, '')
        @([regex]::Matches($body, '[\x00-\x1F\x7F-\x9F\u061C\u200E\u200F\u2028-\u202E\u2066-\u2069]') |
            ForEach-Object { 'U+{0:X4}' -f [int] $_.Value[0] })
    }

    function script:Get-Entry { Get-MonarchLog @c -Level error -First 1 }
}

AfterAll {
    $PSStyle.OutputRendering = $rendering
    Remove-MonarchTestServer -Server $server
}

Describe 'Terminal-safe display of log text' {
    Context 'Views of the entries' {
        # The table's Service column is 16 wide: it shows the start of the escaped name.
        It '<Name> shows no raw control or bidi character, and shows the escaped tokens' -ForEach @(
            @{ Name = 'the default view'; View = { param($entry) $entry | Out-String -Width 4000 }; Service = 'pay`u{202E}' }
            @{ Name = 'Format-Table'; View = { param($entry) $entry | Format-Table | Out-String -Width 4000 }; Service = 'pay`u{202E}' }
            @{ Name = 'Format-List'; View = { param($entry) $entry | Format-List | Out-String -Width 4000 }; Service = $serviceToken }
        ) {
            $text = & $View (Get-Entry)
            Get-RawControl $text | Should -BeNullOrEmpty
            foreach ($token in $messageTokens) { $text | Should -Match ([regex]::Escape($token)) }
            $text | Should -Match ([regex]::Escape($Service))
        }

        It 'the table keeps one line per entry' {
            $lines = @((Get-MonarchLog @c | Out-String -Width 4000) -split [Environment]::NewLine | Where-Object { $_.Trim() })
            $lines.Count | Should -Be 4 -Because 'a header, its underline and two entries'
            $lines[3] | Should -Match 'clear`e\[2J'
        }

        It 'Format-List escapes every text property, and a message cannot forge a line' {
            $text = Get-Entry | Format-List | Out-String -Width 4000
            $text | Should -Not -Match '(?m)^Level\s+: Critical'
            $text | Should -Match '(?m)^Level\s+: Error\s*$'
            $text | Should -Match ([regex]::Escape('Monarch.`e[31mRed`e[0m.Sub`u{9B}2J`tTabbed'))
            $text | Should -Match ([regex]::Escape('boom`e[2J`r`n   at Monarch.Evil()`u{200F}`n   at x`e]0;t`a'))
            $text | Should -Match ('(?m)^Id\s+: \d+-\d+@' + [regex]::Escape($serviceToken) + '/error\s*$')
            foreach ($name in 'Id', 'Timestamp', 'Level', 'Service', 'Category', 'Message', 'Template', 'EventId', 'EventName',
                'ExceptionType', 'ExceptionMessage', 'Exception', 'TraceId', 'SpanId', 'Host', 'Properties') {
                $text | Should -Match "(?m)^$name\s+:"
            }
        }

        It 'Watch-MonarchLog shows the same escaped view' {
            $text = Watch-MonarchLog @c -Service $service -Tail 2 -Count 2 | Out-String -Width 4000
            Get-RawControl $text | Should -BeNullOrEmpty
            foreach ($token in $messageTokens) { $text | Should -Match ([regex]::Escape($token)) }
            $text | Should -Match ([regex]::Escape('pay`u{202E}'))
        }
    }

    Context 'The data keeps the exact text' {
        It '.Message, .Category, .Exception and .Service are the text as written' {
            $entry = Get-Entry
            $entry.Message | Should -BeExactly $message
            $entry.Category | Should -BeExactly $category
            $entry.Exception | Should -BeExactly $exception
            $entry.Service | Should -BeExactly $service
        }

        It 'Export-Csv writes the exact text, and Import-Csv reads it back' {
            $file = Join-Path $TestDrive 'entries.csv'
            Get-Entry | Export-Csv -Path $file
            $row = Import-Csv -Path $file
            $row.Message | Should -BeExactly $message
            $row.Category | Should -BeExactly $category
            $row.Exception | Should -BeExactly $exception
            $row.Service | Should -BeExactly $service
            [System.IO.File]::ReadAllText($file) | Should -Not -Match '`e\['
        }

        It 'ConvertTo-Json writes the exact text' {
            $json = Get-Entry | ConvertTo-Json
            $json | Should -Not -Match '`e\['
            $back = $json | ConvertFrom-Json
            $back.Message | Should -BeExactly $message
            $back.Category | Should -BeExactly $category
            $back.Exception | Should -BeExactly $exception
            $back.Service | Should -BeExactly $service
        }
    }

    Context 'Other views that show the store''s text' {
        It 'Get-MonarchLogService shows the service escaped' {
            $text = Get-MonarchLogService @c | Out-String -Width 4000
            Get-RawControl $text | Should -BeNullOrEmpty
            $text | Should -Match ([regex]::Escape($serviceToken))
            (Get-MonarchLogService @c)[0].Service | Should -BeExactly $service
        }

        It 'Get-MonarchLogStoreStatus shows the partitions escaped' {
            $status = Get-MonarchLogStoreStatus @c
            $text = $status | Out-String -Width 4000
            Get-RawControl $text | Should -BeNullOrEmpty
            $text | Should -Match ('(?m)^Partitions\s+: \{' + [regex]::Escape($serviceToken))
            $text = $status.Partitions | Out-String -Width 4000
            Get-RawControl $text | Should -BeNullOrEmpty
            $text | Should -Match ([regex]::Escape($serviceToken))
        }

        It 'Remove-ExpiredMonarchLog names the partition escaped in its verbose lines' {
            $verbose = @(Remove-ExpiredMonarchLog @c -Prefix 'old:logs' -RetentionDays 30 -Verbose 4>&1 |
                Where-Object { $_ -is [System.Management.Automation.VerboseRecord] } | ForEach-Object Message)
            $removed = @($verbose | Where-Object { $_ -like '*: removed 1 entries*' })
            $removed.Count | Should -Be 1
            Get-RawControl $removed[0] | Should -BeNullOrEmpty
            $removed[0] | Should -Match ('^' + [regex]::Escape("$serviceToken/warning: removed"))
        }

        It 'an error that quotes the store''s text shows it escaped; the exception keeps it exact' {
            $version = "9${e}]0;pwned`a${e}[2J"
            Invoke-MonarchTestCli -Server $server SET 'odd:logs:format' $version | Out-Null
            $failure = { Get-MonarchLog @c -Prefix 'odd:logs' } |
                Should -Throw -ErrorId 'UnsupportedStorageFormat,MonarchLogs.Cmdlets.GetMonarchLogCommand' -PassThru
            $failure.Exception.Message.Contains("version $version;") | Should -BeTrue
            Get-RawControl $failure.ErrorDetails.Message | Should -BeNullOrEmpty
            $failure.ErrorDetails.Message | Should -Match ([regex]::Escape('version 9`e]0;pwned`a`e[2J;'))
            $shown = $failure | Out-String -Width 4000
            Get-RawControl $shown | Should -BeNullOrEmpty
            $shown | Should -Match ([regex]::Escape('9`e]0;pwned`a`e[2J'))
        }

        It 'completion lists the service escaped and completes to a string that names it exactly' {
            $line = "Get-MonarchLog -ConnectionString $($server.ConnectionString) -Service pay"
            $match = @((TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches)
            $match.Count | Should -Be 1
            $match[0].ListItemText | Should -BeExactly $serviceToken
            $match[0].ToolTip | Should -BeExactly $serviceToken
            Get-RawControl $match[0].CompletionText | Should -BeNullOrEmpty
            $match[0].CompletionText | Should -BeExactly ('"' + $serviceToken + '"')
            Invoke-Expression $match[0].CompletionText | Should -BeExactly $service
        }
    }
}
