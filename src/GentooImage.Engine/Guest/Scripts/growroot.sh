#!/bin/sh
# GentooImage growroot: on first boot, grows the root partition to the end of its disk and then
# its ext2/3/4 file system (online), once. It needs no initramfs: the root device is found from
# /proc/self/mountinfo (major:minor of "/") or from root= on the kernel command line, and the disk
# and partition number from /sys/class/block. Tools: sfdisk and partx or resizepart (util-linux),
# resize2fs (e2fsprogs); everything else is POSIX sh that busybox sh runs.
#
# For tests only: GROWROOT_DEVICE=/dev/loop0p1 grows that partition instead of the root's;
# GROWROOT_MARKER moves the done-marker.

PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export PATH
MARKER=${GROWROOT_MARKER:-/var/lib/gentooimage/growroot.done}
NODES=

log() {
    echo "gentooimage-growroot: $*" >&2
    if command -v logger >/dev/null 2>&1; then
        logger -t gentooimage-growroot -- "$*" 2>/dev/null
    fi
}

cleanup() {
    if [ -n "$NODES" ]; then rm -rf "$NODES"; fi
}

mark_done() {
    mkdir -p "${MARKER%/*}" && echo "$*" > "$MARKER"
}

trap cleanup EXIT

if [ -e "$MARKER" ]; then
    exit 0
fi

[ -d /sys/class/block ] || mount -t sysfs sysfs /sys 2>/dev/null
[ -r /proc/self/mountinfo ] || mount -t proc proc /proc 2>/dev/null

# Prints the name (as in /sys/class/block) of the block device that holds the root file system.
root_block_name() {
    if [ -n "$GROWROOT_DEVICE" ]; then
        dev=$(readlink -f "$GROWROOT_DEVICE")
        echo "${dev##*/}"
        return
    fi

    # The device numbers of "/" (field 3 of the last mount on "/"); 0:x is a virtual fs.
    majmin=$(awk '$4 == "/" && $5 == "/" { n = $3 } END { print n }' /proc/self/mountinfo 2>/dev/null)
    case "$majmin" in
        "" | 0:*) ;;
        *)
            if [ -e "/sys/dev/block/$majmin" ]; then
                dev=$(readlink -f "/sys/dev/block/$majmin")
                echo "${dev##*/}"
                return
            fi
            ;;
    esac

    spec=
    for arg in $(cat /proc/cmdline); do
        case "$arg" in
            root=*) spec=${arg#root=} ;;
        esac
    done
    dev=
    case "$spec" in
        /dev/*) dev=$spec ;;
        PARTUUID=* | UUID=* | LABEL=* | PARTLABEL=*)
            dev=$(blkid -l -o device -t "$spec" 2>/dev/null)
            [ -n "$dev" ] || dev=$(findfs "$spec" 2>/dev/null)
            ;;
    esac
    if [ -n "$dev" ] && [ -b "$dev" ]; then
        dev=$(readlink -f "$dev")
        echo "${dev##*/}"
    fi
}

part=$(root_block_name)
if [ -z "$part" ] || [ ! -e "/sys/class/block/$part" ]; then
    log "cannot tell which block device holds / (mountinfo and root= gave nothing usable); nothing grown"
    exit 1
fi

sys=/sys/class/block/$part
if [ ! -r "$sys/partition" ]; then
    log "$part is not a partition (a whole disk, LVM or a virtual device): nothing to grow"
    mark_done "not a partition: $part"
    exit 0
fi

partnum=$(cat "$sys/partition")
parent=$(readlink -f "$sys")
parent=${parent%/*}
disk=${parent##*/}
if [ ! -r "/sys/class/block/$disk/dev" ]; then
    log "cannot find the disk that holds $part; nothing grown"
    exit 1
fi

# Device nodes: /dev when it has them, else our own (no udev, no devtmpfs).
diskdev=/dev/$disk
partdev=/dev/$part
if [ ! -b "$diskdev" ] || [ ! -b "$partdev" ]; then
    NODES=$(mktemp -d) || exit 1
    diskdev=$NODES/$disk
    partdev=$NODES/$part
    mknod "$diskdev" b $(tr ':' ' ' < "/sys/class/block/$disk/dev") || exit 1
    mknod "$partdev" b $(tr ':' ' ' < "$sys/dev") || exit 1
fi

before=$(cat "$sys/size")

# A disk that grew keeps its GPT backup header in the old place: move it to the new end first.
if sfdisk --dump "$diskdev" 2>/dev/null | grep -q '^label: gpt'; then
    sfdisk --relocate gpt-bak-header "$diskdev" >/dev/null 2>&1 || log "could not move the GPT backup header (continuing)"
fi

# Grow partition $partnum to the end of the free space after it, on the live disk.
if ! echo ", +" | sfdisk --no-reread --no-tell-kernel -q -N "$partnum" "$diskdev" >/dev/null; then
    log "sfdisk could not grow partition $partnum of $disk; nothing grown"
    exit 1
fi

# Tell the kernel about the new size of the (mounted) partition.
if command -v partx >/dev/null 2>&1 && partx -u --nr "$partnum" "$diskdev" 2>/dev/null; then
    :
elif command -v resizepart >/dev/null 2>&1; then
    sectors=$(partx -g -o SECTORS --nr "$partnum" "$diskdev" 2>/dev/null | tr -d ' ')
    if [ -z "$sectors" ] || ! resizepart "$diskdev" "$partnum" "$sectors"; then
        log "the kernel still sees the old size of $part (resizepart failed); reboot to finish"
        exit 1
    fi
else
    log "neither partx nor resizepart is installed; the kernel sees the new size of $part after a reboot"
    exit 1
fi

after=$(cat "$sys/size")
log "partition $partnum of $disk: $before -> $after sectors"

# On the guest the root is mounted and resize2fs grows it online. An unmounted file system (a
# test device) must be checked first, as resize2fs requires.
if ! awk -v d="$(cat "$sys/dev")" '$3 == d { found = 1 } END { exit !found }' /proc/self/mountinfo; then
    e2fsck -f -p "$partdev" >/dev/null 2>&1
fi
if ! out=$(resize2fs "$partdev" 2>&1); then
    log "resize2fs $partdev failed; the partition was grown, the file system was not (runs again next boot): $(echo "$out" | tail -n 1)"
    exit 1
fi

log "file system on $part grown"
mark_done "grown $part from $before to $after sectors"
exit 0
