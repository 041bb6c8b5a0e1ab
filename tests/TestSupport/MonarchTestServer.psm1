#Requires -Version 7.4
<#
    Test support for the MonarchLogs Pester tests: a throwaway valkey-server on a free loopback
    port in its own temporary folder (or a throwaway Valkey Cluster of such servers), and writers
    that fill it through the documented storage format (docs/storage-format.md) with valkey-cli,
    independently of the module under test.
#>

Set-StrictMode -Version Latest

$script:DefaultPrefix = 'monarch:logs'
$script:FieldOrder = 'ts', 'level', 'service', 'category', 'message', 'template', 'eventId', 'eventName',
    'exType', 'exMessage', 'exStack', 'traceId', 'spanId', 'host', 'props'

# A port nothing listens on now, on loopback (the system picks it).
function Get-FreeLoopbackPort {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

function Test-ServerAnswers([int] $Port, [switch] $Tls) {
    $client = [System.Net.Sockets.TcpClient]::new()
    try {
        $client.Connect([System.Net.IPAddress]::Loopback, $Port)
        $stream = $client.GetStream()
        if ($Tls) {
            # Only asks whether the server it started listens: its certificate is not checked here.
            $stream = [System.Net.Security.SslStream]::new($stream, $false, { $true })
            $stream.AuthenticateAsClient('localhost')
        }
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
    # With a configuration file, it decides persistence and the rest; only where to listen and
    # keep files is given here. Without one, a throwaway server that saves nothing.
    $configFile = if ($Server.PSObject.Properties['ConfigFile']) { $Server.ConfigFile } else { $null }
    $arguments = if ($configFile) {
        @($configFile, '--port', $Server.Port, '--bind', '127.0.0.1', '--dir', $Server.Directory, '--daemonize', 'no', '--logfile', 'valkey.log')
    }
    else {
        @('--port', $Server.Port, '--bind', '127.0.0.1', '--dir', $Server.Directory, '--save', '',
            '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes', '--logfile', 'valkey.log')
    }
    foreach ($argument in $arguments + $Server.ExtraArguments) {
        $start.ArgumentList.Add([string] $argument)
    }
    $start.UseShellExecute = $false
    $start.WorkingDirectory = $Server.Directory
    $Server.Process = [System.Diagnostics.Process]::Start($start)
    # A cluster node's object has no CertificateAuthority: it is never TLS.
    $tls = [bool] ($Server.PSObject.Properties['CertificateAuthority'] -and $Server.CertificateAuthority)
    $deadline = [DateTime]::UtcNow.AddSeconds(10)
    while ([DateTime]::UtcNow -lt $deadline) {
        if ($Server.Process.HasExited) {
            $log = Join-Path $Server.Directory 'valkey.log'
            throw "valkey-server exited at start: $(if (Test-Path $log) { Get-Content $log -Raw })"
        }
        if (Test-ServerAnswers $Server.Port -Tls:$tls) { return }
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
        [string[]] $CliArguments = @(),

        # A valkey.conf to start with (its settings kept; port, bind, dir and log file given).
        [string] $ConfigFile,

        # Speak TLS only, with a certificate for localhost and 127.0.0.1 signed by a CA made for
        # this server (its PEM file is the result's CertificateAuthority); the connection string
        # has ssl=true and valkey-cli trusts the CA.
        [switch] $Tls
    )
    $lastError = $null
    foreach ($attempt in 1..5) {
        $directory = Join-Path ([System.IO.Path]::GetTempPath()) ('monarchlogs-pester-' + [guid]::NewGuid().ToString('N'))
        New-Item -ItemType Directory -Path $directory | Out-Null
        $port = Get-FreeLoopbackPort
        $server = [pscustomobject]@{
            PSTypeName           = 'MonarchLogs.TestServer'
            Port                 = $port
            ConnectionString     = "127.0.0.1:$port"
            Directory            = $directory
            ExtraArguments       = $ExtraArguments
            ConfigFile           = $(if ($ConfigFile) { (Resolve-Path -LiteralPath $ConfigFile).Path } else { $null })
            CliArguments         = @($CliArguments) + $(if ($CliArguments) { '--no-auth-warning' } else { @() })
            CertificateAuthority = $null
            Process              = $null
        }
        try {
            if ($Tls) {
                $authority = New-MonarchTestCertificateAuthority -Directory $directory
                $certificate = $authority.IssueServerCertificate($directory, 'server')
                # Later arguments win: no plain port, the TLS port instead.
                $server.ExtraArguments = @($ExtraArguments) + @('--port', '0', '--tls-port', $port, '--tls-cert-file', $certificate.Item1,
                    '--tls-key-file', $certificate.Item2, '--tls-ca-cert-file', $authority.CertificatePath, '--tls-auth-clients', 'no')
                $server.ConnectionString = "127.0.0.1:$port,ssl=true"
                $server.CliArguments = @($server.CliArguments) + @('--tls', '--cacert', $authority.CertificatePath)
                $server.CertificateAuthority = $authority.CertificatePath
            }
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

<#
.SYNOPSIS
    A throwaway certificate authority made by openssl in a folder (the one the xunit tests use,
    from the test support assembly tests/MonarchLogs.Testing, built with the solution). Its
    CertificatePath is the CA's PEM file; IssueServerCertificate(folder, name) signs a server
    certificate for localhost and 127.0.0.1.
#>
function New-MonarchTestCertificateAuthority {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Directory, [string] $Name = 'ca')
    if (-not ('MonarchLogs.Testing.TestCertificateAuthority' -as [type])) {
        $built = Get-ChildItem -Path (Join-Path $PSScriptRoot '..' 'MonarchLogs.Testing' 'bin' '*' 'net10.0' 'MonarchLogs.Testing.dll') -ErrorAction SilentlyContinue |
            Sort-Object LastWriteTimeUtc -Descending | Select-Object -First 1
        if (-not $built) { throw 'The test support assembly is not built: build the solution first (./build.sh build).' }
        Add-Type -LiteralPath $built.FullName
    }
    ('MonarchLogs.Testing.TestCertificateAuthority' -as [type])::Create($Directory, $Name)
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

function Test-LoopbackPortFree([int] $Port) {
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $Port)
    try { $listener.Start(); return $true }
    catch { return $false }
    finally { $listener.Stop() }
}

# A free loopback port below 45000 whose port + 10000 (the cluster bus port) is free too and
# clear of the ports already handed out; the range stays clear of the ephemeral one.
function Get-FreeClusterNodePort([int[]] $Taken) {
    foreach ($attempt in 1..500) {
        $port = Get-Random -Minimum 20000 -Maximum 45000
        if ($Taken -contains $port -or $Taken -contains ($port + 10000)) { continue }
        if ((Test-LoopbackPortFree $port) -and (Test-LoopbackPortFree ($port + 10000))) { return $port }
    }
    throw 'No free pair of loopback ports for a cluster node.'
}

function Test-Cluster($Server) { $null -ne $Server.PSObject.Properties['Nodes'] }

<#
.SYNOPSIS
    Starts a throwaway Valkey Cluster on loopback, as an operator would make one: -Masters masters
    with -ReplicasPerMaster replicas each, every node a valkey-server --cluster-enabled yes in a
    temporary folder of its own, joined by valkey-cli --cluster create. Returns once every node
    says cluster_state:ok with all 16384 slots served.
.OUTPUTS
    An object with Nodes (each like the object of Start-MonarchTestServer) and ConnectionString
    (every node, comma-separated); Write-MonarchTestEntry and Invoke-MonarchTestCli take it as -Server.
#>
function Start-MonarchTestCluster {
    [CmdletBinding()]
    param([int] $Masters = 3, [int] $ReplicasPerMaster = 1)
    $nodes = [System.Collections.Generic.List[object]]::new()
    try {
        foreach ($i in 1..($Masters * (1 + $ReplicasPerMaster))) {
            $taken = @($nodes | ForEach-Object { $_.Port; $_.Port + 10000 })
            $lastError = $null
            foreach ($attempt in 1..5) {
                $directory = Join-Path ([System.IO.Path]::GetTempPath()) ('monarchlogs-pester-' + [guid]::NewGuid().ToString('N'))
                New-Item -ItemType Directory -Path $directory | Out-Null
                $port = Get-FreeClusterNodePort $taken
                $node = [pscustomobject]@{
                    PSTypeName       = 'MonarchLogs.TestServer'
                    Port             = $port
                    ConnectionString = "127.0.0.1:$port"
                    Directory        = $directory
                    ExtraArguments   = @('--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000',
                        '--repl-diskless-sync-delay', '0')
                    CliArguments     = @()
                    Process          = $null
                }
                try {
                    Start-ValkeyProcess $node
                    $nodes.Add($node)
                    $lastError = $null
                    break
                }
                catch {
                    $lastError = $_
                    Remove-MonarchTestServer -Server $node
                    $taken += $port
                }
            }
            if ($null -ne $lastError) { throw "Could not start a cluster node: $lastError" }
        }

        $cluster = [pscustomobject]@{
            PSTypeName       = 'MonarchLogs.TestCluster'
            Nodes            = $nodes.ToArray()
            ConnectionString = @($nodes | ForEach-Object ConnectionString) -join ','
        }
        $created = & valkey-cli --cluster create @($nodes | ForEach-Object ConnectionString) --cluster-replicas $ReplicasPerMaster --cluster-yes 2>&1
        if ($LASTEXITCODE -ne 0) { throw "valkey-cli --cluster create failed: $($created | Out-String)" }
        Wait-MonarchTestClusterHealthy -Cluster $cluster
        return $cluster
    }
    catch {
        foreach ($node in $nodes) { Remove-MonarchTestServer -Server $node }
        throw
    }
}

<# .SYNOPSIS Waits until every running node of the cluster says cluster_state:ok with all 16384 slots served. #>
function Wait-MonarchTestClusterHealthy {
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Cluster, [int] $TimeoutSeconds = 30)
    $deadline = [DateTime]::UtcNow.AddSeconds($TimeoutSeconds)
    while ($true) {
        $unhealthy = @($Cluster.Nodes | Where-Object { -not $_.Process.HasExited } | Where-Object {
                $info = (& valkey-cli -p $_.Port CLUSTER INFO 2>&1) -join "`n"
                $info -notmatch 'cluster_state:ok' -or $info -notmatch 'cluster_slots_ok:16384'
            })
        if ($unhealthy.Count -eq 0) { return }
        if ([DateTime]::UtcNow -gt $deadline) { throw "The cluster did not become healthy within $TimeoutSeconds s (nodes $($unhealthy.Port -join ', '))." }
        Start-Sleep -Milliseconds 200
    }
}

<#
.SYNOPSIS
    The masters of the cluster as its nodes see them (CLUSTER NODES): Id, Port, the node object
    and Slots, the slot ranges each serves.
#>
function Get-MonarchTestClusterMaster {
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Cluster)
    $asked = @($Cluster.Nodes | Where-Object { -not $_.Process.HasExited })[0]
    foreach ($line in (& valkey-cli -p $asked.Port CLUSTER NODES)) {
        $parts = $line -split ' '
        if ($parts.Count -lt 8 -or $parts[2] -notmatch 'master' -or $parts[2] -match 'fail') { continue }
        $port = [int] ((($parts[1] -split '@')[0] -split ':')[-1])
        $slots = @($parts | Select-Object -Skip 8 | Where-Object { $_ -match '^\d+(-\d+)?$' } | ForEach-Object {
                $bounds = [int[]] ($_ -split '-')
                [pscustomobject]@{ Start = $bounds[0]; End = $bounds[-1] }
            })
        [pscustomobject]@{ Id = $parts[0]; Port = $port; Node = @($Cluster.Nodes | Where-Object Port -eq $port)[0]; Slots = $slots }
    }
}

<#
.SYNOPSIS
    Which master holds each key: a hashtable from key to the master's node object. The slot of
    each key is the server's answer (CLUSTER KEYSLOT), the owner of each slot its CLUSTER NODES.
#>
function Get-MonarchTestClusterKeyOwner {
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Cluster, [Parameter(Mandatory)] [string[]] $Key)
    $masters = @(Get-MonarchTestClusterMaster -Cluster $Cluster)
    # One valkey-cli for all keys: it runs each line of its input as a command.
    $lines = foreach ($name in $Key) { 'CLUSTER KEYSLOT "' + ($name -replace '\\', '\\' -replace '"', '\"') + '"' }
    $slots = @($lines | & valkey-cli -p $masters[0].Port)
    if ($slots.Count -ne $Key.Count) { throw "CLUSTER KEYSLOT answered $($slots.Count) lines for $($Key.Count) keys: $($slots -join ' ')" }
    $owners = [hashtable]::new([StringComparer]::Ordinal)
    for ($i = 0; $i -lt $Key.Count; $i++) {
        $slot = [int] $slots[$i]
        $master = @($masters | Where-Object { @($_.Slots | Where-Object { $slot -ge $_.Start -and $slot -le $_.End }).Count -gt 0 })
        if ($master.Count -ne 1) { throw "Slot $slot of '$($Key[$i])' has $($master.Count) masters." }
        $owners[$Key[$i]] = $master[0].Node
    }
    $owners
}

<# .SYNOPSIS Stops every node of the cluster and deletes their folders. #>
function Remove-MonarchTestCluster {
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Cluster)
    foreach ($node in $Cluster.Nodes) { Remove-MonarchTestServer -Server $node }
}

<#
.SYNOPSIS
    Runs valkey-cli against the server and returns its output lines; against a cluster, in
    cluster mode (-c) from its first node, so that a command on a key follows it to its master.
#>
function Invoke-MonarchTestCli {
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Server, [Parameter(Mandatory, ValueFromRemainingArguments)] [string[]] $Arguments)
    if (Test-Cluster $Server) { & valkey-cli -c -p $Server.Nodes[0].Port @Arguments }
    else { & valkey-cli -p $Server.Port @($Server.CliArguments) @Arguments }
}

function ConvertTo-Resp([string[]] $Arguments) {
    $builder = [System.Text.StringBuilder]::new()
    [void] $builder.Append('*').Append($Arguments.Count).Append("`r`n")
    foreach ($argument in $Arguments) {
        [void] $builder.Append('$').Append([System.Text.Encoding]::UTF8.GetByteCount($argument)).Append("`r`n").Append($argument).Append("`r`n")
    }
    $builder.ToString()
}

function Send-Resp($Server, [string[]] $Commands) {
    $file = Join-Path $Server.Directory ('pipe-' + [guid]::NewGuid().ToString('N') + '.resp')
    [System.IO.File]::WriteAllText($file, ($Commands -join ''), [System.Text.UTF8Encoding]::new($false))
    try {
        $output = Get-Content -LiteralPath $file -AsByteStream -Raw | & valkey-cli -p $Server.Port @($Server.CliArguments) --pipe 2>&1
        $summary = ($output | Out-String)
        if ($summary -notmatch 'errors:\s*0,') { throw "valkey-cli --pipe reported errors: $summary" }
    }
    finally { Remove-Item -LiteralPath $file -ErrorAction SilentlyContinue }
}

function New-Command([string] $Key, [string[]] $Arguments) {
    [pscustomobject]@{ Key = $Key; Resp = ConvertTo-Resp $Arguments }
}

# Sends commands (each with the key it names, or none) through valkey-cli --pipe: to the server,
# or on a cluster each to the master that holds its key, in the order given; the commands that
# name no key go last, to the first node (a PUBLISH there reaches every node of the cluster).
function Send-Command($Server, [object[]] $Commands) {
    if (-not (Test-Cluster $Server)) {
        Send-Resp $Server @($Commands | ForEach-Object Resp)
        return
    }
    $keys = [System.Collections.Generic.HashSet[string]]::new([StringComparer]::Ordinal)
    foreach ($command in $Commands) { if ($command.Key) { [void] $keys.Add($command.Key) } }
    $owners = if ($keys.Count -gt 0) { Get-MonarchTestClusterKeyOwner -Cluster $Server -Key ([string[]] @($keys)) } else { @{} }
    $byNode = [ordered]@{}
    foreach ($command in $Commands) {
        if (-not $command.Key) { continue }
        $node = $owners[$command.Key]
        # A text key: an ordered dictionary takes an integer as a position.
        $port = [string] $node.Port
        if (-not $byNode.Contains($port)) { $byNode[$port] = [pscustomobject]@{ Node = $node; Resp = [System.Collections.Generic.List[string]]::new() } }
        $byNode[$port].Resp.Add($command.Resp)
    }
    foreach ($group in $byNode.Values) { Send-Resp $group.Node $group.Resp.ToArray() }
    $keyless = @($Commands | Where-Object { -not $_.Key } | ForEach-Object Resp)
    if ($keyless.Count -gt 0) { Send-Resp $Server.Nodes[0] $keyless }
}

function Get-UnixMilliseconds([DateTime] $Utc) {
    [DateTimeOffset]::new($Utc.ToUniversalTime()).ToUnixTimeMilliseconds()
}

<#
.SYNOPSIS
    Writes entries exactly as docs/storage-format.md describes, with valkey-cli: the format mark,
    the registry, one XADD per entry with its event time as stream ID, and a notification. Given
    a cluster (Start-MonarchTestCluster), each command goes to the master that holds its key.
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
        [switch] $NoNotify,
        # Also count each entry in its partition's counts hash, as docs/storage-format.md says a
        # program that writes by hand may (the append script does it itself).
        [switch] $Counted
    )
    $commands = [System.Collections.Generic.List[object]]::new()
    $commands.Add((New-Command "${Prefix}:format" @('SET', "${Prefix}:format", '1', 'NX')))
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
            eventName = & $field EventName
            exType    = & $field ExceptionType
            exMessage = & $field ExceptionMessage
            exStack   = & $field Exception
            traceId   = & $field TraceId
            spanId    = & $field SpanId
            host      = 'pester-host'
            props     = & $field Properties
        }
        $commands.Add((New-Command "${Prefix}:partitions" @('HSET', "${Prefix}:partitions", $stream, "${level}:$($item.Service)")))
        $xadd = [System.Collections.Generic.List[string]]::new()
        $xadd.AddRange([string[]] @('XADD', $stream, "$(Get-UnixMilliseconds $time)-*"))
        foreach ($field in $script:FieldOrder) { $xadd.Add($field); $xadd.Add($values[$field]) }
        $commands.Add((New-Command $stream $xadd.ToArray()))
        if ($Counted) {
            $minute = [Math]::Floor((Get-UnixMilliseconds $time) / 60000)
            $commands.Add((New-Command $stream @('HINCRBY', "${Prefix}:counts:{$stream}", "$minute", '1')))
            $commands.Add((New-Command $stream @('HINCRBY', "${Prefix}:counts:{$stream}:hours", "$([Math]::Floor($minute / 60))", '1')))
        }
    }
    # The notification names the batch's stream keys, as the writers' does: a tail learns from it
    # that a partition it does not know yet was written.
    $written = @($commands | Where-Object { $_.Key -like "${Prefix}:stream:*" } | ForEach-Object Key | Select-Object -Unique)
    if (-not $NoNotify) { $commands.Add((New-Command $null @('PUBLISH', "${Prefix}:notify", ($written -join "`n")))) }
    Send-Command $Server $commands.ToArray()
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
    # On a cluster, valkey-cli -c follows each command to the master that holds its key.
    $cli = if (Test-Cluster $Server) { @('-c', '-p', $Server.Nodes[0].Port) } else { @('-p', $Server.Port) + @($Server.CliArguments) }
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
            elseif ($field -in 'Level', 'Properties') { $e = [string] $e; $a = [string] $a }  # Properties: its JSON text
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
    returns its exit code and output. -Environment sets (or, with $null, removes) variables of
    the child's environment, e.g. a HOME of its own.
#>
function Invoke-MonarchChildPwsh {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [string] $Script, [int] $TimeoutSeconds = 60, [hashtable] $Environment = @{})
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
        foreach ($name in $Environment.Keys) {
            if ($null -eq $Environment[$name]) { $start.Environment.Remove($name) | Out-Null }
            else { $start.Environment[$name] = [string] $Environment[$name] }
        }
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

<#
.SYNOPSIS
    The entries of one partition in either storage format, counted with one script: each block
    of its stream and head (docs/storage-format.md) counts its n, an entry of format 1 one.
#>
function Get-MonarchTestEntryCount {
    [CmdletBinding()]
    param([Parameter(Mandatory)] $Server, [Parameter(Mandatory)] [string] $Prefix, [Parameter(Mandatory)] [string] $Service, [Parameter(Mandatory)] [string] $Level)
    $stream = "${Prefix}:stream:${Service}:${Level}"
    $script = "local total = 0 for _, key in ipairs(KEYS) do if redis.call('TYPE', key).ok == 'stream' then " +
        "for _, e in ipairs(redis.call('XRANGE', key, '-', '+')) do local n = 1 " +
        "for i = 1, #e[2], 2 do if e[2][i] == 'n' then n = tonumber(e[2][i + 1]) end end total = total + n end end end return total"
    [long] (Invoke-MonarchTestCli -Server $Server EVAL $script 2 $stream "${Prefix}:head:{$stream}")
}

Export-ModuleMember -Function Get-FreeLoopbackPort, Start-MonarchTestServer, New-MonarchTestCertificateAuthority, Stop-MonarchTestServer, Start-MonarchTestServerAgain,
    Remove-MonarchTestServer, Start-MonarchTestCluster, Wait-MonarchTestClusterHealthy, Get-MonarchTestClusterMaster,
    Get-MonarchTestClusterKeyOwner, Remove-MonarchTestCluster, Invoke-MonarchTestCli, Write-MonarchTestEntry, Add-MonarchTestBulkEntry, New-MonarchKnownDataSet,
    Invoke-MonarchChildPwsh, Compare-MonarchEntry, Get-MonarchTestEntryCount
