#Requires -Version 7.4
<#
    How a user verifies a Gentoo OpenStack image with Pester before uploading it to Glance.

        $c = New-PesterContainer -Path ./examples/Pester/OpenStackImage.Tests.ps1 -Data @{ ImagePath = './gentoo.img' }
        Invoke-Pester -Container $c -Output Detailed

    Pass -Data @{ ImagePath = ...; RootLogin = $true } for a test image whose root password is empty
    (Initialize-CloudGuest -RootPassword Empty): the guest is then also asked what it sees.
#>
param(
    [Parameter(Mandatory)] [string] $ImagePath,
    [bool] $RootLogin = $false,
    [int] $TimeoutSec = 300
)

BeforeAll {
    Import-Module GentooImage -ErrorAction Stop
    $script:Glance = Get-Content "$ImagePath.glance.json" -Raw -ErrorAction SilentlyContinue | ConvertFrom-Json
}

Describe "Gentoo OpenStack image $ImagePath" {
    It 'passes every static check (table, clean ext4, boot code, kernel, fstab by UUID, checksum)' {
        $failed = (Test-RawDiskImage $ImagePath).Checks | Where-Object { -not $_.Passed } | ForEach-Object ToString
        $failed | Should -BeNullOrEmpty
    }

    It 'carries the Glance properties OpenStack needs' {
        $Glance | Should -Not -BeNullOrEmpty -Because "New-RawDiskImage writes $ImagePath.glance.json"
        $Glance.os_distro | Should -Be 'gentoo'
        $Glance.hw_disk_bus | Should -Be 'virtio'
        $Glance.container_format | Should -Be 'bare'
    }

    It 'boots to a login prompt on ttyS0' {
        Test-RawDiskImage $ImagePath -Boot -TimeoutSec $TimeoutSec -Quiet | Should -BeTrue
    }

    It 'runs with console=ttyS0 and a root mounted by PARTUUID or UUID' -Skip:(-not $RootLogin) {
        $r = Test-RawDiskImage $ImagePath -Command 'cat /proc/cmdline' -TimeoutSec $TimeoutSec
        $r.Commands[0].Output | Should -Match 'console=ttyS0'
        $r.Commands[0].Output | Should -Match 'root=(PARTUUID|UUID)='
    }
}
