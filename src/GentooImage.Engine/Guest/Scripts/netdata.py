#!/usr/bin/python3
# GentooImage netdata: static IPv4 networking from OpenStack's network_data.json, for OpenRC guests.
# Upstream cloud-init has no OpenRC/netifrc network renderer (canonical/cloud-init#3999), so on an
# OpenStack network without DHCP an OpenRC guest would get no address. This runs at boot before the
# network services (OpenRC service gentooimage-netdata, "before net"): it reads network_data.json
# from the config drive (label config-2), finds each static "ipv4" network's interface by the MAC of
# its link, and writes dhcpcd's static configuration (/etc/dhcpcd.conf) when the guest uses dhcpcd,
# else netifrc's (/etc/conf.d/net). Its own lines sit between marker lines, replaced on every boot;
# with no static network they are removed, so DHCP applies again. No config drive: nothing changes.
#
# For tests only: GI_NETDATA_JSON reads that file instead of the config drive, GI_ROOT prefixes the
# files written, GI_SYS_NET replaces /sys/class/net.
import ipaddress
import json
import os
import subprocess
import sys
import tempfile

BEGIN = "# BEGIN GentooImage network_data.json (rewritten at boot; edits between these lines are lost)"
END = "# END GentooImage network_data.json"
ROOT = os.environ.get("GI_ROOT", "")
SYS_NET = os.environ.get("GI_SYS_NET", "/sys/class/net")


def log(message):
    print("gentooimage-netdata: " + message, file=sys.stderr)


def read_network_data():
    path = os.environ.get("GI_NETDATA_JSON")
    if path:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    devices = []
    for label in ("config-2", "CONFIG-2"):
        r = subprocess.run(["blkid", "-t", "LABEL=" + label, "-o", "device"], capture_output=True, text=True, check=False)
        devices += [d for d in r.stdout.split() if d]
    if not devices:
        return None
    with tempfile.TemporaryDirectory(prefix="gentooimage-netdata-") as mnt:
        r = subprocess.run(["mount", "-o", "ro", devices[0], mnt], capture_output=True, text=True, check=False)
        if r.returncode != 0:
            log("cannot mount the config drive %s: %s" % (devices[0], r.stderr.strip()))
            return None
        try:
            path = os.path.join(mnt, "openstack", "latest", "network_data.json")
            if not os.path.exists(path):
                return None
            with open(path, encoding="utf-8") as f:
                return json.load(f)
        finally:
            subprocess.run(["umount", mnt], check=False)


def interfaces_by_mac():
    result = {}
    if not os.path.isdir(SYS_NET):
        return result
    for name in sorted(os.listdir(SYS_NET)):
        try:
            with open(os.path.join(SYS_NET, name, "address"), encoding="ascii") as f:
                result.setdefault(f.read().strip().lower(), name)
        except OSError:
            pass
    return result


def static_networks(data):
    """(interface, address/prefix, gateway or None, [dns]) for each static IPv4 network."""
    links = {l.get("id"): l for l in data.get("links", [])}
    macs = interfaces_by_mac()
    global_dns = [s["address"] for s in data.get("services", []) if s.get("type") == "dns" and "address" in s]
    result = []
    for net in data.get("networks", []):
        if net.get("type") != "ipv4":
            continue
        link = links.get(net.get("link"), {})
        mac = (link.get("ethernet_mac_address") or "").lower()
        iface = macs.get(mac)
        if iface is None:
            log("no interface has MAC %s (network %s): skipped" % (mac, net.get("id")))
            continue
        address = net["ip_address"]
        netmask = net.get("netmask", "255.255.255.255")
        prefix = ipaddress.IPv4Network("0.0.0.0/" + netmask).prefixlen
        gateway = None
        for route in net.get("routes", []):
            if route.get("network") == "0.0.0.0" and route.get("netmask") == "0.0.0.0":
                gateway = route.get("gateway")
        dns = [s["address"] for s in net.get("services", []) if s.get("type") == "dns" and "address" in s] or global_dns
        result.append((iface, "%s/%d" % (address, prefix), gateway, dns))
    return result


def replace_block(path, lines):
    full = ROOT + path
    try:
        with open(full, encoding="utf-8") as f:
            text = f.read().split("\n")
    except FileNotFoundError:
        text = []
    if text and text[-1] == "":
        text.pop()
    kept, inside = [], False
    for line in text:
        if line == BEGIN:
            inside = True
        elif line == END:
            inside = False
        elif not inside:
            kept.append(line)
    if lines:
        kept += [BEGIN] + lines + [END]
    content = "\n".join(kept) + ("\n" if kept else "")
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full + ".gentooimage-new", "w", encoding="utf-8") as f:
        f.write(content)
    if os.path.exists(full):
        st = os.stat(full)
        os.chmod(full + ".gentooimage-new", st.st_mode & 0o7777)
    os.replace(full + ".gentooimage-new", full)


def main():
    data = read_network_data()
    if data is None:
        return 0
    nets = static_networks(data)
    dhcpcd = os.path.exists(ROOT + "/etc/init.d/dhcpcd")
    lines = []
    for iface, cidr, gateway, dns in nets:
        if dhcpcd:
            lines += ["interface " + iface, "static ip_address=" + cidr]
            if gateway:
                lines.append("static routers=" + gateway)
            if dns:
                lines.append("static domain_name_servers=" + " ".join(dns))
        else:
            lines.append('config_%s="%s"' % (iface, cidr))
            if gateway:
                lines.append('routes_%s="default via %s"' % (iface, gateway))
            if dns:
                lines.append('dns_servers_%s="%s"' % (iface, " ".join(dns)))
    replace_block("/etc/dhcpcd.conf" if dhcpcd else "/etc/conf.d/net", lines)
    for iface, cidr, gateway, dns in nets:
        log("%s: static %s via %s (dns %s) from network_data.json" % (iface, cidr, gateway or "-", " ".join(dns) or "-"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
