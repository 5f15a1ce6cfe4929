"""Reading `ovs-appctl ofproto/trace` output: which flows a packet hit and where it went out.

OVS indents by depth: a table hit line puts the dot after the table number at column
4*depth+2, the actions under it start at column 4*depth+4. A `bridge("...")` header is printed
at varying indentation (a patch crossing as a tail call stays at its depth), so each header
claims the depth of the next hit line, and every line is attributed by its depth.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

BRIDGE = re.compile(r'^\s*bridge\("([^"]+)"\)$')
HIT = re.compile(r"^(\s*\d+)\. (.*?)(?:, )?priority (\d+)(?:, cookie (0x[0-9a-f]+))?$")
OUTPUT = re.compile(r"^(\s*)output:(\d+)$")
SKIPPED = re.compile(r"^\s*>> skipping output to input port")


@dataclass
class Trace:
    hits: list[tuple[str, int, int]] = field(default_factory=list)   # (bridge, table, priority)
    outputs: list[tuple[str, int]] = field(default_factory=list)     # (bridge, ofport)


def parse(text: str, patch_ports: dict[str, set[int]]) -> Trace:
    """patch_ports: bridge -> its patch ofports (an output there continues in the peer)."""
    trace = Trace()
    bridge_at: dict[int, str] = {}   # depth -> bridge
    claiming: str | None = None       # header seen, waiting for its first hit line
    recorded = False  # whether the last output line was recorded (not to a patch port)
    for line in text.splitlines():
        if line.startswith("Final flow:"):
            break
        header = BRIDGE.match(line)
        if header:
            claiming = header.group(1)
            continue
        hit = HIT.match(line)
        if hit:
            depth = (len(hit.group(1)) - 2) // 4
            if claiming:
                bridge_at[depth], claiming = claiming, None
            trace.hits.append((bridge_at[depth], int(hit.group(1)), int(hit.group(3))))
            continue
        if SKIPPED.match(line):
            if recorded:
                trace.outputs.pop()  # the output just above did not happen
            recorded = False
            continue
        out = OUTPUT.match(line)
        if out:
            bridge = bridge_at[(len(out.group(1)) - 4) // 4]
            recorded = int(out.group(2)) not in patch_ports.get(bridge, set())
            if recorded:
                trace.outputs.append((bridge, int(out.group(2))))
    return trace
