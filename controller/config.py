"""The controller's oslo.config options (read from osken-manager's --config-file).

    [DEFAULT]
    ofp_listen_host = 192.168.10.1     # os-ken's own: where OpenFlow switches connect
    ofp_tcp_listen_port = 6653
    [overlay]
    cloud_file = clouds/seed.yaml
"""
from __future__ import annotations

from os_ken import cfg

CONF = cfg.CONF

OPTS = [
    cfg.StrOpt("cloud_file", help="the cloud description (YAML) this controller realises"),
    cfg.IntOpt("ovsdb_port", default=6640, help="TCP port of each node's OVSDB manager"),
    cfg.FloatOpt("reply_timeout", default=10.0,
                 help="seconds to wait for a switch's barrier or flow-stats reply"),
]
CONF.register_opts(OPTS, group="overlay")
