#Requires -Version 7.4
# Tab completion of -Level (the level names) and -Service (the store's registry).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs') -Force
    Import-Module (Join-Path $PSScriptRoot '..' 'TestSupport' 'MonarchTestServer.psm1') -Force

    $script:server = Start-MonarchTestServer
    $time = [datetime]::UtcNow.AddMinutes(-5)
    Write-MonarchTestEntry -Server $server -Entry @(
        foreach ($service in 'orders', 'orders-api', 'billing', 'web api') {
            [pscustomobject]@{ Timestamp = $time; Level = 'information'; Service = $service; Message = 'hello' }
        }
    )

    function script:Complete([string] $Line) {
        @((TabExpansion2 -inputScript $Line -cursorColumn $Line.Length).CompletionMatches.CompletionText)
    }
}

AfterAll {
    Remove-MonarchTestServer -Server $server
}

Describe 'Argument completion' {
    It 'completes -Level <Word> to <Expected>' -ForEach @(
        @{ Word = 'E'; Expected = @('Error') }
        @{ Word = 'in'; Expected = @('Information') }
        @{ Word = ''; Expected = @('Trace', 'Debug', 'Information', 'Warning', 'Error', 'Critical') }
        @{ Word = 'fa'; Expected = @('Fatal') }
    ) {
        Complete "Get-MonarchLog -Level $Word" | Should -Be $Expected
        Complete "Watch-MonarchLog -MinimumLevel $Word" | Should -Be $Expected
    }

    It 'completes -Service <Word> from the registry to <Expected>' -ForEach @(
        @{ Word = 'or'; Expected = @('orders', 'orders-api') }
        @{ Word = 'B'; Expected = @('billing') }
        @{ Word = 'web'; Expected = @("'web api'") }
        @{ Word = 'zzz'; Expected = @() }
    ) {
        Complete "Get-MonarchLog -ConnectionString $($server.ConnectionString) -Service $Word" | Should -Be $Expected
        Complete "Remove-ExpiredMonarchLog -ConnectionString $($server.ConnectionString) -Service $Word" | Should -Be $Expected
    }

    It 'offers nothing, and no error, when the server is unreachable' {
        $Error.Clear()
        $offered = Complete "Get-MonarchLog -ConnectionString 127.0.0.1:1 -Service or"
        $offered | Should -Not -Contain 'orders'
        $Error.Count | Should -Be 0
    }
}
