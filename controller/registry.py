"""Which node and which bridge each OpenFlow connection is.

No guessing from connection order or datapath-id schemes: the node is the one whose management
IP the connection comes from, the bridge is the name of the datapath's LOCAL port (OVS names it
after the bridge). A connection that matches no node, or a bridge this controller does not
manage, is refused with a warning and never programmed.
"""
from __future__ import annotations

from dataclasses import dataclass

from os_ken.ofproto import ofproto_v1_3 as ofp

from cloud.model import Cloud
from flows.desired import bridges_of
from flows.flow import Flow


class UnknownDatapath(Exception):
    pass


@dataclass
class BridgeConn:
    node: str
    bridge: str
    datapath: object
    installed: dict[tuple, Flow] | None = None   # None: not read from the switch yet
    flow_mods: int = 0                             # sent on this connection
    bundles: int = 0                               # bundle ids used on this connection
    ports: dict[str, int] | None = None            # name -> ofport, read at each sync

    @property
    def label(self) -> str:
        return f"{self.node}/{self.bridge}"


def port_name(port) -> str:
    name = port.name
    return name.decode() if isinstance(name, bytes) else name


class Registry:
    def __init__(self) -> None:
        self.bridges: dict[tuple[str, str], BridgeConn] = {}

    @staticmethod
    def identify(datapath, cloud: Cloud) -> tuple[str, str]:
        peer = datapath.address[0] if datapath.address else None
        node = cloud.node_by_management_ip(peer) if peer else None
        if node is None:
            raise UnknownDatapath(f"datapath {datapath.id:016x} connects from {peer}, "
                                  "which is no node's management IP")
        local = datapath.ports.get(ofp.OFPP_LOCAL)
        bridge = port_name(local) if local is not None else None
        managed = bridges_of(node)
        if bridge not in managed:
            raise UnknownDatapath(f"datapath {datapath.id:016x} of {node.name} is bridge "
                                  f"{bridge!r}, not one of {', '.join(managed)}")
        return node.name, bridge

    def connect(self, datapath, cloud: Cloud) -> BridgeConn:
        node, bridge = self.identify(datapath, cloud)
        conn = BridgeConn(node, bridge, datapath)
        self.bridges[(node, bridge)] = conn
        return conn

    def disconnect(self, datapath) -> BridgeConn | None:
        for key, conn in list(self.bridges.items()):
            if conn.datapath is datapath:
                del self.bridges[key]
                return conn
        return None

    def find(self, datapath) -> BridgeConn | None:
        return next((c for c in self.bridges.values() if c.datapath is datapath), None)

    def of_node(self, node: str) -> dict[str, BridgeConn]:
        return {b: c for (n, b), c in self.bridges.items() if n == node}
