#!/bin/sh
# GentooImage console-getty: runs a getty on a console only where that console exists.
# Usage: console-getty <tty> <getty command and its arguments>
#
# One image boots under KVM (a UART: ttyS0) and under Xen (PV and PVH guests have no UART; their
# console is hvc0, which in turn is absent under KVM). init keeps one getty line per console. A getty
# whose device is absent exits at once and init respawns it in a loop, so where the console is
# absent this sleeps instead: an idle process, no respawn messages.
tty=$1
shift
dev=/dev/$tty

# stty opens the device without blocking on carrier; it fails on a missing node and on a UART
# node without hardware behind it (EIO).
if command -v stty >/dev/null 2>&1; then
    stty -F "$dev" >/dev/null 2>&1 && exec "$@"
elif [ -c "$dev" ]; then
    exec "$@"
fi

exec sleep 2147483647
