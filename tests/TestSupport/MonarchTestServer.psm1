#Requires -Version 7.4
<#
    Test support for the MonarchLogs Pester tests: a throwaway valkey-server on a free loopback
    port in its own temporary folder, and writers that fill it through the documented storage
    format (docs/storage-format.md) with valkey-cli, independently of the module under test.
#>

Set-StrictMode -Version Latest

$script:DefaultPrefix = 'monarch:logs'
$script:FieldOrder = 'ts', 'level', 'service', 'category', 'message', 'template', 'eventId', 'eventName',
    'exType', 'exMessage', 'exStack', 'traceId', 'spanId', 'host', 'props'

function Get-FreeLoopbackPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Test-ServerAnswers([int] $Port) {
    $client = [System.Net.Sockets.TcpClient]::new()
    try {
        $client.Connect([System.Net.IPAddress]::Loopback, $Port)
        $stream = $client.GetStream()
        $stream.ReadTimeout = 1000
        $ping = [System.Text.Encoding]::ASCII.GetBytes("PING`r`n")
        $stream.Write($ping, 0, $ping.Length)
        $buffer = [byte[]]::new(64)
        $read = $stream.Read($buffer, 0, $buffer.Length)
        # -LOADING or -NOAUTH also prove the process listens; the caller only waits for that.
        return $read -gt 0
    }
    catch { return $false }
    finally { $client.Dispose() }
}

function Start-ValkeyProcess($Server) {
    $start = [System.Diagnostics.ProcessStartInfo]::new('valkey-server')
    foreach ($argument in @('--port', $Server.Port, '--bind', '127.0.0.1', '--dir', $Server.Directory, '--save', '',
            '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes', '--logfile', 'valkey.log') + $Server.ExtraArguments) {
        $start.ArgumentList.Add([string] $argument)
    }
    $start.UseShellExecute = $false
    $start.WorkingDirectory = $Server.Directory
    $Server.Process = [System.Diagnostics.Process]::Start($start)
    $deadline = [DateTime]::UtcNow.AddSeconds(10)
    while ([DateTime]::UtcNow -lt $deadline) {
        if ($Server.Process.HasExited) {
            $log = Join-Path $Server.Directory 'valkey.log'
            throw "valkey-server exited at start: $(if (Test-Path $log) { Get-Content $log -Raw })"
        }
        if (Test-ServerAnswers $Server.Port) { return }
        Start-Sleep -Milliseconds 50
    }
    throw "valkey-server on port $($Server.Port) did not answer within 10 s."
}

<#
.SYNOPSIS
    Starts a throwaway valkey-server on a free loopback port, in a new temporary folder.
.OUTPUTS
    An object with Port, ConnectionString, Directory and Process; pass it to the other functions.
#>
function Start-MonarchTestServer {
    [CmdletBinding()]
    param(
        # More valkey-server arguments, for example an ACL user.
        [string[]] $ExtraArguments = @(),

        # Arguments every valkey-cli call of this module adds, e.g. --user admin --pass ... for a
        # server whose default user is off.
        [string[]] $CliArguments = @()
    )
    $lastError = $null
    foreach ($attempt in 1..5) {
        $directory = Join-Path ([System.IO.Path]::GetTempPath()) ('monarchlogs-pester-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $directory | Out-Null
        $port = Get-FreeLoopbackPort
        $server = [pscustomobject]@{
            PSTypeName       = 'MonarchLogs.TestServer'
            Port             = $port
            ConnectionString = "127.0.0.1:$port"
            Directory        = $directory
            ExtraArguments   = $ExtraArguments
            CliArguments     = @($CliArguments) + $(if ($CliArguments) { '--no-auth-warning' } else { @() })
            Process          = $null
        }
        try {
            Start-ValkeyProcess $server
            return $server
        }
        catch {
            $lastError = $_
            Remove-MonarchTestServer -Server $server
        }
    }
    throw "Could not start valkey-server: $lastError"
}

<# .SYNOPSIS Stops the server; unless -NoSave its data is saved and comes back on Start-MonarchTestServerAgain. #>
function Stop-MonarchTestServer {
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Server, [switch] $NoSave)
    if ($null -eq $Server.Process -or $Server.Process.HasExited) { return }
    $command = if ($NoSave) { 'NOSAVE' } else { 'SAVE' }
    & valkey-cli -p $Server.Port @($Server.CliArguments) SHUTDOWN $command 2>&1 | Out-Null
    if (-not $Server.Process.WaitForExit(10000)) { $Server.Process.Kill($true) }
}

<# .SYNOPSIS Starts a stopped server again on the same port and folder. #>
function Start-MonarchTestServerAgain {
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Server)
    if ($null -ne $Server.Process -and -not $Server.Process.HasExited) { return }
    Start-ValkeyProcess $Server
}

<# .SYNOPSIS Stops the server if it runs and deletes its folder. #>
function Remove-MonarchTestServer {
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Server)
    if ($null -ne $Server.Process) {
        if (-not $Server.Process.HasExited) {
            $Server.Process.Kill($true)
            $Server.Process.WaitForExit(5000) | Out-Null
        }
        $Server.Process.Dispose()
    }
    Remove-Item -LiteralPath $Server.Directory -Recurse -Force -ErrorAction SilentlyContinue
}

<# .SYNOPSIS Runs valkey-cli against the server and returns its output lines. #>
function Invoke-MonarchTestCli {
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Server, [Parameter(Mandatory, ValueFromRemainingArguments)] [string[]] $Arguments)
    & valkey-cli -p $Server.Port @($Server.CliArguments) @Arguments
}

function ConvertTo-Resp([string[]] $Arguments) {
    $builder = [System.Text.StringBuilder]::new()
    [void] $builder.Append('*').Append($Arguments.Count).Append("`r`n")
    foreach ($argument in $Arguments) {
        [void] $builder.Append('$').Append([System.Text.Encoding]::UTF8.GetByteCount($argument)).Append("`r`n").Append($argument).Append("`r`n")
    }
    $builder.ToString()
}

function Send-Resp($Server, [System.Collections.Generic.List[string]] $Commands) {
    $file = Join-Path $Server.Directory ('pipe-' + [guid]::NewGuid().ToString('N') + '.resp')
    [System.IO.File]::WriteAllText($file, ($Commands -join ''), [System.Text.UTF8Encoding]::new($false))
    try {
        $output = Get-Content -LiteralPath $file -AsByteStream -Raw | & valkey-cli -p $Server.Port @($Server.CliArguments) --pipe 2>&1
        $summary = ($output | Out-String)
        if ($summary -notmatch 'errors:\s*0,') { throw "valkey-cli --pipe reported errors: $summary" }
    }
    finally { Remove-Item -LiteralPath $file -ErrorAction SilentlyContinue }
}

function Get-UnixMilliseconds([DateTime] $Utc) {
    [DateTimeOffset]::new($Utc.ToUniversalTime()).ToUnixTimeMilliseconds()
}

<#
.SYNOPSIS
    Writes entries exactly as docs/storage-format.md describes, with valkey-cli: the format mark,
    the registry, one XADD per entry with its event time as stream ID, and a notification.
.DESCRIPTION
    Each entry is a hashtable or object with Timestamp (DateTime), Level (lower-case storage
    name), Service, Message and optionally Category, Exception, Properties, Template, EventId.
    Entries of one partition must be given in time order (XADD refuses an older ID).
#>
function Write-MonarchTestEntry {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] $Server,
        [Parameter(Mandatory)] [object[]] $Entry,
        [string] $Prefix = $script:DefaultPrefix,
        [switch] $NoNotify
    )
    $commands = [System.Collections.Generic.List[string]]::new()
    $commands.Add((ConvertTo-Resp @('SET', "${Prefix}:format", '1', 'NX')))
    foreach ($item in $Entry) {
        $item = [pscustomobject] $item
        $field = { param($name) $property = $item.PSObject.Properties[$name]; if ($property) { [string] $property.Value } else { '' } }
        $level = ([string] $item.Level).ToLowerInvariant()
        $stream = "${Prefix}:stream:$($item.Service):$level"
        $time = ([DateTime] $item.Timestamp).ToUniversalTime()
        $values = @{
            ts        = $time.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", [cultureinfo]::InvariantCulture)
            level     = $level
            service   = [string] $item.Service
            category  = & $field Category
            message   = [string] $item.Message
            template  = & $field Template
            eventId   = if (& $field EventId) { & $field EventId } else { '0' }
            eventName = ''
            exType    = & $field ExceptionType
            exMessage = ''
            exStack   = & $field Exception
            traceId   = ''
            spanId    = ''
            host      = 'pester-host'
            props     = & $field Properties
        }
        $commands.Add((ConvertTo-Resp @('HSET', "${Prefix}:partitions", $stream, "${level}:$($item.Service)")))
        $xadd = [System.Collections.Generic.List[string]]::new()
        $xadd.AddRange([string[]] @('XADD', $stream, "$(Get-UnixMilliseconds $time)-*"))
        foreach ($field in $script:FieldOrder) { $xadd.Add($field); $xadd.Add($values[$field]) }
        $commands.Add((ConvertTo-Resp $xadd.ToArray()))
    }
    if (-not $NoNotify) { $commands.Add((ConvertTo-Resp @('PUBLISH', "${Prefix}:notify", [string] $Entry.Count))) }
    Send-Resp $Server $commands
}

<#
.SYNOPSIS
    Adds many small entries to one partition on the server side (a Lua loop), for tests that
    need a big store. Entry i is at StartTime + i ms, with message "bulk <i>".
#>
function Add-MonarchTestBulkEntry {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] $Server,
        [Parameter(Mandatory)] [int] $Count,
        [string] $Service = 'bulk',
        [string] $Level = 'information',
        [DateTime] $StartTime = [DateTime]::UtcNow.AddDays(-1),
        [string] $Prefix = $script:DefaultPrefix
    )
    $script = @'
local start = tonumber(ARGV[1])
for i = 0, tonumber(ARGV[2]) - 1 do
  redis.call('XADD', KEYS[1], tostring(start + i) .. '-*', 'ts', '', 'level', ARGV[3], 'service', ARGV[4], 'message', 'bulk ' .. i)
end
return 1
'@
    $stream = "${Prefix}:stream:${Service}:$Level"
    $cli = @('-p', $Server.Port) + @($Server.CliArguments)
    & valkey-cli @cli SET "${Prefix}:format" 1 NX | Out-Null
    & valkey-cli @cli HSET "${Prefix}:partitions" $stream "${Level}:$Service" | Out-Null
    $result = & valkey-cli @cli EVAL $script 1 $stream (Get-UnixMilliseconds $StartTime) $Count $Level $Service
    if ("$result" -ne '1') { throw "Bulk insert failed: $result" }
}

<#
.SYNOPSIS
    The known data set of the filter tests: 60 entries, one every two minutes back from
    -Now (the newest at Now - 1 min), over four services, six levels and five categories.
    Every count a test expects is computed from this list, the truth, or stated in the test.
#>
function New-MonarchKnownDataSet {
    [CmdletBinding()]
    param([DateTime] $Now = [DateTime]::UtcNow)
    $services = 'orders', 'billing', 'shipping', 'web-api'
    $levels = 'trace', 'debug', 'information', 'warning', 'error', 'critical'
    $categories = 'Monarch.Orders.OrderProcessor', 'Monarch.Orders.Api', 'Monarch.Billing.Invoices',
        'Microsoft.AspNetCore.Hosting', 'Monarch.Shipping.Courier'
    $base = [DateTime]::new($Now.ToUniversalTime().Ticks - ($Now.Ticks % [TimeSpan]::TicksPerSecond), [DateTimeKind]::Utc)
    for ($k = 59; $k -ge 0; $k--) {
        $level = $levels[$k % 6]
        $message = switch ($k % 3) {
            0 { "Order $k shipped" }
            1 { "Payment $k declined" }
            2 { "Cache refreshed in $k ms" }
        }
        $exception = ''
        $exceptionType = ''
        if ($level -in 'error', 'critical' -and $k % 2 -eq 0) {
            $exceptionType = 'System.TimeoutException'
            $exception = "System.TimeoutException: The courier did not answer ($k).`n   at Monarch.Shipping.Courier.SendAsync()"
        }
        [pscustomobject]@{
            Timestamp     = $base.AddMinutes(-(2 * $k + 1))
            Level         = $level
            Service       = $services[$k % 4]
            Category      = $categories[$k % 5]
            Message       = $message
            Template      = ''
            EventId       = $k
            ExceptionType = $exceptionType
            Exception     = $exception
            Properties    = '{"K":' + $k + ',"Tags":["a","b"],"Customer":{"Id":' + (1000 + $k) + '}}'
        }
    }
}

<#
.SYNOPSIS
    Every field in which two lists of entries differ, entry by entry, as lines of text; nothing
    when they are the same. Timestamps are compared to the 100 ns tick; -Exclude leaves fields out
    (Id, which a copy cannot keep; Host, which Write-MonarchLog sets).
#>
function Compare-MonarchEntry {
    [CmdletBinding()]
    param([object[]] $Expected, [object[]] $Actual, [string[]] $Exclude = @('Id'))
    $fields = 'Id', 'Timestamp', 'Level', 'Service', 'Category', 'Message', 'Template', 'EventId', 'EventName',
        'ExceptionType', 'ExceptionMessage', 'Exception', 'TraceId', 'SpanId', 'Host', 'Properties' | Where-Object { $_ -notin $Exclude }
    $Expected = @($Expected); $Actual = @($Actual)
    if ($Expected.Count -ne $Actual.Count) { "expected $($Expected.Count) entries, got $($Actual.Count)" }
    for ($i = 0; $i -lt [Math]::Min($Expected.Count, $Actual.Count); $i++) {
        foreach ($field in $fields) {
            $e = $Expected[$i].$field; $a = $Actual[$i].$field
            if ($field -eq 'Timestamp') { $e = ([datetime] $e).ToUniversalTime().Ticks; $a = ([datetime] $a).ToUniversalTime().Ticks }
            elseif ($field -eq 'Level') { $e = [string] $e; $a = [string] $a }
            if (-not [object]::Equals($e, $a) -and -not ($e -is [string] -and $a -is [string] -and [string]::Equals($e, $a, [StringComparison]::Ordinal))) {
                $show = { param($v) $t = [string] $v; if ($t.Length -gt 80) { $t = $t.Substring(0, 80) + '...' }; $t -replace '[\x00-\x1f]', '?' }
                "entry $i, ${field}: expected '$(& $show $e)', got '$(& $show $a)'"
            }
        }
    }
}

<#
.SYNOPSIS
    Runs a script in a new, non-interactive PowerShell process (as a scheduled task would) and
    returns its exit code and output.
#>
function Invoke-MonarchChildPwsh {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Script, [int] $TimeoutSeconds = 60)
    $file = Join-Path ([System.IO.Path]::GetTempPath()) ('monarchlogs-child-' + [guid]::NewGuid().ToString('N') + '.ps1')
    Set-Content -LiteralPath $file -Value $Script -Encoding utf8
    try {
        # Under `dotnet pwsh` the process is dotnet and the first argument is pwsh.dll.
        $start = [System.Diagnostics.ProcessStartInfo]::new([Environment]::ProcessPath)
        if ([System.IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') {
            $start.ArgumentList.Add([Environment]::GetCommandLineArgs()[0])
        }
        foreach ($argument in '-NoProfile', '-NonInteractive', '-File', $file) { $start.ArgumentList.Add($argument) }
        $start.RedirectStandardOutput = $true
        $start.RedirectStandardError = $true
        $start.UseShellExecute = $false
        $process = [System.Diagnostics.Process]::Start($start)
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
            $process.Kill($true)
            throw "The child PowerShell did not end within $TimeoutSeconds s."
        }
        $process.WaitForExit()
        [pscustomobject]@{ ExitCode = $process.ExitCode; Output = $stdout.Result; Error = $stderr.Result }
    }
    finally { Remove-Item -LiteralPath $file -ErrorAction SilentlyContinue }
}

Export-ModuleMember -Function Start-MonarchTestServer, Stop-MonarchTestServer, Start-MonarchTestServerAgain,
    Remove-MonarchTestServer, Invoke-MonarchTestCli, Write-MonarchTestEntry, Add-MonarchTestBulkEntry, New-MonarchKnownDataSet,
    Invoke-MonarchChildPwsh, Compare-MonarchEntry
