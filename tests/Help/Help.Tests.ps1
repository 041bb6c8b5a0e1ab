#Requires -Version 7.4
<#
    The module's help: every exported cmdlet has the help written in docs/cmdlets (not the
    auto-generated stub), with a description, three or more examples and every parameter; the
    markdown agrees with the compiled parameters; and build/Build-Help.ps1 turns platyPS
    markdown into MAML that Get-Help reads, escaping what XML needs and refusing malformed pages.

    Run against the built module (build/Build-Module.ps1 first):
        Invoke-Pester tests/Help
    or against another copy (how the "a parameter missing from the docs fails" check was done):
        Invoke-Pester -Container (New-PesterContainer -Path tests/Help/Help.Tests.ps1 -Data @{ ModulePath = '...'; DocsPath = '...' })
#>
param(
    [string] $ModulePath = (Join-Path $PSScriptRoot '../../artifacts/module/MonarchLogs'),
    [string] $DocsPath = (Join-Path $PSScriptRoot '../../docs/cmdlets')
)

BeforeDiscovery {
    $module = Import-Module $ModulePath -Force -PassThru -ErrorAction Stop
    $commonParameters = [System.Management.Automation.PSCmdlet]::CommonParameters
    $cmdlets = foreach ($name in $module.ExportedCmdlets.Keys | Sort-Object) {
        $command = Get-Command -Name $name -Module $module.Name
        @{
            Name       = $name
            Parameters = @($command.Parameters.Keys | Where-Object { $_ -notin $commonParameters } | Sort-Object | ForEach-Object { @{ Parameter = $_ } })
        }
    }
    $pages = @(Get-ChildItem -LiteralPath $DocsPath -Filter '*.md' -File | Sort-Object Name |
            Where-Object { (Get-Content -LiteralPath $_.FullName -Raw) -notmatch '(?m)^Module Guid:' } |
            ForEach-Object { @{ PageName = $_.BaseName; PagePath = $_.FullName } })
}

BeforeAll {
    $module = Import-Module $ModulePath -Force -PassThru -ErrorAction Stop
    $commonParameters = [System.Management.Automation.PSCmdlet]::CommonParameters
    $buildHelp = Join-Path $PSScriptRoot '../../build/Build-Help.ps1'

    # A deliberately small reading of the platyPS page, independent of Build-Help.ps1, so the
    # two check each other: the section text, and per parameter its yaml blocks.
    function Get-Section([string[]] $Lines, [string] $Name) {
        $inFence = $false; $inSection = $false
        foreach ($line in $Lines) {
            if ($line -match '^\s*```') { $inFence = -not $inFence }
            if (-not $inFence -and $line -match '^## (?<title>.+)$') { $inSection = $Matches.title.Trim() -eq $Name; continue }
            if ($inSection) { $line }
        }
    }

    function Read-DocPage([string] $Path) {
        $lines = @(Get-Content -LiteralPath $Path)
        $synopsis = (@(Get-Section $lines 'SYNOPSIS' | ForEach-Object Trim | Where-Object { $_ }) -join ' ')
        $parameters = [ordered]@{}
        $current = $null; $yaml = $null
        foreach ($line in Get-Section $lines 'PARAMETERS') {
            if ($null -eq $yaml -and $line -match '^### -(?<name>\w+)\s*$') {
                $current = [pscustomobject]@{ Name = $Matches.name; Blocks = [System.Collections.Generic.List[hashtable]]::new() }
                $parameters[$current.Name] = $current
                continue
            }
            if ($null -eq $yaml -and $line -match '^### ') { $current = $null; continue }
            if ($null -ne $current -and $line -match '^```yaml\s*$') { $yaml = @{}; continue }
            if ($null -ne $yaml -and $line -match '^```\s*$') { $current.Blocks.Add($yaml); $yaml = $null; continue }
            if ($null -ne $yaml -and $line -match '^(?<key>[^:]+):\s*(?<value>.*)$') { $yaml[$Matches.key.Trim()] = $Matches.value.Trim() }
        }
        $syntaxSets = @(Get-Section $lines 'SYNTAX' | Where-Object { $_ -match '^### ' } | ForEach-Object { ($_ -replace '^### |\s*\(Default\)\s*$', '').Trim() })
        [pscustomobject]@{ Synopsis = $synopsis; Parameters = $parameters; SyntaxSets = $syntaxSets }
    }

    function Split-List([string] $Text) {
        if ([string]::IsNullOrWhiteSpace($Text) -or $Text -eq 'None') { return @() }
        @($Text -split ',' | ForEach-Object Trim | Where-Object { $_ } | Sort-Object)
    }

    # The type name platyPS writes: String[], SwitchParameter, Int32 for Nullable<Int32>.
    function Get-DocTypeName([type] $Type) {
        $underlying = [Nullable]::GetUnderlyingType($Type)
        if ($underlying) { return $underlying.Name }
        $Type.Name
    }

    function Get-ParameterHelp($Help, [string] $Name) {
        @($Help.parameters.parameter) | Where-Object { $_.name -eq $Name } | Select-Object -First 1
    }

    function Get-HelpText($Paragraphs) { (@($Paragraphs | ForEach-Object { $_.Text }) -join "`n").Trim() }
}

Describe 'Help of <Name>' -ForEach $cmdlets {
    BeforeAll {
        $command = Get-Command -Name $Name -Module $module.Name
        $help = Get-Help -Name $Name -Full
        $docPath = Join-Path $DocsPath "$Name.md"
        $docPage = if (Test-Path -LiteralPath $docPath) { Read-DocPage $docPath }
    }

    It 'has a markdown page in docs/cmdlets' {
        $docPath | Should -Exist
    }

    It 'comes from the built MAML file, not the auto-generated stub' {
        # Get-Help rewrites HelpFile to the full path of the file it loaded.
        Split-Path -Leaf $command.HelpFile | Should -Be 'MonarchLogs.Cmdlets.dll-Help.xml'
        Join-Path $module.ModuleBase 'en-US' 'MonarchLogs.Cmdlets.dll-Help.xml' | Should -Exist
        $help.description | Should -Not -BeNullOrEmpty -Because 'auto-generated help has no description'
    }

    It 'shows the synopsis written in the docs' {
        $docPage.Synopsis | Should -Not -BeNullOrEmpty
        ($help.Synopsis -replace '\s+', ' ').Trim() | Should -BeExactly $docPage.Synopsis
    }

    It 'has a description' {
        Get-HelpText $help.description | Should -Not -BeNullOrEmpty
    }

    It 'has at least three examples, each with code and an explanation' {
        $examples = @($help.examples.example)
        $examples.Count | Should -BeGreaterOrEqual 3
        foreach ($example in $examples) {
            $example.code | Should -Not -BeNullOrEmpty -Because "example '$($example.title)' needs code"
            Get-HelpText $example.remarks | Should -Not -BeNullOrEmpty -Because "example '$($example.title)' needs remarks"
        }
    }

    It 'shows one syntax per parameter set' {
        @($help.syntax.syntaxItem).Count | Should -Be $command.ParameterSets.Count
        $docPage.SyntaxSets | Sort-Object | Should -Be ($command.ParameterSets.Name | Sort-Object)
    }

    It 'documents -<Parameter> with a description' -ForEach $Parameters {
        $parameterHelp = Get-ParameterHelp $help $Parameter
        $parameterHelp | Should -Not -BeNullOrEmpty -Because "-$Parameter is a parameter of $Name and needs a '### -$Parameter' section in docs/cmdlets/$Name.md"
        Get-HelpText $parameterHelp.description | Should -Not -BeNullOrEmpty -Because "-$Parameter needs a description"
    }

    It 'describes -<Parameter> as the compiled cmdlet declares it' -ForEach $Parameters {
        $documented = $docPage.Parameters[$Parameter]
        $documented | Should -Not -BeNullOrEmpty -Because "docs/cmdlets/$Name.md needs '### -$Parameter'"
        $documented.Blocks.Count | Should -BeGreaterThan 0 -Because "-$Parameter needs a yaml block"
        $metadata = $command.Parameters[$Parameter]
        $allSets = @($command.ParameterSets.Name)
        $actualSets = @($command.ParameterSets | Where-Object { $_.Parameters.Name -contains $Parameter } | ForEach-Object Name | Sort-Object)

        $documentedSets = @($documented.Blocks | ForEach-Object { Split-List $_['Parameter Sets'] } |
                ForEach-Object { if ($_ -eq '(All)') { $allSets } else { $_ } } | Sort-Object -Unique)
        $documentedSets | Should -Be $actualSets -Because "the Parameter Sets of -$Parameter"

        foreach ($block in $documented.Blocks) {
            $block['Type'] | Should -BeExactly (Get-DocTypeName $metadata.ParameterType) -Because "the Type of -$Parameter"
            Split-List $block['Aliases'] | Should -Be @($metadata.Aliases | Sort-Object) -Because "the Aliases of -$Parameter"

            $validateSet = $metadata.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] }
            if ($validateSet) {
                Split-List $block['Accepted values'] | Should -Be @($validateSet.ValidValues | Sort-Object) -Because "the Accepted values of -$Parameter"
            }
            if ($metadata.Attributes | Where-Object { $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }) {
                $block['Accept wildcard characters'] | Should -Be 'True' -Because "-$Parameter has [SupportsWildcards]"
            }

            $blockSets = @(Split-List $block['Parameter Sets'] | ForEach-Object { if ($_ -eq '(All)') { $actualSets } else { $_ } })
            foreach ($set in $blockSets) {
                $inSet = ($command.ParameterSets | Where-Object Name -eq $set).Parameters | Where-Object Name -eq $Parameter
                $because = "-$Parameter in parameter set $set"
                $block['Required'] | Should -Be $inSet.IsMandatory.ToString() -Because "Required of $because"
                $position = if ($inSet.Position -lt 0) { 'Named' } else { [string] $inSet.Position }
                $block['Position'] | Should -Be $position -Because "Position of $because"
                $pipeline = @(if ($inSet.ValueFromPipeline) { 'ByValue' }; if ($inSet.ValueFromPipelineByPropertyName) { 'ByPropertyName' })
                $expectedPipeline = if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }
                $block['Accept pipeline input'] | Should -Be $expectedPipeline -Because "Accept pipeline input of $because"
            }
        }
    }
}

Describe 'Markdown page <PageName>' -ForEach $pages {
    BeforeAll {
        $doc = Read-DocPage $PagePath
        $command = Get-Command -Name $PageName -Module $module.Name -ErrorAction SilentlyContinue
    }

    It 'is the page of a cmdlet the module exports' {
        $command | Should -Not -BeNullOrEmpty -Because "docs/cmdlets/$PageName.md describes no exported cmdlet"
    }

    It 'names only real parameters' {
        $real = @($command.Parameters.Keys)
        foreach ($name in $doc.Parameters.Keys) {
            $name | Should -BeIn $real -Because "docs/cmdlets/$PageName.md documents -$name, which $PageName does not have"
        }
        $doc.Parameters.Keys | Should -Not -Contain 'ProgressAction' -Because 'ProgressAction is a common parameter'
    }
}

Describe 'The module page' {
    BeforeAll {
        $modulePage = Get-ChildItem -LiteralPath $DocsPath -Filter '*.md' -File |
            Where-Object { (Get-Content -LiteralPath $_.FullName -Raw) -match '(?m)^Module Guid:' } | Select-Object -First 1
    }

    It 'has the manifest''s GUID and lists every exported cmdlet' {
        $modulePage | Should -Not -BeNullOrEmpty
        $text = Get-Content -LiteralPath $modulePage.FullName -Raw
        $text | Should -Match "(?m)^Module Guid: $($module.Guid)\s*$"
        $text | Should -Match "(?m)^Module Name: $($module.Name)\s*$"
        foreach ($name in $module.ExportedCmdlets.Keys) {
            $text | Should -Match "(?m)^### \[$name\]\($name\.md\)\s*$"
        }
    }
}

Describe 'Build-Help.ps1' {
    BeforeAll {
        function New-Page([string] $Folder, [string] $Name, [string] $Text) {
            $null = New-Item -ItemType Directory -Force -Path $Folder
            Set-Content -LiteralPath (Join-Path $Folder "$Name.md") -Value $Text -Encoding utf8NoBOM
        }

        $samplePage = @'
---
external help file: Sample.Help-Help.xml
Module Name: Sample
online version: https://example.com/help?a=1&b=2
schema: 2.0.0
---

# Get-Sample

## SYNOPSIS
Gets <samples> & "quoted" 'things'.

## SYNTAX

### ByName (Default)
```
Get-Sample [[-Name] <String[]>] [-Oldest] [<CommonParameters>]
```

### ById
```
Get-Sample -Id <String> [-Oldest] [<CommonParameters>]
```

## DESCRIPTION
First paragraph
continues [Since, Until) & <more>.

Second paragraph.

## EXAMPLES

### Example 1: Names
```powershell
# a comment, not a heading
Get-Sample -Name 'a*' | Where-Object { $_.Size -lt 3 -and $_.Tag -ne '<none>' }
```

Remarks with <angle> & ampersand.

### Example 2: Id
```powershell
Get-Sample -Id 7
```

By id.

## PARAMETERS

### -Name
Names; wildcards & <all>.

```yaml
Type: String[]
Parameter Sets: ByName
Aliases: N

Required: False
Position: 0
Default value: None
Accept pipeline input: True (ByValue, ByPropertyName)
Accept wildcard characters: True
```

### -Id
An id.

```yaml
Type: String
Parameter Sets: ById
Aliases:

Required: True
Position: Named
Default value: None
Accept pipeline input: False
Accept wildcard characters: False
```

### -Oldest
Oldest first.

```yaml
Type: SwitchParameter
Parameter Sets: (All)
Aliases:

Required: False
Position: Named
Default value: False
Accept pipeline input: False
Accept wildcard characters: False
```

### CommonParameters
This cmdlet supports the common parameters.

## INPUTS

### System.String

## OUTPUTS

### Sample.Thing
A <thing>.

## NOTES
Note & more.

## RELATED LINKS

[Get-Other](Get-Other.md)
'@
    }

    Context 'a well-formed page' {
        BeforeAll {
            $docs = Join-Path $TestDrive 'good/docs'
            $out = Join-Path $TestDrive 'good/en-US'
            New-Page $docs 'Get-Sample' $samplePage
            New-Page $docs 'Sample' "---`nModule Name: Sample`nModule Guid: 11111111-2222-3333-4444-555555555555`n---`n# Sample Module`n"
            & $buildHelp -OutputPath $out -DocsPath $docs | Out-Null
            [xml] $maml = Get-Content -LiteralPath (Join-Path $out 'Sample.Help-Help.xml') -Raw
            $ns = [System.Xml.XmlNamespaceManager]::new($maml.NameTable)
            $ns.AddNamespace('msh', 'http://msh')
            $ns.AddNamespace('maml', 'http://schemas.microsoft.com/maml/2004/10')
            $ns.AddNamespace('command', 'http://schemas.microsoft.com/maml/dev/command/2004/10')
            $ns.AddNamespace('dev', 'http://schemas.microsoft.com/maml/dev/2004/10')
            $commandNode = $maml.SelectSingleNode('/msh:helpItems/command:command', $ns)
        }

        It 'writes one command, skipping the module page' {
            $maml.SelectNodes('/msh:helpItems/command:command', $ns).Count | Should -Be 1
            $commandNode.SelectSingleNode('command:details/command:name', $ns).InnerText | Should -BeExactly 'Get-Sample'
            $commandNode.SelectSingleNode('command:details/command:verb', $ns).InnerText | Should -BeExactly 'Get'
            $commandNode.SelectSingleNode('command:details/command:noun', $ns).InnerText | Should -BeExactly 'Sample'
        }

        It 'keeps <, &, and quotes as text' {
            $commandNode.SelectSingleNode('command:details/maml:description/maml:para', $ns).InnerText | Should -BeExactly @'
Gets <samples> & "quoted" 'things'.
'@
            $commandNode.SelectSingleNode('command:examples/command:example/dev:code', $ns).InnerText |
                Should -BeExactly "# a comment, not a heading`nGet-Sample -Name 'a*' | Where-Object { `$_.Size -lt 3 -and `$_.Tag -ne '<none>' }"
            $links = @($commandNode.SelectNodes('maml:relatedLinks/maml:navigationLink', $ns))
            $links[0].SelectSingleNode('maml:uri', $ns).InnerText | Should -BeExactly 'https://example.com/help?a=1&b=2'
            $links[1].SelectSingleNode('maml:linkText', $ns).InnerText | Should -BeExactly 'Get-Other'
            $links[1].SelectSingleNode('maml:uri', $ns).InnerText | Should -BeExactly '' -Because 'a link to a sibling markdown page means nothing to Get-Help'
        }

        It 'joins the lines of a paragraph and keeps paragraphs apart' {
            $paras = @($commandNode.SelectNodes('maml:description/maml:para', $ns) | ForEach-Object InnerText)
            $paras | Should -Be @('First paragraph continues [Since, Until) & <more>.', 'Second paragraph.')
        }

        It 'writes a syntax item per parameter set with that set''s parameters, in syntax order' {
            $items = @($commandNode.SelectNodes('command:syntax/command:syntaxItem', $ns))
            $items.Count | Should -Be 2
            @($items[0].SelectNodes('command:parameter/maml:name', $ns) | ForEach-Object InnerText) | Should -Be @('Name', 'Oldest')
            @($items[1].SelectNodes('command:parameter/maml:name', $ns) | ForEach-Object InnerText) | Should -Be @('Id', 'Oldest')
        }

        It 'writes each parameter''s metadata' {
            $name = $commandNode.SelectSingleNode("command:parameters/command:parameter[maml:name='Name']", $ns)
            $name.required | Should -Be 'false'
            $name.position | Should -Be '0'
            $name.globbing | Should -Be 'true'
            $name.pipelineInput | Should -Be 'True (ByValue, ByPropertyName)'
            $name.aliases | Should -Be 'N'
            $name.SelectSingleNode('dev:type/maml:name', $ns).InnerText | Should -Be 'String[]'
            $id = $commandNode.SelectSingleNode("command:parameters/command:parameter[maml:name='Id']", $ns)
            $id.required | Should -Be 'true'
            $id.position | Should -Be 'named'
            $id.aliases | Should -Be 'none'
        }

        It 'writes examples with title, code and remarks' {
            $examples = @($commandNode.SelectNodes('command:examples/command:example', $ns))
            $examples.Count | Should -Be 2
            $examples[0].SelectSingleNode('maml:title', $ns).InnerText | Should -Match 'Example 1: Names'
            $examples[0].SelectSingleNode('dev:remarks/maml:para', $ns).InnerText | Should -BeExactly 'Remarks with <angle> & ampersand.'
        }

        It 'is read by Get-Help' {
            # A function names its MAML file with .ExternalHelp; Get-Help then reads it as for a cmdlet.
            $moduleFolder = Join-Path $TestDrive 'good'
            Set-Content -LiteralPath (Join-Path $moduleFolder 'Sample.psm1') -Value @'
function Get-Sample {
    # .ExternalHelp Sample.Help-Help.xml
    [CmdletBinding(DefaultParameterSetName = 'ByName')]
    param(
        [Parameter(ParameterSetName = 'ByName', Position = 0, ValueFromPipeline, ValueFromPipelineByPropertyName)] [Alias('N')] [string[]] $Name,
        [Parameter(ParameterSetName = 'ById', Mandatory)] [string] $Id,
        [switch] $Oldest)
}
'@
            $sample = Import-Module (Join-Path $moduleFolder 'Sample.psm1') -Force -PassThru
            try {
                $help = Get-Help Get-Sample -Full
                $help.Synopsis | Should -BeExactly @'
Gets <samples> & "quoted" 'things'.
'@
                @($help.examples.example).Count | Should -Be 2
                (Get-Help Get-Sample -Parameter Name).description.Text | Should -BeExactly 'Names; wildcards & <all>.'
            }
            finally { Remove-Module $sample }
        }
    }

    Context 'a malformed page' {
        It 'stops with the file and the problem when <Problem>' -ForEach @(
            @{ Problem = 'the SYNOPSIS is missing'; Find = "## SYNOPSIS`nGets <samples> & `"quoted`" 'things'.`n"; Replace = ''; Message = "*Get-Sample.md: missing section '## SYNOPSIS'*" }
            @{ Problem = 'the DESCRIPTION is empty'; Find = "First paragraph`ncontinues [Since, Until) & <more>.`n`nSecond paragraph.`n"; Replace = ''; Message = '*the DESCRIPTION is empty*' }
            @{ Problem = 'a parameter in the syntax has no section'; Find = "### -Id`nAn id."; Replace = "### -Identity`nAn id."; Message = "*shows -Id, which has no '### -Id' under PARAMETERS*" }
            @{ Problem = 'a parameter has no yaml block'; Find = "Oldest first.`n`n``````yaml"; Replace = "Oldest first.`n`n``````text"; Message = '*-Oldest: no ```yaml block*' }
            @{ Problem = 'a code fence is not closed'; Find = "Get-Sample -Id 7`n``````"; Replace = 'Get-Sample -Id 7'; Message = '*never closed*' }
            @{ Problem = 'a section name is misspelt'; Find = '## NOTES'; Replace = '## NOTE'; Message = "*unknown section '## NOTE'*" }
            @{ Problem = 'a Position is not a number'; Find = 'Position: 0'; Replace = 'Position: first'; Message = "*Position must be Named or a number, not 'first'*" }
        ) {
            $folder = Join-Path $TestDrive ([guid]::NewGuid())
            $text = $samplePage -replace "`r`n", "`n"
            $text.Contains($Find) | Should -BeTrue -Because 'the test must change the sample page'
            New-Page "$folder/docs" 'Get-Sample' $text.Replace($Find, $Replace)
            { & $buildHelp -OutputPath "$folder/en-US" -DocsPath "$folder/docs" } | Should -Throw -ExpectedMessage $Message
            "$folder/en-US/Sample.Help-Help.xml" | Should -Not -Exist
        }

        It 'exits non-zero when run as a script' {
            $folder = Join-Path $TestDrive 'exit'
            New-Page "$folder/docs" 'Get-Sample' ($samplePage -replace '(?s)## SYNOPSIS.*?## SYNTAX', '## SYNTAX')
            # pwsh as a dotnet local tool runs as 'dotnet pwsh.dll'.
            $pwsh = [Environment]::ProcessPath
            $hostArguments = @(if ([System.IO.Path]::GetFileNameWithoutExtension($pwsh) -eq 'dotnet') { Join-Path $PSHOME 'pwsh.dll' })
            $output = & $pwsh @hostArguments -NoProfile -NonInteractive -File $buildHelp -OutputPath "$folder/en-US" -DocsPath "$folder/docs" 2>&1
            $LASTEXITCODE | Should -Not -Be 0
            ($output | Out-String) | Should -Match 'SYNOPSIS'
        }
    }
}
