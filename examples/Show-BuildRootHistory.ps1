#Requires -Version 7.4
<#
.SYNOPSIS
    Shows what GentooImage recorded about one or more build roots.
.EXAMPLE
    ./examples/Show-BuildRootHistory.ps1 -Path /var/tmp/gentoo
#>
param(
    [Parameter(Mandatory, ValueFromPipeline, ValueFromPipelineByPropertyName)]
    [Alias('FullName')]
    [string[]] $Path
)
begin { Import-Module GentooImage -ErrorAction Stop }
process {
    foreach ($root in Get-BuildRoot -Path $Path) {
        $root | Format-List Path, Stage3, IsMounted
        $root.History | Format-Table Start, Step, Outcome, Duration, Detail -AutoSize
    }
}
