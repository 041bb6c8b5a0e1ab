#Requires -Version 7.4
# Every -Service, -Category, -Message, -EventId, -ExceptionType and -Property wildcard means what
# PowerShell's own WildcardPattern means (case-insensitive): the engine's matcher is compared with
# it, pattern by pattern and text by text, including the patterns PowerShell refuses.

BeforeDiscovery {
    $script:patterns = '*', '?', 'a*', '*a', '[abc]x', '[a-c]x', '[!a]x', '[]]x', '[a-]x', '`*x', 'a`?b', '``', '`',
        '[`]]x', '*[0-9]', 'ab]', '[a-z][0-9]?*', '*`[*', 'ü*', 'a[b', '[]', '[z-a]', '*a*a*a*b', '[A-C]X', 'a`b', '[*]', '[?]x'
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot '..' '..' 'artifacts' 'module' 'MonarchLogs') -Force
    $script:texts = 'a', 'ax', 'bx', 'cx', 'BX', '!x', ']x', '-x', '*x', 'a?b', 'axb', 'ab', '`', 'x9', 'x', 'ab]', 'a[b', '[',
        'q7zz', 'foo[bar', 'ÜBER', 'ü', '', 'aaaaaaaaab', 'aaaaaaaaa', '?x', '*'
}

Describe 'Wildcards as PowerShell reads them' {
    It "'<_>' matches what WildcardPattern matches" -ForEach $patterns {
        $pattern = $_
        $theirs = [WildcardPattern]::new($pattern, [System.Management.Automation.WildcardOptions]::IgnoreCase)
        $valid = try { $null = $theirs.IsMatch('probe'); $true } catch { $false }
        $ours = try { [MonarchLogs.Core.Query.Wildcard]::new($pattern) } catch { $null }
        ($null -ne $ours) | Should -Be $valid -Because 'a pattern PowerShell refuses is refused (InvalidWildcard), and only such a one'
        if ($valid) {
            foreach ($text in $texts) {
                $ours.IsMatch($text) | Should -Be $theirs.IsMatch($text) -Because "'$pattern' against '$text'"
            }
        }
    }
}
