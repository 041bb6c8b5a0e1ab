#Requires -Version 7.4
# Write-MonarchLog against a real valkey-server: what it stores is read back raw (valkey-cli) and
# through Get-MonarchLog. Each test writes to a store of its own (a prefix).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs') -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force

    $script:server = Start-MonarchTestServer
    $script:c = @{ ConnectionString = $server.ConnectionString }
    $script:storeNumber = 0
    function script:New-Prefix { $script:storeNumber++; "write$($script:storeNumber):logs" }

    # A time at 100 ns precision that no clock gives by chance.
    $script:when = [datetime]::new(2026, 3, 14, 15, 9, 26, [DateTimeKind]::Utc).AddTicks(5358979)

    # The entry "Order 42 is late" the first tests write, as Get-MonarchLog reads it back.
    function script:Assert-OrderLate($entry) {
        $entry.Timestamp.Ticks | Should -Be $when.Ticks
        $entry.Category | Should -BeExactly 'Ops.Orders'
        $entry.Message | Should -BeExactly 'Order 42 is late'
        $entry.Template | Should -BeExactly 'Order {OrderId} is late'
        $entry.EventId | Should -Be 7
        $entry.EventName | Should -BeExactly 'Late'
        $entry.TraceId | Should -BeExactly '0af7651916cd43dd8448eb211c80319c'
        $entry.SpanId | Should -BeExactly 'b7ad6b7169203331'
    }
}

AfterAll {
    Remove-MonarchTestServer -Server $server
}

Describe 'Write-MonarchLog' {
    Context 'One entry' {
        It 'refuses a store of format 1 at once, naming Update-MonarchLogStore, and writes nothing' {
            # A store an older version wrote (format 1): this version writes format 2 only.
            $prefix = New-Prefix
            Write-MonarchTestEntry -Server $server -Prefix $prefix -Entry @([pscustomobject]@{ Timestamp = $when; Level = 'warning'; Service = 'orders'; Message = 'by an older version' })
            $stream = "${prefix}:stream:orders:warning"
            $thrown = { 'one', 'two' | ForEach-Object { [pscustomobject]@{ Service = 'orders'; Level = 'Warning'; Message = $_ } } | Write-MonarchLog @c -Prefix $prefix } |
                Should -Throw -ErrorId 'StoreNeedsUpgrade,MonarchLogs.Cmdlets.WriteMonarchLogCommand' -PassThru
            $thrown.Exception.Message | Should -BeExactly "The store '$prefix' is storage format 1; this version writes format 2 only. Run Update-MonarchLogStore to upgrade it."
            $thrown.CategoryInfo.Category | Should -Be 'InvalidData'
            Invoke-MonarchTestCli -Server $server XLEN $stream | Should -Be 1
            Invoke-MonarchTestCli -Server $server EXISTS "${prefix}:head:{$stream}" | Should -Be 0
            Invoke-MonarchTestCli -Server $server GET "${prefix}:format" | Should -Be '1'

            # Upgraded, the store takes the session's next write at once.
            $null = Update-MonarchLogStore @c -Prefix $prefix -Confirm:$false -ProgressAction SilentlyContinue
            Write-MonarchLog @c -Prefix $prefix -Service orders -Level Warning -Message 'after the upgrade' -ErrorAction Stop
            (Get-MonarchLog @c -Prefix $prefix -Oldest).Message | Should -Be @('by an older version', 'after the upgrade')
        }

        It 'marks a new store version 2 and puts a single entry into the head, every field read back' {
            $prefix = New-Prefix
            Write-MonarchLog @c -Prefix $prefix -Service orders -Level Warning -Category Ops.Orders -Message 'Order 42 is late' `
                -Template 'Order {OrderId} is late' -EventId 7 -EventName Late -TraceId 0af7651916cd43dd8448eb211c80319c -SpanId b7ad6b7169203331 `
                -Timestamp $when -Properties ([ordered]@{ OrderId = 42; Tags = @('a', 'b'); Nested = [ordered]@{ X = 1.5; Ok = $true; None = $null } })
            Invoke-MonarchTestCli -Server $server GET "${prefix}:format" | Should -Be '2'
            $stream = "${prefix}:stream:orders:warning"
            Invoke-MonarchTestCli -Server $server XLEN "${prefix}:head:{$stream}" | Should -Be 1 -Because 'a batch of one entry is one head block'
            Invoke-MonarchTestCli -Server $server HGET "${prefix}:partitions" $stream | Should -Be 'warning:orders'

            $entry = Get-MonarchLog @c -Prefix $prefix
            Assert-OrderLate $entry
            $entry.Id | Should -BeLike "$([DateTimeOffset]::new($when).ToUnixTimeMilliseconds())-*@orders/warning"
            $entry.Host | Should -BeExactly ([Environment]::MachineName)
            [string] $entry.Properties | Should -BeExactly '{"OrderId":42,"Tags":["a","b"],"Nested":{"X":1.5,"Ok":true,"None":null}}'
        }

        It 'defaults to Information, now, and no category or properties' {
            $prefix = New-Prefix
            $before = [datetime]::UtcNow
            Write-MonarchLog @c -Prefix $prefix -Service jobs 'Nightly job done'
            $entry = Get-MonarchLog @c -Prefix $prefix
            $entry.Level | Should -Be ([MonarchLogs.Core.MonarchLogLevel]::Information)
            $entry.Message | Should -BeExactly 'Nightly job done'
            $entry.Timestamp | Should -BeGreaterOrEqual $before.AddMilliseconds(-1)
            $entry.Timestamp | Should -BeLessOrEqual ([datetime]::UtcNow)
            $entry.Category | Should -BeExactly ''
            [string] $entry.Properties | Should -BeExactly ''
        }

        It 'stores an ErrorRecord''s exception: its text, type and message' {
            $prefix = New-Prefix
            try { [int]::Parse('not a number') } catch { Write-MonarchLog @c -Prefix $prefix -Service jobs -Level Error -Message 'Parse failed' -Exception $_ }
            $entry = Get-MonarchLog @c -Prefix $prefix
            $entry.ExceptionType | Should -BeExactly 'System.Management.Automation.MethodInvocationException'
            $entry.ExceptionMessage | Should -Match 'not a number'
            $entry.Exception | Should -Match '(?s)^System.Management.Automation.MethodInvocationException: .*---> System.FormatException'
        }

        It 'reads the type and message of exception text from its first line' {
            $prefix = New-Prefix
            Write-MonarchLog @c -Prefix $prefix -Service jobs -Level Error -Message m -Exception "System.TimeoutException: The courier did not answer. ---> System.IO.IOException: reset`n   at Courier.Send()"
            $entry = Get-MonarchLog @c -Prefix $prefix
            $entry.ExceptionType | Should -BeExactly 'System.TimeoutException'
            $entry.ExceptionMessage | Should -BeExactly 'The courier did not answer.'
        }

        It '-PassThru writes the entry once stored; -WhatIf writes nothing' {
            $prefix = New-Prefix
            $null = Write-MonarchLog @c -Prefix $prefix -Service jobs -Message 'not written' -WhatIf
            Invoke-MonarchTestCli -Server $server EXISTS "${prefix}:stream:jobs:information" | Should -Be 0
            $record = Write-MonarchLog @c -Prefix $prefix -Service jobs -Message 'written' -PassThru
            $record | Should -BeOfType ([MonarchLogs.Cmdlets.MonarchLogRecord])
            $record.Message | Should -BeExactly 'written'
            $record.Host | Should -BeExactly ([Environment]::MachineName)
            (Get-MonarchLog @c -Prefix $prefix).Message | Should -BeExactly 'written'
        }
    }

    Context 'The pipeline' {
        It 'writes 2500 objects in order, each at its event time, in batches' {
            $prefix = New-Prefix
            $start = [datetime]::UtcNow.AddHours(-1)
            1..2500 | ForEach-Object { [pscustomobject]@{ Service = 'bulk'; Level = 'Debug'; Message = "entry $_"; Timestamp = $start.AddMilliseconds(2 * $_) } } |
                Write-MonarchLog @c -Prefix $prefix
            Get-MonarchTestEntryCount -Server $server -Prefix $prefix -Service bulk -Level debug | Should -Be 2500
            $entries = @(Get-MonarchLog @c -Prefix $prefix -Oldest)
            ($entries.Message -join ',') | Should -BeExactly ((1..2500 | ForEach-Object { "entry $_" }) -join ',')
            foreach ($entry in $entries[0, 999, 1000, 2499]) {
                $ms = [DateTimeOffset]::new($entry.Timestamp).ToUnixTimeMilliseconds()
                $entry.Id | Should -Match "^$ms-\d+@bulk/debug$"
            }
        }

        It 'binds Import-Csv rows by property name' {
            $prefix = New-Prefix
            $rows = @'
Timestamp,Level,Service,Category,Message,EventId,Exception,Properties
2026-03-14T15:09:26.5358979Z,Error,billing,Billing.Invoices,Invoice 42 failed,12,System.InvalidOperationException: no customer,"{""InvoiceId"":42}"
2026-03-14T15:09:27.0000000Z,Info,billing,Billing.Invoices,Invoice 43 sent,13,,
'@ | ConvertFrom-Csv
            $rows | Write-MonarchLog @c -Prefix $prefix
            $entries = @(Get-MonarchLog @c -Prefix $prefix -Oldest)
            $entries.Count | Should -Be 2
            $entries[0].Timestamp.Ticks | Should -Be $when.Ticks
            $entries[0].Level | Should -Be ([MonarchLogs.Core.MonarchLogLevel]::Error)
            $entries[0].EventId | Should -Be 12
            $entries[0].ExceptionType | Should -BeExactly 'System.InvalidOperationException'
            [string] $entries[0].Properties | Should -BeExactly '{"InvoiceId":42}'
            $entries[1].Level | Should -Be ([MonarchLogs.Core.MonarchLogLevel]::Information)
            $entries[1].Exception | Should -BeExactly ''
            [string] $entries[1].Properties | Should -BeExactly ''
        }

        It 'copies Get-MonarchLog entries to another store with every field but the Id and host' {
            $from = New-Prefix
            $data = @(New-MonarchKnownDataSet)
            Write-MonarchTestEntry -Server $server -Prefix $from -Entry $data
            $to = New-Prefix
            Get-MonarchLog @c -Prefix $from -Oldest | Write-MonarchLog @c -Prefix $to
            $expected = @(Get-MonarchLog @c -Prefix $from -Oldest)
            $actual = @(Get-MonarchLog @c -Prefix $to -Oldest)
            Compare-MonarchEntry -Expected $expected -Actual $actual -Exclude Id, Host | Should -BeNullOrEmpty
            $actual.Count | Should -Be 60
        }
    }

    Context 'Bad input' {
        It 'writes one error with a stable id per bad object and writes the good ones' {
            $prefix = New-Prefix
            $objects = @(
                [pscustomobject]@{ Service = 'shop'; Level = 'Information'; Message = 'good 1' }
                [pscustomobject]@{ Service = 'shop'; Level = 'Loud'; Message = 'unknown level' }
                [pscustomobject]@{ Service = ''; Level = 'Error'; Message = 'empty service' }
                [pscustomobject]@{ Service = "sh`nop"; Level = 'Error'; Message = 'control character in the service' }
                [pscustomobject]@{ Service = 'shop'; Level = 'Error'; Message = 'bad properties'; Properties = '[1,2]' }
                [pscustomobject]@{ Service = 'shop'; Level = 'Warning'; Message = 'good 2' }
            )
            $objects | Write-MonarchLog @c -Prefix $prefix -ErrorVariable bad -ErrorAction SilentlyContinue
            @($bad.FullyQualifiedErrorId) | Should -Be @(
                'InvalidLogLevel,MonarchLogs.Cmdlets.WriteMonarchLogCommand'
                'InvalidService,MonarchLogs.Cmdlets.WriteMonarchLogCommand'
                'InvalidService,MonarchLogs.Cmdlets.WriteMonarchLogCommand'
                'InvalidProperties,MonarchLogs.Cmdlets.WriteMonarchLogCommand')
            foreach ($record in $bad) {
                $record.ToString() | Should -Not -Match '[\r\n\x1b]' -Because 'an error is one line, whatever text it quotes'
                $record.CategoryInfo.Category | Should -Be 'InvalidArgument'
            }
            @(Get-MonarchLog @c -Prefix $prefix -Oldest).Message | Should -Be @('good 1', 'good 2')
        }

        It 'reports a partition the store refuses with its StoreErrors id and count, and writes the others' {
            $prefix = New-Prefix
            # Its stream and its head (where a new store of format 2 puts a few entries) are no streams.
            Invoke-MonarchTestCli -Server $server SET "${prefix}:stream:broken:error" 'not a stream' | Out-Null
            Invoke-MonarchTestCli -Server $server SET "${prefix}:head:{${prefix}:stream:broken:error}" 'not a stream' | Out-Null
            $objects = foreach ($i in 1..3) {
                [pscustomobject]@{ Service = 'broken'; Level = 'Error'; Message = "lost $i" }
                [pscustomobject]@{ Service = 'fine'; Level = 'Error'; Message = "kept $i" }
            }
            $objects | Write-MonarchLog @c -Prefix $prefix -ErrorVariable bad -ErrorAction SilentlyContinue
            $bad.Count | Should -Be 1
            $bad[0].FullyQualifiedErrorId | Should -Be 'PartitionWrongType,MonarchLogs.Cmdlets.WriteMonarchLogCommand'
            $bad[0].TargetObject | Should -Be 'broken/error'
            $bad[0].Exception.Message | Should -Match '^3 entries for broken/error were not written'
            @(Get-MonarchLog @c -Prefix $prefix -ExcludeService broken -Oldest).Message | Should -Be @('kept 1', 'kept 2', 'kept 3')
        }

        It 'stores hostile text exactly: line breaks, ANSI escapes, bidi overrides, NUL, emoji and a 2 MB message' {
            $prefix = New-Prefix
            $hostile = "line 1`r`nline 2`e[2J`e]0;title`a`u{202E}reversed`u{0}nul `u{1F600}"
            $huge = 'x' * (2MB) + $hostile
            Write-MonarchLog @c -Prefix $prefix -Service edge -Category $hostile -Message $hostile -Exception $hostile -Properties @{ Text = $hostile }
            Write-MonarchLog @c -Prefix $prefix -Service edge -Message $huge
            $entries = @(Get-MonarchLog @c -Prefix $prefix -Oldest)
            $entries[0].Message | Should -BeExactly $hostile
            $entries[0].Category | Should -BeExactly $hostile
            $entries[0].Exception | Should -BeExactly $hostile
            ([string] $entries[0].Properties | ConvertFrom-Json).Text | Should -BeExactly $hostile
            $entries[1].Message.Length | Should -Be $huge.Length
            $entries[1].Message -ceq $huge | Should -BeTrue
        }
    }
    Context 'A long session' {
        BeforeAll {
            # A child PowerShell, so that the memory measured is that of one session writing, not
            # of the test run: 50 calls to warm up, then 1000 more, one entry each, on the one
            # connection the session shares. Before and after the 1000, the heap after a full
            # collection, and the handlers on the connection's ConnectionRestored event (found by
            # reflection from the module's static fields: the session's connections live there).
            $script:sessionPrefix = New-Prefix
            $modulePath = Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs'
            $script:session = Invoke-MonarchChildPwsh -TimeoutSeconds 240 -Script @"
`$ErrorActionPreference = 'Stop'
Import-Module '$modulePath'
`$c = @{ ConnectionString = '$($server.ConnectionString)'; Prefix = '$sessionPrefix'; Service = 'session' }
function Find-Connection(`$value, [int] `$depth) {
    if (`$null -eq `$value -or `$depth -gt 4 -or `$value -is [string] -or `$value.GetType().IsPrimitive) { return }
    if (`$value.GetType().FullName -eq 'StackExchange.Redis.ConnectionMultiplexer') { return `$value }
    if (`$value -is [System.Collections.IDictionary]) { foreach (`$item in @(`$value.Values)) { Find-Connection `$item (`$depth + 1) }; return }
    foreach (`$field in `$value.GetType().GetFields([System.Reflection.BindingFlags]'Instance,Public,NonPublic')) { Find-Connection `$field.GetValue(`$value) (`$depth + 1) }
}
function Get-RestoredHandlers {
    `$static = [System.Reflection.BindingFlags]'Static,Public,NonPublic'
    `$connections = @(foreach (`$type in [MonarchLogs.Cmdlets.WriteMonarchLogCommand].Assembly.GetTypes()) {
        if (`$type.ContainsGenericParameters) { continue }
        foreach (`$field in `$type.GetFields(`$static)) { Find-Connection `$field.GetValue(`$null) 1 }
    }) | Select-Object -Unique
    if (`$connections.Count -ne 1) { throw "Expected the session's one connection, found `$(`$connections.Count)." }
    `$event = `$connections[0].GetType().GetField('ConnectionRestored', [System.Reflection.BindingFlags]'Instance,NonPublic')
    `$handlers = `$event.GetValue(`$connections[0])
    if (`$null -eq `$handlers) { 0 } else { `$handlers.GetInvocationList().Count }
}
function Get-LiveBytes { [GC]::Collect(); [GC]::WaitForPendingFinalizers(); [GC]::Collect(); [GC]::GetTotalMemory(`$true) }
for (`$i = 0; `$i -lt 50; `$i++) { Write-MonarchLog @c "warm-up `$i" }
`$handlers = Get-RestoredHandlers
`$bytes = Get-LiveBytes
for (`$i = 0; `$i -lt 1000; `$i++) { Write-MonarchLog @c "entry `$i" }
# The lowest of three readings a second apart: a head compaction the calls started may still hold
# its block when the calls end; memory kept per call stays in every reading.
`$after = [long]::MaxValue
for (`$r = 0; `$r -lt 3; `$r++) { Start-Sleep -Seconds 1; `$after = [Math]::Min(`$after, (Get-LiveBytes)) }
'RESULT ' + (@{ HandlersBefore = `$handlers; HandlersAfter = Get-RestoredHandlers; BytesBefore = `$bytes; BytesAfter = `$after } | ConvertTo-Json -Compress)
"@
            $script:sessionResult = ($session.Output -split "`r?`n" | Where-Object { $_ -like 'RESULT *' }) -replace '^RESULT ' | ConvertFrom-Json
        }

        It 'keeps a thousand calls on the connection: every entry stored' {
            $session.ExitCode | Should -Be 0 -Because $session.Error
            Get-MonarchTestEntryCount -Server $server -Prefix $sessionPrefix -Service session -Level information | Should -Be 1050
        }

        It 'adds no handler to the connection per call' {
            $sessionResult.HandlersAfter | Should -Be $sessionResult.HandlersBefore -Because $session.Error
        }

        It 'keeps no memory per call' {
            # Each call kept about 2 KB before (an appender held by its own handler): 2 MB here.
            # What is left is the noise of one PowerShell session.
            ($sessionResult.BytesAfter - $sessionResult.BytesBefore) | Should -BeLessThan 512KB -Because "before: $($sessionResult.BytesBefore), after: $($sessionResult.BytesAfter)"
        }
    }
}
