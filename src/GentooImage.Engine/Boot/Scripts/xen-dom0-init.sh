#!/bin/sh
# PID 1 of the dom0 of GentooImage's Xen test host (Test-RawDiskImage -Hypervisor Xen).
# It starts Debian's Xen daemons, creates the one guest described by the xl configuration that the
# host passed base64-encoded as gentooimage.xlcfg= on this kernel's command line, and attaches the
# guest's console to this console (hvc0, which Xen sends to QEMU's serial port), so whatever talks
# to QEMU's serial port talks to the guest. When the guest's console closes, dom0 powers off.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH

mountpoint -q /proc || mount -t proc proc /proc
mountpoint -q /sys || mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620 devpts /dev/pts
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs tmpfs /tmp
mount -o remount,rw /
mkdir -p /run/lock /var/log/xen /var/lib/xen
echo "gentooimage-xen-host: dom0 userspace"

/etc/init.d/xen start
# No udev here: load the backends udev would load for the guest's first disk and NIC.
modprobe xen-blkback
modprobe xen-netback
# The guest's NIC (xen-netfront) needs a bridge to plug its vif into; nothing else is on it.
ip link add xenbr0 type bridge && ip link set xenbr0 up

cfg=
for arg in $(cat /proc/cmdline); do
    case $arg in
        gentooimage.xlcfg=*) cfg=${arg#gentooimage.xlcfg=} ;;
    esac
done
if [ -z "$cfg" ]; then
    echo "gentooimage-xen-host: no gentooimage.xlcfg= on the command line; nothing to start"
else
    echo "$cfg" | base64 -d > /run/guest.cfg
    echo "gentooimage-xen-host: starting the guest"
    # setsid -c: xl's console wants a controlling terminal to put into raw mode.
    setsid -c xl create -c /run/guest.cfg </dev/hvc0 >/dev/hvc0 2>&1
    echo "gentooimage-xen-host: guest console closed ($?)"
fi

echo o > /proc/sysrq-trigger
sleep 60
