"""External service calls: Camunda's `http-connector` and a generic `HttpRequest` delegate.

Inputs (connector input parameters, or the delegate's input parameters): `url`, `method`
(GET), `headers` (a map), `payload` (text or JSON), `timeout` (seconds, default 30).
Outputs: `response` (the body; parsed JSON when the response is JSON), `statusCode`,
`headers`. As in Camunda, any HTTP status is returned, not raised; only a failed connection or
a timeout fails the task, and it is retried as a job (`failedJobRetryTimeCycle`) before it
becomes an incident.

Secrets never go through process variables: a header value `secret:NAME` is replaced by the
secret `NAME` from the manager's configuration, and never appears in variables, history or
errors. It is sent only to the hosts `ManagerConfig.secret_hosts` lists for it (the URL may
come from whoever started the process), and every configured secret is cut out of the
response before it becomes variables.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from modelop_mlc.errors import ConfigurationError, IntegrationError
from modelop_mlc.handlers._base import fail, modelop
from modelop_mlc.registry import DelegateContext

__all__ = ["call_http", "host_allowed"]

_DEFAULT_TIMEOUT = 30.0
_MAX_BODY = 5 * 1024 * 1024


def _headers(ctx: DelegateContext, raw: Any, url: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise fail(ctx, "headers must be a map of header names to values")
    headers = {}
    for name, value in raw.items():
        text = "" if value is None else str(value)
        if text.startswith("secret:"):
            secret_name = text[len("secret:") :]
            _check_host(ctx, secret_name, url)
            text = ctx.secret(secret_name)
        headers[str(name)] = text
    return headers


def host_allowed(url: str, allowed: Iterable[str]) -> bool:
    """Whether `url`'s host is on the list (`host`, `host:port`, or `*.domain` for subdomains)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    for entry in (a.lower() for a in allowed):
        if entry.startswith("*.") and host.endswith(entry[1:]):
            return True
        if host and entry in {host, f"{host}:{parts.port}"}:
            return True
    return False


def _check_host(ctx: DelegateContext, secret_name: str, url: str) -> None:
    """Refuse to send secret `secret_name` anywhere its configuration does not allow."""
    allowed = list(getattr(ctx.config, "secret_hosts", {}).get(secret_name, []))
    if host_allowed(url, allowed):
        return
    host = urlsplit(url).hostname or url
    # Not a BpmnError: an uncaught one would end the path quietly; this needs an incident.
    raise ConfigurationError(
        f"{ctx.activity_name or ctx.activity_id}: the secret {secret_name} may not be sent to "
        f"'{host}' (it is allowed for: {', '.join(allowed) or 'no host'}); add the host to "
        f"ManagerConfig.secret_hosts['{secret_name}'] if it should receive it"
    )


def _redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            # The secret as written, and as a JSON string would escape it.
            for form in {secret, json.dumps(secret)[1:-1]}:
                text = text.replace(form, "***")
    return text


def _all_secrets(ctx: DelegateContext) -> list[str]:
    """Every configured secret's value, longest first (so no part of one is left over)."""
    values = []
    for value in ctx.secrets.values():
        getter = getattr(value, "get_secret_value", None)
        values.append(str(getter() if getter is not None else value))
    return sorted(values, key=len, reverse=True)


def call_http(ctx: DelegateContext) -> dict[str, Any]:
    """Make the request described by the inputs; see the module docstring."""
    url = ctx.inputs.get("url")
    if not url:
        raise fail(ctx, "the input 'url' is not set")
    method = str(ctx.inputs.get("method") or "GET").upper()
    headers = _headers(ctx, ctx.inputs.get("headers"), str(url))
    secrets = _all_secrets(ctx)
    payload = ctx.inputs.get("payload")
    body: str | bytes | None
    if isinstance(payload, Mapping | list):
        body = json.dumps(payload)
        headers.setdefault("Content-Type", "application/json")
    else:
        body = None if payload is None else str(payload)
    timeout = float(ctx.inputs.get("timeout") or _DEFAULT_TIMEOUT)
    try:
        response = requests.request(
            method, str(url), headers=headers, data=body, timeout=timeout, allow_redirects=False
        )
    except requests.RequestException as err:
        # Retried as a job; the message names the call but never a secret.
        raise IntegrationError(
            f"HTTP {method} {url} failed: {_redact(type(err).__name__ + ': ' + str(err), secrets)}",
            service="http",
            retryable=True,
        ) from None
    text = _redact(response.text[:_MAX_BODY], secrets)
    content_type = response.headers.get("Content-Type", "")
    parsed: Any = text
    if "json" in content_type:
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text
    return {
        "response": parsed,
        "statusCode": response.status_code,
        "headers": {k: _redact(v, secrets) for k, v in response.headers.items()},
    }


modelop(
    "http-connector",
    asynchronous=True,
    aliases=("HttpRequest", "httpConnector"),
    inputs=("url", "method", "headers", "payload", "timeout"),
    outputs=("response", "statusCode", "headers"),
    uses_center=False,
    required=("url",),
    defaults={
        "method": "GET",
        "timeout": "30",
    },
)(call_http)
