"""The API served over HTTP on a loopback port, in a thread, for tier-1 tests of its clients
(controller/client.py, the `overlay` command): the same WSGI app over a Keeper seeded from
the seed cloud, built inside the server's thread (SQLite connections stay in their thread)."""
from __future__ import annotations

import contextlib
import os
import threading
from wsgiref.simple_server import WSGIRequestHandler, make_server

from tests.unit.conftest import make_api


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def serve(tmp_path, token: str | None = None, app=None):
    """Yield the API's base URL (http://127.0.0.1:PORT/v2.0); `app`: another WSGI app to
    serve instead of the API."""
    ready = threading.Event()
    box: dict = {}

    def run():
        api = app or make_api(os.path.join(tmp_path, "state.sqlite"), token=token)
        box["server"] = server = make_server("127.0.0.1", 0, api, handler_class=_Quiet)
        ready.set()
        server.serve_forever(poll_interval=0.05)
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    assert ready.wait(10), "the loopback API did not start"
    server = box["server"]
    try:
        yield f"http://127.0.0.1:{server.server_port}/v2.0"
    finally:
        server.shutdown()
        thread.join(10)
        server.server_close()
