"""Authentication of `FakeServiceNow` beyond Basic: OAuth 2.0 tokens and REST API keys.

- `POST /oauth_token.do` (form-encoded) issues bearer tokens for a registered OAuth client
  with the `password` grant (a user's name and password), the `client_credentials` grant
  (for a client given an "OAuth Application User", as the instance property
  `glide.oauth.inbound.client.credential.grant_type.enabled` allows) and `refresh_token`.
  Tokens expire after the client's lifetime by the fake's clock; an expired one gets 401.
- `x-sn-apikey: <key>` authenticates with a REST API key (the "API Key and HMAC
  Authentication" plugin's header).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import parse_qs, unquote_plus

from modelop_mlc.testing.fakes._http import Clock, _Call, _FakeService, _Reply

__all__ = ["_SnowAuth"]

_OAUTH_ENDPOINT = "/oauth_token.do"


@dataclass(frozen=True)
class _OAuthClient:
    secret: str
    user: str | None
    lifetime: timedelta


def _oauth_error(status: int, error: str, description: str) -> _Reply:
    return _Reply.json(status, {"error": error, "error_description": description})


class _SnowAuth(_FakeService):
    """OAuth token endpoint and API keys; `FakeServiceNow` adds the Table API."""

    def __init__(self, *, clock: Clock | None = None) -> None:
        super().__init__(clock=clock)
        self._oauth_clients: dict[str, _OAuthClient] = {}
        self._expiry: dict[str, datetime] = {}
        self._refresh: dict[str, tuple[str, str]] = {}
        self._api_keys: dict[str, str] = {}

    def register_oauth_client(
        self,
        client_id: str,
        client_secret: str,
        *,
        user: str | None = None,
        lifetime: timedelta = timedelta(minutes=30),
    ) -> None:
        """Register an OAuth client (System OAuth > Application Registry).

        Args:
            client_id: The client id.
            client_secret: The client secret.
            user: The "OAuth Application User" the `client_credentials` grant acts as; without
                one that grant is refused, as on an instance where it is not enabled.
            lifetime: How long an access token lasts.
        """
        with self._lock:
            self._oauth_clients[client_id] = _OAuthClient(client_secret, user, lifetime)

    def add_api_key(self, key: str, user: str) -> None:
        """Accept a REST API key in the `x-sn-apikey` header, acting as `user`."""
        with self._lock:
            self._api_keys[key] = user
            self._auth_required = True

    def expire_tokens(self) -> None:
        """Make every access token issued so far expire now (a refresh token still works)."""
        with self._lock:
            now = self._now()
            for token in self._expiry:
                self._expiry[token] = now

    def _authenticate(self, headers: Mapping[str, str]) -> tuple[bool, str | None]:
        key = headers.get("x-sn-apikey")
        if key is not None:
            user = self._api_keys.get(key)
            return user is not None and key not in self._revoked, user
        scheme, _, token = headers.get("authorization", "").partition(" ")
        expiry = self._expiry.get(token.strip()) if scheme.lower() == "bearer" else None
        if expiry is not None and self._now() >= expiry:
            return False, None
        return super()._authenticate(headers)

    def _process(self, call: _Call) -> _Reply:
        if call.path == _OAUTH_ENDPOINT:
            with self._lock:
                return self._token(call) if call.method == "POST" else _Reply(405)
        return super()._process(call)

    def _token(self, call: _Call) -> _Reply:
        try:
            form = {k: v[-1] for k, v in parse_qs(call.body.decode()).items()}
        except UnicodeDecodeError:
            form = {}
        scheme, _, encoded = call.headers.get("authorization", "").partition(" ")
        if "client_id" not in form and scheme.lower() == "basic":
            # RFC 6749 2.3.1: the client may authenticate with HTTP Basic instead of the body.
            try:
                pair = base64.b64decode(encoded.strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                pair = ""
            client_id, _, client_secret = pair.partition(":")
            form |= {
                "client_id": unquote_plus(client_id),
                "client_secret": unquote_plus(client_secret),
            }
        client = self._oauth_clients.get(form.get("client_id", ""))
        if client is None or not secrets.compare_digest(
            client.secret, form.get("client_secret", "")
        ):
            return _oauth_error(401, "access_denied", "access_denied")
        grant = form.get("grant_type")
        if grant == "password":
            user = form.get("username", "")
            if self._auth_required and self._users.get(user) != form.get("password"):
                return _oauth_error(401, "access_denied", "access_denied")
        elif grant == "client_credentials":
            if client.user is None:
                return _oauth_error(401, "server_error", "access_denied")
            user = client.user
        elif grant == "refresh_token":
            found = self._refresh.get(form.get("refresh_token", ""))
            if found is None or found[0] != form.get("client_id"):
                return _oauth_error(401, "invalid_grant", "invalid refresh token")
            user = found[1]
        else:
            return _oauth_error(400, "unsupported_grant_type", f"grant_type {grant!r}")
        access, refresh = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        self._tokens[access] = user
        self._expiry[access] = self._now() + client.lifetime
        self._refresh[refresh] = (form["client_id"], user)
        return _Reply.json(
            200,
            {
                "access_token": access,
                "refresh_token": refresh,
                "scope": "useraccount",
                "token_type": "Bearer",
                "expires_in": int(client.lifetime.total_seconds()) - 1,
            },
        )
