"""The controller's oslo.config options (read from osken-manager's --config-file).

    [DEFAULT]
    ofp_listen_host = 192.168.10.1     # os-ken's own: where OpenFlow switches connect
    ofp_tcp_listen_port = 6653
    [overlay]
    cloud_file = clouds/seed.yaml      # seeds a new state file
    state_file = /var/lib/neutron-overlay/seed.sqlite
    api_port = 9696                    # Neutron's port; on ofp_listen_host unless api_host
    auth_strategy = token              # or noauth (the default)
    auth_token = <secret>              # what X-Auth-Token must be
"""
from __future__ import annotations

import gc

from os_ken import cfg

CONF = cfg.CONF

OPTS = [
    cfg.StrOpt("cloud_file", help="the cloud description (YAML) this controller realises"),
    cfg.IntOpt("ovsdb_port", default=6640, help="TCP port of each node's OVSDB manager"),
    cfg.FloatOpt("reply_timeout", default=10.0,
                 help="seconds to wait for a switch's reply (bundle commit, flow-stats)"),
    cfg.StrOpt("state_file", default="",
               help="SQLite file of the cloud's state (default: "
                    "/var/lib/neutron-overlay/<cloud>.sqlite); seeded from cloud_file"),
    cfg.StrOpt("api_host", default="", help="address of the REST API (default: "
                                            "ofp_listen_host)"),
    cfg.IntOpt("api_port", default=9696, help="TCP port of the REST API (0: no API)"),
    cfg.StrOpt("auth_strategy", default="noauth", choices=("noauth", "token"),
               help="noauth: every API request is taken; token: each needs the header "
                    "X-Auth-Token equal to auth_token (401 otherwise)"),
    cfg.StrOpt("auth_token", default="", secret=True,
               help="the API's secret for auth_strategy = token"),
]
STATE_DIR = "/var/lib/neutron-overlay"
GC_THRESHOLDS = (50000, 20, 100)  # (Python's default: 700, 10, 10)


def tune_gc() -> None:
    """Computing a node's flows allocates tens of thousands of small objects; with Python's
    default thresholds the collector walks everything loaded (the cloud) again and again:
    half the time of a 20,000-flow sync (bench/). What is loaded now is frozen (never
    scanned again) and young objects are collected less often."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
CONF.register_opts(OPTS, group="overlay")
