"""Value converters of the cloud schema: the raw YAML value in, the parsed value out, or a
ValueError whose message reads well after "key 'x': "."""
from __future__ import annotations

import ipaddress
import re
import uuid
from typing import Any, Callable

import netaddr

from cloud import model


NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,11}$")  # node/VM names become interface-name parts


def text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value


def short_name(value: Any) -> str:
    value = text(value)
    if not NAME_RE.match(value):
        raise ValueError(f"{value!r} is not a short name (lower-case letter, then up to 11 of "
                         "a-z 0-9 -)")
    return value


def uuid_text(value: Any) -> str:
    value = text(value)
    try:
        if str(uuid.UUID(value)) != value.lower():
            raise ValueError
    except ValueError:
        raise ValueError(f"{value!r} is not a UUID "
                         "(like 4b9ccec6-0d8c-496c-bad3-a26ce01af708)") from None
    return value.lower()


def integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def choice(*choices: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
        return value
    return convert


def ipv4(value: Any) -> ipaddress.IPv4Address:
    try:
        return ipaddress.IPv4Address(text(value))
    except ipaddress.AddressValueError:
        raise ValueError(f"{value!r} is not an IPv4 address") from None


def ipv4_network(value: Any) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(text(value))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an IPv4 CIDR ({exc})") from None


def ip_address(value: Any) -> model.IPAddress:
    try:
        return ipaddress.ip_address(text(value))
    except ValueError:
        raise ValueError(f"{value!r} is not an IP address") from None


def ip_range(value: Any) -> tuple[model.IPAddress, model.IPAddress]:
    """"FIRST-LAST" (an allocation pool), both of one IP version, FIRST <= LAST."""
    first, sep, last = text(value).partition("-")
    if not sep:
        raise ValueError(f"{value!r} is not a range FIRST-LAST")
    a, b = ip_address(first.strip()), ip_address(last.strip())
    if a.version != b.version or a > b:
        raise ValueError(f"{value!r} is not a range FIRST-LAST of one IP version")
    return a, b


def mapping(value: Any) -> dict:
    if not isinstance(value, dict):
        raise ValueError(f"expected a mapping, got {type(value).__name__}")
    return value


def sequence(value: Any) -> list:
    if not isinstance(value, list):
        raise ValueError(f"expected a list, got {type(value).__name__}")
    return value


def one_or_many(convert: Callable[[Any], Any]) -> Callable[[Any], tuple]:
    def many(value: Any) -> tuple:
        items = value if isinstance(value, list) else [value]
        if not items:
            raise ValueError("expected at least one value")
        return tuple(convert(v) for v in items)
    return many


def cidr(value: Any) -> model.IPNetwork:
    try:
        return ipaddress.ip_network(text(value))
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a CIDR ({exc})") from None


def mac(value: Any) -> str:
    value = text(value)
    try:
        eui = netaddr.EUI(value, version=48)
    except (netaddr.AddrFormatError, TypeError):
        raise ValueError(f"{value!r} is not a MAC address") from None
    if int(eui) == 0 or eui.words[0] & 1:
        raise ValueError(f"{value} is not a unicast MAC address")
    eui.dialect = netaddr.mac_unix_expanded
    return str(eui).lower()


def port_number(value: Any) -> int:
    value = integer(value)
    if not 1 <= value <= 65535:
        raise ValueError(f"{value} is not a TCP port (1..65535)")
    return value


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value
