#Requires -Version 7.4
# Start-MonarchLogViewer and Stop-MonarchLogViewer: the viewer as a real child process of this
# PowerShell, serving a real valkey-server's entries; ports, credentials, -WhatIf, and a viewer
# that does not outlive the PowerShell that started it.

BeforeAll {
    $script:modulePath = Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs'
    Import-Module $modulePath -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force

    $script:password = 'Pw-viewer-5e2a-n0t-4-display'
    $script:server = Start-MonarchTestServer
    $script:secured = Start-MonarchTestServer -ExtraArguments @('--user', 'default', 'off', '--user', 'alice', 'on', ">$password", '~*', '&*', '+@all') `
        -CliArguments @('--user', 'alice', '--pass', $password)
    $script:good = [pscredential]::new('alice', (ConvertTo-SecureString $password -AsPlainText -Force))
    $script:bad = [pscredential]::new('alice', (ConvertTo-SecureString 'Wrong-viewer-77c1-password' -AsPlainText -Force))

    $now = [datetime]::UtcNow
    Write-MonarchTestEntry -Server $server -Prefix 'viewer:logs' -Entry @(
        [pscustomobject]@{ Timestamp = $now.AddMinutes(-3); Level = 'information'; Service = 'orders'; Message = 'viewer one' }
        [pscustomobject]@{ Timestamp = $now.AddMinutes(-2); Level = 'warning'; Service = 'orders'; Message = 'viewer two' }
        [pscustomobject]@{ Timestamp = $now.AddMinutes(-1); Level = 'error'; Service = 'billing'; Message = 'viewer three' })
    Write-MonarchTestEntry -Server $secured -Entry @([pscustomobject]@{ Timestamp = $now.AddMinutes(-1); Level = 'warning'; Service = 'secured'; Message = 'secured one' })

    $script:c = @{ ConnectionString = $server.ConnectionString; Prefix = 'viewer:logs' }


    function script:Test-PortFree([int] $Port) {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $Port)
        try { $listener.Start(); $true } catch { $false } finally { $listener.Stop() }
    }

    function script:Test-ProcessRuns([int] $Id) {
        $null -ne (Get-Process -Id $Id -ErrorAction SilentlyContinue)
    }

    function script:Wait-Until([scriptblock] $Condition, [double] $Seconds = 10) {
        $deadline = [datetime]::UtcNow.AddSeconds($Seconds)
        while ([datetime]::UtcNow -lt $deadline) {
            if (& $Condition) { return $true }
            Start-Sleep -Milliseconds 100
        }
        return [bool] (& $Condition)
    }

    # Viewers this file may have left running in other ways than this session's registry.
    $script:strayProcessIds = [System.Collections.Generic.List[int]]::new()
}

AfterAll {
    Stop-MonarchLogViewer -All -ErrorAction SilentlyContinue
    foreach ($id in $strayProcessIds) { Stop-Process -Id $id -Force -ErrorAction SilentlyContinue }
    Remove-MonarchTestServer -Server $server
    Remove-MonarchTestServer -Server $secured
}

Describe 'Start-MonarchLogViewer' {
    AfterEach {
        Stop-MonarchLogViewer -All -ErrorAction SilentlyContinue
    }

    It 'starts the viewer on 127.0.0.1 and its API serves the store''s entries' {
        $port = Get-FreeLoopbackPort
        $viewer = Start-MonarchLogViewer -Port $port @c
        $viewer | Should -BeOfType ([MonarchLogs.Cmdlets.MonarchLogViewerInfo])
        $viewer.Url | Should -BeExactly "http://127.0.0.1:$port/"
        $viewer.Port | Should -Be $port
        $viewer.Server | Should -Be $server.ConnectionString
        $viewer.Prefix | Should -Be 'viewer:logs'
        $viewer.User | Should -BeNullOrEmpty
        Test-ProcessRuns $viewer.ProcessId | Should -BeTrue
        (Get-Process -Id $viewer.ProcessId).StartTime | Should -Be $viewer.StartTime

        $logs = Invoke-RestMethod "$($viewer.Url)api/logs?order=oldest"
        @($logs.entries).message | Should -Be 'viewer one', 'viewer two', 'viewer three'
        (Invoke-RestMethod "$($viewer.Url)api/logs?level=error").entries.service | Should -Be 'billing'
        (Invoke-WebRequest $viewer.Url).Content | Should -Match '<html'
    }

    It 'reads the store of the Connect-MonarchLog session default' {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript({
                    param($module, $connection, $port)
                    Import-Module $module
                    $null = Connect-MonarchLog -ConnectionString $connection -Prefix 'viewer:logs'
                    $viewer = Start-MonarchLogViewer -Port $port
                    $viewer
                    (Invoke-RestMethod "$($viewer.Url)api/logs?order=oldest").entries.message
                    Stop-MonarchLogViewer -All
                    Test-Connection -TargetName 127.0.0.1 -TcpPort $port -TimeoutSeconds 1 -Quiet
                }).AddArgument($modulePath).AddArgument($server.ConnectionString).AddArgument((Get-FreeLoopbackPort))
            $output = $ps.Invoke()
            $ps.Streams.Error | Should -BeNullOrEmpty
            $output[0].Prefix | Should -Be 'viewer:logs'
            $output[1..3] | Should -Be 'viewer one', 'viewer two', 'viewer three'
            $output[4] | Should -BeFalse -Because 'Stop-MonarchLogViewer -All in that session stopped its viewer'
            Test-ProcessRuns $output[0].ProcessId | Should -BeFalse
        }
        finally { $ps.Dispose() }
    }

    It 'a port in use is ViewerPortInUse and starts nothing' {
        $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
        $listener.Start()
        try {
            $port = $listener.LocalEndpoint.Port
            $failure = { Start-MonarchLogViewer -Port $port @c } | Should -Throw -ErrorId 'ViewerPortInUse,MonarchLogs.Cmdlets.StartMonarchLogViewerCommand' -PassThru
            $failure.CategoryInfo.Category | Should -Be 'ResourceUnavailable'
            $failure.Exception.Message | Should -BeLike "*Port $port*in use*"
            Stop-MonarchLogViewer -All -PassThru | Should -BeNullOrEmpty -Because 'no viewer was started'
        }
        finally { $listener.Stop() }
    }

    It 'a port taken by a viewer of this session is ViewerPortInUse too' {
        $viewer = Start-MonarchLogViewer -Port (Get-FreeLoopbackPort) @c
        { Start-MonarchLogViewer -Port $viewer.Port @c } | Should -Throw -ErrorId 'ViewerPortInUse,MonarchLogs.Cmdlets.StartMonarchLogViewerCommand'
        Invoke-RestMethod "$($viewer.Url)api/levels" | Should -Not -BeNullOrEmpty -Because 'the running viewer is untouched'
    }

    It 'gives the viewer the -Credential password through its environment, never its command line' {
        $viewer = Start-MonarchLogViewer -Port (Get-FreeLoopbackPort) -ConnectionString $secured.ConnectionString -Credential $good -Verbose 4>&1 |
            Tee-Object -Variable everything | Where-Object { $_ -is [MonarchLogs.Cmdlets.MonarchLogViewerInfo] }
        $viewer.User | Should -Be 'alice'
        (Invoke-RestMethod "$($viewer.Url)api/logs").entries.message | Should -Be 'secured one'

        $commandLine = (Get-Process -Id $viewer.ProcessId).CommandLine
        $commandLine | Should -Match 'MonarchLogs\.Viewer\.dll' -Because 'the command line must be readable for this test to mean anything'
        $commandLine | Should -Match "--urls http://127\.0\.0\.1:$($viewer.Port)"
        $commandLine | Should -Not -Match ([regex]::Escape($password))
        ($everything | Out-String) | Should -Not -Match ([regex]::Escape($password))
        ($viewer | ConvertTo-Json) | Should -Not -Match ([regex]::Escape($password))
    }

    It 'a wrong password is ValkeyAuthenticationFailed, shows no password and leaves no viewer running' {
        $port = Get-FreeLoopbackPort
        $failure = { Start-MonarchLogViewer -Port $port -ConnectionString $secured.ConnectionString -Credential $bad } |
            Should -Throw -ErrorId 'ValkeyAuthenticationFailed,MonarchLogs.Cmdlets.StartMonarchLogViewerCommand' -PassThru
        $failure.CategoryInfo.Category | Should -Be 'PermissionDenied'
        ($failure | Out-String) + $failure.Exception.ToString() | Should -Not -Match 'Wrong-viewer-77c1-password'
        Test-PortFree $port | Should -BeTrue
        @(Get-Process -Name dotnet -ErrorAction SilentlyContinue | Where-Object CommandLine -Match "127\.0\.0\.1:$port\b") | Should -BeNullOrEmpty
    }

    It 'gives the viewer the trusted CA through its environment: it reads a store behind TLS with a private CA' {
        $tls = Start-MonarchTestServer -Tls
        try {
            Write-MonarchTestEntry -Server $tls -Entry @([pscustomobject]@{ Timestamp = [datetime]::UtcNow.AddMinutes(-1); Level = 'warning'; Service = 'tls'; Message = 'viewer over TLS' })
            # Relative to the current location, which is not the viewer's working directory.
            Push-Location $tls.Directory
            try { $viewer = Start-MonarchLogViewer -Port (Get-FreeLoopbackPort) -ConnectionString $tls.ConnectionString -TrustedCertificateAuthorityPath (Split-Path -Leaf $tls.CertificateAuthority) }
            finally { Pop-Location }
            (Invoke-RestMethod "$($viewer.Url)api/logs").entries.message | Should -Be 'viewer over TLS'
            (Get-Process -Id $viewer.ProcessId).CommandLine | Should -Not -Match ([regex]::Escape($tls.CertificateAuthority))

            $other = New-MonarchTestCertificateAuthority -Directory $tls.Directory -Name 'other-ca'
            $port = Get-FreeLoopbackPort
            $failure = { Start-MonarchLogViewer -Port $port -ConnectionString $tls.ConnectionString -TrustedCertificateAuthorityPath $other.CertificatePath } |
                Should -Throw -ErrorId 'ValkeyCertificateRejected,MonarchLogs.Cmdlets.StartMonarchLogViewerCommand' -PassThru
            $failure.Exception.Message | Should -BeExactly "Valkey at 127.0.0.1:$($tls.Port) presented a TLS certificate that is not signed by the trusted certificate authority '$($other.CertificatePath)'."
            Test-PortFree $port | Should -BeTrue
        }
        finally {
            Stop-MonarchLogViewer -All -ErrorAction SilentlyContinue
            Remove-MonarchTestServer -Server $tls
        }
    }

    It 'an unreachable server is ValkeyUnreachable' {
        { Start-MonarchLogViewer -Port (Get-FreeLoopbackPort) -ConnectionString '127.0.0.1:1' } |
            Should -Throw -ErrorId 'ValkeyUnreachable,MonarchLogs.Cmdlets.StartMonarchLogViewerCommand'
    }

    It 'keeps running through Ctrl+C in the terminal of the PowerShell that started it' -Skip:$IsWindows {
        # Ctrl+C sends SIGINT to the terminal's whole foreground process group, the viewer included.
        $viewer = Start-MonarchLogViewer -Port (Get-FreeLoopbackPort) @c
        & kill -INT $viewer.ProcessId
        Start-Sleep -Milliseconds 1000
        Test-ProcessRuns $viewer.ProcessId | Should -BeTrue
        (Invoke-RestMethod "$($viewer.Url)api/logs").entries.Count | Should -Be 3
    }

    It 'does not outlive the PowerShell process that started it' {
        $script = @"
Import-Module '$modulePath'
`$viewer = Start-MonarchLogViewer -Port $(Get-FreeLoopbackPort) -ConnectionString '$($server.ConnectionString)' -Prefix 'viewer:logs'
`$viewer.ProcessId
"@
        $child = Invoke-MonarchChildPwsh -Script $script
        $child.ExitCode | Should -Be 0 -Because $child.Error
        $viewerId = [int] ($child.Output.Trim() -split '\s+')[-1]
        $strayProcessIds.Add($viewerId)
        $viewerId | Should -BeGreaterThan 0
        Wait-Until { -not (Test-ProcessRuns $viewerId) } -Seconds 15 | Should -BeTrue -Because 'the viewer stops when its parent PowerShell ends'
    }
}

Describe 'Stop-MonarchLogViewer' {
    AfterEach {
        Stop-MonarchLogViewer -All -ErrorAction SilentlyContinue
    }

    It 'stops a viewer by port; the process ends and the port is free' {
        $viewer = Start-MonarchLogViewer -Port (Get-FreeLoopbackPort) @c
        Stop-MonarchLogViewer -Port $viewer.Port | Should -BeNullOrEmpty
        Test-ProcessRuns $viewer.ProcessId | Should -BeFalse
        Test-PortFree $viewer.Port | Should -BeTrue
        { Invoke-RestMethod "$($viewer.Url)api/levels" -TimeoutSec 5 } | Should -Throw
    }

    It 'stops a viewer by process id, and the ones piped to it' {
        $first = Start-MonarchLogViewer -Port (Get-FreeLoopbackPort) @c
        $second = Start-MonarchLogViewer -Port (Get-FreeLoopbackPort) @c
        $third = Start-MonarchLogViewer -Port (Get-FreeLoopbackPort) @c
        Stop-MonarchLogViewer -ProcessId $first.ProcessId
        Test-ProcessRuns $first.ProcessId | Should -BeFalse
        Test-ProcessRuns $second.ProcessId | Should -BeTrue

        $stopped = $second, $third | Stop-MonarchLogViewer -PassThru
        $stopped.ProcessId | Should -Be $second.ProcessId, $third.ProcessId
        Test-ProcessRuns $second.ProcessId | Should -BeFalse
        Test-ProcessRuns $third.ProcessId | Should -BeFalse
    }

    It '-All stops every viewer of the session' {
        $viewers = @(1..2 | ForEach-Object { Start-MonarchLogViewer -Port (Get-FreeLoopbackPort) @c })
        Stop-MonarchLogViewer -All -PassThru | Should -HaveCount 2
        foreach ($viewer in $viewers) { Test-ProcessRuns $viewer.ProcessId | Should -BeFalse }
    }

    It '-WhatIf stops nothing' {
        $viewer = Start-MonarchLogViewer -Port (Get-FreeLoopbackPort) @c
        Stop-MonarchLogViewer -All -WhatIf
        Stop-MonarchLogViewer -Port $viewer.Port -WhatIf
        $viewer | Stop-MonarchLogViewer -WhatIf
        Test-ProcessRuns $viewer.ProcessId | Should -BeTrue
        @((Invoke-RestMethod "$($viewer.Url)api/logs").entries).Count | Should -Be 3
        Stop-MonarchLogViewer -All -PassThru | Should -HaveCount 1 -Because 'it is still tracked after -WhatIf'
    }

    It 'a viewer not started in this session is ViewerNotFound, and the others are still stopped' {
        $viewer = Start-MonarchLogViewer -Port (Get-FreeLoopbackPort) @c
        $unknown = Get-FreeLoopbackPort
        Stop-MonarchLogViewer -Port $unknown, $viewer.Port -ErrorVariable problems -ErrorAction SilentlyContinue
        $problems | Should -HaveCount 1
        $problems[0].FullyQualifiedErrorId | Should -Be 'ViewerNotFound,MonarchLogs.Cmdlets.StopMonarchLogViewerCommand'
        $problems[0].CategoryInfo.Category | Should -Be 'ObjectNotFound'
        $problems[0].TargetObject | Should -Be $unknown
        Test-ProcessRuns $viewer.ProcessId | Should -BeFalse
        { Stop-MonarchLogViewer -ProcessId $viewer.ProcessId -ErrorAction Stop } |
            Should -Throw -ErrorId 'ViewerNotFound,MonarchLogs.Cmdlets.StopMonarchLogViewerCommand' -Because 'it was stopped already'
    }
}
