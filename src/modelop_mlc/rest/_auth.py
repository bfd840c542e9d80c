"""Bearer-token authentication: principals, permissions and two ready-made verifiers."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from modelop_mlc.clock import SystemClock
from modelop_mlc.errors import ConfigurationError

__all__ = [
    "ADMIN",
    "COMPLETE",
    "DEPLOY",
    "PERMISSIONS",
    "READ",
    "SIGNAL",
    "SIGNAL_RESPONSIVE",
    "HmacJwtVerifier",
    "Principal",
    "StaticTokens",
    "TokenVerifier",
]

DEPLOY = "deploy"
"""Create deployments (`POST /deployment/create`)."""
SIGNAL = "signal"
"""Send signals and messages and start instances."""
SIGNAL_RESPONSIVE = "signal-responsive"
"""ModelOp's `POST /signalResponsive`."""
READ = "read"
"""Every `GET` on definitions, instances, variables, tasks, history and incidents."""
COMPLETE = "complete"
"""Complete user tasks and retry failed jobs."""
ADMIN = "admin"
"""Read and complete every task, and read every instance's variables, whoever they name."""

PERMISSIONS = frozenset({DEPLOY, SIGNAL, SIGNAL_RESPONSIVE, READ, COMPLETE, ADMIN})
"""Every permission a route can require (ModelOp's MLC action names plus `read`, `complete`)."""

# RFC 7518 §3.2: an HS256 key must be at least as long as the hash output.
_MIN_SECRET_BYTES = 32
# A bearer token larger than this is refused before decoding, so a client cannot make the
# server base64-decode and parse megabytes per request.
_MAX_TOKEN_CHARS = 8192


@dataclass(frozen=True)
class Principal:
    """Who made a request, and what they may do.

    Attributes:
        name: The user id (a JWT's `sub`, a static token's label): a task assigned to it, or
            naming it a candidate user, is one this principal may read and complete.
        permissions: Permission names from `PERMISSIONS`.
        claims: Extra data the verifier wants to keep (a JWT's claims).
        groups: The groups the caller belongs to: tasks naming one of them as a candidate
            group are this principal's too.
    """

    name: str
    permissions: frozenset[str]
    claims: Mapping[str, Any] = field(default_factory=dict)
    groups: frozenset[str] = frozenset()


TokenVerifier = Callable[[str], Principal | None]
"""Turns a bearer token into a `Principal`, or `None` when the token is not valid."""


def _check_permissions(permissions: Iterable[str], where: str) -> frozenset[str]:
    found = frozenset(permissions)
    unknown = sorted(found - PERMISSIONS)
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown permission(s) {', '.join(unknown)}; known: "
            f"{', '.join(sorted(PERMISSIONS))}"
        )
    return found


class StaticTokens:
    """Accept a fixed set of bearer tokens, each with its own permissions.

    Args:
        tokens: Token text to the permissions it grants, e.g.
            `{"s3cr3t": {"deploy", "signal", "read", "complete"}}`, or to a whole
            `Principal` (a user name and groups too, for the Tasklist).

    Raises:
        ConfigurationError: If a token is empty or a permission name is unknown.

    Example:
        >>> auth = StaticTokens({"ci-token": {"deploy", "read"}})
        >>> auth("ci-token").permissions == frozenset({"deploy", "read"})
        True
        >>> auth("wrong") is None
        True
    """

    def __init__(self, tokens: Mapping[str, Iterable[str] | Principal]) -> None:
        """Check and keep the tokens."""
        self._tokens: list[tuple[bytes, Principal]] = []
        for number, (token, grant) in enumerate(tokens.items(), start=1):
            if not token:
                raise ConfigurationError("StaticTokens: a token must not be empty")
            label = f"static-token-{number}"
            if isinstance(grant, Principal):
                _check_permissions(grant.permissions, f"StaticTokens {grant.name}")
                principal = grant
            else:
                principal = Principal(label, _check_permissions(grant, f"StaticTokens {label}"))
            self._tokens.append((token.encode("utf-8"), principal))

    def __call__(self, token: str) -> Principal | None:
        """Return the token's principal, or `None` if it is not one of the tokens."""
        offered = token.encode("utf-8")
        found = None
        # Compare against every token, so the time taken does not reveal which one matched.
        for known, principal in self._tokens:
            if hmac.compare_digest(known, offered):
                found = principal
        return found

    def __repr__(self) -> str:
        """Describe the verifier without showing the tokens."""
        return f"StaticTokens(<{len(self._tokens)} tokens>)"


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


class HmacJwtVerifier:
    """Accept HS256 JSON Web Tokens signed with a shared secret (standard library only).

    The token's permissions come from the `permissions` claim (a list of names, or a
    space-separated string like OAuth's `scope`); names outside `PERMISSIONS` are ignored.

    Args:
        secret: The shared HMAC secret, at least 32 bytes.
        clock: Returns the current time for the `exp` and `nbf` checks; the system clock by
            default (pass `manager.clock.now` to share the manager's clock).
        issuer: When set, the `iss` claim must equal it.
        audience: When set, the `aud` claim (a string or a list) must contain it.
        leeway: Tolerated clock skew for `exp` and `nbf`.
        permissions_claim: The claim holding the permissions.
        groups_claim: The claim holding the caller's groups (a list, or a space-separated
            string), which the Tasklist uses.
        require_exp: Refuse tokens without an `exp` claim.

    Raises:
        ConfigurationError: If the secret is shorter than 32 bytes.
    """

    def __init__(
        self,
        secret: str | bytes,
        *,
        clock: Callable[[], datetime] | None = None,
        issuer: str | None = None,
        audience: str | None = None,
        leeway: timedelta = timedelta(0),
        permissions_claim: str = "permissions",
        groups_claim: str = "groups",
        require_exp: bool = True,
    ) -> None:
        """Check and keep the settings."""
        key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        if len(key) < _MIN_SECRET_BYTES:
            raise ConfigurationError(
                f"HmacJwtVerifier: the secret has {len(key)} bytes; HS256 needs at least "
                f"{_MIN_SECRET_BYTES} (generate one with secrets.token_urlsafe(48))"
            )
        self._key = key
        self._clock = clock or SystemClock().now
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
        self.permissions_claim = permissions_claim
        self.groups_claim = groups_claim
        self.require_exp = require_exp

    def __repr__(self) -> str:
        """Describe the verifier without showing the secret."""
        return f"HmacJwtVerifier(issuer={self.issuer!r}, audience={self.audience!r})"

    def __call__(self, token: str) -> Principal | None:
        """Return the token's principal, or `None` if it is malformed, forged or expired."""
        claims = self.claims(token)
        if claims is None:
            return None
        subject = claims.get("sub")
        groups = claims.get(self.groups_claim)
        names = groups.split() if isinstance(groups, str) else groups
        return Principal(
            subject if isinstance(subject, str) and subject else "jwt",
            self._permissions(claims.get(self.permissions_claim)),
            claims,
            frozenset(g for g in names if isinstance(g, str))
            if isinstance(names, list)
            else frozenset(),
        )

    def claims(self, token: str) -> dict[str, Any] | None:
        """Return the verified claims of `token`, or `None` if it is not acceptable."""
        if len(token) > _MAX_TOKEN_CHARS or token.count(".") != 2:  # noqa: PLR2004 - 3 parts
            return None
        head, body, signature = token.split(".")
        try:
            header = json.loads(_b64decode(head), parse_constant=_no_constant)
            expected = hmac.new(self._key, f"{head}.{body}".encode("ascii"), hashlib.sha256)
            given = _b64decode(signature)
            claims = json.loads(_b64decode(body), parse_constant=_no_constant)
        except (ValueError, UnicodeError, binascii.Error):
            return None
        # Only HS256: accepting the header's choice would allow `alg: none` forgeries.
        if not isinstance(header, dict) or header.get("alg") != "HS256":
            return None
        if not hmac.compare_digest(expected.digest(), given) or not isinstance(claims, dict):
            return None
        return claims if self._claims_ok(claims) else None

    def _claims_ok(self, claims: Mapping[str, Any]) -> bool:
        now = self._clock().timestamp()
        leeway = self.leeway.total_seconds()
        exp = claims.get("exp")
        if exp is None:
            if self.require_exp:
                return False
        elif not _is_number(exp) or now >= _seconds(exp) + leeway:
            return False
        nbf = claims.get("nbf")
        if nbf is not None and (not _is_number(nbf) or now < _seconds(nbf) - leeway):
            return False
        if self.issuer is not None and claims.get("iss") != self.issuer:
            return False
        if self.audience is not None:
            aud = claims.get("aud")
            audiences = aud if isinstance(aud, list) else [aud]
            if self.audience not in audiences:
                return False
        return True

    @staticmethod
    def _permissions(value: Any) -> frozenset[str]:
        names = value.split() if isinstance(value, str) else value
        if not isinstance(names, list):
            return frozenset()
        return frozenset(n for n in names if isinstance(n, str) and n in PERMISSIONS)


def _no_constant(name: str) -> Any:
    # NaN would compare false against every time and so never expire.
    raise ValueError(f"{name} is not allowed in a token")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _seconds(value: float) -> float:
    try:
        return float(value)
    except OverflowError:
        # An integer too large for a float: treat it as infinitely far away.
        return float("inf") if value > 0 else float("-inf")
