from mininet_topos.traffic import _packets

VXLAN = """12:00:00.000001 02:00:c0:a8:64:0b > 02:00:c0:a8:64:0c, ethertype IPv4 (0x0800), length 92: 192.168.100.11.5 > 192.168.100.12.4789: VXLAN, flags [I] (0x08), vni 5000
fa:16:3e:eb:06:2d > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 10.0.0.6 tell 10.0.0.4, length 28

12:00:00.000002 02:00:c0:a8:64:0b > 02:00:c0:a8:64:0c, ethertype IPv4 (0x0800), length 84: 192.168.100.11 > 192.168.100.12: GREv0, key=0x1389, length 50: fa:16:3e:9c:5e:55 > ff:ff:ff:ff:ff:ff, ARP
"""


def test_continuation_lines_belong_to_the_packet_above():
    packets = _packets(VXLAN)
    assert len(packets) == 2
    assert "vni 5000" in packets[0] and "who-has 10.0.0.6" in packets[0]
    assert "key=0x1389" in packets[1]


def test_no_output_no_packets():
    assert _packets("") == [] and _packets("\n\n") == []


def test_trace_reader_in_port_means_the_first_bridge_only():
    from mininet_topos.ovstrace import parse
    text = """bridge("br-int")
----------------
 0. in_port=12, priority 10, cookie 0x1
    output:1

    bridge("br-tun")
    ----------------
         0. in_port=1, priority 1, cookie 0x1
            IN_PORT
    IN_PORT
"""
    trace = parse(text, {"br-int": {1}, "br-tun": {1}}, in_port=12)
    assert trace.hits == [("br-int", 0, 10), ("br-tun", 0, 1)]
    assert trace.outputs == [("br-int", 12)], "br-tun's IN_PORT is its patch port"
