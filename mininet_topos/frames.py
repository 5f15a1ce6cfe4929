"""Hand-made frames for the tests that must send what a well-behaved host never would.

    python -m mininet_topos.frames raw IFACE HEXFRAME [COUNT]
    python -m mininet_topos.frames udp DST_IP DST_PORT HEXPAYLOAD [COUNT]

Run inside a namespace (mininet_topos.traffic.send_frames does that). The builders are pure.
"""
from __future__ import annotations

import socket
import struct
import sys

ETH_P_ALL = 0x0003


def mac_bytes(mac: str) -> bytes:
    return bytes(int(b, 16) for b in mac.split(":"))


def ipv4_icmp_echo(src_ip: str, dst_ip: str, ident: int = 0x4f56, payload: bytes = b"") -> bytes:
    icmp = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + payload
    icmp = icmp[:2] + struct.pack("!H", _checksum(icmp)) + icmp[4:]
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0, 0x4000, 64, 1, 0,
                         socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return header + icmp


def ipv4_udp(src_ip: str, dst_ip: str, sport: int, dport: int, payload: bytes = b"") -> bytes:
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0x4000, 64, 17, 0,
                         socket.inet_aton(src_ip), socket.inet_aton(dst_ip))
    header = header[:10] + struct.pack("!H", _checksum(header)) + header[12:]
    return header + udp


def ipv6(src_ip: str, dst_ip: str, proto: int, payload: bytes) -> bytes:
    """An IPv6 packet; the upper layer's checksum (ICMPv6, UDP: both at offset 2 or 6) is
    filled in by the caller's `payload` builder through ipv6_checksum."""
    return (struct.pack("!IHBB", 0x60000000, len(payload), proto, 255)
            + socket.inet_pton(socket.AF_INET6, src_ip)
            + socket.inet_pton(socket.AF_INET6, dst_ip) + payload)


def ipv6_checksum(src_ip: str, dst_ip: str, proto: int, upper: bytes) -> int:
    pseudo = (socket.inet_pton(socket.AF_INET6, src_ip)
              + socket.inet_pton(socket.AF_INET6, dst_ip)
              + struct.pack("!IxxxB", len(upper), proto))
    return _checksum(pseudo + upper)


def icmpv6(src_ip: str, dst_ip: str, kind: int, body: bytes) -> bytes:
    """An IPv6 packet carrying ICMPv6 `kind` (128 echo request, 134 router advertisement)."""
    msg = struct.pack("!BBH", kind, 0, 0) + body
    msg = msg[:2] + struct.pack("!H", ipv6_checksum(src_ip, dst_ip, 58, msg)) + msg[4:]
    return ipv6(src_ip, dst_ip, 58, msg)


def ipv6_udp(src_ip: str, dst_ip: str, sport: int, dport: int, payload: bytes = b"") -> bytes:
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    udp = udp[:6] + struct.pack("!H", ipv6_checksum(src_ip, dst_ip, 17, udp)) + udp[8:]
    return ipv6(src_ip, dst_ip, 17, udp)


def arp(op: int, sha: str, spa: str, tha: str, tpa: str) -> bytes:
    return (struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + mac_bytes(sha) + socket.inet_aton(spa)
            + mac_bytes(tha) + socket.inet_aton(tpa))


def ethernet(dst: str, src: str, ethertype: int, payload: bytes, vlan: int | None = None) -> bytes:
    tag = struct.pack("!HH", 0x8100, vlan) if vlan is not None else b""
    return mac_bytes(dst) + mac_bytes(src) + tag + struct.pack("!H", ethertype) + payload


def vxlan(vni: int, inner: bytes) -> bytes:
    return struct.pack("!II", 0x08000000, vni << 8) + inner


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def main(argv: list[str]) -> int:
    kind, *args = argv
    if kind == "raw" and len(args) in (2, 3):
        iface, data, count = args[0], bytes.fromhex(args[1]), int((args[2:] or [1])[0])
        with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL)) as s:
            s.bind((iface, 0))
            for _ in range(count):
                s.send(data)
    elif kind == "udp" and len(args) in (3, 4):
        dest, data = (args[0], int(args[1])), bytes.fromhex(args[2])
        count = int((args[3:] or [1])[0])
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            for _ in range(count):
                s.sendto(data, dest)
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
