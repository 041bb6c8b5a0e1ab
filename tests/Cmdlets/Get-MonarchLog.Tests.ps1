#Requires -Version 7.4
# Get-MonarchLog against a real valkey-server filled with a known data set through the documented
# storage format. Every expected count is stated, and checked against the data set itself.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs') -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force

    $script:server = Start-MonarchTestServer
    $script:c = @{ ConnectionString = $server.ConnectionString }
    $script:data = @(New-MonarchKnownDataSet)
    Write-MonarchTestEntry -Server $server -Entry $data

    # The data set newest first, as Get-MonarchLog returns it by default.
    $script:newestFirst = @($data | Sort-Object Timestamp -Descending)

    # The truth: the entries of the data set that a filter keeps, newest first, in plain PowerShell.
    function script:Get-Truth {
        param([scriptblock] $Filter)
        @($newestFirst | Where-Object $Filter)
    }

    # The event ids (k) of entries, in order, as one comparable text: '6,7,8'.
    function script:Ids($entries) { @($entries | Where-Object { $null -ne $_ } | ForEach-Object { [int] $_.EventId }) -join ',' }
}

AfterAll {
    Remove-MonarchTestServer -Server $server
}

Describe 'Get-MonarchLog' {
    Context 'Reading everything' {
        It 'returns all 60 entries, newest first' {
            $result = @(Get-MonarchLog @c)
            $result.Count | Should -Be 60
            Ids $result | Should -Be (Ids $newestFirst)
        }

        It 'returns them oldest first with -Oldest' {
            $result = @(Get-MonarchLog @c -Oldest)
            $result.Count | Should -Be 60
            Ids $result | Should -Be (Ids ($data | Sort-Object Timestamp))
        }

        It 'outputs typed entries with a cursor Id, a UTC time and every field of the format' {
            $entry = Get-MonarchLog @c -First 1 -Level error -Service orders
            $entry | Should -BeOfType ([MonarchLogs.Cmdlets.MonarchLogRecord])
            $entry.Level | Should -BeOfType ([MonarchLogs.Core.MonarchLogLevel])
            $entry.Timestamp | Should -BeOfType ([datetime])
            $truth = Get-Truth { $_.Level -eq 'error' -and $_.Service -eq 'orders' } | Select-Object -First 1
            $entry.Id | Should -Match '^\d+-\d+@orders/error$'
            $entry.Timestamp.Kind | Should -Be ([DateTimeKind]::Utc)
            $entry.Timestamp | Should -Be $truth.Timestamp
            $entry.Level | Should -Be ([MonarchLogs.Core.MonarchLogLevel]::Error)
            $entry.Category | Should -Be $truth.Category
            $entry.Message | Should -Be $truth.Message
            $entry.EventId | Should -Be $truth.EventId
            $entry.ExceptionType | Should -Be $truth.ExceptionType
            $entry.Exception | Should -Be $truth.Exception
            $entry.Properties.ToString() | Should -BeExactly $truth.Properties
            $entry.Host | Should -Be 'pester-host'
        }

        It 'returns nothing, and no error, when nothing matches' {
            $result = @(Get-MonarchLog @c -Service 'no-such-service' -ErrorVariable problems)
            $result.Count | Should -Be 0
            $problems.Count | Should -Be 0
        }
    }

    Context 'Level filters' {
        It '-Level <Given> returns <Count> entries of <Levels>' -ForEach @(
            @{ Given = @('error'); Levels = @('error'); Count = 10 }
            @{ Given = @('ERROR'); Levels = @('error'); Count = 10 }
            @{ Given = @('Info', 'WARN'); Levels = @('information', 'warning'); Count = 20 }
            @{ Given = @('Fatal'); Levels = @('critical'); Count = 10 }
            @{ Given = @('Trace', 'debug', 'Information'); Levels = @('trace', 'debug', 'information'); Count = 30 }
        ) {
            $result = @(Get-MonarchLog @c -Level $Given)
            $result.Count | Should -Be $Count
            $truth = Get-Truth { $_.Level -in $Levels }
            Ids $result | Should -Be (Ids $truth)
        }

        It '-MinimumLevel <Given> returns the <Count> entries at that level and above' -ForEach @(
            @{ Given = 'warning'; Count = 30; Levels = @('warning', 'error', 'critical') }
            @{ Given = 'Warn'; Count = 30; Levels = @('warning', 'error', 'critical') }
            @{ Given = 'Critical'; Count = 10; Levels = @('critical') }
            @{ Given = 'trace'; Count = 60; Levels = @('trace', 'debug', 'information', 'warning', 'error', 'critical') }
        ) {
            $result = @(Get-MonarchLog @c -MinimumLevel $Given)
            $result.Count | Should -Be $Count
            Ids $result | Should -Be (Ids (Get-Truth { $_.Level -in $Levels }))
        }

        It '-Level and -MinimumLevel together keep the levels that satisfy both' {
            $result = @(Get-MonarchLog @c -Level debug, error -MinimumLevel warning)
            $result.Count | Should -Be 10
            Ids $result | Should -Be (Ids (Get-Truth { $_.Level -eq 'error' }))
        }
    }

    Context 'Service and category filters' {
        It '-Service <Service> -ExcludeService <Exclude> returns <Count> entries' -ForEach @(
            @{ Service = @('orders'); Exclude = @(); Count = 15 }
            @{ Service = @('ORD*'); Exclude = @(); Count = 15 }
            @{ Service = @('orders', 'billing'); Exclude = @(); Count = 30 }
            @{ Service = @('*i*'); Exclude = @(); Count = 45 }
            @{ Service = @('s?ipping'); Exclude = @(); Count = 15 }
            @{ Service = @(); Exclude = @('web-*'); Count = 45 }
            @{ Service = @('*'); Exclude = @('orders', 'billing'); Count = 30 }
        ) {
            $parameters = @{}
            if ($Service) { $parameters.Service = $Service }
            if ($Exclude) { $parameters.ExcludeService = $Exclude }
            $result = @(Get-MonarchLog @c @parameters)
            $result.Count | Should -Be $Count
            $truth = Get-Truth {
                $name = $_.Service
                ((-not $Service) -or @($Service | Where-Object { $name -like $_ }).Count -gt 0) -and
                (@($Exclude | Where-Object { $name -like $_ }).Count -eq 0)
            }
            Ids $result | Should -Be (Ids $truth)
        }

        It '-Category <Category> -ExcludeCategory <Exclude> returns <Count> entries' -ForEach @(
            @{ Category = @('Monarch.Orders.*'); Exclude = @(); Count = 24 }
            @{ Category = @('*courier'); Exclude = @(); Count = 12 }
            @{ Category = @('monarch.billing.invoices'); Exclude = @(); Count = 12 }
            @{ Category = @(); Exclude = @('Microsoft.*'); Count = 48 }
            @{ Category = @('Monarch.*'); Exclude = @('*.Api', '*.Courier'); Count = 24 }
        ) {
            $parameters = @{}
            if ($Category) { $parameters.Category = $Category }
            if ($Exclude) { $parameters.ExcludeCategory = $Exclude }
            $result = @(Get-MonarchLog @c @parameters)
            $result.Count | Should -Be $Count
            $truth = Get-Truth {
                $name = $_.Category
                ((-not $Category) -or @($Category | Where-Object { $name -like $_ }).Count -gt 0) -and
                (@($Exclude | Where-Object { $name -like $_ }).Count -eq 0)
            }
            Ids $result | Should -Be (Ids $truth)
        }
    }

    Context 'Message and pattern filters' {
        It '-Message <Message> matches <Count> messages or exceptions as a whole (wildcard)' -ForEach @(
            @{ Message = '*shipped'; Count = 20 }
            @{ Message = 'payment*'; Count = 20 }
            @{ Message = 'Order 3 shipped'; Count = 1 }
            @{ Message = 'shipped'; Count = 0 }
            @{ Message = '*did not answer*'; Count = 10 }
        ) {
            $result = @(Get-MonarchLog @c -Message $Message)
            $result.Count | Should -Be $Count
            $truth = Get-Truth { $_.Message -like $Message -or ($_.Exception -and $_.Exception -like $Message) }
            Ids $result | Should -Be (Ids $truth)
        }

        It '-Pattern <Pattern> finds <Count> entries by regular expression in message or exception' -ForEach @(
            @{ Pattern = 'Payment \d+ declined'; Count = 20 }
            @{ Pattern = 'timeoutexception'; Count = 10 }
            @{ Pattern = '^Order \d*5 '; Count = 2 }
            @{ Pattern = 'Courier\.SendAsync'; Count = 10 }
        ) {
            $result = @(Get-MonarchLog @c -Pattern $Pattern)
            $result.Count | Should -Be $Count
            $truth = Get-Truth { $_.Message -match $Pattern -or $_.Exception -match $Pattern }
            Ids $result | Should -Be (Ids $truth)
        }
    }

    Context 'Time range [Since, Until)' {
        BeforeAll {
            # Entry k of the data set was written at base - (2k + 1) minutes.
            $script:times = @{}
            foreach ($entry in $data) { $times[[int] $entry.EventId] = $entry.Timestamp }
        }

        It 'includes an entry at exactly -Since and excludes one at exactly -Until' {
            $result = @(Get-MonarchLog @c -Since $times[10] -Until $times[5])
            Ids $result | Should -Be '6,7,8,9,10' -Because 'k = 10 .. 6 lie in [t(10), t(5)); newest first'
        }

        It 'reads a local DateTime as the same instant as its UTC value' {
            $local = @(Get-MonarchLog @c -Since $times[10].ToLocalTime() -Until $times[5].ToLocalTime())
            Ids $local | Should -Be '6,7,8,9,10'
        }

        It 'reads a DateTime of unspecified kind, and zone-less text, as local time' {
            $unspecified = [datetime]::SpecifyKind($times[10].ToLocalTime(), [DateTimeKind]::Unspecified)
            $text = $times[5].ToLocalTime().ToString('yyyy-MM-ddTHH:mm:ss.fff', [cultureinfo]::InvariantCulture)
            Ids @(Get-MonarchLog @c -Since $unspecified -Until $text) | Should -Be '6,7,8,9,10'
        }

        It 'reads ISO 8601 text with a zone' {
            $since = $times[10].ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", [cultureinfo]::InvariantCulture)
            $until = [DateTimeOffset]::new($times[5]).ToOffset([TimeSpan]::FromHours(2)).ToString('yyyy-MM-ddTHH:mm:ss.fffzzz', [cultureinfo]::InvariantCulture)
            Ids @(Get-MonarchLog @c -Since $since -Until $until) | Should -Be '6,7,8,9,10'
        }

        It '-Since <Since> (that long ago) returns the <Count> newest entries' -ForEach @(
            @{ Since = '-30min'; Count = 15 }
            @{ Since = '30min ago'; Count = 15 }
            @{ Since = '0.5h'; Count = 15 }
            @{ Since = '-1h'; Count = 30 }
            @{ Since = (New-TimeSpan -Minutes 30); Count = 15 }
            @{ Since = (New-TimeSpan -Minutes -30); Count = 15 }
            @{ Since = '2d'; Count = 60 }
        ) {
            $result = @(Get-MonarchLog @c -Since $Since)
            $result.Count | Should -Be $Count
            Ids $result | Should -Be (Ids ($newestFirst | Select-Object -First $Count))
        }

        It 'reads an unquoted 1d (a decimal to PowerShell) as days ago, and refuses a number without a unit' {
            @(Get-MonarchLog @c -Since 1d).Count | Should -Be 60
            @(Get-MonarchLog @c -Until -1d).Count | Should -Be 0
            { Get-MonarchLog @c -Since 5 } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,MonarchLogs.Cmdlets.GetMonarchLogCommand'
        }

        It '-Until ''-30min'' returns the 45 older entries' {
            $result = @(Get-MonarchLog @c -Until '-30min')
            Ids $result | Should -Be (Ids ($newestFirst | Select-Object -Skip 15))
        }

        It '-Since today and -Since yesterday start at local midnight' {
            $midnight = [datetime]::Today.ToUniversalTime()
            Ids @(Get-MonarchLog @c -Since today) | Should -Be (Ids (Get-Truth { $_.Timestamp -ge $midnight }))
            $yesterday = [datetime]::Today.AddDays(-1).ToUniversalTime()
            Ids @(Get-MonarchLog @c -Since yesterday) | Should -Be (Ids (Get-Truth { $_.Timestamp -ge $yesterday }))
            @(Get-MonarchLog @c -Since yesterday).Count | Should -Be 60
        }
    }

    Context '-First and cursors' {
        It '-First 5 returns the 5 newest; with -Oldest the 5 oldest' {
            Ids @(Get-MonarchLog @c -First 5) | Should -Be (Ids ($newestFirst | Select-Object -First 5))
            Ids @(Get-MonarchLog @c -First 5 -Oldest) | Should -Be (Ids ($newestFirst | Select-Object -Last 5 | Sort-Object Timestamp))
            @(Get-MonarchLog @c -First 1000).Count | Should -Be 60
        }

        It 'pages newest first with -Before the last Id: every entry once, in order' {
            $pages = [System.Collections.Generic.List[object]]::new()
            $page = @(Get-MonarchLog @c -First 7)
            while ($page.Count -gt 0) {
                $pages.AddRange($page)
                $page = @(Get-MonarchLog @c -First 7 -Before $page[-1].Id)
            }
            $pages.Count | Should -Be 60
            Ids $pages | Should -Be (Ids $newestFirst)
        }

        It 'pages oldest first with -After the last Id: every entry once, in order' {
            $pages = [System.Collections.Generic.List[object]]::new()
            $page = @(Get-MonarchLog @c -First 11 -Oldest -Level error, critical)
            while ($page.Count -gt 0) {
                $pages.AddRange($page)
                $page = @(Get-MonarchLog @c -First 11 -Oldest -Level error, critical -After $page[-1].Id)
            }
            Ids $pages | Should -Be (Ids (Get-Truth { $_.Level -in 'error', 'critical' } | Sort-Object Timestamp))
        }

        It '-After and -Before together return the entries strictly between' {
            $all = @(Get-MonarchLog @c -Oldest)
            $between = @(Get-MonarchLog @c -Oldest -After $all[10].Id -Before $all[20].Id)
            Ids $between | Should -Be (Ids $all[11..19])
        }
    }

    Context 'Filters combined' {
        It 'combines level, service, category, time and pattern in one query (<Name>)' -ForEach @(
            @{ Name = 'errors of orders and shipping in the last 90 min'; Count = 7
                Parameters = @{ Level = 'error', 'critical'; Service = 'orders', 'shipping'; Since = '-90min' }
                Truth = { $_.Level -in 'error', 'critical' -and $_.Service -in 'orders', 'shipping' -and $_.Timestamp -ge [datetime]::UtcNow.AddMinutes(-90) } }
            @{ Name = 'Monarch categories, declined payments, not billing'; Count = 12
                Parameters = @{ Category = 'Monarch.*'; Pattern = 'declined'; ExcludeService = 'billing' }
                Truth = { $_.Category -like 'Monarch.*' -and $_.Message -match 'declined' -and $_.Service -ne 'billing' } }
            @{ Name = 'warnings and above with an exception, older than 30 min'; Count = 8
                Parameters = @{ MinimumLevel = 'warning'; Message = '*TimeoutException*'; Until = '-30min' }
                Truth = { $_.Level -in 'warning', 'error', 'critical' -and $_.Exception -like '*TimeoutException*' -and $_.Timestamp -lt [datetime]::UtcNow.AddMinutes(-30) } }
            @{ Name = 'shipped orders of web-api, excluding hosting logs, first 3 oldest'; Count = 3
                Parameters = @{ Service = 'web-*'; Message = '*shipped'; ExcludeCategory = 'Microsoft.*'; First = 3; Oldest = $true }
                Truth = { $_.Service -eq 'web-api' -and $_.Message -like '*shipped' -and $_.Category -notlike 'Microsoft.*' } }
        ) {
            $result = @(Get-MonarchLog @c @Parameters)
            $result.Count | Should -Be $Count
            $truth = @(Get-Truth $Truth)
            if ($Parameters.Oldest) { $truth = @($truth | Sort-Object Timestamp | Select-Object -First $Parameters.First) }
            Ids $result | Should -Be (Ids $truth)
        }
    }

    Context 'Partitions' {
        BeforeAll {
            # A registered partition whose key is not a stream: reading it fails, so a query that
            # succeeds with it present has not read it.
            Write-MonarchTestEntry -Server $server -Prefix 'pruned:logs' -Entry @(
                [pscustomobject]@{ Timestamp = [datetime]::UtcNow.AddMinutes(-5); Level = 'information'; Service = 'good'; Message = 'fine' }
                [pscustomobject]@{ Timestamp = [datetime]::UtcNow.AddMinutes(-4); Level = 'error'; Service = 'good'; Message = 'fine too' }
            )
            Invoke-MonarchTestCli -Server $server HSET pruned:logs:partitions pruned:logs:stream:broken:warning warning:broken | Out-Null
            Invoke-MonarchTestCli -Server $server SET pruned:logs:stream:broken:warning not-a-stream | Out-Null
            # A second store with every kind of bad partition: keys of other types, junk registry entries.
            Write-MonarchTestEntry -Server $server -Prefix 'poisoned:logs' -Entry @(
                [pscustomobject]@{ Timestamp = [datetime]::UtcNow.AddMinutes(-5); Level = 'information'; Service = 'good'; Message = 'good one' }
                [pscustomobject]@{ Timestamp = [datetime]::UtcNow.AddMinutes(-4); Level = 'error'; Service = 'good'; Message = 'good two' }
            )
            Invoke-MonarchTestCli -Server $server HSET poisoned:logs:stream:bad:error a-hash field | Out-Null
            Invoke-MonarchTestCli -Server $server LPUSH poisoned:logs:stream:bad:warning a-list | Out-Null
            Invoke-MonarchTestCli -Server $server HSET poisoned:logs:partitions `
                poisoned:logs:stream:bad:error error:bad poisoned:logs:stream:bad:warning warning:bad `
                poisoned:logs:stream:junk:error 'no level here' other:key error:elsewhere | Out-Null
        }

        It 'a level or service filter reads only the matching partitions' {
            @(Get-MonarchLog @c -Prefix 'pruned:logs' -Service good).Count | Should -Be 2
            @(Get-MonarchLog @c -Prefix 'pruned:logs' -Level error).Count | Should -Be 1
            @(Get-MonarchLog @c -Prefix 'pruned:logs' -ExcludeService broken).Count | Should -Be 2
        }

        It 'a partition that cannot be read is one PartitionWrongType error; the other entries still come out' {
            $entries = @(Get-MonarchLog @c -Prefix 'pruned:logs' -ErrorVariable problems -ErrorAction SilentlyContinue)
            $entries.Message | Should -Be 'fine too', 'fine'
            $problems.Count | Should -Be 1
            $problems[0].FullyQualifiedErrorId | Should -Be 'PartitionWrongType,MonarchLogs.Cmdlets.GetMonarchLogCommand'
            $problems[0].CategoryInfo.Category | Should -Be 'InvalidData'
            $problems[0].TargetObject | Should -Be 'broken/warning'
        }

        It 'with -ErrorAction Stop a partition that cannot be read stops the command' {
            { Get-MonarchLog @c -Prefix 'pruned:logs' -ErrorAction Stop } |
                Should -Throw -ErrorId 'PartitionWrongType,MonarchLogs.Cmdlets.GetMonarchLogCommand'
        }

        It 'keys of other types and junk registry entries are each one error; the good entries come out' {
            $entries = @(Get-MonarchLog @c -Prefix 'poisoned:logs' -ErrorVariable problems -ErrorAction SilentlyContinue)
            $entries.Message | Should -Be 'good two', 'good one'
            $found = @($problems | ForEach-Object { "$($_.FullyQualifiedErrorId) $($_.TargetObject)" } | Sort-Object)
            $found | Should -Be @(
                'InvalidRegistryEntry,MonarchLogs.Cmdlets.GetMonarchLogCommand other:key'
                'InvalidRegistryEntry,MonarchLogs.Cmdlets.GetMonarchLogCommand poisoned:logs:stream:junk:error'
                'PartitionWrongType,MonarchLogs.Cmdlets.GetMonarchLogCommand bad/error'
                'PartitionWrongType,MonarchLogs.Cmdlets.GetMonarchLogCommand bad/warning'
            )
        }
    }

    Context 'Streaming' {
        BeforeAll {
            Add-MonarchTestBulkEntry -Server $server -Prefix 'big:logs' -Count 100000 -Service bulk -StartTime ([datetime]::UtcNow.AddDays(-1))
            function script:Get-RangeCalls {
                $stats = Invoke-MonarchTestCli -Server $server INFO commandstats
                $calls = 0
                foreach ($line in $stats) {
                    if ($line -match '^cmdstat_(xrange|xrevrange):calls=(\d+)') { $calls += [int] $Matches[2] }
                }
                $calls
            }
        }

        It 'Select-Object -First 5 over 100 000 entries stops reading' {
            Invoke-MonarchTestCli -Server $server CONFIG RESETSTAT | Out-Null
            $five = @(Get-MonarchLog @c -Prefix 'big:logs' | Select-Object -First 5)
            $five.Count | Should -Be 5
            $five[0].Message | Should -Be 'bulk 99999'
            $five[4].Message | Should -Be 'bulk 99995'
            # One first page and at most the next one prefetched, not 100 pages.
            Get-RangeCalls | Should -BeLessOrEqual 2
        }

        It '-First 3 stops reading after the first page' {
            Invoke-MonarchTestCli -Server $server CONFIG RESETSTAT | Out-Null
            (@(Get-MonarchLog @c -Prefix 'big:logs' -First 3 -Oldest)).Message | Should -Be 'bulk 0', 'bulk 1', 'bulk 2'
            Get-RangeCalls | Should -BeLessOrEqual 2
        }
    }

    Context 'Export and display' {
        It 'Export-Csv gives readable cells that Import-Csv reads back' {
            $file = Join-Path $TestDrive 'entries.csv'
            Get-MonarchLog @c | Export-Csv -Path $file
            $rows = @(Import-Csv -Path $file)
            $rows.Count | Should -Be 60
            $rows[0].PSObject.Properties.Name | Should -Be 'Id', 'Timestamp', 'Level', 'Service', 'Category', 'Message', 'Template',
                'EventId', 'EventName', 'ExceptionType', 'ExceptionMessage', 'Exception', 'TraceId', 'SpanId', 'Host', 'Properties'
            # ExceptionType and Exception hold exception type names by design; no other cell may.
            $cells = @($rows | ForEach-Object { $_.PSObject.Properties.Where({ $_.Name -notin 'ExceptionType', 'Exception' }).Value })
            $cells.Count | Should -Be (60 * 14)
            @($cells -match '^System\.[\w.`]+(\[\])?$') | Should -BeNullOrEmpty -Because 'a cell must hold a value, not a type name'
            @($cells -match 'System\.Collections|System\.Object\[\]|Hashtable') | Should -BeNullOrEmpty
            $truth = $newestFirst
            $rows.Level | Should -Be @($truth | ForEach-Object { [cultureinfo]::InvariantCulture.TextInfo.ToTitleCase($_.Level) })
            $rows.Message | Should -Be $truth.Message
            $rows.Service | Should -Be $truth.Service
            $rows.Exception | Should -Be $truth.Exception
            $rows.Timestamp | Should -Be @($truth | ForEach-Object { $_.Timestamp.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", [cultureinfo]::InvariantCulture) })
            @($rows | ForEach-Object { ($_.Properties | ConvertFrom-Json).Customer.Id }) | Should -Be @($truth | ForEach-Object { 1000 + [int] $_.EventId })
        }

        It 'ConvertTo-Json gives plain values: text, numbers and ISO times' {
            $json = Get-MonarchLog @c -Level error -Service orders -First 1 | ConvertTo-Json
            $json | Should -Not -Match 'System\.Collections|Hashtable'
            $back = $json | ConvertFrom-Json -AsHashtable
            $back.Timestamp | Should -BeOfType ([datetime])
            $json | Should -Match '"Timestamp": "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"'
            $back.Message | Should -Be 'Payment 4 declined'
            $back.Exception | Should -Match '^System\.TimeoutException: The courier did not answer \(4\)\.\n   at '
            # The properties nest as an object, not a JSON string inside the JSON.
            $back.Properties.Customer.Id | Should -Be 1004
            $json | Should -Match '"Level": "Error",'
            $back.Level | Should -Be 'Error'
            (Get-MonarchLog @c -Level error -First 1 | ConvertTo-Json -EnumsAsStrings | ConvertFrom-Json).Level | Should -Be 'Error'
        }

        It 'ConvertTo-Json and Export-Csv write Level as its name and Timestamp as ISO 8601 UTC with a Z, in any culture' {
            $prefix = 'isotime'
            Write-MonarchTestEntry -Server $server -Prefix $prefix -Entry @{
                Timestamp = [datetime]::new(2026, 11, 28, 16, 0, 0, [DateTimeKind]::Utc).AddTicks(1234567)
                Level = 'error'; Service = 'orders'; Message = 'one'
            }
            $culture = [cultureinfo]::CurrentCulture
            try {
                foreach ($name in 'de-DE', 'en-US', '') {
                    [cultureinfo]::CurrentCulture = $name
                    $json = Get-MonarchLog @c -Prefix $prefix | ConvertTo-Json
                    $json | Should -Match '"Timestamp": "2026-11-28T16:00:00\.1234567Z",' -Because "culture '$name'"
                    $json | Should -Match '"Level": "Error",' -Because "culture '$name'"
                    $csv = @(Get-MonarchLog @c -Prefix $prefix | ConvertTo-Csv)
                    $csv[1] | Should -BeLike '"*","2026-11-28T16:00:00.1234567Z","Error","orders",*' -Because "culture '$name'"
                    $file = Join-Path $TestDrive "iso-$name.csv"
                    Get-MonarchLog @c -Prefix $prefix | Export-Csv -Path $file
                    (Import-Csv -Path $file).Timestamp | Should -Be '2026-11-28T16:00:00.1234567Z' -Because "culture '$name'"
                }
            }
            finally {
                [cultureinfo]::CurrentCulture = $culture
            }
        }

        It 'filters and sorts in the pipeline on the typed Level and Timestamp' {
            $all = @(Get-MonarchLog @c)
            Ids ($all | Where-Object Level -eq Error) | Should -Be (Ids (Get-MonarchLog @c -Level Error))
            Ids ($all | Where-Object Level -ge Warning) | Should -Be (Ids (Get-MonarchLog @c -MinimumLevel Warning))
            Ids ($all | Where-Object Level -ge Warning) | Should -Be (Ids (Get-Truth { $_.Level -in 'warning', 'error', 'critical' }))
            $cut = $newestFirst[9].Timestamp
            Ids ($all | Where-Object Timestamp -gt $cut) | Should -Be (Ids ($newestFirst | Select-Object -First 9))
            Ids ($all | Where-Object Timestamp -gt (Get-Date).AddYears(-1)) | Should -Be (Ids $newestFirst)
            Ids ($all | Sort-Object Timestamp) | Should -Be (Ids (Get-MonarchLog @c -Oldest))
            @($all | Sort-Object Level -Unique | ForEach-Object { [string] $_.Level }) | Should -Be 'Trace', 'Debug', 'Information', 'Warning', 'Error', 'Critical'
            $first = $all[0]
            $first.Timestamp.ToString('yyyy-MM-dd HH:mm', [cultureinfo]::InvariantCulture) | Should -Be $newestFirst[0].Timestamp.ToString('yyyy-MM-dd HH:mm', [cultureinfo]::InvariantCulture)
            $first.Timestamp.AddHours(1) | Should -Be $newestFirst[0].Timestamp.AddHours(1)
        }

        It 'shows a table of time (UTC), level, service and message by default' {
            $text = Get-MonarchLog @c -First 2 | Out-String -Width 200
            $lines = $text -split "`r?`n" | Where-Object { $_.Trim() }
            $lines[0] | Should -Match '^Timestamp\s+Level\s+Service\s+Message\s*$'
            $first = $newestFirst[0]
            $lines[2] | Should -Match ('^' + [regex]::Escape($first.Timestamp.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", [cultureinfo]::InvariantCulture)) +
                '\s+' + [cultureinfo]::InvariantCulture.TextInfo.ToTitleCase($first.Level) + '\s+' + $first.Service + '\s+' + [regex]::Escape($first.Message))
        }

        It 'Format-List shows every property' {
            $text = Get-MonarchLog @c -First 1 -Level error | Format-List | Out-String -Width 200
            foreach ($name in 'Id', 'Timestamp', 'Level', 'Service', 'Category', 'Message', 'Exception', 'Properties', 'Host') {
                $text | Should -Match "(?m)^$name\s+:"
            }
        }
    }

    Context 'Errors' {
        It 'Since not before Until is InvalidTimeRange' {
            { Get-MonarchLog @c -Since '-1h' -Until '-2h' } | Should -Throw -ErrorId 'InvalidTimeRange,MonarchLogs.Cmdlets.GetMonarchLogCommand'
            $t = [datetime]::UtcNow.AddHours(-1)
            { Get-MonarchLog @c -Since $t -Until $t } | Should -Throw -ErrorId 'InvalidTimeRange,MonarchLogs.Cmdlets.GetMonarchLogCommand'
        }

        It 'an invalid regular expression is InvalidPattern, in one line' {
            $failure = { Get-MonarchLog @c -Pattern '(unclosed' } | Should -Throw -ErrorId 'InvalidPattern,MonarchLogs.Cmdlets.GetMonarchLogCommand' -PassThru
            $failure.CategoryInfo.Category | Should -Be 'InvalidArgument'
            $failure.Exception.Message | Should -Not -Match "`n"
        }

        It 'an unknown level is a validation error naming the accepted levels' {
            $failure = { Get-MonarchLog @c -Level bogus } | Should -Throw -ErrorId 'ParameterArgumentValidationError,MonarchLogs.Cmdlets.GetMonarchLogCommand' -PassThru
            $failure.Exception.Message | Should -Match 'Information \(Info\)'
            { Get-MonarchLog @c -MinimumLevel loud } | Should -Throw -ErrorId 'ParameterArgumentValidationError,MonarchLogs.Cmdlets.GetMonarchLogCommand'
        }

        It '-First <First> is a validation error' -ForEach @(@{ First = 0 }, @{ First = -5 }) {
            { Get-MonarchLog @c -First $First } | Should -Throw -ErrorId 'ParameterArgumentValidationError,MonarchLogs.Cmdlets.GetMonarchLogCommand'
        }

        It 'text that is not a time is a transformation error' {
            $failure = { Get-MonarchLog @c -Since 'next tuesday-ish' } | Should -Throw -ErrorId 'ParameterArgumentTransformationError,MonarchLogs.Cmdlets.GetMonarchLogCommand' -PassThru
            $failure.Exception.Message | Should -Match '30min ago'
        }

        It 'a malformed cursor is InvalidCursor' {
            { Get-MonarchLog @c -After 'not-a-cursor' } | Should -Throw -ErrorId 'InvalidCursor,MonarchLogs.Cmdlets.GetMonarchLogCommand'
            { Get-MonarchLog @c -Before '12-0@orders/loud' } | Should -Throw -ErrorId 'InvalidCursor,MonarchLogs.Cmdlets.GetMonarchLogCommand'
        }

        It 'an unreachable server is ValkeyUnreachable, in one line' {
            $failure = { Get-MonarchLog -ConnectionString '127.0.0.1:1' } | Should -Throw -ErrorId 'ValkeyUnreachable,MonarchLogs.Cmdlets.GetMonarchLogCommand' -PassThru
            $failure.CategoryInfo.Category | Should -Be 'ConnectionError'
            $failure.Exception.Message | Should -Match '127\.0\.0\.1:1\b'
            $failure.Exception.Message | Should -Not -Match "`n|   at "
        }

        It 'a store of another format version is UnsupportedStorageFormat' {
            Invoke-MonarchTestCli -Server $server SET future:logs:format 3 | Out-Null
            { Get-MonarchLog @c -Prefix 'future:logs' } | Should -Throw -ErrorId 'UnsupportedStorageFormat,MonarchLogs.Cmdlets.GetMonarchLogCommand'
        }
    }
}
