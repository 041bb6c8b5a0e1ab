<#
.SYNOPSIS
    Builds the module's MAML help from the platyPS-format markdown in docs/cmdlets.

.DESCRIPTION
    platyPS cannot be installed here, so this script does the part of its New-ExternalHelp that
    the module needs: it reads every cmdlet page (docs/cmdlets/<Verb-Noun>.md, platyPS schema
    2.0.0) and writes one MAML file per "external help file" named in the pages' front matter,
    normally MonarchLogs.Cmdlets.dll-Help.xml, into -OutputPath (the module's en-US folder).
    Get-Help reads that file for the compiled cmdlets.

    The module page (front matter with "Module Guid") is not a cmdlet and is skipped.

    Malformed markdown (no SYNOPSIS, a parameter without its yaml block, an unclosed code fence,
    a syntax block that disagrees with the parameters' sets, ...) stops the build with a
    message naming the file and line; no help file is written then.

.EXAMPLE
    ./build/Build-Help.ps1 -OutputPath ./artifacts/module/MonarchLogs/en-US
#>
[CmdletBinding()]
param(
    # Folder to write the MAML file(s) into; created when missing.
    [Parameter(Mandatory)]
    [string] $OutputPath,

    # Folder of the platyPS markdown pages.
    [string] $DocsPath = (Join-Path $PSScriptRoot '../docs/cmdlets')
)

Set-StrictMode -Version 3.0
$ErrorActionPreference = 'Stop'

$KnownSections = 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS', 'NOTES', 'RELATED LINKS'
$RequiredSections = 'SYNOPSIS', 'SYNTAX', 'DESCRIPTION', 'PARAMETERS'
$YamlKeys = 'Type', 'Parameter Sets', 'Aliases', 'Accepted values', 'Required', 'Position', 'Default value',
    'Accept pipeline input', 'Accept wildcard characters', 'Applicable', 'DontShow'
$Ns = @{
    msh     = 'http://msh'
    maml    = 'http://schemas.microsoft.com/maml/2004/10'
    command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    dev     = 'http://schemas.microsoft.com/maml/dev/2004/10'
    MSHelp  = 'http://msdn.microsoft.com/mshelp'
}

# Every problem found is collected, so one build run lists them all.
$script:Problems = [System.Collections.Generic.List[string]]::new()

function Add-Problem([string] $File, [int] $Line, [string] $Message) {
    $where = if ($Line -gt 0) { "${File}:${Line}" } else { $File }
    $script:Problems.Add("${where}: $Message")
}

#region Markdown reading

# A line of the page with its 1-based number, so problems can point at it.
function New-Line([int] $Number, [string] $Text) { [pscustomobject]@{ Number = $Number; Text = $Text } }

function Test-Fence([string] $Text) { $Text -match '^\s*(```|~~~)' }

# Splits lines at headings of one level ('## ' or '### '), ignoring '#' lines inside code fences
# (PowerShell comments in examples). Lines before the first heading go into a block titled $null.
function Split-Heading($Lines, [string] $Marker) {
    $blocks = [System.Collections.Generic.List[object]]::new()
    $current = [pscustomobject]@{ Title = $null; Line = 0; Lines = [System.Collections.Generic.List[object]]::new() }
    $inFence = $false
    foreach ($line in $Lines) {
        if (Test-Fence $line.Text) { $inFence = -not $inFence }
        if (-not $inFence -and $line.Text.StartsWith("$Marker ")) {
            $blocks.Add($current)
            $current = [pscustomobject]@{
                Title = $line.Text.Substring($Marker.Length + 1).Trim()
                Line  = $line.Number
                Lines = [System.Collections.Generic.List[object]]::new()
            }
            continue
        }
        $current.Lines.Add($line)
    }
    $blocks.Add($current)
    # An unclosed fence is reported, with its line, by ConvertTo-Block, which reads every section.
    $blocks
}

# Turns lines into text paragraphs and code blocks, in order.
function ConvertTo-Block($Lines, [string] $File) {
    $blocks = [System.Collections.Generic.List[object]]::new()
    $paragraph = [System.Collections.Generic.List[string]]::new()
    $code = $null
    $fenceLine = 0
    $flush = {
        if ($paragraph.Count -gt 0) {
            $blocks.Add([pscustomobject]@{ Kind = 'Text'; Language = ''; Text = (Join-Paragraph $paragraph); Line = 0 })
            $paragraph.Clear()
        }
    }
    foreach ($line in $Lines) {
        if ($null -ne $code) {
            if (Test-Fence $line.Text) {
                $blocks.Add([pscustomobject]@{ Kind = 'Code'; Language = $code.Language; Text = ($code.Body -join "`n"); Line = $fenceLine })
                $code = $null
            }
            else { $code.Body.Add($line.Text) }
            continue
        }
        if ($line.Text -match '^\s*(```|~~~)\s*(?<lang>\S*)') {
            & $flush
            $code = [pscustomobject]@{ Language = $Matches.lang; Body = [System.Collections.Generic.List[string]]::new() }
            $fenceLine = $line.Number
            continue
        }
        if ($line.Text.Trim() -eq '') { & $flush; continue }
        $paragraph.Add($line.Text)
    }
    if ($null -ne $code) { Add-Problem $File $fenceLine 'this code fence is never closed.' }
    & $flush
    $blocks
}

# Markdown joins the lines of a paragraph; list items keep their own lines.
function Join-Paragraph([string[]] $Lines) {
    $out = [System.Text.StringBuilder]::new()
    foreach ($text in $Lines) {
        $trimmed = $text.Trim()
        if ($out.Length -eq 0) { [void] $out.Append($trimmed) }
        elseif ($trimmed -match '^([-*+]|\d+[.)])\s' -or $text.EndsWith('  ')) { [void] $out.Append("`n").Append($trimmed) }
        else { [void] $out.Append(' ').Append($trimmed) }
    }
    $out.ToString()
}

function Get-TextParagraph($Blocks) { @($Blocks | Where-Object { $null -ne $_ -and $_.Kind -eq 'Text' } | ForEach-Object { $_.Text }) }

# Everything in a section as paragraphs; a code block inside a description stays one paragraph.
function Get-AllParagraph($Blocks) { @($Blocks | Where-Object { $null -ne $_ -and $_.Text -ne '' } | ForEach-Object { $_.Text }) }

function Read-FrontMatter($Lines, [string] $File) {
    $meta = [ordered]@{}
    if ($Lines.Count -eq 0 -or $Lines[0].Text.Trim() -ne '---') {
        Add-Problem $File 1 'the page does not start with YAML front matter (---).'
        return $meta, 0
    }
    for ($i = 1; $i -lt $Lines.Count; $i++) {
        $text = $Lines[$i].Text
        if ($text.Trim() -eq '---') { return $meta, ($i + 1) }
        if ($text -match '^(?<key>[^:]+):\s*(?<value>.*)$') { $meta[$Matches.key.Trim()] = $Matches.value.Trim() }
        elseif ($text.Trim() -ne '') { Add-Problem $File $Lines[$i].Number "front matter line is not 'key: value'." }
    }
    Add-Problem $File 1 'the YAML front matter is never closed (---).'
    return $meta, $Lines.Count
}

function Read-ParameterYaml([string] $Text, [int] $Line, [string] $File, [string] $Parameter) {
    $yaml = @{}
    foreach ($row in $Text -split "`n") {
        if ($row.Trim() -eq '') { continue }
        if ($row -notmatch '^(?<key>[^:]+):\s*(?<value>.*)$') {
            Add-Problem $File $Line "-${Parameter}: yaml line '$row' is not 'key: value'."
            continue
        }
        $key = $Matches.key.Trim()
        if ($key -notin $YamlKeys) { Add-Problem $File $Line "-${Parameter}: unknown yaml key '$key'." }
        $yaml[$key] = $Matches.value.Trim()
    }
    foreach ($key in 'Type', 'Parameter Sets', 'Required', 'Position', 'Accept pipeline input', 'Accept wildcard characters') {
        if (-not $yaml.ContainsKey($key) -or $yaml[$key] -eq '') { Add-Problem $File $Line "-${Parameter}: the yaml block has no '$key'." }
    }
    foreach ($key in 'Required', 'Accept wildcard characters') {
        if ($yaml.ContainsKey($key) -and $yaml[$key] -notin 'True', 'False') { Add-Problem $File $Line "-${Parameter}: '$key' must be True or False, not '$($yaml[$key])'." }
    }
    if ($yaml.ContainsKey('Position') -and $yaml.Position -notmatch '^(Named|\d+)$') {
        Add-Problem $File $Line "-${Parameter}: Position must be Named or a number, not '$($yaml.Position)'."
    }
    if ($yaml.ContainsKey('Accept pipeline input') -and $yaml['Accept pipeline input'] -notmatch '^(False|True \((ByValue|ByPropertyName)(, (ByValue|ByPropertyName))?\))$') {
        Add-Problem $File $Line "-${Parameter}: 'Accept pipeline input' must be False, True (ByValue), True (ByPropertyName) or True (ByValue, ByPropertyName)."
    }
    [pscustomobject]@{
        Type           = [string] $yaml['Type']
        Sets           = @(Split-List $yaml['Parameter Sets'])
        Aliases        = @(Split-List $yaml['Aliases'])
        AcceptedValues = @(Split-List $yaml['Accepted values'])
        Required       = $yaml['Required'] -eq 'True'
        Position       = if ($yaml['Position'] -eq 'Named') { 'named' } else { [string] $yaml['Position'] }
        DefaultValue   = if ($yaml['Default value']) { $yaml['Default value'] } else { 'None' }
        PipelineInput  = if ($yaml['Accept pipeline input']) { $yaml['Accept pipeline input'] } else { 'False' }
        Globbing       = $yaml['Accept wildcard characters'] -eq 'True'
    }
}

function Split-List([string] $Text) {
    if ([string]::IsNullOrWhiteSpace($Text) -or $Text -eq 'None') { return }
    $Text -split ',' | ForEach-Object Trim | Where-Object { $_ }
}

function Read-CommandPage([string] $Path) {
    $relative = [System.IO.Path]::GetRelativePath((Get-Location).ProviderPath, $Path)
    $file = if ($relative.StartsWith('..')) { $Path } else { $relative }
    $raw = [System.IO.File]::ReadAllText($Path) -replace "`r`n?", "`n"
    $all = $raw -split "`n"
    $lines = for ($i = 0; $i -lt $all.Count; $i++) { New-Line ($i + 1) $all[$i] }
    $lines = @($lines)
    $meta, $bodyStart = Read-FrontMatter $lines $file
    if ($meta.Contains('Module Guid')) { return $null }  # the module page, not a cmdlet

    $page = [pscustomobject]@{
        File = $file; HelpFile = $meta['external help file']; OnlineVersion = $meta['online version']
        Name = $null; Synopsis = $null; Description = @(); SyntaxSets = @(); Examples = @(); Parameters = @()
        Inputs = @(); Outputs = @(); Notes = @(); Links = @()
    }
    if (-not $page.HelpFile) { Add-Problem $file 1 "the front matter has no 'external help file'." }
    if ($meta['schema'] -and $meta['schema'] -ne '2.0.0') { Add-Problem $file 1 "schema '$($meta['schema'])' is not the platyPS schema 2.0.0." }

    $body = if ($bodyStart -lt $lines.Count) { $lines[$bodyStart..($lines.Count - 1)] } else { @() }
    $top = @(Split-Heading $body '#')
    $titled = @($top | Where-Object Title)
    if ($titled.Count -ne 1) { Add-Problem $file 0 "expected exactly one '# Verb-Noun' title, found $($titled.Count)."; return $page }
    $page.Name = $titled[0].Title
    $expectedName = [System.IO.Path]::GetFileNameWithoutExtension($Path)
    if ($page.Name -ne $expectedName) { Add-Problem $file $titled[0].Line "the title '# $($page.Name)' does not match the file name '$expectedName'." }
    if ($page.Name -notmatch '^\w+-\w+$') { Add-Problem $file $titled[0].Line "'$($page.Name)' is not a Verb-Noun command name." }

    $sections = @{}
    foreach ($section in Split-Heading $titled[0].Lines '##') {
        if ($null -eq $section.Title) {
            if ((@($section.Lines | Where-Object { $_.Text.Trim() })).Count) { Add-Problem $file $section.Lines[0].Number 'text before the first ## section.' }
            continue
        }
        if ($section.Title -notin $KnownSections) { Add-Problem $file $section.Line "unknown section '## $($section.Title)'; expected one of: $($KnownSections -join ', ')."; continue }
        if ($sections.ContainsKey($section.Title)) { Add-Problem $file $section.Line "section '## $($section.Title)' appears twice."; continue }
        $sections[$section.Title] = $section
    }
    foreach ($name in $RequiredSections) {
        if (-not $sections.ContainsKey($name)) { Add-Problem $file 0 "missing section '## $name'." }
    }

    if ($sections.ContainsKey('SYNOPSIS')) {
        $paragraphs = Get-TextParagraph (ConvertTo-Block $sections.SYNOPSIS.Lines $file)
        if (-not $paragraphs) { Add-Problem $file $sections.SYNOPSIS.Line 'the SYNOPSIS is empty.' }
        else { $page.Synopsis = ($paragraphs -join ' ') }
    }
    if ($sections.ContainsKey('DESCRIPTION')) {
        $page.Description = Get-AllParagraph (ConvertTo-Block $sections.DESCRIPTION.Lines $file)
        if (-not $page.Description) { Add-Problem $file $sections.DESCRIPTION.Line 'the DESCRIPTION is empty.' }
    }
    if ($sections.ContainsKey('SYNTAX')) { $page.SyntaxSets = @(Read-Syntax $sections.SYNTAX $file) }
    if ($sections.ContainsKey('PARAMETERS')) { $page.Parameters = @(Read-Parameter $sections.PARAMETERS $file) }
    if ($sections.ContainsKey('EXAMPLES')) { $page.Examples = @(Read-Example $sections.EXAMPLES $file) }
    if ($sections.ContainsKey('INPUTS')) { $page.Inputs = @(Read-TypeList $sections.INPUTS $file) }
    if ($sections.ContainsKey('OUTPUTS')) { $page.Outputs = @(Read-TypeList $sections.OUTPUTS $file) }
    if ($sections.ContainsKey('NOTES')) { $page.Notes = Get-AllParagraph (ConvertTo-Block $sections.NOTES.Lines $file) }
    if ($sections.ContainsKey('RELATED LINKS')) { $page.Links = @(Read-Link $sections['RELATED LINKS'] $file) }
    Test-SyntaxAgainstParameter $page
    $page
}

function Read-Syntax($Section, [string] $File) {
    foreach ($set in Split-Heading $Section.Lines '###') {
        if ($null -eq $set.Title) { continue }
        $code = @(ConvertTo-Block $set.Lines $File | Where-Object Kind -eq 'Code')
        if ($code.Count -ne 1) { Add-Problem $File $set.Line "syntax '### $($set.Title)' needs exactly one code fence."; continue }
        $setName = ($set.Title -replace '\s*\(Default\)\s*$', '').Trim()
        # Parameter names in the order the syntax line shows them: -Name after a space or '['.
        $names = [regex]::Matches($code[0].Text, '(?<=[\s\[])-(?<name>[A-Za-z]\w*)') | ForEach-Object { $_.Groups['name'].Value }
        [pscustomobject]@{ Name = $setName; IsDefault = $set.Title -match '\(Default\)'; Parameters = @($names); Line = $set.Line }
    }
}

function Read-Parameter($Section, [string] $File) {
    foreach ($block in Split-Heading $Section.Lines '###') {
        if ($null -eq $block.Title) { continue }
        if ($block.Title -eq 'CommonParameters') { continue }
        if ($block.Title -notmatch '^-(?<name>[A-Za-z]\w*)$') { Add-Problem $File $block.Line "parameter heading '### $($block.Title)' is not '### -Name'."; continue }
        $name = $Matches.name
        $blocks = @(ConvertTo-Block $block.Lines $File)
        $yamlBlocks = @($blocks | Where-Object { $_.Kind -eq 'Code' -and $_.Language -eq 'yaml' })
        $description = @($blocks | Where-Object { -not ($_.Kind -eq 'Code' -and $_.Language -eq 'yaml') } | ForEach-Object Text | Where-Object { $_ })
        if (-not $yamlBlocks) { Add-Problem $File $block.Line "-${name}: no ```yaml block with the parameter's Type, Parameter Sets, Required, Position, ..."; continue }
        if (-not $description) { Add-Problem $File $block.Line "-${name}: no description." }
        # platyPS writes one yaml block per group of parameter sets whose metadata differ.
        $variants = @($yamlBlocks | ForEach-Object { Read-ParameterYaml $_.Text $_.Line $File $name })
        [pscustomobject]@{ Name = $name; Description = $description; Variants = $variants; Line = $block.Line }
    }
}

function Read-Example($Section, [string] $File) {
    foreach ($example in Split-Heading $Section.Lines '###') {
        if ($null -eq $example.Title) { continue }
        $blocks = @(ConvertTo-Block $example.Lines $File)
        $code = @($blocks | Where-Object Kind -eq 'Code' | ForEach-Object Text)
        if (-not $code) { Add-Problem $File $example.Line "example '$($example.Title)' has no code fence."; continue }
        [pscustomobject]@{
            Title   = $example.Title
            Code    = $code -join "`n`n"
            Remarks = Get-TextParagraph $blocks
        }
    }
}

function Read-TypeList($Section, [string] $File) {
    foreach ($type in Split-Heading $Section.Lines '###') {
        if ($null -eq $type.Title) {
            if (Get-TextParagraph (ConvertTo-Block $type.Lines $File)) { Add-Problem $File $Section.Line "text under '## $($Section.Title)' must follow a '### TypeName' heading." }
            continue
        }
        [pscustomobject]@{ Name = $type.Title; Description = Get-AllParagraph (ConvertTo-Block $type.Lines $File) }
    }
}

function Read-Link($Section, [string] $File) {
    foreach ($line in $Section.Lines) {
        if ($line.Text.Trim() -eq '') { continue }
        if ($line.Text -match '^\s*[-*]?\s*\[(?<text>[^\]]+)\]\((?<uri>[^)]*)\)\s*$') {
            [pscustomobject]@{ Text = $Matches.text; Uri = $Matches.uri }
        }
        else { Add-Problem $File $line.Number "related link '$($line.Text.Trim())' is not [text](uri)." }
    }
}

# The syntax code blocks and the parameters' "Parameter Sets" must tell the same story.
function Test-SyntaxAgainstParameter($Page) {
    $file = $Page.File
    $setNames = @($Page.SyntaxSets | ForEach-Object Name)
    if (-not $setNames) { Add-Problem $file 0 "the SYNTAX section has no '### ParameterSetName' block."; return }
    $documented = @($Page.Parameters | ForEach-Object Name)
    foreach ($duplicate in $documented | Group-Object | Where-Object Count -gt 1) { Add-Problem $file 0 "parameter -$($duplicate.Name) is documented $($duplicate.Count) times." }
    foreach ($parameter in $Page.Parameters) {
        foreach ($variant in $parameter.Variants) {
            foreach ($set in $variant.Sets) {
                if ($set -ne '(All)' -and $set -notin $setNames) { Add-Problem $file $parameter.Line "-$($parameter.Name) names parameter set '$set', which SYNTAX does not show." }
            }
        }
    }
    foreach ($set in $Page.SyntaxSets) {
        $inSet = @($Page.Parameters | Where-Object { Get-Variant $_ $set.Name } | ForEach-Object Name)
        $shown = @($set.Parameters | Where-Object { $_ -ne 'ProgressAction' })
        foreach ($name in $shown | Where-Object { $_ -notin $inSet }) {
            if ($name -in $documented) { Add-Problem $file $set.Line "syntax '$($set.Name)' shows -$name, but its Parameter Sets do not include '$($set.Name)'." }
            else { Add-Problem $file $set.Line "syntax '$($set.Name)' shows -$name, which has no '### -$name' under PARAMETERS." }
        }
        foreach ($name in $inSet | Where-Object { $_ -notin $shown }) { Add-Problem $file $set.Line "syntax '$($set.Name)' does not show -$name, although -$name is in that set." }
    }
}

# The yaml variant of a parameter that applies to one parameter set, or $null.
function Get-Variant($Parameter, [string] $SetName) {
    foreach ($variant in $Parameter.Variants) { if ($SetName -in $variant.Sets) { return $variant } }
    foreach ($variant in $Parameter.Variants) { if ('(All)' -in $variant.Sets) { return $variant } }
    $null
}

#endregion

#region MAML writing

function Write-Paragraph([System.Xml.XmlWriter] $Writer, [string[]] $Paragraphs) {
    $Writer.WriteStartElement('maml', 'description', $Ns.maml)
    foreach ($text in $Paragraphs) { $Writer.WriteElementString('maml', 'para', $Ns.maml, $text) }
    $Writer.WriteEndElement()
}

function Write-MamlParameter([System.Xml.XmlWriter] $Writer, $Parameter, $Variant, [bool] $InSyntax) {
    $isSwitch = $Variant.Type -in 'SwitchParameter', 'System.Management.Automation.SwitchParameter'
    $Writer.WriteStartElement('command', 'parameter', $Ns.command)
    $Writer.WriteAttributeString('required', $Variant.Required.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('variableLength', 'true')
    $Writer.WriteAttributeString('globbing', $Variant.Globbing.ToString().ToLowerInvariant())
    $Writer.WriteAttributeString('pipelineInput', $Variant.PipelineInput)
    $Writer.WriteAttributeString('position', $Variant.Position)
    $Writer.WriteAttributeString('aliases', $(if ($Variant.Aliases) { $Variant.Aliases -join ', ' } else { 'none' }))
    $Writer.WriteElementString('maml', 'name', $Ns.maml, $Parameter.Name)
    Write-Paragraph $Writer $Parameter.Description
    if ($Variant.AcceptedValues) {
        $Writer.WriteStartElement('command', 'parameterValueGroup', $Ns.command)
        foreach ($value in $Variant.AcceptedValues) {
            $Writer.WriteStartElement('command', 'parameterValue', $Ns.command)
            $Writer.WriteAttributeString('required', 'false')
            $Writer.WriteAttributeString('command', 'variableLength', $Ns.command, 'false')
            $Writer.WriteString($value)
            $Writer.WriteEndElement()
        }
        $Writer.WriteEndElement()
    }
    # A switch takes no value on the command line, so the syntax shows it bare.
    if (-not ($InSyntax -and $isSwitch)) {
        $Writer.WriteStartElement('command', 'parameterValue', $Ns.command)
        $Writer.WriteAttributeString('required', (-not $isSwitch).ToString().ToLowerInvariant())
        $Writer.WriteAttributeString('variableLength', 'false')
        $Writer.WriteString($Variant.Type)
        $Writer.WriteEndElement()
    }
    $Writer.WriteStartElement('dev', 'type', $Ns.dev)
    $Writer.WriteElementString('maml', 'name', $Ns.maml, $Variant.Type)
    $Writer.WriteElementString('maml', 'uri', $Ns.maml, '')
    $Writer.WriteEndElement()
    $Writer.WriteElementString('dev', 'defaultValue', $Ns.dev, $Variant.DefaultValue)
    $Writer.WriteEndElement()
}

function Write-MamlCommand([System.Xml.XmlWriter] $Writer, $Page) {
    $verb, $noun = $Page.Name -split '-', 2
    $Writer.WriteStartElement('command', 'command', $Ns.command)
    foreach ($prefix in 'maml', 'command', 'dev', 'MSHelp') {
        $Writer.WriteAttributeString('xmlns', $prefix, $null, $Ns[$prefix])
    }

    $Writer.WriteStartElement('command', 'details', $Ns.command)
    $Writer.WriteElementString('command', 'name', $Ns.command, $Page.Name)
    $Writer.WriteElementString('command', 'verb', $Ns.command, $verb)
    $Writer.WriteElementString('command', 'noun', $Ns.command, $noun)
    Write-Paragraph $Writer @($Page.Synopsis)
    $Writer.WriteEndElement()

    Write-Paragraph $Writer $Page.Description

    $Writer.WriteStartElement('command', 'syntax', $Ns.command)
    foreach ($set in $Page.SyntaxSets) {
        $Writer.WriteStartElement('command', 'syntaxItem', $Ns.command)
        $Writer.WriteElementString('maml', 'name', $Ns.maml, $Page.Name)
        foreach ($name in $set.Parameters) {
            $parameter = $Page.Parameters | Where-Object Name -eq $name | Select-Object -First 1
            if (-not $parameter) { continue }
            $variant = Get-Variant $parameter $set.Name
            if ($variant) { Write-MamlParameter $Writer $parameter $variant $true }
        }
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'parameters', $Ns.command)
    foreach ($parameter in $Page.Parameters) { Write-MamlParameter $Writer $parameter $parameter.Variants[0] $false }
    $Writer.WriteEndElement()

    foreach ($kind in @(@{ List = 'inputTypes'; Item = 'inputType'; Types = $Page.Inputs }, @{ List = 'returnValues'; Item = 'returnValue'; Types = $Page.Outputs })) {
        $Writer.WriteStartElement('command', $kind.List, $Ns.command)
        foreach ($type in $kind.Types) {
            $Writer.WriteStartElement('command', $kind.Item, $Ns.command)
            $Writer.WriteStartElement('dev', 'type', $Ns.dev)
            $Writer.WriteElementString('maml', 'name', $Ns.maml, $type.Name)
            $Writer.WriteEndElement()
            Write-Paragraph $Writer $type.Description
            $Writer.WriteEndElement()
        }
        $Writer.WriteEndElement()
    }

    $Writer.WriteStartElement('maml', 'alertSet', $Ns.maml)
    if ($Page.Notes) {
        $Writer.WriteStartElement('maml', 'alert', $Ns.maml)
        foreach ($text in $Page.Notes) { $Writer.WriteElementString('maml', 'para', $Ns.maml, $text) }
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('command', 'examples', $Ns.command)
    foreach ($example in $Page.Examples) {
        $Writer.WriteStartElement('command', 'example', $Ns.command)
        $Writer.WriteElementString('maml', 'title', $Ns.maml, "--------- $($example.Title) ---------")
        $Writer.WriteElementString('dev', 'code', $Ns.dev, $example.Code)
        $Writer.WriteStartElement('dev', 'remarks', $Ns.dev)
        foreach ($text in $example.Remarks) { $Writer.WriteElementString('maml', 'para', $Ns.maml, $text) }
        # Get-Help prints the next example's title right under the last remark otherwise.
        $Writer.WriteElementString('maml', 'para', $Ns.maml, '')
        $Writer.WriteEndElement()
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteStartElement('maml', 'relatedLinks', $Ns.maml)
    $links = @()
    if ($Page.OnlineVersion) { $links += [pscustomobject]@{ Text = 'Online Version:'; Uri = $Page.OnlineVersion } }
    $links += $Page.Links
    foreach ($link in $links) {
        $Writer.WriteStartElement('maml', 'navigationLink', $Ns.maml)
        $Writer.WriteElementString('maml', 'linkText', $Ns.maml, $link.Text)
        # A link to a sibling page (Get-MonarchLog.md) serves readers of the markdown; Get-Help shows the name alone.
        $uri = if ([uri]::IsWellFormedUriString($link.Uri, [UriKind]::Absolute)) { $link.Uri } else { '' }
        $Writer.WriteElementString('maml', 'uri', $Ns.maml, $uri)
        $Writer.WriteEndElement()
    }
    $Writer.WriteEndElement()

    $Writer.WriteEndElement()
}

function Write-MamlFile([string] $Path, $Pages) {
    $settings = [System.Xml.XmlWriterSettings]::new()
    $settings.Indent = $true
    $settings.IndentChars = '  '
    $settings.Encoding = [System.Text.UTF8Encoding]::new($false)
    $settings.NewLineChars = "`n"
    # Writing to memory first: a character XML cannot hold fails the build, not a half-written file.
    $buffer = [System.IO.MemoryStream]::new()
    $writer = [System.Xml.XmlWriter]::Create($buffer, $settings)
    try {
        $writer.WriteStartDocument()
        $writer.WriteStartElement('helpItems', $Ns.msh)
        $writer.WriteAttributeString('schema', 'maml')
        foreach ($page in $Pages) { Write-MamlCommand $writer $page }
        $writer.WriteEndElement()
        $writer.WriteEndDocument()
        $writer.Flush()
    }
    finally { $writer.Dispose() }
    [System.IO.File]::WriteAllBytes($Path, $buffer.ToArray())
}

#endregion

$docs = Resolve-Path -LiteralPath $DocsPath -ErrorAction SilentlyContinue
if (-not $docs) { throw "Build-Help: the docs folder '$DocsPath' does not exist." }
$files = @(Get-ChildItem -LiteralPath $docs -Filter '*.md' -File | Sort-Object Name)
if (-not $files) { throw "Build-Help: no markdown pages in '$docs'." }

$pages = @(foreach ($file in $files) { Read-CommandPage $file.FullName })
$pages = @($pages | Where-Object { $null -ne $_ })
if (-not $pages) { Add-Problem $docs 0 'no cmdlet pages (only module pages) found.' }
if ($script:Problems.Count) {
    throw "Build-Help: the help markdown is malformed; no help was written:`n  " + ($script:Problems -join "`n  ")
}

$null = New-Item -ItemType Directory -Force -Path $OutputPath
foreach ($group in $pages | Group-Object HelpFile) {
    $target = Join-Path $OutputPath $group.Name
    try { Write-MamlFile $target @($group.Group | Sort-Object Name) }
    catch { throw "Build-Help: could not write '$target': $($_.Exception.Message)" }
    Write-Verbose "Build-Help: $target ($($group.Count) cmdlets: $(($group.Group | ForEach-Object Name) -join ', '))"
}
