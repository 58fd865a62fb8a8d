"""A running `micrograd serve` for the tests, and a small client that speaks its API."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator

import pytest

from micrograd.serve import make_server
from micrograd.serve.session import Settings


class Client:
    """Requests to one explorer server, with its token unless told otherwise."""

    def __init__(self, server) -> None:
        self.server = server
        self.host = f"127.0.0.1:{server.port}"

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None, token=True):
        """(status, headers, parsed JSON body or raw bytes)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
        sent = {"Host": self.host}
        if token:
            sent["X-Micrograd-Token"] = self.server.token
        if body is not None:
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            raw = response.read()
            kind = response.getheader("Content-Type", "")
            return response.status, response, (json.loads(raw) if kind == "application/json" else raw)
        finally:
            connection.close()

    def api(self, name: str, **fields):
        status, _, doc = self.request("POST", f"/api/{name}", json.dumps(fields).encode())
        return status, doc

    def ok(self, name: str, **fields) -> dict:
        status, doc = self.api(name, **fields)
        assert status == 200, doc
        return doc

    def new_session(self) -> str:
        return self.ok("session")["session"]


def running(settings: Settings | None = None) -> Iterator:
    server = make_server("127.0.0.1", 0, settings)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def explorer():
    """An explorer server on a free port for the module's tests."""
    yield from running()


@pytest.fixture
def client(explorer) -> Client:
    return Client(explorer)
