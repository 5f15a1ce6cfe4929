"""A long-lived TCP stream between two VMs, for the tests that change security groups under
it and must tell whether any packet of it was lost.

    python -m mininet_topos.stream serve PORT
        accept one connection; print the number of bytes received so far, a line each time
    python -m mininet_topos.stream send IP PORT INTERVAL
        connect; send one 64-byte record every INTERVAL seconds until killed, with
        TCP_NODELAY (a record is a segment); print the bytes sent so far, a line each time

Run inside a namespace (mnexec -a PID), stdout to a file the caller reads (last_count).
Losses show in the sender's namespace as TCP retransmissions (`nstat` TcpRetransSegs): a
stream that lost nothing retransmitted nothing.
"""
from __future__ import annotations

import socket
import sys
import time

RECORD = 64


def _write(value: int) -> None:
    print(value, flush=True)


def last_count(path: str) -> int:
    """The last count a stream process printed to `path` (0 before the first)."""
    try:
        with open(path) as fh:
            lines = fh.read().split()
    except OSError:
        return 0
    return int(lines[-1]) if lines else 0


def serve(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("0.0.0.0", port))
        listener.listen(1)
        _write(0)
        conn, _ = listener.accept()
        total = 0
        with conn:
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                total += len(data)
                _write(total)


def send(ip: str, port: int, interval: float) -> None:
    with socket.create_connection((ip, port), timeout=10) as conn:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.settimeout(None)
        total = 0
        while True:
            conn.sendall(b"x" * RECORD)
            total += RECORD
            _write(total)
            time.sleep(interval)


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"] and len(argv) == 2:
        serve(int(argv[1]))
    elif argv[:1] == ["send"] and len(argv) == 4:
        send(argv[1], int(argv[2]), float(argv[3]))
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
