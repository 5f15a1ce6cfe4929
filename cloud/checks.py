"""What every part of the cloud file's validation shares: the list of faults, the conversion of
one entry by its spec, and the checks that several kinds of entry make (duplicates, host
addresses, allocation pools)."""
from __future__ import annotations

from typing import Any
from collections.abc import Callable

# key -> (required, converter); anything else is an unknown key.
Spec = dict[str, tuple[bool, Callable[[Any], Any]]]


class Faults:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, entry: str, fault: str) -> None:
        self.items.append((entry, fault))

    def fields(self, entry: str, raw: Any, spec: Spec) -> dict | None:
        """Convert a mapping by spec; record every fault; None if there was any."""
        if not isinstance(raw, dict):
            self.add(entry, f"expected a mapping, got {type(raw).__name__}")
            return None
        before = len(self.items)
        out: dict[str, Any] = {}
        for key in raw:
            if key not in spec:
                self.add(entry, f"unknown key {key!r} (allowed: {', '.join(spec)})")
        for key, (required, convert) in spec.items():
            if key not in raw:
                if required:
                    self.add(entry, f"missing key {key!r}")
                continue
            try:
                out[key] = convert(raw[key])
            except (ValueError, TypeError) as exc:
                self.add(entry, f"key {key!r}: {exc}")
        return out if len(self.items) == before else None


def check_host_address(entry: str, key: str, ip, cidr, faults: Faults) -> bool:
    if ip not in cidr:
        faults.add(entry, f"{key} {ip} is outside {cidr}")
        return False
    if cidr.num_addresses > 2 and ip in (cidr.network_address, cidr.broadcast_address):
        faults.add(entry, f"{key} {ip} is the network or broadcast address of {cidr}")
        return False
    return True


def entries(kind: str, raw_list: list, spec: Spec, faults: Faults):
    """Yield (entry label, converted fields) for each valid-looking entry of a list."""
    for i, raw in enumerate(raw_list):
        label = f"{kind}[{i}]"
        if isinstance(raw, dict) and isinstance(raw.get("name"), str) and raw["name"]:
            label += f" ({raw['name']})"
        fields = faults.fields(label, raw, spec)
        if fields is not None:
            yield label, fields


def first_seen(seen: dict, key, label: str, what: str, faults: Faults) -> bool:
    """Record key -> label; report a duplicate naming the entry that had it first."""
    if key in seen:
        faults.add(label, f"duplicate {what} (also in {seen[key]})")
        return False
    seen[key] = label
    return True


def check_pools(label: str, pools: tuple, cidrs: tuple, gateway, faults: Faults) -> bool:
    ok = True
    for first, last in pools:
        text = f"allocation pool {first}-{last}"
        if not any(first in c and last in c for c in cidrs):
            faults.add(label, f"{text} is not inside one of the network's cidrs")
            ok = False
        elif gateway is not None and first <= gateway <= last and \
                gateway.version == first.version:
            faults.add(label, f"{text} contains the gateway_ip {gateway}")
            ok = False
    ordered = sorted(pools, key=lambda p: (p[0].version, p[0]))
    for (_, a_last), (b_first, _) in zip(ordered, ordered[1:], strict=False):
        if a_last.version == b_first.version and b_first <= a_last:
            faults.add(label, f"allocation pools overlap at {b_first}")
            ok = False
    return ok


class Refs:
    """Entries of one kind as other entries refer to them: by id, or by a name that exactly
    one entry has. An entry that exists but is itself faulty resolves to None without a
    second fault."""

    def __init__(self, kind: str, raw_list: Any, valid: list):
        self.kind = kind
        self.valid = {x.id: x for x in valid}
        raw = [e for e in (raw_list if isinstance(raw_list, list) else [])
               if isinstance(e, dict)]
        self.ids = {str(e["id"]).lower() for e in raw if isinstance(e.get("id"), str)}
        names: dict[str, list[str]] = {}
        for e in raw:
            if isinstance(e.get("name"), str) and e["name"]:
                names.setdefault(e["name"], []).append(str(e.get("id", "")).lower())
        self.names = names

    def resolve(self, ref: Any, label: str, faults: Faults):
        if not isinstance(ref, str):
            faults.add(label, f"{self.kind} reference {ref!r} is not a string")
            return None
        if ref.lower() in self.ids:
            return self.valid.get(ref.lower())
        ids = self.names.get(ref)
        if ids is None:
            faults.add(label, f"unknown {self.kind} {ref!r}")
            return None
        if len(ids) > 1:
            faults.add(label, f"{self.kind} name {ref!r} is ambiguous ({len(ids)} "
                       f"{self.kind}s have it): use the id")
            return None
        return self.valid.get(ids[0])
