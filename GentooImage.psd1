@{
    # The cmdlet assembly is the root module. build.ps1 copies this manifest next to it in out/.
    RootModule           = 'GentooImage.dll'
    ModuleVersion        = '0.1.0'
    GUID                 = '5b0f3c64-7d2e-4b0a-9d61-3f4e8a2c9b17'
    Author               = 'GentooImage developers'
    CompanyName          = 'GentooImage'
    Copyright            = '(c) GentooImage developers. MIT licence.'
    Description          = 'Turns a Gentoo stage3 tarball into an OpenStack-ready raw disk image for KVM and Xen guests: verified download and extraction, host-safe chroot mounts, scripts run inside the chroot, kernel configuration checked against the real Kconfig, and a bootable image built without loop devices. Linux only; most cmdlets need root.'
    CompatiblePSEditions = @('Core')
    PowerShellVersion    = '7.4'
    FormatsToProcess     = @('GentooImage.Format.ps1xml')
    # Explicit list: a cmdlet is exported only once it works end to end.
    CmdletsToExport      = @(
        'Get-BuildRoot'
        'New-Stage3Root'
        'Mount-BuildFilesystems'
        'Dismount-BuildFilesystems'
        'Invoke-GentooChroot'
        'Set-KernelConfig'
        'Initialize-CloudGuest'
        'New-RawDiskImage'
        'Test-RawDiskImage'
    )
    FunctionsToExport    = @()
    AliasesToExport      = @()
    VariablesToExport    = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Gentoo', 'OpenStack', 'DiskImage', 'Stage3', 'Chroot', 'Kernel', 'KVM', 'Xen', 'QEMU', 'Linux', 'PSEdition_Core')
            # build.ps1 replaces this with the section of CHANGELOG.md for ModuleVersion in the built manifest.
            ReleaseNotes = 'See CHANGELOG.md.'
            # No ProjectUri or LicenseUri yet: the project has no public repository URL and no LICENSE file.
        }
    }
}
