"""Value converters of the cloud schema: the raw YAML value in, the parsed value out, or a
ValueError whose message reads well after "key 'x': "."""
from __future__ import annotations

import functools
import ipaddress
import json
import re
import unicodedata
import uuid
from typing import Any
from collections.abc import Callable

import netaddr

from cloud import model


NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,11}$")  # node/VM names become interface-name parts


def text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value


NAME_MAX_LEN = 255   # Neutron's limit on names and descriptions
TAG_MAX_LEN = 255


def free_text(value: Any, limit: int = NAME_MAX_LEN) -> str:
    """A name or description as Neutron takes them: any string up to `limit` characters, but
    no control characters (they would garble every table and log that shows it)."""
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    if len(value) > limit:
        raise ValueError(f"{value[:20]!r}... is {len(value)} characters long (at most {limit})")
    bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Cf")), None)
    if bad is not None:
        raise ValueError(f"{value!r} contains the control character U+{ord(bad):04X}")
    return value


def tags(value: Any) -> tuple[str, ...]:
    """Neutron's tags: non-empty strings without commas (filters list them comma-separated),
    each once."""
    if not isinstance(value, list):
        raise ValueError(f"expected a list of tags, got {value!r}")
    out = []
    for tag in value:
        tag = free_text(tag, TAG_MAX_LEN)
        if not tag or "," in tag:
            raise ValueError(f"tag {tag!r} is empty or contains a comma")
        if tag not in out:
            out.append(tag)
    return tuple(out)


def project_id(value: Any) -> str:
    value = free_text(value)
    if not value:
        raise ValueError("a project id cannot be empty")
    return value


def json_mapping(value: Any) -> str:
    """A free-form mapping (binding:profile), kept as canonical JSON text."""
    if not isinstance(value, dict):
        raise ValueError(f"expected a mapping, got {value!r}")
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"not representable as JSON ({exc})") from None


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


# The converter makers below return partials of module-level functions (not closures): the
# schema's tables are built at import, and a converter's body must still be the code that
# runs when a value is converted (so that mutation testing reaches it).
def choice(*choices: str) -> Callable[[Any], str]:  # pragma: no mutate block
    return functools.partial(_choice, choices)


def _choice(choices: tuple[str, ...], value: Any) -> str:
    if value not in choices:
        raise ValueError(f"{value!r} is not one of {', '.join(choices)}")
    return value


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


def one_or_many(convert: Callable[[Any], Any]) -> Callable[[Any], tuple]:  # pragma: no mutate block
    """One value, or a non-empty list of values."""
    return functools.partial(_one_or_many, convert)


def _one_or_many(convert: Callable[[Any], Any], value: Any) -> tuple:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ValueError("expected at least one value")
    return tuple(convert(v) for v in items)


def many(convert: Callable[[Any], Any]) -> Callable[[Any], tuple]:  # pragma: no mutate block
    """A list (possibly empty) of values."""
    return functools.partial(_many, convert)


def _many(convert: Callable[[Any], Any], value: Any) -> tuple:
    if not isinstance(value, list):
        raise ValueError(f"expected a list, got {value!r}")
    return tuple(convert(v) for v in value)


def host_route(value: Any) -> tuple[model.IPNetwork, model.IPAddress]:
    """{destination: CIDR, nexthop: IP} of one IP version."""
    if not isinstance(value, dict) or set(value) != {"destination", "nexthop"}:
        raise ValueError(f"{value!r} is not a host route {{destination, nexthop}}")
    dest, hop = cidr(value["destination"]), ip_address(value["nexthop"])
    if dest.version != hop.version:
        raise ValueError(f"host route {dest} via {hop} mixes IP versions")
    return dest, hop


def optional(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:  # pragma: no mutate block
    """None, or what `convert` makes of the value."""
    return functools.partial(_optional, convert)


def _optional(convert: Callable[[Any], Any], value: Any) -> Any:
    return None if value is None else convert(value)


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
