"""Reading `ovs-appctl ofproto/trace` output: which flows a packet hit and where it went out.

OVS indents by depth: a table hit line puts the dot after the table number at column
4*depth+2, the actions under it start at column 4*depth+4. A `bridge("...")` header is printed
at varying indentation (a patch crossing as a tail call stays at its depth), so each header
claims the depth of the next hit line, and every line is attributed by its depth. A ct()
with a table ends the traced pass; OVS then traces the recirculated packet in a section of
its own (as conntrack's first packet: ct_state=trk|new), which resumes at depth 0 in the
bridge of that ct() (its section header names the first bridge instead).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

BRIDGE = re.compile(r'^\s*bridge\("([^"]+)"\)$')
RECIRC = re.compile(r"^recirc\(0x[0-9a-f]+\) - resume conntrack")
CT_TABLE = re.compile(r"^\s*ct\(.*table=\d+")
HIT = re.compile(r"^(\s*\d+)\. (.*?)(?:, )?priority (\d+)(?:, cookie (0x[0-9a-f]+))?$")
OUTPUT = re.compile(r"^(\s*)(?:output:(\d+)|(IN_PORT))$")
SKIPPED = re.compile(r"^\s*>> skipping output to input port")
NORMAL = re.compile(r"^(\s*)NORMAL$")


@dataclass
class Trace:
    hits: list[tuple[str, int, int]] = field(default_factory=list)   # (bridge, table, priority)
    outputs: list[tuple[str, int]] = field(default_factory=list)     # (bridge, ofport)
    normal: list[str] = field(default_factory=list)   # bridges whose flows said NORMAL


def parse(text: str, patch_ports: dict[str, set[int]], in_port: int) -> Trace:
    """patch_ports: bridge -> its patch ofports (an output there continues in the peer);
    in_port: where the traced packet entered the first bridge (what IN_PORT means there)."""
    trace = Trace()
    bridge_at: dict[int, str] = {}   # depth -> bridge
    claiming: str | None = None       # header seen, waiting for its first hit line
    recorded = False  # whether the last output line was recorded (not to a patch port)
    first_section = None  # still in the traced packet's first bridge (not re-entered)
    last_depth = 0
    resumed = False       # in a recirculation, before its first hit
    summary = False       # between "Final flow:" and the next recirculation (or the end)
    ct_bridges: list[str] = []  # bridges of ct(table=...) actions, in order: each
    #                             recirculation resumes in the next one
    for line in text.splitlines():
        if line.startswith("Final flow:"):
            summary = True
            continue
        if RECIRC.match(line):  # conntrack's recirculation: resumes where the ct() was (OVS
            # heads the section with the traced packet's first bridge, whatever it was)
            summary, claiming, first_section, resumed = False, None, False, True
            bridge_at = {0: ct_bridges.pop(0)}
            continue
        if summary:
            continue
        header = BRIDGE.match(line)
        if header:
            if not resumed:
                claiming = header.group(1)
            continue
        hit = HIT.match(line)
        if hit:
            depth = (len(hit.group(1)) - 2) // 4
            if claiming:
                bridge_at[depth], claiming = claiming, None
                if depth == 0:  # the first claim of depth 0 is the traced packet's bridge
                    first_section = first_section is None
            trace.hits.append((bridge_at[depth], int(hit.group(1)), int(hit.group(3))))
            last_depth, resumed = depth, False
            continue
        if CT_TABLE.match(line):
            ct_bridges.append(bridge_at[last_depth])
            continue
        if SKIPPED.match(line):
            if recorded:
                trace.outputs.pop()  # the output just above did not happen
            recorded = False
            continue
        normal = NORMAL.match(line)
        if normal:   # (where NORMAL sends it is the switch's learning: not traced further)
            trace.normal.append(bridge_at[(len(normal.group(1)) - 4) // 4])
            continue
        out = OUTPUT.match(line)
        if out:
            depth = (len(out.group(1)) - 4) // 4
            bridge = bridge_at[depth]
            if out.group(3):  # IN_PORT: the first bridge's in_port, else a patch port
                port = in_port if depth == 0 and first_section else None
            else:
                port = int(out.group(2))
            recorded = port is not None and port not in patch_ports.get(bridge, set())
            if recorded:
                trace.outputs.append((bridge, port))
    return trace
