# Every Debian package the module or its tests call, with the reason it is there. Bootstrap
# (tools/tasks/Bootstrap.ps1) installs the ones dpkg-query does not report as installed; README's
# "Dependencies and why" explains the choices.
@{
    Packages = @(
        @{ Name = 'util-linux'; Reason = 'mount, umount, unshare, sfdisk, findmnt' }
        @{ Name = 'e2fsprogs'; Reason = 'mkfs.ext4 -d, e2fsck, debugfs' }
        @{ Name = 'fdisk'; Reason = 'sfdisk' }
        @{ Name = 'gdisk'; Reason = 'sgdisk (GPT checks)' }
        @{ Name = 'dosfstools'; Reason = 'mkfs.vfat for the ESP' }
        @{ Name = 'mtools'; Reason = 'mcopy into the ESP without mounting it' }
        @{ Name = 'grub-common'; Reason = 'grub-mkimage' }
        @{ Name = 'grub-pc-bin'; Reason = 'i386-pc GRUB modules and boot.img' }
        @{ Name = 'grub-efi-amd64-bin'; Reason = 'x86_64-efi GRUB modules' }
        @{ Name = 'qemu-system-x86'; Reason = 'boot tests' }
        @{ Name = 'qemu-utils'; Reason = 'qemu-img' }
        @{ Name = 'ovmf'; Reason = 'UEFI firmware for boot tests' }
        @{ Name = 'gnupg'; Reason = 'OpenPGP verification of stage3 DIGESTS' }
        @{ Name = 'xz-utils'; Reason = 'multi-threaded xz' }
        @{ Name = 'tar'; Reason = 'GNU tar for extraction' }
        @{ Name = 'coreutils'; Reason = 'b2sum, sha512sum' }
        @{ Name = 'attr'; Reason = 'getfattr/setfattr in tests' }
        @{ Name = 'libcap2-bin'; Reason = 'setcap/getcap in tests' }
        @{ Name = 'busybox-static'; Reason = "the test fixture root's userland" }
        @{ Name = 'psmisc'; Reason = 'fuser in diagnostics' }
        @{ Name = 'linux-source-6.1'; Reason = 'the real Kconfig tree for kernel tests' }
        @{ Name = 'build-essential'; Reason = 'make olddefconfig / kernel build' }
        @{ Name = 'bc'; Reason = 'kernel build' }
        @{ Name = 'bison'; Reason = 'kernel build' }
        @{ Name = 'flex'; Reason = 'kernel build' }
        @{ Name = 'libelf-dev'; Reason = 'kernel build' }
        @{ Name = 'libssl-dev'; Reason = 'kernel build' }
        @{ Name = 'cpio'; Reason = 'kernel build' }
        @{ Name = 'kmod'; Reason = 'kernel build' }
        @{ Name = 'mmdebstrap'; Reason = "the real-guest test roots (systemd, OpenRC) and Test-RawDiskImage -Hypervisor Xen's Xen host (dom0), from Debian's packages" }
        @{ Name = 'genisoimage'; Reason = 'the OpenStack config drive (ISO9660, label config-2) in the guest tests' }
        @{ Name = 'openssh-client'; Reason = 'ssh/ssh-keygen: the guest tests log in over a forwarded port' }
        @{ Name = 'systemd'; Reason = 'systemctl --root: the reference the unit-enabling test compares with' }
        @{ Name = 'python3-minimal'; Reason = 'runs the OpenRC network_data.json renderer (Guest/Scripts/netdata.py) in its unit test' }
    )
}
