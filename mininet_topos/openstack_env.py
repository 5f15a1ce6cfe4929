"""What the `openstack` client and openstacksdk need to drive a running cloud's API: a
clouds.yaml with keystoneauth's admin_token plugin (the token is the controller's
[overlay] auth_token, the endpoint its API), and the environment that selects it.

    export OS_CLIENT_CONFIG_FILE=/run/neutron-overlay/seed/clouds.yaml OS_CLOUD=overlay
    openstack network list
"""
from __future__ import annotations

import os

CLOUD = "overlay"


def clouds_yaml(endpoint: str, token: str) -> str:
    return (f"clouds:\n  {CLOUD}:\n    auth_type: admin_token\n    auth:\n"
            f"      endpoint: {endpoint}\n      token: {token}\n")


def write(rundir: str, endpoint: str, token: str) -> str:
    """clouds.yaml in the run directory (readable by root only: it holds the token)."""
    path = os.path.join(rundir, "clouds.yaml")
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as fh:
        fh.write(clouds_yaml(endpoint, token))
    return path


def env(path: str) -> dict[str, str]:
    return {"OS_CLIENT_CONFIG_FILE": path, "OS_CLOUD": CLOUD}


def usage(path: str) -> str:
    return (f"export OS_CLIENT_CONFIG_FILE={path} OS_CLOUD={CLOUD}   "
            "# then: openstack network list")
