#Requires -Version 7.4
# Connections: Connect-MonarchLog and the session default, ACL credentials, the environment
# variable, one shared connection per session, and a password that never shows. Session defaults
# belong to a runspace, so each session test runs in a fresh runspace of its own.

BeforeAll {
    $script:modulePath = Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs'
    Import-Module $modulePath -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force

    $script:password = 'Pw-7f3c9e-n0t-4-display'
    $script:plain = Start-MonarchTestServer
    $script:secured = Start-MonarchTestServer -ExtraArguments @('--user', 'default', 'off', '--user', 'alice', 'on', ">$password", '~*', '&*', '+@all') `
        -CliArguments @('--user', 'alice', '--pass', $password)
    $script:good = [pscredential]::new('alice', (ConvertTo-SecureString $password -AsPlainText -Force))
    $script:bad = [pscredential]::new('alice', (ConvertTo-SecureString 'Wrong-5b1d-password' -AsPlainText -Force))

    $entry = { param($service, $message) [pscustomobject]@{ Timestamp = [datetime]::UtcNow.AddMinutes(-1); Level = 'warning'; Service = $service; Message = $message } }
    Write-MonarchTestEntry -Server $plain -Prefix 'conn:logs' -Entry @((& $entry plain 'plain one'), (& $entry plain 'plain two'))
    Write-MonarchTestEntry -Server $secured -Entry @((& $entry secured 'secured one'))

    # Runs a script in a new runspace with the module imported; $a holds the arguments. A
    # cmdlet's terminating error ends only its statement there, and lands in Errors as it is.
    function script:Invoke-InNewSession([scriptblock] $Script, [hashtable] $Arguments = @{}) {
        $ps = [powershell]::Create()
        try {
            $null = $ps.AddScript("param(`$module, `$a) Import-Module `$module; $Script").
                AddArgument($modulePath).AddArgument($Arguments)
            $output = $ps.Invoke()
            [pscustomobject]@{
                Output  = @($output)
                Errors  = @($ps.Streams.Error)
                Verbose = @($ps.Streams.Verbose)
                Warning = @($ps.Streams.Warning)
            }
        }
        finally { $ps.Dispose() }
    }

    function script:Get-ClientCount($Server) {
        @(Invoke-MonarchTestCli -Server $Server CLIENT LIST | Where-Object { $_ -match '\bname=MonarchLogs\.PowerShell\b' }).Count
    }
}

AfterAll {
    Remove-MonarchTestServer -Server $plain
    Remove-MonarchTestServer -Server $secured
}

Describe 'Connect-MonarchLog' {
    It 'makes a store the default of the session' {
        $result = Invoke-InNewSession {
            Connect-MonarchLog -ConnectionString $a.Server -Prefix 'conn:logs'
            Get-MonarchLog -Oldest
        } @{ Server = $plain.ConnectionString }
        $result.Errors | Should -BeNullOrEmpty
        $info = $result.Output[0]
        $info | Should -BeOfType ([MonarchLogs.Cmdlets.MonarchConnectionInfo])
        $info.Server | Should -Be $plain.ConnectionString
        $info.User | Should -BeNullOrEmpty
        $info.Prefix | Should -Be 'conn:logs'
        $info.Services | Should -Be 1
        $result.Output[1..2].Message | Should -Be 'plain one', 'plain two'
    }

    It 'connects as a Valkey ACL user with -Credential' {
        $result = Invoke-InNewSession {
            Connect-MonarchLog -ConnectionString $a.Server -Credential $a.Credential
            Get-MonarchLog
        } @{ Server = $secured.ConnectionString; Credential = $good }
        $result.Errors | Should -BeNullOrEmpty
        $result.Output[0].User | Should -Be 'alice'
        $result.Output[1].Message | Should -Be 'secured one'
    }

    It 'takes -Credential on every cmdlet' {
        $entries = @(Get-MonarchLog -ConnectionString $secured.ConnectionString -Credential $good)
        $entries.Message | Should -Be 'secured one'
        (Get-MonarchLogService -ConnectionString $secured.ConnectionString -Credential $good).Service | Should -Be 'secured'
        (Remove-ExpiredMonarchLog -ConnectionString $secured.ConnectionString -Credential $good -WhatIf).PartitionsScanned | Should -Be 1
    }

    It 'a wrong password is ValkeyAuthenticationFailed and the session default stays' {
        $result = Invoke-InNewSession {
            $null = Connect-MonarchLog -ConnectionString $a.Plain -Prefix 'conn:logs'
            try { Connect-MonarchLog -ConnectionString $a.Secured -Credential $a.Bad } catch { $_ }
            Get-MonarchLog -First 1 -Oldest
        } @{ Plain = $plain.ConnectionString; Secured = $secured.ConnectionString; Bad = $bad }
        $failure = $result.Output[0]
        $failure.FullyQualifiedErrorId | Should -Be 'ValkeyAuthenticationFailed,MonarchLogs.Cmdlets.ConnectMonarchLogCommand'
        $failure.CategoryInfo.Category | Should -Be 'PermissionDenied'
        $result.Output[1].Message | Should -Be 'plain one'
    }

    It 'a wrong password is ValkeyAuthenticationFailed even when the default user is open' {
        # A refused AUTH leaves a connection logged in as an open (nopass) default user. A server of
        # its own: the connections this test leaves in the process would count in other tests.
        $open = Start-MonarchTestServer -ExtraArguments @('--user', 'monarch-reader', 'on', ">$password", '~*', '&*', '+@all')
        Write-MonarchTestEntry -Server $open -Prefix 'conn:logs' -Entry @([pscustomobject]@{ Timestamp = [datetime]::UtcNow.AddMinutes(-1); Level = 'warning'; Service = 'open'; Message = 'open one' })
        $wrong = [pscredential]::new('monarch-reader', (ConvertTo-SecureString 'Wrong-5b1d-password' -AsPlainText -Force))
        $right = [pscredential]::new('monarch-reader', (ConvertTo-SecureString $password -AsPlainText -Force))
        $result = Invoke-InNewSession {
            try { Connect-MonarchLog -ConnectionString $a.Plain -Credential $a.Wrong -Prefix 'conn:logs' } catch { $_ }
            try { Get-MonarchLog -ConnectionString $a.Plain -Credential $a.Wrong -Prefix 'conn:logs' } catch { $_ }
            Connect-MonarchLog -ConnectionString $a.Plain -Credential $a.Right -Prefix 'conn:logs'
        } @{ Plain = $open.ConnectionString; Wrong = $wrong; Right = $right }
        Remove-MonarchTestServer -Server $open
        $result.Output[0].FullyQualifiedErrorId | Should -Be 'ValkeyAuthenticationFailed,MonarchLogs.Cmdlets.ConnectMonarchLogCommand'
        $result.Output[0].CategoryInfo.Category | Should -Be 'PermissionDenied'
        $result.Output[0].Exception.Message | Should -Match "refused the user name or password \(user 'monarch-reader'\)"
        $result.Output[0].Exception.Message | Should -Not -Match 'Wrong-5b1d-password'
        $result.Output[1].FullyQualifiedErrorId | Should -Be 'ValkeyAuthenticationFailed,MonarchLogs.Cmdlets.GetMonarchLogCommand'
        $result.Output[2].User | Should -Be 'monarch-reader'
        $result.Output[2].Services | Should -Be 1
    }

    It 'a server that requires a login, without -Credential, is ValkeyAuthenticationFailed' {
        { Get-MonarchLog -ConnectionString $secured.ConnectionString } |
            Should -Throw -ErrorId 'ValkeyAuthenticationFailed,MonarchLogs.Cmdlets.GetMonarchLogCommand'
    }

    It 'never sends the session credential to a server named with -ConnectionString' {
        $result = Invoke-InNewSession {
            $null = Connect-MonarchLog -ConnectionString $a.Secured -Credential $a.Credential
            Get-MonarchLog -ConnectionString $a.Secured
        } @{ Secured = $secured.ConnectionString; Credential = $good }
        $result.Output | Should -BeNullOrEmpty
        $result.Errors[0].FullyQualifiedErrorId | Should -Be 'ValkeyAuthenticationFailed,MonarchLogs.Cmdlets.GetMonarchLogCommand'
    }

    It 'an unreachable server is ValkeyUnreachable and the session default stays' {
        $result = Invoke-InNewSession {
            $null = Connect-MonarchLog -ConnectionString $a.Plain -Prefix 'conn:logs'
            try { Connect-MonarchLog -ConnectionString '127.0.0.1:1' } catch { $_ }
            (Get-MonarchLog).Count
        } @{ Plain = $plain.ConnectionString }
        $result.Output[0].FullyQualifiedErrorId | Should -Be 'ValkeyUnreachable,MonarchLogs.Cmdlets.ConnectMonarchLogCommand'
        $result.Output[0].CategoryInfo.Category | Should -Be 'ConnectionError'
        $result.Output[1] | Should -Be 2
    }

    It 'an invalid connection string is InvalidConnectionString' {
        { Connect-MonarchLog -ConnectionString "$($plain.ConnectionString),noSuchOption=1" } |
            Should -Throw -ErrorId 'InvalidConnectionString,MonarchLogs.Cmdlets.ConnectMonarchLogCommand'
    }

    It 'never shows the password: not in output, errors, verbose text or warnings' {
        $result = Invoke-InNewSession {
            Connect-MonarchLog -ConnectionString $a.Secured -Credential $a.Good -Verbose | Format-List * | Out-String
            Get-MonarchLog -Verbose | Format-List * | Out-String
            Get-MonarchLog -ConnectionString $a.Secured -Credential $a.Bad -Verbose
            # A password written into the connection string, against advice, is not shown either.
            Connect-MonarchLog -ConnectionString "$($a.Secured),user=alice,password=$($a.Password)" -Verbose | Format-List * | Out-String
            Get-MonarchLog -ConnectionString "$($a.Secured),user=alice,password=Wrong-5b1d-password" -Verbose
        } @{ Secured = $secured.ConnectionString; Good = $good; Bad = $bad; Password = $password }
        $result.Errors.Count | Should -Be 2 -Because 'only the two wrong passwords fail'
        $text = @(
            $result.Output | Out-String
            $result.Verbose.Message
            $result.Warning.Message
            foreach ($record in $result.Errors) {
                $record | Format-List * -Force | Out-String
                $record.Exception.ToString()
                $record.TargetObject | Out-String
            }
        ) -join "`n"
        $text | Should -Match 'alice' -Because 'the collected text is the real output'
        $text | Should -Not -Match ([regex]::Escape($password))
        $text | Should -Not -Match 'Wrong-5b1d-password'
    }

    It 'uses $env:MONARCHLOGS_CONNECTION when the session has no default' {
        $saved = $env:MONARCHLOGS_CONNECTION
        try {
            $env:MONARCHLOGS_CONNECTION = $plain.ConnectionString
            $result = Invoke-InNewSession { (Get-MonarchLog -Prefix 'conn:logs').Count }
            $result.Errors | Should -BeNullOrEmpty
            $result.Output[0] | Should -Be 2
        }
        finally { $env:MONARCHLOGS_CONNECTION = $saved }
    }

    It 'falls back to localhost:6379' {
        $listener = [System.Net.Sockets.TcpClient]::new()
        try { $listener.Connect('localhost', 6379); $taken = $true } catch { $taken = $false } finally { $listener.Dispose() }
        if ($taken) { Set-ItResult -Skipped -Because 'something listens on localhost:6379 here' }
        $saved = $env:MONARCHLOGS_CONNECTION
        try {
            $env:MONARCHLOGS_CONNECTION = $null
            $result = Invoke-InNewSession { Get-MonarchLog }
            $result.Errors[0].FullyQualifiedErrorId | Should -Be 'ValkeyUnreachable,MonarchLogs.Cmdlets.GetMonarchLogCommand'
            $result.Errors[0].Exception.Message | Should -Match 'localhost:6379'
        }
        finally { $env:MONARCHLOGS_CONNECTION = $saved }
    }

    It 'shares one connection per session: more commands open no more connections' {
        $null = Get-MonarchLog -ConnectionString $plain.ConnectionString -Prefix 'conn:logs'
        $first = Get-ClientCount $plain
        $first | Should -BeGreaterThan 0
        $first | Should -BeLessOrEqual 2 -Because 'one multiplexer: an interactive and a subscription connection'
        foreach ($i in 1..5) {
            $null = Get-MonarchLog -ConnectionString $plain.ConnectionString -Prefix 'conn:logs' -First 1
            $null = Get-MonarchLogService -ConnectionString $plain.ConnectionString -Prefix 'conn:logs'
            $null = Watch-MonarchLog -ConnectionString $plain.ConnectionString -Prefix 'conn:logs' -Tail 1 -Count 1
            $null = Remove-ExpiredMonarchLog -ConnectionString $plain.ConnectionString -Prefix 'conn:logs' -WhatIf
        }
        Get-ClientCount $plain | Should -Be $first
    }
}

Describe 'TLS with a private certificate authority' {
    BeforeAll {
        $script:tls = Start-MonarchTestServer -Tls
        Write-MonarchTestEntry -Server $tls -Entry @([pscustomobject]@{ Timestamp = [datetime]::UtcNow.AddMinutes(-1); Level = 'warning'; Service = 'tls'; Message = 'over TLS' })
        $script:otherAuthority = New-MonarchTestCertificateAuthority -Directory $tls.Directory -Name 'other-ca'
    }

    AfterAll {
        Remove-MonarchTestServer -Server $tls
    }

    It 'connects when the trusted CA signed the certificate, and the session default keeps the CA' {
        $result = Invoke-InNewSession {
            Connect-MonarchLog -ConnectionString $a.Server -TrustedCertificateAuthorityPath $a.Authority
            Get-MonarchLog
        } @{ Server = $tls.ConnectionString; Authority = $tls.CertificateAuthority }
        $result.Errors | Should -BeNullOrEmpty
        $result.Output[0].Services | Should -Be 1
        $result.Output[1].Message | Should -Be 'over TLS'
    }

    It 'takes a path relative to the current location' {
        Push-Location $tls.Directory
        try { (Get-MonarchLog -ConnectionString $tls.ConnectionString -TrustedCertificateAuthorityPath (Split-Path -Leaf $tls.CertificateAuthority)).Message | Should -Be 'over TLS' }
        finally { Pop-Location }
    }

    It 'a certificate <Case> is ValkeyCertificateRejected with the reason' -ForEach @(
        @{ Case = 'of another CA'; Options = ''; Authority = 'other'; Reason = "is not signed by the trusted certificate authority '{other}'." }
        @{ Case = 'for another host'; Options = ',sslHost=valkey.example'; Authority = 'own'; Reason = "does not name the host 'valkey.example' (the host of the connection string, or its sslHost); it names 'localhost', '127.0.0.1'." }
        @{ Case = 'the system does not trust'; Options = ''; Authority = $null; Reason = 'is not trusted by this system (UntrustedRoot); give the CA that signed it as TrustedCertificateAuthorityPath.' }
    ) {
        $c = @{ ConnectionString = $tls.ConnectionString + $Options }
        if ($Authority) { $c.TrustedCertificateAuthorityPath = if ($Authority -eq 'own') { $tls.CertificateAuthority } else { $otherAuthority.CertificatePath } }
        $failure = { Connect-MonarchLog @c } | Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -Be 'ValkeyCertificateRejected,MonarchLogs.Cmdlets.ConnectMonarchLogCommand'
        $failure.CategoryInfo.Category | Should -Be 'ConnectionError'
        $failure.Exception.Message | Should -BeExactly ("Valkey at 127.0.0.1:$($tls.Port) presented a TLS certificate that " + $Reason.Replace('{other}', $otherAuthority.CertificatePath))

        $read = { Get-MonarchLog @c } | Should -Throw -PassThru
        $read.FullyQualifiedErrorId | Should -Be 'ValkeyCertificateRejected,MonarchLogs.Cmdlets.GetMonarchLogCommand'
    }

    It 'a trusted CA file that <Case> is InvalidTrustedCertificateAuthority' -ForEach @(
        @{ Case = 'does not exist'; File = 'missing'; Connection = 'tls'; Message = "The trusted certificate authority file '{path}' does not exist." }
        @{ Case = 'holds no certificate'; File = 'junk'; Connection = 'tls'; Message = "The trusted certificate authority file '{path}' holds no certificate (expected one in PEM or DER)." }
        @{ Case = 'goes with a connection string without ssl=true'; File = 'own'; Connection = 'plain'; Message = "A trusted certificate authority ('{path}') is given, but the connection string does not turn TLS on: add ssl=true." }
    ) {
        $path = switch ($File) {
            'missing' { Join-Path $tls.Directory 'missing' 'ca.pem' }
            'junk' { $junk = Join-Path $tls.Directory 'junk.pem'; Set-Content -LiteralPath $junk -Value 'not a certificate'; $junk }
            'own' { $tls.CertificateAuthority }
        }
        $server = if ($Connection -eq 'tls') { $tls.ConnectionString } else { $plain.ConnectionString }
        $failure = { Connect-MonarchLog -ConnectionString $server -TrustedCertificateAuthorityPath $path } | Should -Throw -PassThru
        $failure.FullyQualifiedErrorId | Should -Be 'InvalidTrustedCertificateAuthority,MonarchLogs.Cmdlets.ConnectMonarchLogCommand'
        $failure.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $failure.Exception.Message | Should -BeExactly $Message.Replace('{path}', $path)
    }

    It 'a trusted CA path of another provider than the file system is InvalidTrustedCertificateAuthority' {
        Push-Location Env:
        try {
            $failure = { Connect-MonarchLog -ConnectionString $tls.ConnectionString -TrustedCertificateAuthorityPath 'ca.pem' } | Should -Throw -PassThru
        }
        finally { Pop-Location }
        $failure.FullyQualifiedErrorId | Should -Be 'InvalidTrustedCertificateAuthority,MonarchLogs.Cmdlets.ConnectMonarchLogCommand'
        $failure.Exception.Message | Should -BeExactly "The trusted certificate authority path 'ca.pem' is not a file system path; give the CA's PEM file."
    }
}
