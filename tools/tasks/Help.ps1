# -Task Help: MAML help (out/GentooImage/en-US/GentooImage.dll-Help.xml) from
# src/help/en-US/<Verb-Noun>.md and the compiled cmdlets' own metadata (syntax, types, positions,
# pipeline input, aliases, value sets), so the help cannot drift from the code. platyPS is not
# available from the package registries here, hence this small generator. Needs the module built
# in out/GentooImage; Build runs it in a child pwsh.

function Split-MarkdownSections([string[]] $Lines, [string] $Prefix) {
    # Returns an ordered dictionary: heading text -> lines under it (up to the next heading of that level).
    $sections = [ordered]@{}
    $current = $null
    $inFence = $false
    foreach ($line in $Lines) {
        if ($line -match '^```') { $inFence = -not $inFence }
        if (-not $inFence -and $line.StartsWith($Prefix + ' ')) {
            $current = $line.Substring($Prefix.Length + 1).Trim()
            $sections[$current] = [System.Collections.Generic.List[string]]::new()
        }
        elseif ($null -ne $current) {
            $sections[$current].Add($line)
        }
    }
    $sections
}

function ConvertTo-Paragraphs([string[]] $Lines) {
    $text = ($Lines -join "`n").Trim()
    if (-not $text) { return @() }
    @($text -split "\n\s*\n" | ForEach-Object { ($_ -split "\n" | ForEach-Object Trim) -join ' ' })
}

function Read-HelpMarkdown([string] $Path) {
    $lines = Get-Content -LiteralPath $Path
    $top = Split-MarkdownSections $lines '##'
    $help = @{
        Synopsis    = @(ConvertTo-Paragraphs $top['SYNOPSIS']) -join ' '
        Description = @(ConvertTo-Paragraphs $top['DESCRIPTION'])
        Parameters  = @{}
        Inputs      = [ordered]@{}
        Outputs     = [ordered]@{}
        Examples    = [System.Collections.Generic.List[hashtable]]::new()
        Notes       = @(ConvertTo-Paragraphs $top['NOTES'])
    }
    if ($top.Contains('PARAMETERS')) {
        $params = Split-MarkdownSections $top['PARAMETERS'] '###'
        foreach ($k in $params.Keys) { $help.Parameters[$k.TrimStart('-')] = @(ConvertTo-Paragraphs $params[$k]) }
    }
    foreach ($kind in 'INPUTS', 'OUTPUTS') {
        if ($top.Contains($kind)) {
            $items = Split-MarkdownSections $top[$kind] '###'
            foreach ($k in $items.Keys) { $help[$kind.Substring(0, 1) + $kind.Substring(1).ToLower()][$k] = @(ConvertTo-Paragraphs $items[$k]) }
        }
    }
    if ($top.Contains('EXAMPLES')) {
        $examples = Split-MarkdownSections $top['EXAMPLES'] '###'
        foreach ($title in $examples.Keys) {
            $body = $examples[$title]
            $code = [System.Collections.Generic.List[string]]::new()
            $remarks = [System.Collections.Generic.List[string]]::new()
            $inFence = $false
            foreach ($l in $body) {
                if ($l -match '^```') { $inFence = -not $inFence; continue }
                if ($inFence) { $code.Add($l) } else { $remarks.Add($l) }
            }
            $help.Examples.Add(@{ Title = $title; Code = ($code -join "`n").Trim(); Remarks = @(ConvertTo-Paragraphs $remarks) })
        }
    }
    $help
}

function Get-ParameterValueSet([System.Management.Automation.ParameterMetadata] $Parameter) {
    # A parameter's accepted values: its ValidateSet, else the names of its enum type (or element type).
    $validate = $Parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
    if ($validate) { return @($validate.ValidValues) }
    $t = $Parameter.ParameterType
    if ($t.IsArray) { $t = $t.GetElementType() }
    $t = [Nullable]::GetUnderlyingType($t) ?? $t
    if ($t.IsEnum) { return @([Enum]::GetNames($t)) }
    @()
}

function New-MamlHelp {
    $manifest = Join-Path $ModuleOut 'GentooImage.psd1'
    $module = Import-Module $manifest -PassThru -Force
    $helpDir = Join-Path $Repo 'src/help/en-US'
    $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters

    $settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [System.Text.UTF8Encoding]::new($false) }
    $target = Join-Path $ModuleOut 'en-US/GentooImage.dll-Help.xml'
    New-Item -ItemType Directory -Force (Split-Path $target) | Out-Null
    $w = [System.Xml.XmlWriter]::Create($target, $settings)
    $maml = 'http://schemas.microsoft.com/maml/2004/10'
    $cmd = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
    $dev = 'http://schemas.microsoft.com/maml/dev/2004/10'
    function Paras([string[]] $ps) { foreach ($p in $ps) { $w.WriteElementString('maml', 'para', $maml, $p) } }
    function Desc([string[]] $ps) { $w.WriteStartElement('maml', 'description', $maml); Paras $ps; $w.WriteEndElement() }
    function TypeName([Type] $t) { if ($t.IsArray) { (TypeName $t.GetElementType()) + '[]' } else { $t.Name } }

    $w.WriteStartDocument()
    $w.WriteStartElement('helpItems', 'http://msh')
    $w.WriteAttributeString('schema', 'maml')
    foreach ($name in ($module.ExportedCmdlets.Keys | Sort-Object)) {
        $info = Get-Command $name
        $md = Join-Path $helpDir "$name.md"
        if (-not (Test-Path $md)) { Write-Warning "No help source for $name ($md)."; continue }
        $h = Read-HelpMarkdown $md
        $params = $info.Parameters.Values | Where-Object { $_.Name -notin $common }
        foreach ($p in $params) {
            if (-not $h.Parameters.ContainsKey($p.Name)) { Write-Warning "$name -$($p.Name) has no description in $md." }
        }

        $w.WriteStartElement('command', 'command', $cmd)
        $w.WriteAttributeString('xmlns', 'maml', $null, $maml)
        $w.WriteAttributeString('xmlns', 'dev', $null, $dev)
        $w.WriteStartElement('command', 'details', $cmd)
        $w.WriteElementString('command', 'name', $cmd, $name)
        $w.WriteElementString('command', 'verb', $cmd, $info.Verb)
        $w.WriteElementString('command', 'noun', $cmd, $info.Noun)
        Desc @($h.Synopsis)
        $w.WriteEndElement()
        Desc $h.Description

        $writeParam = {
            param($p, $set, [switch] $Full)
            # A parameter declared for all sets is keyed '__AllParameterSets', not by the set's name.
            $attr = if ($set -and $p.ParameterSets.ContainsKey($set)) { $p.ParameterSets[$set] } elseif ($p.ParameterSets.ContainsKey('__AllParameterSets')) { $p.ParameterSets['__AllParameterSets'] } else { $p.ParameterSets.Values | Select-Object -First 1 }
            $pipe = @(if ($attr.ValueFromPipeline) { 'ByValue' }; if ($attr.ValueFromPipelineByPropertyName) { 'ByPropertyName' })
            $w.WriteStartElement('command', 'parameter', $cmd)
            $w.WriteAttributeString('required', "$($attr.IsMandatory)".ToLower())
            $w.WriteAttributeString('variableLength', "$($p.ParameterType.IsArray)".ToLower())
            $w.WriteAttributeString('globbing', 'false')
            $w.WriteAttributeString('pipelineInput', $(if ($pipe) { "True ($($pipe -join ', '))" } else { 'False' }))
            $w.WriteAttributeString('position', $(if ($attr.Position -ge 0) { "$($attr.Position)" } else { 'named' }))
            $w.WriteAttributeString('aliases', $(if ($p.Aliases.Count) { $p.Aliases -join ', ' } else { 'none' }))
            $w.WriteElementString('maml', 'name', $maml, $p.Name)
            Desc @($h.Parameters[$p.Name])
            # The values Get-Help shows as {A | B} in the syntax: a ValidateSet's, else an enum's
            # (what Get-Command -Syntax shows). Each is a parameterValue inside the group; bare text
            # in the group renders as an empty set, {}.
            $values = @(Get-ParameterValueSet $p)
            if ($values.Count -and -not $Full) {
                $w.WriteStartElement('command', 'parameterValueGroup', $cmd)
                foreach ($v in $values) {
                    $w.WriteStartElement('command', 'parameterValue', $cmd)
                    $w.WriteAttributeString('required', 'false')
                    $w.WriteAttributeString('variableLength', 'false')
                    $w.WriteString($v)
                    $w.WriteEndElement()
                }
                $w.WriteEndElement()
            }
            if ($p.ParameterType -ne [switch]) {
                $w.WriteStartElement('command', 'parameterValue', $cmd)
                $w.WriteAttributeString('required', 'true')
                $w.WriteAttributeString('variableLength', "$($p.ParameterType.IsArray)".ToLower())
                $w.WriteString((TypeName $p.ParameterType))
                $w.WriteEndElement()
            }
            $w.WriteStartElement('dev', 'type', $dev)
            $w.WriteElementString('maml', 'name', $maml, (TypeName $p.ParameterType))
            $w.WriteEndElement()
            if ($Full) { $w.WriteElementString('dev', 'defaultValue', $dev, 'None') }
            $w.WriteEndElement()
        }

        $w.WriteStartElement('command', 'syntax', $cmd)
        foreach ($set in $info.ParameterSets) {
            $w.WriteStartElement('command', 'syntaxItem', $cmd)
            $w.WriteElementString('maml', 'name', $maml, $name)
            foreach ($sp in $set.Parameters | Where-Object { $_.Name -notin $common }) {
                & $writeParam $info.Parameters[$sp.Name] $set.Name
            }
            $w.WriteEndElement()
        }
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'parameters', $cmd)
        foreach ($p in $params) { & $writeParam $p $null -Full }
        $w.WriteEndElement()

        foreach ($kind in @(@('inputTypes', 'inputType', $h.Inputs), @('returnValues', 'returnValue', $h.Outputs))) {
            $w.WriteStartElement('command', $kind[0], $cmd)
            foreach ($t in $kind[2].Keys) {
                $w.WriteStartElement('command', $kind[1], $cmd)
                $w.WriteStartElement('dev', 'type', $dev)
                $w.WriteElementString('maml', 'name', $maml, $t)
                $w.WriteEndElement()
                Desc $kind[2][$t]
                $w.WriteEndElement()
            }
            $w.WriteEndElement()
        }

        $w.WriteStartElement('maml', 'alertSet', $maml)
        $w.WriteStartElement('maml', 'alert', $maml)
        Paras $h.Notes
        $w.WriteEndElement()
        $w.WriteEndElement()

        $w.WriteStartElement('command', 'examples', $cmd)
        foreach ($e in $h.Examples) {
            $w.WriteStartElement('command', 'example', $cmd)
            $w.WriteElementString('maml', 'title', $maml, "-------------------------- $($e.Title) --------------------------")
            $w.WriteElementString('dev', 'code', $dev, $e.Code)
            $w.WriteStartElement('dev', 'remarks', $dev)
            Paras $e.Remarks
            $w.WriteEndElement()
            $w.WriteEndElement()
        }
        $w.WriteEndElement()
        $w.WriteEndElement() # command
    }
    $w.WriteEndElement()
    $w.WriteEndDocument()
    $w.Dispose()
    Write-Host "Help: $target"
}
