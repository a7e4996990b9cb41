#!/bin/sh
# GentooImage netup (busybox init roots): DHCP on every wired interface, not tied to a MAC address
# or an interface name. dhcpcd when it is installed, else busybox udhcpc with GentooImage's script.
PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export PATH
SCRIPT=/usr/libexec/gentooimage/udhcpc.script

[ -d /sys/class/net ] || mount -t sysfs sysfs /sys 2>/dev/null
ip link set lo up 2>/dev/null

if command -v dhcpcd >/dev/null 2>&1; then
    exec dhcpcd -b
fi

for dir in /sys/class/net/*; do
    ifc=${dir##*/}
    [ "$ifc" = lo ] && continue
    # ARPHRD_ETHER (1), backed by a device (not a bridge, veth or tunnel), not wireless.
    [ "$(cat "$dir/type" 2>/dev/null)" = 1 ] || continue
    [ -e "$dir/device" ] || continue
    [ -e "$dir/wireless" ] && continue
    ip link set "$ifc" up
    udhcpc -b -t 5 -T 2 -i "$ifc" -s "$SCRIPT"
done
exit 0
