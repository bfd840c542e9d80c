"""HTTP plumbing shared by the fakes: server thread, request log, auth and failure injection.

Only the standard library is used here, so `modelop_mlc.testing` stays importable without the
`jira`, `pysnow` or `requests` packages. Nothing happens at import time.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import re
import socket
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["Clock", "RecordedRequest"]

Clock = Callable[[], datetime]
"""A callable returning the current time as a timezone-aware `datetime`."""


def _wall_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request a fake received, in arrival order.

    Attributes:
        method: The HTTP method, upper case (`"POST"`).
        path: The URL path without the query string (`"/rest/api/2/issue"`).
        query: The decoded query string; a parameter may repeat, so values are lists.
        headers: Request headers with canonical capitalisation (`"Content-Type"`). The
            `Authorization` value is redacted to its scheme, e.g. `"Basic ***"`.
        json: The parsed body when it was valid JSON, otherwise `None`.
        body: The raw body bytes.
        timestamp: When the request arrived, from the fake's clock.
    """

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    json: Any | None
    body: bytes
    timestamp: datetime

    def header(self, name: str) -> str | None:
        """Return a header value by case-insensitive name, or `None` when absent."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


@dataclass
class _Call:
    """A request as the route handlers see it (headers keyed in lower case)."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    user: str | None = None
    args: dict[str, str] = field(default_factory=dict)
    """The named groups of the matched route pattern (`issue`, `table`, `sys_id`, ...)."""

    def param(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else default

    def params(self, name: str) -> list[str]:
        """Return every value of a repeated or comma-separated parameter."""
        return [part for value in self.query.get(name, []) for part in value.split(",") if part]


@dataclass
class _Reply:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def json(cls, status: int, payload: Any, headers: Mapping[str, str] | None = None) -> _Reply:
        merged = {"Content-Type": "application/json;charset=UTF-8", **(headers or {})}
        return cls(status, json.dumps(payload).encode(), merged)


class _HttpError(Exception):
    """Raised by route handlers to answer with an error reply."""

    def __init__(self, reply: _Reply) -> None:
        super().__init__(reply.status)
        self.reply = reply


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    handler: Callable[[_Call], _Reply]


@dataclass
class _Failure:
    status: int
    remaining: int
    retry_after: int | None
    body: bytes | str | Mapping[str, Any] | None
    path_prefix: str | None
    method: str | None


@dataclass
class _Hang:
    remaining: int
    path_prefix: str | None
    commit_first: bool


def _matches(prefix: str | None, method: str | None, call_path: str, call_method: str) -> bool:
    return (prefix is None or call_path.startswith(prefix)) and (
        method is None or method.upper() == call_method
    )


def _canonical_header(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


def _redact(value: str) -> str:
    scheme, _, rest = value.partition(" ")
    return f"{scheme} ***" if rest else "***"


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: _FakeService) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or hang up mid-response are expected in failure tests; anything
        # else is a bug in the fake and is kept for the test to see.
        error = sys.exc_info()[1]
        if error is not None and not isinstance(error, ConnectionError | TimeoutError):
            self.fake.errors.append(error)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle's algorithm and the client's
    # delayed ACK each response would stall for ~40 ms.
    disable_nagle_algorithm = True
    # A socket timeout for idle keep-alive connections, so no handler thread outlives a test run
    # by long; hung requests wait on an Event instead and are freed by `stop()`.
    timeout = 120

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        with contextlib.suppress(OSError):  # the client has gone; nothing left to flush
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Stay silent: the request log replaces the access log."""

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        body = self._read_body()
        headers = dict(self.headers.items())
        reply = self.server.fake._serve(self.command, self.path, headers, body)
        if reply is None:
            self.close_connection = True
            return
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        if reply.status != 204 and reply.status >= 200:  # noqa: PLR2004 - HTTP semantics
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if reply.body and reply.status != 204:  # noqa: PLR2004 - HTTP semantics
            self.wfile.write(reply.body)

    # http.server dispatches on `do_<METHOD>`; all methods share one entry point.
    def do_GET(self) -> None:
        """Serve a GET request."""
        self._handle()

    def do_POST(self) -> None:
        """Serve a POST request."""
        self._handle()

    def do_PUT(self) -> None:
        """Serve a PUT request."""
        self._handle()

    def do_PATCH(self) -> None:
        """Serve a PATCH request."""
        self._handle()

    def do_DELETE(self) -> None:
        """Serve a DELETE request."""
        self._handle()


class _FakeService:
    """Base class of the fakes: lifecycle, request log, auth, failure injection and routing."""

    def __init__(self, *, clock: Clock | None = None) -> None:
        self._clock: Clock = clock or _wall_clock
        self._lock = threading.RLock()
        self._requests: list[RecordedRequest] = []
        self._failures: list[_Failure] = []
        self._hangs: list[_Hang] = []
        self._hung: set[threading.Event] = set()
        self._users: dict[str, str] = {}
        self._tokens: dict[str, str] = {}
        self._auth_required = False
        self._revoked: set[str] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._routes: list[_Route] = []
        self._last_url = "http://127.0.0.1:0"
        self.errors: list[BaseException] = []
        """Exceptions raised inside the fake while serving; a non-empty list is a bug."""

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL, `http://127.0.0.1:PORT`.

        Raises:
            RuntimeError: If the fake is not running.
        """
        server = self._server
        if server is None:
            raise RuntimeError(f"{type(self).__name__} is not running; call start() first")
        host, port = server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        """The TCP port the fake listens on.

        Raises:
            RuntimeError: If the fake is not running.
        """
        return int(self.url.rsplit(":", 1)[1])

    def start(self) -> Self:
        """Bind an ephemeral port on 127.0.0.1 and serve from a daemon thread.

        Returns:
            The fake itself, for chaining.

        Raises:
            RuntimeError: If the fake is already running.
        """
        if self._server is not None:
            raise RuntimeError(f"{type(self).__name__} is already running at {self.url}")
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"{type(self).__name__}-{self.port}",
            daemon=True,
        )
        self._thread.start()
        self._last_url = self.url
        return self

    def stop(self) -> None:
        """Stop serving, drop hung and open connections, and free the port. Safe to repeat."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        with self._lock:
            for event in self._hung:
                event.set()
        server.shutdown()
        server.server_close()
        with server.connections_lock:
            connections = list(server.connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by the client
                connection.shutdown(socket.SHUT_RDWR)
        if thread is not None:
            thread.join()
        self._server = None
        self._thread = None

    def __enter__(self) -> Self:
        """Start the fake."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the fake."""
        self.stop()

    # -- request log -------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    # -- failure injection -------------------------------------------------------------------

    def fail_next(
        self,
        status: int = 503,
        *,
        times: int = 1,
        retry_after: int | None = None,
        body: bytes | str | Mapping[str, Any] | None = None,
        path_prefix: str | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next matching requests with an error instead of serving them.

        Injected failures are checked before authentication and routing, like a gateway in
        front of the service; the request is still recorded.

        Args:
            status: The HTTP status to answer with.
            times: How many matching requests fail.
            retry_after: Seconds for a `Retry-After` header (usual with 429 and 503).
            body: The response body; a mapping is sent as JSON. Defaults to an error body in
                the service's own shape.
            path_prefix: Only requests whose path starts with this fail.
            method: Only requests with this HTTP method fail.

        Raises:
            ValueError: If `times` is below 1 or `status` is not an HTTP status.
        """
        if times < 1 or not 100 <= status <= 599:  # noqa: PLR2004 - the HTTP status range
            raise ValueError(
                f"fail_next needs times >= 1 and an HTTP status, got {times}, {status}"
            )
        with self._lock:
            self._failures.append(_Failure(status, times, retry_after, body, path_prefix, method))

    def hang_next(
        self, times: int = 1, *, path_prefix: str | None = None, commit_first: bool = False
    ) -> None:
        """Accept the next matching requests but answer nothing until `release()` or `stop()`.

        The handler thread waits on a `threading.Event`, so a client with a timeout sees a read
        timeout. After `release()` the request is served (late, to a client that has usually
        gone); after `stop()` the connection is dropped unanswered.

        Args:
            times: How many matching requests hang.
            path_prefix: Only requests whose path starts with this hang.
            commit_first: Apply the request's effect (e.g. create the issue) before hanging,
                so the change is made but the response is lost, the case idempotency keys
                exist for.

        Raises:
            ValueError: If `times` is below 1.
        """
        if times < 1:
            raise ValueError(f"hang_next needs times >= 1, got {times}")
        with self._lock:
            self._hangs.append(_Hang(times, path_prefix, commit_first))

    def release(self) -> None:
        """Let hung requests finish and cancel hangs that have not started yet."""
        with self._lock:
            self._hangs.clear()
            for event in self._hung:
                event.set()

    # -- authentication ----------------------------------------------------------------------

    def require_auth(
        self,
        *,
        users: Mapping[str, str] | None = None,
        tokens: Mapping[str, str] | Iterable[str] | None = None,
    ) -> None:
        """Require credentials: HTTP basic (user and password or API token) and/or bearer tokens.

        Until this is called the fake accepts anonymous requests and any credentials. Calls
        add to the accepted credentials.

        Args:
            users: User name to password (or API token) for HTTP basic auth.
            tokens: Bearer tokens (personal access tokens, OAuth tokens). A mapping gives
                the user name each token acts as; otherwise tokens act as `"token-user"`.
        """
        with self._lock:
            self._auth_required = True
            self._users.update(users or {})
            if isinstance(tokens, Mapping):
                self._tokens.update(tokens)
            else:
                self._tokens.update(dict.fromkeys(tokens or (), "token-user"))

    def revoke(self, token_or_password: str) -> None:
        """Reject a bearer token or password from now on with 401, even without `require_auth`."""
        with self._lock:
            self._revoked.add(token_or_password)

    def _authenticate(self, headers: Mapping[str, str]) -> tuple[bool, str | None]:
        """Return (accepted, user) for the `Authorization` header."""
        value = headers.get("authorization", "")
        scheme, _, credential = value.partition(" ")
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(credential.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return False, None
            user, _, password = decoded.partition(":")
            if password in self._revoked:
                return False, None
            if self._auth_required and self._users.get(user) != password:
                return False, None
            return True, user
        if scheme.lower() == "bearer":
            token = credential.strip()
            if token in self._revoked:
                return False, None
            if self._auth_required:
                token_user = self._tokens.get(token)
                return token_user is not None, token_user
            return True, "token-user"
        return not self._auth_required, None

    # -- hooks for the concrete fakes ---------------------------------------------------------

    def _error_reply(self, status: int, message: str, detail: str | None = None) -> _Reply:
        raise NotImplementedError

    def _unauthorized(self) -> _Reply:
        raise NotImplementedError

    def _unknown_path(self, call: _Call) -> _Reply:
        raise NotImplementedError

    def _failure_reply(self, failure: _Failure) -> _Reply:
        headers = {}
        if failure.retry_after is not None:
            headers["Retry-After"] = str(failure.retry_after)
        if failure.body is None:
            reply = self._error_reply(failure.status, _REASONS.get(failure.status, "Error"))
            reply.headers.update(headers)
            return reply
        if isinstance(failure.body, Mapping):
            return _Reply.json(failure.status, dict(failure.body), headers)
        raw = failure.body.encode() if isinstance(failure.body, str) else failure.body
        return _Reply(failure.status, raw, {"Content-Type": "text/plain", **headers})

    def _base_url(self) -> str:
        """The URL while running, else the last one (for links in helper output)."""
        return self.url if self._server is not None else self._last_url

    def _now(self) -> datetime:
        return self._clock()

    # -- serving -----------------------------------------------------------------------------

    def _serve(
        self, method: str, raw_path: str, raw_headers: Mapping[str, str], body: bytes
    ) -> _Reply | None:
        """Serve one request; `None` means drop the connection without answering."""
        parts = urlsplit(raw_path)
        query = parse_qs(parts.query, keep_blank_values=True)
        headers = {key.lower(): value for key, value in raw_headers.items()}
        call = _Call(method, parts.path, query, headers, body)
        hang: _Hang | None = None
        with self._lock:
            self._log_request(call, raw_headers)
            for failure in self._failures:
                if _matches(failure.path_prefix, failure.method, call.path, method):
                    failure.remaining -= 1
                    if failure.remaining <= 0:
                        self._failures.remove(failure)
                    return self._failure_reply(failure)
            for candidate in self._hangs:
                if _matches(candidate.path_prefix, None, call.path, method):
                    candidate.remaining -= 1
                    if candidate.remaining <= 0:
                        self._hangs.remove(candidate)
                    hang = candidate
                    break
        if hang is None:
            return self._process(call)
        if hang.commit_first:
            reply = self._process(call)
            return reply if self._wait_released() else None
        return self._process(call) if self._wait_released() else None

    def _wait_released(self) -> bool:
        """Block until `release()` or `stop()`; return whether to answer."""
        event = threading.Event()
        with self._lock:
            if self._stopping.is_set():
                return False
            self._hung.add(event)
        event.wait()
        with self._lock:
            self._hung.discard(event)
        return not self._stopping.is_set()

    def _log_request(self, call: _Call, raw_headers: Mapping[str, str]) -> None:
        headers = {
            _canonical_header(key): _redact(value) if key.lower() == "authorization" else value
            for key, value in raw_headers.items()
        }
        parsed: Any | None = None
        if call.body:
            try:
                parsed = json.loads(call.body)
            except (ValueError, UnicodeDecodeError):
                parsed = None
        self._requests.append(
            RecordedRequest(
                method=call.method,
                path=call.path,
                query={key: list(values) for key, values in call.query.items()},
                headers=headers,
                json=parsed,
                body=call.body,
                timestamp=self._now(),
            )
        )

    def _process(self, call: _Call) -> _Reply:
        with self._lock:
            accepted, user = self._authenticate(call.headers)
            if not accepted:
                return self._unauthorized()
            call.user = user
            path_matched = False
            for route in self._routes:
                match = route.pattern.fullmatch(call.path)
                if match is None:
                    continue
                path_matched = True
                if route.method != call.method:
                    continue
                call.args = {k: unquote(v) for k, v in match.groupdict().items()}
                try:
                    return route.handler(call)
                except _HttpError as error:
                    return error.reply
                except Exception as error:  # noqa: BLE001 - a fake's bug must not kill the server
                    self.errors.append(error)
                    return self._error_reply(500, f"{type(error).__name__}: {error}")
            if path_matched:
                return self._error_reply(405, f"Method {call.method} is not allowed here")
            return self._unknown_path(call)

    def _json_body(self, call: _Call) -> Any:
        """Parse the request body as JSON or answer 400 in the service's shape."""
        try:
            return json.loads(call.body or b"null")
        except (ValueError, UnicodeDecodeError) as error:
            raise _HttpError(self._error_reply(400, f"Invalid JSON body: {error}")) from error


_REASONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def _multipart(content_type: str, body: bytes) -> list[tuple[str | None, str | None, str, bytes]]:
    """Split a multipart/form-data body into (name, filename, content type, bytes) parts."""
    if not content_type.lower().startswith("multipart/"):
        return []
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    parts = []
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        content = payload if isinstance(payload, bytes) else b""
        name = part.get_param("name", header="content-disposition")
        parts.append(
            (
                str(name) if name is not None else None,
                part.get_filename(),
                part.get_content_type(),
                content,
            )
        )
    return parts
