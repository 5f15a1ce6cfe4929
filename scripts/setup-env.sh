#!/usr/bin/env bash
# Installs what this project needs on a fresh Debian 12 machine, idempotently:
# Debian's Open vSwitch and Mininet, the tools the demo and tests use, and a venv built from
# Debian's python3 (the interpreter Debian's Mininet is installed for) with os-ken 3.1.x.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "setup-env: must run as root (Mininet and per-node Open vSwitch need it)" >&2
  exit 1
fi

PKGS=(openvswitch-switch openvswitch-common python3-openvswitch mininet iproute2 iputils-ping
      ethtool tcpdump iperf3 arping python3-venv python3-yaml procps dnsmasq-base dnsmasq-utils busybox
      iptables conntrack graphviz)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-env: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

VENV=${VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
  echo "setup-env: creating $VENV from /usr/bin/python3 (sees Debian's mininet and ovs modules)"
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
fi
EXTRAS=${EXTRAS:-test}   # `make bench` adds bench (matplotlib, for the results' plot)
stamp="$VENV/.installed-${EXTRAS//,/-}"
if [ ! -f "$stamp" ] || [ setup.cfg -nt "$stamp" ]; then
  echo "setup-env: installing the project ($EXTRAS extras) and os-ken 3.1.x into $VENV"
  # (the grep drops warnings a machine-wide pip find-links setting prints for absent folders)
  "$VENV/bin/pip" install -q --disable-pip-version-check -e ".[$EXTRAS]" \
    2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  touch "$stamp"
fi
"$VENV/bin/python" - <<'PY'
import mininet.net, os_ken, ovs.flow.ofp  # noqa: F401  the three things this project stands on
from importlib.metadata import version
v = version("os-ken")
assert v.startswith("3."), f"os-ken {v} installed; this project needs 3.1.x (4.x has no osken-manager)"
PY
