"""Bearer-token authentication and per-route permissions."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from modelop_mlc import ConfigurationError, LifecycleManager, ManualClock
from modelop_mlc.rest import HmacJwtVerifier, Principal, StaticTokens, create_app
from modelop_mlc.rest._app import _ROUTES
from rest.support import TestClient, bearer

SECRET = "0123456789abcdef0123456789abcdef-shared"
ROUTES = [(method, path.replace("{", "").replace("}", "")) for method, path, _, _ in _ROUTES]
GUARDED = [
    (method, path.replace("{", "").replace("}", ""), sorted(permissions))
    for method, path, _, permissions in _ROUTES
    if permissions is not None
]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jwt(claims: dict[str, Any] | str, *, secret: str = SECRET, alg: str = "HS256") -> str:
    """Encode an HS256 JWT with the standard library (claims as a dict or raw JSON text)."""
    head = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    text = claims if isinstance(claims, str) else json.dumps(claims)
    body = _b64(text.encode())
    signature = hmac.new(secret.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{_b64(signature)}"


@pytest.mark.parametrize(("method", "path"), [*ROUTES, ("GET", "/nowhere")])
def test_every_route_needs_a_token(client: TestClient, method: str, path: str) -> None:
    """Every route (and unknown paths) answers 401 with WWW-Authenticate without a token."""
    for headers in ({}, bearer("wrong-token"), {"Authorization": "Basic YTpi"}):
        response = client.request(method, path, headers=headers)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.json()["type"] == "AuthenticationException"
        assert "bearer token" in response.json()["message"]


@pytest.mark.parametrize(("method", "path", "permissions"), GUARDED)
def test_routes_need_their_permission(
    client: TestClient, method: str, path: str, permissions: list[str]
) -> None:
    """A token without the route's permission gets 403 with Camunda's AuthorizationException."""
    token = "complete-token" if "complete" not in permissions else "read-token"
    response = client.request(method, path, headers=bearer(token), json={})
    assert response.status_code == 403
    body = response.json()
    assert body["type"] == "AuthorizationException"
    assert body["userId"].startswith("static-token-")
    for permission in permissions:
        assert f"'{permission}'" in body["message"]


def test_signal_responsive_has_its_own_permission(client: TestClient) -> None:
    """`/signalResponsive` needs `signal-responsive`, `/signal` needs `signal`."""
    body = {"name": "nobody"}
    assert (
        client.post("/signalResponsive", headers=bearer("signal-token"), json=body).status_code
        == 403
    )
    assert (
        client.post("/signalResponsive", headers=bearer("responsive-token"), json=body).status_code
        == 200
    )
    assert client.post("/signal", headers=bearer("responsive-token"), json=body).status_code == 403
    assert client.post("/signal", headers=bearer("signal-token"), json=body).status_code == 204


def test_deploy_token_passes_the_modeler_probes(client: TestClient) -> None:
    """A deploy-only token may run Camunda Modeler's connection check and version probe."""
    token = bearer("deploy-token")
    assert client.get("/deployment", params={"maxResults": 0}, headers=token).status_code == 200
    assert client.get("/version", headers=token).status_code == 200
    assert client.get("/task", headers=token).status_code == 403


def test_auth_none_must_be_explicit(manager: LifecycleManager) -> None:
    """`auth=None` is refused unless `allow_anonymous=True` says so."""
    with pytest.raises(ConfigurationError, match="allow_anonymous"):
        create_app(manager, auth=None)
    with pytest.raises(ConfigurationError, match="not both"):
        create_app(manager, auth=StaticTokens({"t": {"read"}}), allow_anonymous=True)
    with pytest.raises(ConfigurationError, match="max_upload_bytes"):
        create_app(manager, auth=StaticTokens({"t": {"read"}}), max_upload_bytes=0)
    app = create_app(manager, auth=None, allow_anonymous=True)
    with TestClient(app) as client:
        assert client.get("/task").status_code == 200


def test_static_tokens_check_permission_names() -> None:
    """Unknown permission names and empty tokens are configuration errors."""
    with pytest.raises(ConfigurationError, match="signal-responsive"):
        StaticTokens({"t": {"deploy", "sigal"}})
    with pytest.raises(ConfigurationError, match="empty"):
        StaticTokens({"": {"read"}})
    assert "t0k" not in repr(StaticTokens({"t0k": {"read"}}))


def test_custom_verifier_callable(manager: LifecycleManager) -> None:
    """Any callable returning a `Principal` can authenticate requests."""

    def verify(token: str) -> Principal | None:
        return Principal("alice", frozenset({"read"})) if token == "alice" else None

    with TestClient(create_app(manager, auth=verify)) as client:
        assert client.get("/task", headers=bearer("alice")).status_code == 200
        denied = client.post("/signal", headers=bearer("alice"), json={"name": "x"})
        assert denied.json()["userId"] == "alice"
        assert client.get("/task", headers=bearer("bob")).status_code == 401


def test_failing_verifier_is_a_generic_500(manager: LifecycleManager) -> None:
    """A verifier that raises answers 500 without its error text."""

    def verify(token: str) -> Principal | None:
        raise RuntimeError("introspection endpoint password=hunter2 down")

    with TestClient(create_app(manager, auth=verify)) as client:
        response = client.get("/version", headers=bearer("x"))
    assert response.status_code == 500
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text


class TestHmacJwtVerifier:
    """HS256 JWTs checked with the standard library."""

    def test_valid_token_grants_its_permissions(self, manager: LifecycleManager) -> None:
        """A signed, unexpired token is accepted with the permissions it lists."""
        clock = ManualClock()
        verifier = HmacJwtVerifier(SECRET, clock=clock.now)
        exp = int((clock.now() + timedelta(hours=1)).timestamp())
        token = jwt({"sub": "ci-bot", "exp": exp, "permissions": ["deploy", "read", "bogus"]})
        principal = verifier(token)
        assert principal is not None
        assert principal.name == "ci-bot"
        assert principal.permissions == frozenset({"deploy", "read"})
        with TestClient(create_app(manager, auth=verifier)) as client:
            assert client.get("/deployment", headers=bearer(token)).status_code == 200
            assert (
                client.post("/signal", headers=bearer(token), json={"name": "x"}).status_code == 403
            )

    def test_expiry_follows_the_injected_clock(self) -> None:
        """A token stops working once the clock passes `exp` (plus leeway)."""
        clock = ManualClock()
        exp = int((clock.now() + timedelta(minutes=5)).timestamp())
        token = jwt({"sub": "u", "exp": exp, "scope": "read signal"})
        verifier = HmacJwtVerifier(SECRET, clock=clock.now, permissions_claim="scope")
        assert verifier(token) is not None
        assert verifier(token).permissions == frozenset({"read", "signal"})  # type: ignore[union-attr]
        clock.advance(timedelta(minutes=5))
        assert verifier(token) is None
        lenient = HmacJwtVerifier(SECRET, clock=clock.now, leeway=timedelta(seconds=30))
        assert lenient(token) is not None

    def test_forged_and_malformed_tokens_are_refused(self) -> None:
        """Wrong secret, alg none, tampering, garbage and missing exp are all refused."""
        clock = ManualClock()
        verifier = HmacJwtVerifier(SECRET, clock=clock.now)
        exp = int((clock.now() + timedelta(hours=1)).timestamp())
        good = jwt({"sub": "u", "exp": exp, "permissions": ["read"]})
        head, body, signature = good.split(".")
        tampered = _b64(json.dumps({"sub": "u", "exp": exp, "permissions": ["deploy"]}).encode())
        refused = [
            jwt({"sub": "u", "exp": exp}, secret="another-secret-another-secret-0000"),
            jwt({"sub": "u", "exp": exp}, alg="none"),
            f"{head}.{tampered}.{signature}",
            f"{head}.{body}.",
            "not-a-jwt",
            "a.b.c",
            jwt({"sub": "u"}),
            jwt({"sub": "u", "exp": "tomorrow"}),
            jwt('{"sub": "u", "exp": NaN}'),
            jwt({"sub": "u", "exp": True}),
            "x" * 10_000,
        ]
        for token in refused:
            assert verifier(token) is None, token

    def test_not_before_issuer_and_audience(self) -> None:
        """`nbf`, `iss` and `aud` are checked when configured."""
        clock = ManualClock(datetime(2026, 1, 1, tzinfo=UTC))
        now = int(clock.now().timestamp())
        verifier = HmacJwtVerifier(SECRET, clock=clock.now, issuer="moc", audience="mlc")
        ok = {"exp": now + 60, "iss": "moc", "aud": ["mlc", "other"]}
        assert verifier(jwt(ok)) is not None
        assert verifier(jwt({**ok, "iss": "evil"})) is None
        assert verifier(jwt({**ok, "aud": "other"})) is None
        assert verifier(jwt({**ok, "nbf": now + 30})) is None
        clock.advance(timedelta(seconds=30))
        assert verifier(jwt({**ok, "nbf": now + 30})) is not None

    def test_short_secret_is_refused(self) -> None:
        """HS256 secrets shorter than 32 bytes are a configuration error."""
        with pytest.raises(ConfigurationError, match="32"):
            HmacJwtVerifier("short")
        assert SECRET not in repr(HmacJwtVerifier(SECRET))


def test_serve_refuses_to_start_without_auth(manager: LifecycleManager) -> None:
    """`serve` checks its configuration before starting uvicorn."""
    from modelop_mlc.rest import serve

    with pytest.raises(ConfigurationError, match="allow_anonymous"):
        serve(manager, auth=None, port=0)


def test_static_tokens_take_whole_principals_with_groups() -> None:
    """A token may map to a `Principal` with a user name and groups (for the Tasklist)."""
    ana = Principal("ana", frozenset({"read"}), groups=frozenset({"approvers"}))
    auth = StaticTokens({"ana-token": ana, "ci-token": {"deploy"}})
    assert auth("ana-token") == ana
    ci = auth("ci-token")
    assert ci is not None
    assert (ci.name, ci.groups) == ("static-token-2", frozenset())
    with pytest.raises(ConfigurationError, match="bogus"):
        StaticTokens({"t": Principal("x", frozenset({"bogus"}))})


def test_jwt_groups_come_from_the_groups_claim() -> None:
    """The `groups` claim, a list or a space-separated string, becomes the principal's groups."""
    exp = int(datetime(2030, 1, 1, tzinfo=UTC).timestamp())
    verifier = HmacJwtVerifier(SECRET, clock=lambda: datetime(2026, 1, 1, tzinfo=UTC))
    listed = verifier(jwt({"sub": "ana", "exp": exp, "groups": ["approvers", 7]}))
    spaced = verifier(jwt({"sub": "bo", "exp": exp, "groups": "risk ops"}))
    assert listed is not None and spaced is not None
    assert listed.groups == frozenset({"approvers"})
    assert spaced.groups == frozenset({"risk", "ops"})
    custom = HmacJwtVerifier(
        SECRET, clock=lambda: datetime(2026, 1, 1, tzinfo=UTC), groups_claim="roles"
    )
    found = custom(jwt({"sub": "cy", "exp": exp, "roles": ["a"]}))
    assert found is not None and found.groups == frozenset({"a"})
