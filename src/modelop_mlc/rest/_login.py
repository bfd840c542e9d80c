"""Users who log in: HTTP Basic auth and ModelOp's token endpoint, with failed log-ins limited.

Camunda's engine-rest takes HTTP Basic credentials of engine users; ModelOp documents a token
endpoint (`POST /gocli/token` with form fields `username` and `password`) whose bearer token
users paste into Camunda Modeler's deploy dialog. `Users` checks the passwords (kept as
PBKDF2 hashes), `LoginLimiter` refuses a name or client address for a while after repeated
failures, and `TokenIssuer` signs HS256 tokens that `HmacJwtVerifier` with the same secret
accepts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from modelop_mlc.clock import SystemClock
from modelop_mlc.errors import ConfigurationError
from modelop_mlc.rest._auth import (
    _MIN_SECRET_BYTES,
    ADMIN,
    PERMISSIONS,
    HmacJwtVerifier,
    Principal,
    _check_permissions,
)

__all__ = ["LoginLimiter", "TokenIssuer", "User", "Users", "hash_password", "users_from_file"]

_SCHEME = "pbkdf2_sha256"
_ITERATIONS = 200_000
# A password longer than this is refused before hashing: PBKDF2 over megabytes is slow.
_MAX_PASSWORD_CHARS = 1024
# How many passed credentials `Users` remembers (a bound on memory, not on users).
_REMEMBERED = 1024


def hash_password(password: str, *, iterations: int = _ITERATIONS) -> str:
    """Hash a password for `User(password=...)`: `pbkdf2_sha256$iterations$salt$hash`.

    Example:
        >>> hash_password("s3cret").startswith("pbkdf2_sha256$")
        True
    """
    salt = secrets.token_hex(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"{_SCHEME}${iterations}${salt}${digest.hex()}"


def _verify(password: str, stored: str) -> bool:
    scheme, iterations, salt, expected = stored.split("$")
    if scheme != _SCHEME:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), int(iterations))
    return hmac.compare_digest(digest.hex(), expected)


@dataclass(frozen=True)
class User:
    """One user who can log in.

    Attributes:
        password: The password, or its `hash_password()` form (plain text is hashed once,
            when `Users` is built).
        permissions: Permission names from `PERMISSIONS` (all but `admin` by default: a
            user works on the tasks that name them or nobody).
        groups: The user's groups: candidate-group tasks of these groups are theirs.
    """

    password: str = field(repr=False)
    permissions: frozenset[str] = PERMISSIONS - {ADMIN}
    groups: frozenset[str] = frozenset()


class Users:
    """The users who log in with HTTP Basic auth or at the token endpoint.

    Args:
        users: User name to `User` (or to a plain password, with every permission).

    Raises:
        ConfigurationError: For an empty name or password, or an unknown permission.

    Example:
        >>> users = Users({"demo": User("demo", groups=frozenset({"approvers"}))})
        >>> users.check("demo", "demo").groups
        frozenset({'approvers'})
        >>> users.check("demo", "wrong") is None
        True
    """

    def __init__(self, users: Mapping[str, User | str]) -> None:
        """Check the users and hash plain passwords."""
        self._users: dict[str, tuple[str, Principal]] = {}
        for name, user in users.items():
            entry = User(user) if isinstance(user, str) else user
            if not name or not entry.password:
                raise ConfigurationError("Users: a user needs a name and a password")
            stored = (
                entry.password
                if entry.password.startswith(_SCHEME + "$")
                else hash_password(entry.password)
            )
            permissions = _check_permissions(entry.permissions, f"Users {name}")
            principal = Principal(name, permissions, {"user": True}, frozenset(entry.groups))
            self._users[name] = (stored, principal)
        # Unknown names are checked against this, so timing does not reveal who exists.
        self._dummy = hash_password(secrets.token_hex(8))
        # HTTP Basic sends the password with every request; PBKDF2 takes a noticeable time,
        # so credentials that passed are remembered, keyed by an HMAC under a process secret.
        self._cache_key = secrets.token_bytes(32)
        self._passed: dict[bytes, Principal] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        """Describe the users without their passwords."""
        return f"Users({sorted(self._users)})"

    def check(self, name: str, password: str) -> Principal | None:
        """Return the user's principal if the password is right, else None."""
        if len(password) > _MAX_PASSWORD_CHARS:
            return None
        key = hmac.new(self._cache_key, f"{name}\0{password}".encode(), hashlib.sha256).digest()
        with self._lock:
            remembered = self._passed.get(key)
        if remembered is not None:
            return remembered
        stored, principal = self._users.get(name, (self._dummy, None))
        if not _verify(password, stored) or principal is None:
            return None
        with self._lock:
            if len(self._passed) >= _REMEMBERED:
                self._passed.clear()
            self._passed[key] = principal
        return principal

    def groups(self, name: str) -> frozenset[str]:
        """The groups of a user (empty for unknown names)."""
        found = self._users.get(name)
        return found[1].groups if found else frozenset()


class LoginLimiter:
    """Refuse log-ins for a name or a client address after too many failures.

    After `max_failures` failed log-ins within `window`, every attempt for that name (or
    from that address) is refused until `lockout` has passed since the last failure, right
    password or not. Times come from `clock`.

    Args:
        max_failures: Failures allowed within the window.
        window: How far back failures count.
        lockout: How long a locked name or address stays locked.
        clock: Returns the current time; the system clock by default.
    """

    def __init__(
        self,
        *,
        max_failures: int = 5,
        window: timedelta = timedelta(minutes=15),
        lockout: timedelta = timedelta(minutes=15),
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """Keep the limits."""
        if max_failures < 1:
            raise ConfigurationError("LoginLimiter: max_failures must be at least 1")
        self.max_failures = max_failures
        self.window = window
        self.lockout = lockout
        self._clock = clock or SystemClock().now
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def retry_after(self, keys: Iterable[str]) -> timedelta | None:
        """How long `keys` (a name, an address) stay locked; None when they may try."""
        now = self._clock()
        longest: timedelta | None = None
        with self._lock:
            for key in keys:
                failures = self._prune(key, now)
                if len(failures) >= self.max_failures:
                    left = failures[-1] + self.lockout - now
                    if left > timedelta(0) and (longest is None or left > longest):
                        longest = left
        return longest

    def failed(self, keys: Iterable[str]) -> None:
        """Count a failed log-in against each of `keys`."""
        now = self._clock()
        with self._lock:
            for key in keys:
                self._prune(key, now).append(now)

    def succeeded(self, keys: Iterable[str]) -> None:
        """Forget the failures of `keys` after a good log-in."""
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def _prune(self, key: str, now: datetime) -> deque[datetime]:
        failures = self._failures.setdefault(key, deque(maxlen=self.max_failures))
        horizon = now - max(self.window, self.lockout)
        while failures and failures[0] < horizon:
            failures.popleft()
        if not failures:
            # Keep the table small: names that stopped failing leave it.
            self._failures.pop(key, None)
            failures = self._failures.setdefault(key, deque(maxlen=self.max_failures))
        return failures


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class TokenIssuer:
    """Sign bearer tokens for users who log in at `POST /gocli/token` (ModelOp's log-in).

    Args:
        users: Who may log in.
        secret: The HS256 secret, at least 32 bytes; `verifier()` accepts what it signs.
        lifetime: How long a token is valid.
        clock: Returns the current time; the system clock by default.
        issuer: Written to the `iss` claim when set.
        limiter: Limits failed log-ins; a `LoginLimiter()` with its defaults by default.

    Raises:
        ConfigurationError: If the secret is shorter than 32 bytes.
    """

    def __init__(
        self,
        users: Users,
        secret: str | bytes,
        *,
        lifetime: timedelta = timedelta(hours=1),
        clock: Callable[[], datetime] | None = None,
        issuer: str | None = None,
        limiter: LoginLimiter | None = None,
    ) -> None:
        """Keep the users and the key."""
        key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        if len(key) < _MIN_SECRET_BYTES:
            raise ConfigurationError(
                f"TokenIssuer: the secret has {len(key)} bytes; HS256 needs at least "
                f"{_MIN_SECRET_BYTES} (generate one with secrets.token_urlsafe(48))"
            )
        self.users = users
        self._key = key
        self.lifetime = lifetime
        self._clock = clock or SystemClock().now
        self.issuer = issuer
        self.limiter = limiter or LoginLimiter(clock=self._clock)

    def __repr__(self) -> str:
        """Describe the issuer without its secret."""
        return f"TokenIssuer({self.users!r}, lifetime={self.lifetime})"

    def verifier(self) -> HmacJwtVerifier:
        """A verifier that accepts the tokens this issuer signs."""
        return HmacJwtVerifier(self._key, clock=self._clock, issuer=self.issuer)

    def issue(self, principal: Principal) -> dict[str, Any]:
        """Sign a token for a logged-in user: ModelOp's `{access_token, token_type, ...}`."""
        now = self._clock()
        claims: dict[str, Any] = {
            "sub": principal.name,
            "iat": int(now.timestamp()),
            "exp": int((now + self.lifetime).timestamp()),
            "permissions": sorted(principal.permissions),
            "groups": sorted(principal.groups),
            "user": True,
        }
        if self.issuer is not None:
            claims["iss"] = self.issuer
        head = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = hmac.new(self._key, f"{head}.{body}".encode("ascii"), hashlib.sha256)
        return {
            "access_token": f"{head}.{body}.{_b64(signature.digest())}",
            "token_type": "Bearer",
            "expires_in": int(self.lifetime.total_seconds()),
        }


def users_from_file(path: str | Path) -> Users:
    """Read users from a JSON file of user name to settings.

    The file is `{"ann": {"password": ..., "groups": [...], "permissions": [...]}}`;
    `password` may be plain or a `hash_password()` form; `permissions` default to all.

    Raises:
        ConfigurationError: If the file cannot be read or an entry is malformed.
    """
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise ConfigurationError(f"cannot read the users file {path}: {err}") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path}: expected an object of user name to settings")
    users: dict[str, User | str] = {}
    for name, entry in data.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("password"), str):
            raise ConfigurationError(f"{path}: user '{name}' needs a \"password\"")
        groups = entry.get("groups", [])
        permissions = entry.get("permissions", sorted(PERMISSIONS))
        if not isinstance(groups, list) or not isinstance(permissions, list):
            raise ConfigurationError(f"{path}: 'groups' and 'permissions' of '{name}' are lists")
        users[name] = User(
            entry["password"], frozenset(map(str, permissions)), frozenset(map(str, groups))
        )
    return Users(users)
