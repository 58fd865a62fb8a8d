"""The explorer's HTTP server: the standard library's `ThreadingHTTPServer`, a token, and a thin
layer of JSON endpoints over `Session`.

Why the standard library: this is a local tool for one learner, serving a few static files
and small JSON answers to one page. `http.server` does that with no dependency to install,
audit or keep up with; what a framework would add (routing, templating, async) is a dozen
lines here, and the security checks a local server needs are spelled out below where they
can be read and tested.

Security, as Jupyter does it for a local server:
- it listens on 127.0.0.1 unless told otherwise;
- every request carries the random token printed in the URL (``?token=`` or the
  ``X-Micrograd-Token`` header);
- the Host header must name a loopback address, an IP address or the host it was started
  on (so a DNS-rebinding page cannot reach it under its own domain name), and the Origin
  header, when sent, must be this server's own (so other pages cannot post to it);
- only the packaged assets are served, from a table built at start-up;
- bodies are JSON objects of at most `MAX_BODY` bytes, and every field is checked by
  `Session`, which answers a mistake with a 4xx and a one-line JSON error and leaves the
  session as it was.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
import socket
import sys
import threading
import traceback
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, urlsplit

from micrograd.serve.session import BadRequest, Conflict, Session, Settings
from micrograd.serve.views import graph_view, network_view, steps_view

MAX_BODY = 8 * 1024 * 1024  # bytes: a saved session (largest model, 500 points, 200,000 steps of curves) fits
DRAIN_LIMIT = 32 * 1024 * 1024  # a larger body is not even read: the connection is closed on it
MAX_SESSIONS = 32  # browser tabs remembered; the least recently used is forgotten beyond this
LOCK_WAIT = 30.0  # seconds a request waits for its session (another request of the tab training)
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}
TOKEN_HEADER = "X-Micrograd-Token"

_CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css"}
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


class Refused(Exception):
    """A request answered with `status` and a one-line JSON error."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _load_assets() -> dict[str, tuple[bytes, str]]:
    """URL path -> (content, content type), for every packaged asset and nothing else."""
    table = {}
    folders = [
        ("/assets/", resources.files("micrograd.serve") / "assets", (".html", ".js", ".css")),
        ("/steps/", resources.files("micrograd") / "assets", (".js", ".css")),  # the step-through's script
    ]
    for prefix, folder, suffixes in folders:
        for item in folder.iterdir():
            suffix = item.name[item.name.rfind(".") :]
            if item.is_file() and suffix in suffixes:
                table[prefix + item.name] = (item.read_bytes(), _CONTENT_TYPES[suffix])
    return table


def is_loopback(host: str) -> bool:
    """Whether `host` (a name or an address) only reaches this machine."""
    if host in LOOPBACK_NAMES:
        return True
    if host.startswith("[") and host.endswith("]"):  # "[::1]"; never strip() ("]127.0.0.1" is no address)
        host = host[1:-1]
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _split_host(header: str) -> str | None:
    """The host name of a Host header ("[::1]:8000" -> "::1", "localhost:80" -> "localhost"),
    or None if it is not one: brackets hold an IPv6 address and nothing else, and a port is
    plain digits ("[::1]evil.com", "localhost:80x", "a:b:c" are not hosts)."""
    if header.startswith("["):
        end = header.find("]")
        if end < 0:
            return None
        address, rest = header[1:end], header[end + 1 :]
        if rest and not (rest.startswith(":") and _is_port(rest[1:])):
            return None
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            return None
        return None if "%" in address else address  # no zone ("::1%eth0"): a literal address only
    if header.count(":") == 1:
        name, port = header.split(":")
        return name if _is_port(port) else None
    return None if ":" in header else header


def _is_port(text: str) -> bool:
    return 0 < len(text) <= 5 and text.isascii() and text.isdigit()


class Sessions:
    """The open sessions by id, at most `MAX_SESSIONS`, the least recently used forgotten first."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._sessions: OrderedDict[str, Session] = OrderedDict()

    def create(self) -> tuple[str, Session]:
        session = Session(self.settings)
        key = secrets.token_urlsafe(12)
        with self._lock:
            self._sessions[key] = session
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return key, session

    def get(self, key: object) -> Session:
        with self._lock:
            session = self._sessions.get(key) if isinstance(key, str) else None
            if session is None:
                raise Refused(404, "unknown session (the server may have restarted): reload the page")
            self._sessions.move_to_end(key)
            return session


class ExplorerServer(ThreadingHTTPServer):
    """The explorer on (host, port); `url` is what to open, token included."""

    daemon_threads = True  # Ctrl-C never waits for a browser's idle keep-alive connection
    allow_reuse_address = True
    request_queue_size = 128  # a burst of connections (a page's assets, several tabs) waits to be accepted

    def __init__(self, host: str = "127.0.0.1", port: int = 0, settings: Settings | None = None) -> None:
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), _Handler)
        self.host = host
        self.token = secrets.token_urlsafe(24)
        self.sessions = Sessions(settings or Settings())
        self.assets = _load_assets()

    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a closed tab is no error
            super().handle_error(request, client_address)

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else "[::1]" if self.host == "::" else self.host
        if ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}/?token={self.token}"

    def host_allowed(self, name: str) -> bool:
        """Loopback names, IP addresses (a rebinding attack needs a domain name) and our own host."""
        if is_loopback(name) or name == self.host:
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True


class _Handler(BaseHTTPRequestHandler):
    server: ExplorerServer
    protocol_version = "HTTP/1.1"  # keep-alive: the page's requests reuse one connection
    timeout = 120  # an idle connection is closed after this many seconds
    server_version = "micrograd-serve"
    sys_version = ""

    # -- plumbing

    def log_message(self, format: str, *args) -> None:
        pass  # request lines carry the token: never print them

    def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Frame-Options", "DENY")
        for key, value in (extra or {}).items():
            self.send_header(key, value)
        if self._body_left():
            self.close_connection = True  # an unread body must not be taken for the next request
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status: int, doc: dict) -> None:
        self._send(status, json.dumps(doc, allow_nan=False).encode(), "application/json")

    def _body_left(self) -> bool:
        """Whether the request has a body this handler did not read (a GET with a body, a
        refused POST, a chunked one): the connection is then closed after the answer."""
        if getattr(self, "_body_read", False):
            return False
        return self.headers.get("Transfer-Encoding") is not None or self.headers.get("Content-Length", "0") != "0"

    def _refuse(self, status: int, message: str) -> None:
        self._send_json(status, {"error": message})

    def _guarded(self, handle: Callable[[], None]) -> None:
        self._body_read = False
        try:
            self._check_request()
            handle()
        except ConnectionError:  # the browser went away mid-request: nobody to answer
            self.close_connection = True
        except Refused as error:
            self._refuse(error.status, str(error))
        except BadRequest as error:
            self._refuse(error.status, str(error))
        except Exception as error:  # a bug: say so, keep serving, keep every session
            traceback.print_exc(file=sys.stderr)
            self._refuse(
                500, f"internal error: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            )

    def _check_request(self) -> None:
        host = self.headers.get("Host")
        name = _split_host(host) if host and len(self.headers.get_all("Host", [])) == 1 else None
        if not name or not self.server.host_allowed(name):
            raise Refused(403, f"refused: Host {host!r} is not this server's (DNS rebinding?)")
        origin = self.headers.get("Origin")
        if origin is not None and origin != f"http://{host}":
            raise Refused(403, f"refused: requests from {origin!r} are not allowed (cross-site)")
        fetch_site = self.headers.get("Sec-Fetch-Site")
        if fetch_site not in (None, "same-origin", "none"):
            raise Refused(403, f"refused: a {fetch_site} request (from another page)")
        query = parse_qs(urlsplit(self.path).query)
        given = self.headers.get(TOKEN_HEADER) or (query.get("token") or [""])[0]
        if not hmac.compare_digest(given.encode(), self.server.token.encode()):
            raise Refused(403, "refused: a valid token is required (open the URL that `micrograd serve` printed)")

    # -- GET: the page and its assets

    def do_GET(self) -> None:
        self._guarded(self._get)

    def do_HEAD(self) -> None:
        self._guarded(self._get)

    def _get(self) -> None:
        path = urlsplit(self.path).path
        if path == "/":
            page, kind = self.server.assets["/assets/index.html"]
            page = page.replace(b"__TOKEN__", self.server.token.encode())
            self._send(200, page, kind, {"Content-Security-Policy": _CSP})
        elif path in self.server.assets:
            self._send(200, *self.server.assets[path])
        elif path.startswith("/api/"):
            raise Refused(405, f"{path} takes POST with a JSON body")
        else:
            raise Refused(404, f"no such page: {path}")

    # -- POST: the API

    def do_POST(self) -> None:
        self._guarded(self._post)

    def do_OPTIONS(self) -> None:  # a CORS preflight: other pages get no permission
        self._guarded(lambda: self._refuse(405, "cross-origin requests are not allowed"))

    def _read_json(self) -> dict:
        kind = self.headers.get("Content-Type", "").split(";")[0].strip()
        if kind != "application/json":
            raise Refused(415, f"the body must be application/json, got {kind or 'no Content-Type'!r}")
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            raise Refused(411, "send the body with a Content-Length, not chunked")
        lengths = [length.strip(" \t") for length in self.headers.get_all("Content-Length", [])]
        if not lengths:
            raise Refused(411, "a Content-Length is required")
        length = lengths[0]
        if len(lengths) > 1 or not (0 < len(length) <= 12 and length.isascii() and length.isdigit()):
            # int() would take " 12", "+12", "1_2" or "١٢"; another server on the way may not
            raise Refused(400, f"bad Content-Length {', '.join(lengths)[:40]!r}: one, plain digits only")
        size = int(length)
        if size > MAX_BODY:
            if size <= DRAIN_LIMIT:  # read and drop it, so that the client gets to read the answer
                left = size
                while left > 0:
                    chunk = self.rfile.read(min(1 << 16, left))
                    if not chunk:
                        break
                    left -= len(chunk)
            raise Refused(413, f"the body is {size} bytes, over the limit of {MAX_BODY}")
        raw = self.rfile.read(size)
        self._body_read = True
        try:
            doc = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (UnicodeDecodeError, ValueError) as error:
            raise Refused(400, f"the body is not valid JSON: {str(error).splitlines()[0]}") from None
        except RecursionError:
            raise Refused(400, "the body is not valid JSON: nested too deeply") from None
        if not isinstance(doc, dict):
            raise Refused(400, f"the body must be a JSON object, got {type(doc).__name__}")
        return doc

    def _post(self) -> None:
        path = urlsplit(self.path).path
        name = path.removeprefix("/api/")
        if not path.startswith("/api/") or name not in _ENDPOINTS:
            raise Refused(404, f"no such endpoint: {path}")
        body = self._read_json()
        self._send_json(200, _ENDPOINTS[name](self.server.sessions, body))


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


# --------------------------------------------------------------------------- endpoints


@contextmanager
def _locked(session: Session) -> Iterator[None]:
    """Hold the session's lock, waiting at most `LOCK_WAIT` seconds for it."""
    if not session.lock.acquire(timeout=LOCK_WAIT):
        raise Refused(503, "this session is busy; try again")
    try:
        yield
    finally:
        session.lock.release()


def _state(session: Session, body: dict) -> dict:
    return session.checked_state(body.get("run"), body.get("since", 0), body.get("weight"))


def _change(act: Callable[[Session, dict], object]) -> Callable[[Sessions, dict], dict]:
    """An endpoint that changes the session (all checks come first) and answers its new state."""

    def endpoint(sessions: Sessions, body: dict) -> dict:
        session = sessions.get(body.get("session"))
        with _locked(session):
            session.check_view(body.get("run"), body.get("since", 0), body.get("weight"))
            with session.transaction():  # the answer is computed on the new state before it stays:
                done = act(session, body)  # a refusal anywhere (the view of a model that no longer
                doc = _state(session, body)  # has that weight, an overflow) leaves the session as it was
        if done is not None:
            doc["done"] = done
        return doc

    return endpoint


def _view(draw: Callable) -> Callable[[Sessions, dict], dict]:
    """An endpoint that draws from a copy of the model, outside the session's lock."""

    def endpoint(sessions: Sessions, body: dict) -> dict:
        session = sessions.get(body.get("session"))
        with _locked(session):
            model, settings, points = session.snapshot()
            steps = len(session.run.loss)
        try:
            doc = draw(model, settings, points, body)
        except ArithmeticError as error:  # the model's numbers overflow on this point: say so, as a 4xx
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise Conflict(f"the model's forward or backward pass overflows a float here ({message})") from None
        doc["at_step"] = steps
        return doc

    return endpoint


def _new_session(sessions: Sessions, body: dict) -> dict:
    key, session = sessions.create()
    with _locked(session):
        return {"session": key, **_state(session, body)}


def _save(sessions: Sessions, body: dict) -> dict:
    session = sessions.get(body.get("session"))
    with _locked(session):
        return session.save()


_ENDPOINTS: dict[str, Callable[[Sessions, dict], dict]] = {
    "session": _new_session,
    "state": _change(lambda s, b: None),
    "step": _change(lambda s, b: s.step(b.get("steps", 1))),
    "settings": _change(lambda s, b: s.update_settings(b.get("settings"))),
    "reinit": _change(lambda s, b: s.reinitialise()),
    "add": _change(lambda s, b: s.add_point(b.get("x"), b.get("y"), b.get("label"))),
    "remove": _change(lambda s, b: s.remove_point(b.get("index"))),
    "reset": _change(lambda s, b: s.reset_points()),
    "clear": _change(lambda s, b: s.clear_points()),
    "load": _change(lambda s, b: s.load(b.get("saved"))),
    "save": _save,
    "network": _view(lambda m, st, pts, b: network_view(m, st, pts, b.get("point"))),
    "steps": _view(
        lambda m, st, pts, b: steps_view(m, st, pts, b.get("point"), b.get("view", "graph"), b.get("mistake"))
    ),
    "graph": _view(lambda m, st, pts, b: graph_view(m, st, pts, b.get("point"), b.get("parameters", False))),
}


def make_server(host: str = "127.0.0.1", port: int = 0, settings: Settings | None = None) -> ExplorerServer:
    """A ready explorer server (not yet serving: call `serve_forever()`); port 0 picks a free one."""
    return ExplorerServer(host, port, settings)
