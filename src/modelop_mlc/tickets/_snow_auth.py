"""Sessions for `ServiceNowTickets`: Basic, OAuth 2.0 (password or client credentials), API key.

Each is a `requests.Session` handed to `pysnow.Client(session=...)`, so pysnow's own
requests and the attachment upload authenticate the same way. OAuth tokens come from the
instance's `/oauth_token.do`, are renewed (refresh token first) when the injected clock says
they expire, and once more when the instance answers 401 to a token it has revoked.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

import requests
from pydantic import SecretStr
from requests.auth import AuthBase, HTTPBasicAuth

from modelop_mlc.clock import Clock
from modelop_mlc.errors import ConfigurationError
from modelop_mlc.tickets._errors import http_failure, transport_failure

__all__ = ["ApiKeyAuth", "Credentials", "OAuthToken", "build_session"]

_EARLY = timedelta(seconds=30)
_UNAUTHORIZED = 401


class ApiKeyAuth(AuthBase):
    """A REST API key in the `x-sn-apikey` header (plugin "API Key and HMAC Authentication")."""

    def __init__(self, key: str) -> None:
        """Keep the key."""
        self._key = key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Add the header."""
        request.headers["x-sn-apikey"] = self._key
        return request

    def secrets(self) -> list[str]:
        """What must never appear in a message."""
        return [self._key]


class OAuthToken(AuthBase):
    """Bearer tokens from ServiceNow's OAuth endpoint, fetched and renewed as needed.

    Args:
        url: The instance URL.
        client_id: The OAuth client's id (System OAuth > Application Registry).
        client_secret: Its secret.
        username: With `password`, use the password grant as this user; without, the
            client credentials grant (the client's "OAuth Application User").
        password: The user's password.
        clock: Tells when a token has expired.
        timeout: Seconds to wait for the token endpoint.
        verify: Whether to verify TLS certificates.
    """

    def __init__(
        self,
        url: str,
        client_id: str,
        client_secret: str,
        *,
        username: str | None = None,
        password: str | None = None,
        clock: Clock,
        timeout: float,
        verify: bool = True,
    ) -> None:
        """Prepare; no token is fetched until the first request."""
        self.url = url
        self._client = (client_id, client_secret)
        self._user = (username, password) if username and password else None
        self._clock = clock
        self._timeout = timeout
        self._verify = verify
        self._lock = threading.Lock()
        self._access: str | None = None
        self._refresh: str | None = None
        self._expires: datetime | None = None

    @property
    def grant(self) -> str:
        """`password` or `client_credentials`."""
        return "password" if self._user else "client_credentials"

    def secrets(self) -> list[str]:
        """What must never appear in a message: the secret, the password, the tokens."""
        found = [self._client[1], self._access or "", self._refresh or ""]
        if self._user:
            found.append(self._user[1] or "")
        return [secret for secret in found if secret]

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Add a valid bearer token, and retry once with a new one on a 401."""
        request.headers["Authorization"] = f"Bearer {self.token()}"
        request.register_hook("response", self._renew_on_401)  # type: ignore[no-untyped-call]
        return request

    def token(self) -> str:
        """A token valid for at least 30 more seconds, fetched or refreshed if needed.

        Raises:
            IntegrationError: If the instance refuses the client or the user, or cannot be
                reached.
        """
        with self._lock:
            now = self._clock.now()
            if self._access and self._expires and now + _EARLY < self._expires:
                return self._access
            form: dict[str, str] = {"client_id": self._client[0], "client_secret": self._client[1]}
            if self._refresh:
                try:
                    refresh = {"grant_type": "refresh_token", "refresh_token": self._refresh}
                    return self._fetch({**form, **refresh})
                except _Refused:
                    self._refresh = None  # expired or revoked: start over with the grant
            if self._user:
                user, password = str(self._user[0]), str(self._user[1])
                form |= {"grant_type": "password", "username": user, "password": password}
            else:
                form["grant_type"] = "client_credentials"
            return self._fetch(form)

    def invalidate(self) -> None:
        """Forget the access token (the instance refused it)."""
        with self._lock:
            self._access = None

    def _fetch(self, form: Mapping[str, str]) -> str:
        grant = form["grant_type"]
        action = f"OAuth token request (grant_type={grant}) at {self.url}/oauth_token.do"
        secrets = [*self.secrets(), *form.values()]
        try:
            response = requests.post(
                f"{self.url}/oauth_token.do",
                data=dict(form),
                headers={"Accept": "application/json"},
                timeout=self._timeout,
                verify=self._verify,
            )
        except requests.RequestException as err:
            raise transport_failure(
                "servicenow",
                "ServiceNow",
                action,
                err,
                url=self.url,
                timeout=self._timeout,
                secrets=secrets,
            ) from err
        body: dict[str, Any] = {}
        try:
            body = dict(response.json())
        except (ValueError, TypeError):
            body = {}
        if response.status_code != 200 or not body.get("access_token"):  # noqa: PLR2004
            detail = ": ".join(str(body[k]) for k in ("error", "error_description") if body.get(k))
            if grant == "refresh_token" and response.status_code < 500:  # noqa: PLR2004
                raise _Refused
            hint = (
                "check the client id and secret (client_credentials also needs the grant "
                "enabled and an OAuth Application User; docs/tickets.md)"
            )
            raise http_failure(
                "servicenow",
                "ServiceNow",
                action,
                response.status_code,
                detail=f"{detail or 'no token in the answer'}; {hint}",
                secrets=secrets,
            )
        self._access = str(body["access_token"])
        self._refresh = str(body.get("refresh_token") or "") or None
        lifetime = timedelta(seconds=float(body.get("expires_in") or 1800))
        self._expires = self._clock.now() + lifetime
        return self._access

    def _renew_on_401(self, response: requests.Response, **kwargs: Any) -> requests.Response:
        request = response.request
        if response.status_code != _UNAUTHORIZED or request.headers.get("X-MLC-Renewed"):
            return response
        self.invalidate()
        retry = request.copy()
        retry.headers["Authorization"] = f"Bearer {self.token()}"
        retry.headers["X-MLC-Renewed"] = "1"
        response.content  # noqa: B018 - drain the body so the connection can be reused
        response.close()
        connection = response.connection
        renewed: requests.Response = connection.send(retry, **kwargs)
        renewed.history.append(response)
        renewed.request = retry
        return renewed


class Credentials(Protocol):
    """How to sign in to an instance (`ServiceNowConfig` is one)."""

    @property
    def url(self) -> str:
        """The instance URL."""
        ...

    @property
    def username(self) -> str | None:
        """The integration user."""
        ...

    @property
    def password(self) -> SecretStr | None:
        """Its password."""
        ...

    @property
    def client_id(self) -> str | None:
        """The OAuth client id."""
        ...

    @property
    def client_secret(self) -> SecretStr | None:
        """The OAuth client secret."""
        ...

    @property
    def api_key(self) -> SecretStr | None:
        """A REST API key."""
        ...

    @property
    def timeout(self) -> float:
        """Seconds to wait for each HTTP answer."""
        ...

    @property
    def verify_ssl(self) -> bool:
        """Whether to verify TLS certificates."""
        ...

    def resolved_auth(self) -> str | None:
        """The way to sign in the credentials allow, or None."""
        ...


class _Refused(Exception):  # noqa: N818 - internal signal, never escapes
    """The refresh token was refused; fall back to the grant."""


def build_session(config: Credentials, clock: Clock) -> requests.Session:
    """A session authenticating as `config` says (Basic, OAuth or API key).

    Raises:
        ConfigurationError: If the config has no usable credentials.
    """
    session = requests.Session()
    session.verify = config.verify_ssl
    auth = config.resolved_auth()
    if auth == "basic" and config.username and config.password:
        session.auth = HTTPBasicAuth(config.username, config.password.get_secret_value())
    elif auth == "api_key" and config.api_key:
        session.auth = ApiKeyAuth(config.api_key.get_secret_value())
    elif auth in ("oauth_password", "oauth_client_credentials") and config.client_id:
        assert config.client_secret is not None  # checked by the config
        password = config.password.get_secret_value() if config.password else None
        session.auth = OAuthToken(
            config.url,
            config.client_id,
            config.client_secret.get_secret_value(),
            username=config.username if auth == "oauth_password" else None,
            password=password if auth == "oauth_password" else None,
            clock=clock,
            timeout=config.timeout,
            verify=config.verify_ssl,
        )
    else:
        raise ConfigurationError(
            "ServiceNowConfig has no usable credentials: set username and password (basic), "
            "client_id and client_secret (OAuth), or api_key; or give ServiceNowTickets a "
            "client or a session"
        )
    return session
