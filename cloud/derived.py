"""Clouds derived from a cloud by one port's change, with the lookups flows and the API use
(ports by id, node, network and security group) carried over and changed only where the port
was or is: such a cloud costs what the change touches, not what the cloud holds
(flows/incremental.py, cloud/inplace.py, bench/). Internals of cloud/model.Cloud's caches."""
from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Callable

from cloud.model import Cloud, Port


def replace_port(cloud: Cloud, port_id: str, port: Port | None) -> Cloud:
    """This cloud with one bound port added (last), replaced (same id) or removed (port
    None), for callers without a document (tests, bench/): with_port in the order of the
    cloud's bound ports (its ranks are made here: O(ports), as the Keeper's are not)."""
    rank = {p.id: i for i, p in enumerate(cloud.ports)}
    return with_port(cloud, port_id, port, lambda ident: rank.get(ident, len(rank)))


def with_port(cloud: Cloud, port_id: str, port: Port | None, order: Callable[[str], int]
              ) -> Cloud:
    """This cloud with one port, bound or not, added, replaced or removed (None), in
    the document's order (`order`: a port id's rank there); what flows and the API
    look ports up by is carried over and changed where the port was or is
    (cloud/inplace.py: a port's change at a cost that does not grow with the cloud)."""
    old = cloud._ports_by_id.get(port_id) or cloud._unbound_by_id.get(port_id)
    bound, unbound = cloud.ports, cloud.unbound
    if old is not None:
        if old.node is not None:
            bound = _without(bound, port_id, order)
        else:
            unbound = _without(unbound, port_id, order)
    if port is not None:
        if port.node is not None:
            bound = _with(bound, port, order)
        else:
            unbound = _with(unbound, port, order)
    new = dataclasses.replace(cloud, ports=bound, unbound=unbound)
    by_id = dict(cloud._ports_by_id)
    unbound_by_id = dict(cloud._unbound_by_id)
    by_id.pop(port_id, None)
    unbound_by_id.pop(port_id, None)
    if port is not None:
        (by_id if port.node is not None else unbound_by_id)[port_id] = port
    was = old if old is not None and old.node is not None else None
    now = port if port is not None and port.node is not None else None
    new.__dict__.update({
        "_nodes": cloud._nodes, "_networks": cloud._networks,
        "_node_order": cloud._node_order, "_groups": cloud._groups,
        "_referrers": cloud._referrers,
        "_ports_by_id": by_id, "_unbound_by_id": unbound_by_id,
        "_ports_by_node": _regroup(cloud._ports_by_node, was, now, lambda p: (p.node,),
                                   order),
        "_ports_by_network": _regroup(cloud._ports_by_network, was, now,
                                      lambda p: (p.network_id,), order),
        "_members": _regroup(cloud._members, was, now, lambda p: p.security_groups,
                             order)})
    return new


def _without(ports: tuple[Port, ...], port_id: str, order) -> tuple[Port, ...]:
    """`ports` (in the document's order) without the port of this id."""
    at = bisect.bisect_left(ports, order(port_id), key=lambda p: order(p.id))
    if ports[at].id != port_id:
        raise KeyError(port_id)
    return ports[:at] + ports[at + 1:]


def _with(ports: tuple[Port, ...], port: Port, order) -> tuple[Port, ...]:
    """`ports` (in the document's order) with `port` in its place."""
    at = bisect.bisect_left(ports, order(port.id), key=lambda p: order(p.id))
    return ports[:at] + (port,) + ports[at:]


def _regroup(groups: dict[str, tuple[Port, ...]], old: Port | None, new: Port | None, keys,
             order) -> dict[str, tuple[Port, ...]]:
    """Ports grouped by keys(port), with old taken out and new put in, in order."""
    out = dict(groups)
    for key in keys(old) if old is not None else ():
        out[key] = _without(out[key], old.id, order)
        if not out[key]:
            del out[key]
    for key in keys(new) if new is not None else ():
        out[key] = _with(out.get(key, ()), new, order)
    return out
