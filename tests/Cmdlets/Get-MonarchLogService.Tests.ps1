#Requires -Version 7.4
# Get-MonarchLogService lists the registry of a real valkey-server.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs') -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force

    $script:server = Start-MonarchTestServer
    $script:c = @{ ConnectionString = $server.ConnectionString }
    $time = [datetime]::UtcNow.AddMinutes(-5)
    Write-MonarchTestEntry -Server $server -Entry @(
        foreach ($pair in 'orders/error', 'orders/information', 'Billing/warning', 'billing-jobs/critical', 'web api/debug') {
            $service, $level = $pair -split '/'
            [pscustomobject]@{ Timestamp = $time; Level = $level; Service = $service; Message = $pair }
        }
    )
}

AfterAll {
    Remove-MonarchTestServer -Server $server
}

Describe 'Get-MonarchLogService' {
    It 'lists every service and level of the registry, by service then severity' {
        $partitions = @(Get-MonarchLogService @c)
        $partitions | ForEach-Object { "$($_.Service)/$($_.Level)" } |
            Should -Be 'Billing/Warning', 'billing-jobs/Critical', 'orders/Information', 'orders/Error', 'web api/Debug'
        $partitions[0] | Should -BeOfType ([MonarchLogs.Core.Format.Partition])
    }

    It '-Service <Service> lists <Expected>' -ForEach @(
        @{ Service = @('orders'); Expected = @('orders/Information', 'orders/Error') }
        @{ Service = @('bill*'); Expected = @('Billing/Warning', 'billing-jobs/Critical') }
        @{ Service = @('web api', 'BILLING'); Expected = @('Billing/Warning', 'web api/Debug') }
        @{ Service = @('nothing*'); Expected = @() }
    ) {
        @(Get-MonarchLogService @c -Service $Service | ForEach-Object { "$($_.Service)/$($_.Level)" }) | Should -Be $Expected
    }

    It 'shows a table of service and level' {
        $lines = (Get-MonarchLogService @c -Service orders | Out-String) -split "`r?`n" | Where-Object { $_.Trim() }
        $lines[0] | Should -Match '^Service\s+Level\s*$'
        $lines[2] | Should -Match '^orders\s+Information\s*$'
    }

    It 'an empty store lists nothing, without error' {
        @(Get-MonarchLogService @c -Prefix 'empty:logs' -ErrorVariable problems).Count | Should -Be 0
        $problems.Count | Should -Be 0
    }
}
