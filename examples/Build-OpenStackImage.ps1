#Requires -Version 7.4
<#
.SYNOPSIS
    Builds a Gentoo OpenStack image from the latest verified stage3, the real way.
.DESCRIPTION
    On a machine with internet access (run as root):
      1. New-Stage3Root: the latest stage3 of -Flavor, its DIGESTS signature checked against the
         Gentoo release key, SHA512 and BLAKE2B checked, extracted with owners, modes and xattrs.
      2. Mount-BuildFilesystems with host caches for distfiles and binary packages.
      3. Invoke-GentooChroot: emerge-webrsync, the official binary package host (getbinpkg, with
         signature verification set up by getuto), GRUB, dhcpcd, OpenSSH, cloud-init (with growpart).
      4. A kernel with the seed's KVM/Xen options:
           -Kernel GentooSources: sys-kernel/gentoo-sources, Set-KernelConfig -Preset OpenStack on
           /usr/src/linux (checked against its Kconfig), built and installed in the chroot;
           -Kernel DistKernel: Set-KernelConfig -DistKernel writes /etc/kernel/config.d, then
           sys-kernel/gentoo-kernel builds with it (gentoo-kernel-bin is prebuilt and ignores
           config.d, so it cannot carry the preset).
      5. Initialize-CloudGuest: serial getty, DHCP, sshd without host keys, cloud-init, root growth,
         hygiene.
      6. Dismount-BuildFilesystems, New-RawDiskImage, Test-RawDiskImage -Boot.

    -Offline runs the same script where Gentoo's mirrors cannot be reached (the tests and the demo
    do this against a loopback mirror): the chroot steps that need the internet are skipped, the
    kernel tree given by -KernelSource is configured instead of gentoo-sources, and the prebuilt
    -KernelImage is installed as the kernel.
.EXAMPLE
    ./examples/Build-OpenStackImage.ps1 -OutputPath /srv/images/gentoo.img -Firmware Hybrid
.EXAMPLE
    ./examples/Build-OpenStackImage.ps1 -Flavor amd64-systemd -Kernel DistKernel -Format Qcow2
#>
[CmdletBinding()]
param(
    # The image to write.
    [string] $OutputPath = './gentoo-openstack.img',
    # Where the build root is made (it must not exist or be empty, unless -Force).
    [string] $RootPath = '/var/tmp/gentooimage/root',
    [string] $Flavor = 'amd64-openrc',
    # Image size (e.g. 8GB); default: what the root needs.
    [string] $Size,
    [ValidateSet('Bios', 'Uefi', 'Hybrid')] [string] $Firmware = 'Bios',
    [ValidateSet('Raw', 'Qcow2')] [string] $Format = 'Raw',
    [uri] $Mirror = 'https://distfiles.gentoo.org',
    # Public key file(s) and fingerprints to trust; default: the Gentoo release engineering key.
    [string] $KeyringPath,
    [string[]] $TrustedFingerprint,
    [string] $CacheDirectory,
    [string] $DistfilesCache = '/var/cache/gentooimage/distfiles',
    [string] $BinpkgCache = '/var/cache/gentooimage/binpkgs',
    [ValidateSet('GentooSources', 'DistKernel')] [string] $Kernel = 'GentooSources',
    [ValidateSet('Locked', 'Empty')] [string] $RootPassword = 'Locked',
    # Skip the chroot steps that need Gentoo's mirrors; use -KernelSource and -KernelImage instead.
    [switch] $Offline,
    [string] $KernelSource,
    [string] $KernelImage,
    [switch] $NoBootTest,
    [switch] $Force
)

$ErrorActionPreference = 'Stop'
Import-Module GentooImage -ErrorAction Stop

if ($Offline -and -not ($KernelSource -and $KernelImage)) {
    throw '-Offline needs -KernelSource (a kernel tree to configure) and -KernelImage (the bzImage to install).'
}

$stage3 = @{ Path = $RootPath; Flavor = $Flavor; Mirror = $Mirror; Force = $Force }
if ($KeyringPath) { $stage3.KeyringPath = $KeyringPath }
if ($TrustedFingerprint) { $stage3.TrustedFingerprint = $TrustedFingerprint }
if ($CacheDirectory) { $stage3.CacheDirectory = $CacheDirectory }
$root = New-Stage3Root @stage3

$online = @'
set -e
emerge-webrsync --quiet
getuto
cat >> /etc/portage/make.conf <<'EOF'
FEATURES="${FEATURES} getbinpkg binpkg-request-signature"
EOF
emerge --quiet --noreplace sys-boot/grub net-misc/dhcpcd net-misc/openssh app-emulation/cloud-init sys-apps/gptfdisk
'@
$sources = @'
set -e
emerge --quiet --noreplace sys-kernel/gentoo-sources sys-kernel/installkernel
eselect kernel set 1
'@
$buildSources = @'
set -e
cd /usr/src/linux
make -j"$(nproc)" && make modules_install && make install
'@

New-Item -ItemType Directory -Force $DistfilesCache, $BinpkgCache | Out-Null
try {
    $root = $root | Mount-BuildFilesystems -DistfilesCache $DistfilesCache -BinpkgCache $BinpkgCache

    if ($Offline) {
        # The same kernel step as with gentoo-sources, on a tree that is already there.
        $tree = Join-Path $RootPath 'usr/src/linux'
        & cp -al $KernelSource $tree 2>$null
        if ($LASTEXITCODE) { & cp -a $KernelSource $tree; if ($LASTEXITCODE) { throw "Cannot copy $KernelSource" } }
        # /proc/config.gz to prove the running config, and XEN_PVH (unset by the seed) so the image also boots as a Xen PVH guest.
        $root = $root | Set-KernelConfig -Preset OpenStack -Setting @{ IKCONFIG = 'y'; IKCONFIG_PROC = 'y'; XEN_PVH = 'y' }
        # The release is in the bzImage itself: the setup header's kernel_version field (offset 0x20E) points at it.
        $bytes = [IO.File]::ReadAllBytes($KernelImage)
        $at = [BitConverter]::ToUInt16($bytes, 0x20E) + 0x200
        $release = ([Text.Encoding]::ASCII.GetString($bytes, $at, 64) -split ' ')[0]
        Copy-Item $KernelImage (Join-Path $RootPath "boot/vmlinuz-$release")
        Remove-Item -Recurse -Force $tree
    }
    else {
        $root = $root | Invoke-GentooChroot -Script $online
        if ($Kernel -eq 'GentooSources') {
            $root = $root | Invoke-GentooChroot -Script $sources |
                Set-KernelConfig -Preset OpenStack |
                Invoke-GentooChroot -Script $buildSources
        }
        else {
            $root = $root | Set-KernelConfig -DistKernel -Preset OpenStack |
                Invoke-GentooChroot -Script 'emerge --quiet sys-kernel/gentoo-kernel'
        }
    }

    $root = $root | Initialize-CloudGuest -RootPassword $RootPassword
}
finally {
    # Whatever happened, nothing stays mounted.
    Dismount-BuildFilesystems -Path $RootPath -Force | Out-Null
}

$imageArgs = @{ Path = $OutputPath; Firmware = $Firmware; Format = $Format; Force = $Force }
if ($Size) { $imageArgs.Size = $Size }
$image = Get-BuildRoot $RootPath | New-RawDiskImage @imageArgs
$image

if (-not $NoBootTest -and $Format -eq 'Raw') {
    $bootFirmware = if ($Firmware -eq 'Uefi') { 'Uefi' } else { 'Bios' }
    $image | Test-RawDiskImage -Boot -Firmware $bootFirmware
}
