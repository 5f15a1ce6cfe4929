"""The emulated agents (tier 1): one Open vSwitch agent per node, a DHCP and an L3 agent on
each network node; alive by the controller's view of their bridges or by the network node
agent's heartbeat, dead after Neutron's agent_down_time; what each reports."""
from controller.agents import AGENT_DOWN_TIME, Agents, agent_id


class Clock:
    def __init__(self, now=1_000_000.0):
        self.now = now

    def __call__(self):
        return self.now


def by_kind(views):
    return {(v["agent_type"], v["host"]): v for v in views}


def test_agents_of_the_seed(seed_cloud):
    clock = Clock()
    agents = Agents(clock)
    views = by_kind(agents.views(seed_cloud, lambda node: node != "compute2"))
    assert set(views) == {("Open vSwitch agent", "network"), ("Open vSwitch agent", "compute1"),
                          ("Open vSwitch agent", "compute2"), ("DHCP agent", "network"),
                          ("L3 agent", "network")}
    ovs1 = views[("Open vSwitch agent", "compute1")]
    assert ovs1["alive"] is True and ovs1["binary"] == "neutron-openvswitch-agent"
    assert ovs1["id"] == agent_id("ovs", "compute1") != agent_id("ovs", "compute2")
    assert ovs1["heartbeat_timestamp"] == "1970-01-12 13:46:40"
    assert views[("Open vSwitch agent", "compute2")]["alive"] is False
    assert views[("Open vSwitch agent", "compute2")]["heartbeat_timestamp"] is None
    conf = ovs1["configurations"]
    assert conf["tunnel_types"] == ["vxlan", "gre"] and conf["l2_population"] is True
    assert (conf["tunneling_ip"], conf["devices"]) == ("192.168.100.11", 7)
    assert conf["datapath_type"] == "netdev"
    assert conf["bridge_mappings"] == {"physnet1": "br-eth1"}
    dhcp, l3 = views[("DHCP agent", "network")], views[("L3 agent", "network")]
    assert (dhcp["alive"], l3["alive"]) == (False, False)      # no heartbeat yet
    assert (dhcp["availability_zone"], dhcp["topic"]) == ("nova", "dhcp_agent")
    assert dhcp["configurations"]["networks"] == 3 and dhcp["configurations"]["ports"] == 15
    assert l3["configurations"]["routers"] == 3 and l3["configurations"]["floating_ips"] == 1
    assert l3["configurations"]["interfaces"] == 4 and l3["configurations"]["ex_gw_ports"] == 3
    assert l3["configurations"]["agent_mode"] == "legacy"


def test_heartbeats_and_agent_down_time(seed_cloud):
    clock = Clock()
    agents = Agents(clock)
    agents.beat("dhcp", "network")
    started = by_kind(agents.views(seed_cloud, lambda n: False))[("DHCP agent", "network")]
    assert started["alive"] is True
    clock.now += AGENT_DOWN_TIME
    assert by_kind(agents.views(seed_cloud, lambda n: False))[("DHCP agent", "network")]["alive"]
    clock.now += 1
    down = by_kind(agents.views(seed_cloud, lambda n: False))[("DHCP agent", "network")]
    assert down["alive"] is False and down["heartbeat_timestamp"] == started[
        "heartbeat_timestamp"]
    agents.beat("dhcp", "network")     # back after being down: started again
    back = by_kind(agents.views(seed_cloud, lambda n: False))[("DHCP agent", "network")]
    assert back["started_at"] != started["started_at"] and back["alive"]


def test_a_beat_within_agent_down_time_keeps_the_agent_started(seed_cloud):
    clock = Clock()
    agents = Agents(clock)
    agents.beat("l3", "network")
    first = by_kind(agents.views(seed_cloud, lambda n: False))[("L3 agent", "network")]
    clock.now += AGENT_DOWN_TIME                 # exactly agent_down_time: still up
    agents.beat("l3", "network")
    again = by_kind(agents.views(seed_cloud, lambda n: False))[("L3 agent", "network")]
    assert again["started_at"] == first["started_at"]
    assert again["heartbeat_timestamp"] != first["heartbeat_timestamp"]


def test_every_agent_reads_as_recorded(seed_cloud):
    """The whole of each agent's view (tests/golden/agents.txt), as `openstack network agent
    show` prints it."""
    import json

    from tests.support import golden
    clock = Clock(1_767_225_600.0)               # 2026-01-01T00:00:00Z
    agents = Agents(clock)
    clock.now += 30
    agents.beat("dhcp", "network")
    agents.beat("l3", "network")
    views = agents.views(seed_cloud, lambda node: node == "compute1")
    golden.check("agents.txt", json.dumps(views, indent=1, sort_keys=True) + "\n",
                 "the agents' views")
