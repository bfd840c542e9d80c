"""Browser sessions: a login form's credentials become a session cookie for the same principal.

The cookie holds only a random session id (256 bits); the principal stays on the server. It
is `HttpOnly` and `SameSite=Strict`, and `Secure` behind HTTPS. Every form carries the
session's CSRF token, compared in constant time on each POST. The bearer-token API is not
touched: the REST app never reads this cookie.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from modelop_mlc.rest import Principal

__all__ = ["COOKIE", "LOGIN_COOKIE", "Session", "Sessions", "new_token", "same_token"]

COOKIE = "mlc_session"
"""The session cookie's name."""
LOGIN_COOKIE = "mlc_login"
"""The login form's CSRF cookie (double submit: the form must echo it)."""
_MAX_SESSIONS = 10_000


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def same_token(given: str | None, expected: str | None) -> bool:
    """Compare two tokens in constant time; missing ones never match."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


@dataclass
class Session:
    """A logged-in browser."""

    id: str
    principal: Principal
    csrf: str
    expires: datetime
    flashes: list[tuple[str, str]] = field(default_factory=list)

    def flash(self, kind: str, text: str) -> None:
        """Keep a message (`ok` or `error`) for the next page shown."""
        self.flashes.append((kind, text))

    def take_flashes(self) -> list[tuple[str, str]]:
        """The kept messages, forgetting them."""
        found, self.flashes = self.flashes, []
        return found


class Sessions:
    """The sessions of one web app, in memory, expiring after `lifetime`.

    Args:
        now: The clock (the manager's), so expiry follows injected time in tests.
        lifetime: How long a session lasts after login.
    """

    def __init__(self, now: Callable[[], datetime], lifetime: timedelta) -> None:
        """Start with no sessions."""
        self._now = now
        self._lifetime = lifetime
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, principal: Principal) -> Session:
        """Open a session for `principal` (always a new id: no session fixation)."""
        now = self._now()
        session = Session(new_token(), principal, new_token(), now + self._lifetime)
        with self._lock:
            self._drop_expired(now)
            if len(self._sessions) >= _MAX_SESSIONS:
                # Bounded memory: the oldest session goes first.
                oldest = min(self._sessions.values(), key=lambda s: s.expires)
                del self._sessions[oldest.id]
            self._sessions[session.id] = session
        return session

    def find(self, session_id: str | None) -> Session | None:
        """The live session with this id, or None."""
        if not session_id:
            return None
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None
            if session.expires <= self._now():
                del self._sessions[session_id]
                return None
            return session

    def end(self, session_id: str) -> None:
        """Log a session out."""
        with self._lock:
            self._sessions.pop(session_id, None)

    def _drop_expired(self, now: datetime) -> None:
        for key in [k for k, s in self._sessions.items() if s.expires <= now]:
            del self._sessions[key]
