# Shared by tests/RealGuest.Tests.ps1 and tools/bench/RealGuest.Bench.ps1 (dot-sourced after
# Common.ps1 or after the module and TestSupport are loaded): a real guest image through the public
# pipeline, and the disk it boots from.

function New-RealGuestImage {
    # New-Stage3Root (the cached Debian-package root as a stage3 tarball) | Mount-BuildFilesystems |
    # Invoke-GentooChroot | Initialize-CloudGuest | Dismount-BuildFilesystems, the test kernel into
    # /boot, New-RawDiskImage. Returns the root, the image, the chroot output and the cloud user.
    param(
        [Parameter(Mandatory)] [ValidateSet('systemd', 'openrc')] [string] $Flavor,
        [Parameter(Mandatory)] [string] $Dir,
        [Parameter(Mandatory)] $Kernel,
        [scriptblock] $Log = { param($m) Write-Host "    [real-guest] $m" }
    )
    $tarball = [GentooImage.TestSupport.FixtureDebianGuest]::Tarball($Flavor, [Action[string]] $Log)
    $rootPath = Join-Path $Dir 'root'
    $setup = @'
locale -a | grep -qi '^en_US.utf8$'
# The system locale, as the handbook's locale step sets it: cloud-init's locale module then has
# nothing to regenerate (it took over a minute of a TCG boot).
printf 'LANG=en_US.UTF-8\n' > /etc/default/locale
# Gentoo's e2fsprogs does not enable e2scrub_reap (Debian's postinst does); with no LVM it has
# nothing to do, and on the guest's one TCG vCPU it ran for over a minute beside cloud-init and sshd.
rm -f /etc/systemd/system/multi-user.target.wants/e2scrub_reap.service
echo "setup ran in $(cat /etc/gentoo-release)"
'@
    $root = New-Stage3Root -Path $rootPath -Stage3 $tarball -Verification None -WarningAction SilentlyContinue
    $chrootOutput = $null
    try {
        $root = $root |
            Mount-BuildFilesystems -NoPortageTmpfs |
            Invoke-GentooChroot -Script $setup -InformationVariable chrootOutput |
            Initialize-CloudGuest -Hostname 'gentoo-guest' -WarningAction SilentlyContinue |
            Dismount-BuildFilesystems
    }
    finally {
        if (Get-Content /proc/self/mountinfo | Select-String -SimpleMatch " $rootPath/") {
            Dismount-BuildFilesystems -Path $rootPath -Force | Out-Null
        }
    }

    Copy-Item $Kernel.BzImage (Join-Path $rootPath "boot/vmlinuz-$($Kernel.Release)")
    $cloudUser = if ((Get-Content -Raw (Join-Path $rootPath 'etc/cloud/cloud.cfg')) -match '(?m)^\s*default_user:\s*\n\s*name:\s*(\S+)') { $Matches[1] } else { 'root' }
    # no_timer_check, as Fedora's and RHEL's cloud images boot: on a host this loaded, QEMU's PIT
    # interrupts did not arrive within the kernel's early IO-APIC timer check under TCG, and the
    # kernel panicked ("IO-APIC + timer doesn't work!") before init.
    $image = $root | New-RawDiskImage -Path (Join-Path $Dir "$Flavor.img") -KernelCommandLine 'no_timer_check'
    [pscustomobject]@{ Root = $root; Image = $image; ChrootOutput = $chrootOutput; CloudUser = $cloudUser }
}

function New-RealGuestDisk {
    # A copy of the image 1 GiB larger (the flavor's disk is bigger than the image: the root grows).
    param([Parameter(Mandatory)] $Image, [Parameter(Mandatory)] [string] $Path)
    & cp --sparse=always $Image.Path $Path
    if ($LASTEXITCODE) { throw "cp of $($Image.Path) failed" }
    & truncate -s '+1G' $Path
    if ($LASTEXITCODE) { throw "truncate of $Path failed" }
    $Path
}

# A real-guest Describe's cleanup: the VM (QEMU) first, then any mount left under the run's
# directory (a test that failed between Mount and Dismount), then the directory.
function Remove-RealGuestRun {
    param($Vm, [string] $Dir, [string] $RootPath)
    if ($Vm) { $Vm.Dispose() }
    if ($Dir -and (Test-Path $Dir)) {
        if (Get-Content /proc/self/mountinfo | Select-String -SimpleMatch " $Dir/") { Dismount-BuildFilesystems -Path $RootPath -Force | Out-Null }
        Remove-GiTestDirectory $Dir
    }
}

# Where a real-guest Describe keeps what the guest answered and its serial log, emptied first:
# out/TestResults/real-guests/<name>/.
function New-RealGuestKeep {
    param([Parameter(Mandatory)] [string] $Name)
    $keep = Join-Path $RepoRoot "out/TestResults/real-guests/$Name"
    if (Test-Path $keep) { Remove-Item -Recurse -Force $keep }
    New-Item -ItemType Directory -Force $keep | Out-Null
    $keep
}
