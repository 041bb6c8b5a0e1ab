#Requires -Version 7.4
# The filters on an entry's structure (-Property, -TraceId, -SpanId, -EventId, -HasException,
# -ExceptionType) and the properties as an object, against a real valkey-server. Every answer is
# compared with the truth computed here from the same entries.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs') -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force

    $script:server = Start-MonarchTestServer
    $script:c = @{ ConnectionString = $server.ConnectionString }
    $base = [datetime]::new(([datetime]::UtcNow.AddHours(-1).Ticks), [DateTimeKind]::Utc)

    # 48 entries over two services: orders 4700..4711 twice, tenants t-0..t-3, every fourth entry
    # with a timeout and every sixth with another exception, three traces, named events.
    $script:truth = for ($k = 0; $k -lt 48; $k++) {
        $exceptionType = if ($k % 4 -eq 0) { 'System.TimeoutException' } elseif ($k % 6 -eq 1) { 'System.InvalidOperationException' } else { '' }
        $props = [ordered]@{ OrderId = 4700 + $k % 12; TenantId = "t-$($k % 4)"; Paid = ($k % 3 -eq 0); Customer = @{ Id = 1000 + $k % 5 }; Scope = @("Request $k") }
        if ($k % 8 -eq 7) { $props.OrderId = "$(4700 + $k % 12)" } # as text, as a scope may carry it
        [pscustomobject]@{
            Timestamp     = $base.AddSeconds($k)
            Level         = ('information', 'warning', 'error')[$k % 3]
            Service       = ('orders', 'billing')[$k % 2]
            Category      = 'Pester.Structure'
            Message       = "entry $k"
            EventId       = 100 + $k % 3
            EventName     = ('OrderPlaced', 'OrderShipped', 'PaymentDeclined')[$k % 3]
            ExceptionType = $exceptionType
            Exception     = if ($exceptionType) { "${exceptionType}: failed ($k)" } else { '' }
            TraceId       = ('7a447039f5cb2392e2319fc3670ef2a1', '0af7651916cd43dd8448eb211c80319c', '4bf92f3577b34da6a3ce929d0e0e4736')[$k % 3]
            SpanId        = '{0:x16}' -f (0x1000 + $k)
            Properties    = $props | ConvertTo-Json -Compress -Depth 5
            Parsed        = $props
        }
    }
    Write-MonarchTestEntry -Server $server -Entry $truth

    function script:Messages { param([hashtable] $Filter) @(Get-MonarchLog @c @Filter -Oldest | ForEach-Object Message) }
    function script:Expected { param([scriptblock] $Where) @($truth | Where-Object $Where | ForEach-Object Message) }
}

AfterAll {
    Remove-MonarchTestServer $server
}

Describe 'Get-MonarchLog -Property' {
    It 'matches a number, also when the property holds it as text' {
        $expected = Expected { [string] $_.Parsed.OrderId -eq '4707' }
        $expected.Count | Should -Be 4
        Messages @{ Property = @{ OrderId = 4707 } } | Should -Be $expected
    }

    It 'matches text by wildcard, case-insensitive in the name and the value' {
        Messages @{ Property = @{ tenantid = 'T-[12]' } } | Should -Be (Expected { $_.Parsed.TenantId -in 't-1', 't-2' })
    }

    It 'matches booleans as booleans' {
        Messages @{ Property = @{ Paid = $true } } | Should -Be (Expected { $_.Parsed.Paid })
        Messages @{ Property = @{ Paid = $false } } | Should -Be (Expected { -not $_.Parsed.Paid })
    }

    It 'reaches into a nested object by a dotted name' {
        Messages @{ Property = @{ 'Customer.Id' = 1003 } } | Should -Be (Expected { $_.Parsed.Customer.Id -eq 1003 })
    }

    It 'matches one item of an array (a scope that is not key/value)' {
        Messages @{ Property = @{ Scope = 'Request 1?' } } | Should -Be (Expected { $_.Parsed.Scope[0] -like 'Request 1?' })
    }

    It 'needs every key to match' {
        $expected = Expected { $_.Parsed.TenantId -eq 't-3' -and $_.Parsed.Paid }
        $expected.Count | Should -BeGreaterThan 0
        Messages @{ Property = @{ TenantId = 't-3'; Paid = $true } } | Should -Be $expected
    }

    It 'finds nothing for a property no entry has' {
        Messages @{ Property = @{ NoSuchProperty = '*' } } | Should -BeNullOrEmpty
    }

    It 'refuses a filter without a value, or with several, in one line with an error id' {
        { Get-MonarchLog @c -Property @{ OrderId = $null } -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidPropertyFilter*'
        { Get-MonarchLog @c -Property @{ OrderId = 1, 2 } -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidPropertyFilter*'
    }
}

Describe 'Get-MonarchLog on traces, events and exceptions' {
    It '-TraceId takes one or more trace ids, in any case' {
        Messages @{ TraceId = '0AF7651916CD43DD8448EB211C80319C' } | Should -Be (Expected { $_.TraceId -eq '0af7651916cd43dd8448eb211c80319c' })
        Messages @{ TraceId = '0af7651916cd43dd8448eb211c80319c', '4bf92f3577b34da6a3ce929d0e0e4736' } |
            Should -Be (Expected { $_.TraceId -ne '7a447039f5cb2392e2319fc3670ef2a1' })
    }

    It '-SpanId finds the one entry of a span' {
        Messages @{ SpanId = '{0:x16}' -f 0x1011 } | Should -Be 'entry 17'
    }

    It '-EventId takes numbers and event names with wildcards' {
        Messages @{ EventId = 101 } | Should -Be (Expected { $_.EventId -eq 101 })
        Messages @{ EventId = 'Order*' } | Should -Be (Expected { $_.EventName -like 'Order*' })
        Messages @{ EventId = 100, 'PaymentDeclined' } | Should -Be (Expected { $_.EventId -in 100, 102 })
    }

    It '-HasException and -HasException:$false split the entries' {
        $with = Expected { $_.ExceptionType }
        $with.Count | Should -BeGreaterThan 0
        Messages @{ HasException = $true } | Should -Be $with
        Messages @{ HasException = $false } | Should -Be (Expected { -not $_.ExceptionType })
    }

    It '-ExceptionType matches the type name by wildcard' {
        Messages @{ ExceptionType = 'System.Timeout*' } | Should -Be (Expected { $_.ExceptionType -eq 'System.TimeoutException' })
        Messages @{ ExceptionType = '*Invalid*', '*Timeout*' } | Should -Be (Expected { $_.ExceptionType })
    }

    It 'combines with the other filters (AND)' {
        Messages @{ Service = 'orders'; Level = 'error'; TraceId = '4bf92f3577b34da6a3ce929d0e0e4736'; Property = @{ Paid = $false } } |
            Should -Be (Expected { $_.Service -eq 'orders' -and $_.Level -eq 'error' -and $_.TraceId -eq '4bf92f3577b34da6a3ce929d0e0e4736' -and -not $_.Parsed.Paid })
    }

    It 'Watch-MonarchLog -Tail takes the same filters' {
        $shown = @(Watch-MonarchLog @c -Tail 100 -Property @{ TenantId = 't-0' } -ExceptionType 'System.Timeout*' -Timeout ([timespan]::FromSeconds(1)) | ForEach-Object Message)
        $shown | Should -Be (Expected { $_.Parsed.TenantId -eq 't-0' -and $_.ExceptionType -eq 'System.TimeoutException' })
    }
}

Describe 'Properties as an object' {
    BeforeAll {
        $script:entry = Get-MonarchLog @c -Property @{ OrderId = 4705 } -Oldest -First 1
        $script:truthOf = $truth | Where-Object Message -eq $entry.Message
    }

    It 'reads by member access, nested too' {
        $entry.Properties.OrderId | Should -Be 4705
        $entry.Properties.orderid | Should -Be 4705
        $entry.Properties.Customer.Id | Should -Be $truthOf.Parsed.Customer.Id
        $entry.Properties.Paid | Should -BeOfType [bool]
    }

    It 'works in Where-Object' {
        @(Get-MonarchLog @c -Oldest | Where-Object { $_.Properties.TenantId -eq 't-2' } | ForEach-Object Message) | Should -Be (Expected { $_.Parsed.TenantId -eq 't-2' })
    }

    It 'nests in ConvertTo-Json instead of a JSON string inside JSON' {
        $json = $entry | Select-Object Message, Properties | ConvertTo-Json -Depth 5 | ConvertFrom-Json
        $json.Properties.OrderId | Should -Be 4705
        $json.Properties.Customer.Id | Should -Be $truthOf.Parsed.Customer.Id
    }

    It 'is one readable cell in Export-Csv: the stored JSON' {
        $row = $entry | Select-Object Message, Properties | ConvertTo-Csv | ConvertFrom-Csv
        $row.Properties | Should -BeExactly $truthOf.Properties
    }

    It 'is null for an entry without properties' {
        Write-MonarchTestEntry -Server $server -Prefix 'noprops:logs' -Entry ([pscustomobject]@{ Timestamp = [datetime]::UtcNow; Level = 'information'; Service = 's'; Message = 'bare' })
        (Get-MonarchLog @c -Prefix 'noprops:logs').Properties | Should -BeNullOrEmpty
    }
}

Describe 'Get-MonarchLog -Around' {
    BeforeAll {
        # Store order is the order of the entries' times across every partition.
        $script:ordered = @(Get-MonarchLog @c -Oldest)
        $script:ordered.Count | Should -Be 48
    }

    It 'gets an entry with the entries just before and after it, across services and levels' {
        $target = $ordered[20]
        $around = @(Get-MonarchLog @c -Around $target.Id -Context 5)
        $around.Id | Should -Be $ordered[15..25].Id
        @($around.Service | Sort-Object -Unique).Count | Should -Be 2
        @($around.Level | Sort-Object -Unique).Count | Should -Be 3
    }

    It 'stops at the ends of the store' {
        @(Get-MonarchLog @c -Around $ordered[1].Id -Context 3).Id | Should -Be $ordered[0..4].Id
        @(Get-MonarchLog @c -Around $ordered[-1].Id -Context 3).Id | Should -Be $ordered[-4..-1].Id
    }

    It 'takes entries from the pipeline and lets the other filters narrow the neighbours' {
        $target = $ordered | Where-Object Level -eq 'Error' | Select-Object -Skip 3 -First 1
        $around = @($target | Get-MonarchLog @c -Context 2 -Level Error)
        $errors = @($ordered | Where-Object Level -eq 'Error')
        $at = [array]::IndexOf($errors.Id, $target.Id)
        $around.Id | Should -Be $errors[($at - 2)..($at + 2)].Id
    }

    It 'warns when the entry is gone and writes what was around it' {
        # An Id between the 21st and 22nd entries that no entry has (removed by retention, say).
        $gone = '{0}-0@orders/error' -f (1 + [long] $ordered[20].Id.Split('-')[0])
        $around = @(Get-MonarchLog @c -Around $gone -Context 2 -WarningVariable warned -WarningAction SilentlyContinue)
        $around.Count | Should -Be 4
        "$warned" | Should -Match 'no longer holds'
    }

    It 'refuses a value that is not an Id' {
        { Get-MonarchLog @c -Around 'not-an-id' -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidCursor*'
    }
}
