"""External service calls: Camunda's `http-connector` and a generic `HttpRequest` delegate.

Inputs (connector input parameters, or the delegate's input parameters): `url`, `method`
(GET), `headers` (a map), `payload` (text or JSON), `timeout` (seconds, default 30).
Outputs: `response` (the body; parsed JSON when the response is JSON), `statusCode`,
`headers`. As in Camunda, any HTTP status is returned, not raised; only a failed connection or
a timeout fails the task, and it is retried as a job (`failedJobRetryTimeCycle`) before it
becomes an incident.

Secrets never go through process variables: a header value `secret:NAME` is replaced by the
secret `NAME` from the manager's configuration, and never appears in variables, history or
errors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import requests

from modelop_mlc.errors import IntegrationError
from modelop_mlc.handlers._base import fail, modelop
from modelop_mlc.registry import DelegateContext

__all__ = ["call_http"]

_DEFAULT_TIMEOUT = 30.0
_MAX_BODY = 5 * 1024 * 1024


def _headers(ctx: DelegateContext, raw: Any) -> tuple[dict[str, str], list[str]]:
    if raw is None:
        return {}, []
    if not isinstance(raw, Mapping):
        raise fail(ctx, "headers must be a map of header names to values")
    headers, secrets = {}, []
    for name, value in raw.items():
        text = "" if value is None else str(value)
        if text.startswith("secret:"):
            resolved = ctx.secret(text[len("secret:") :])
            secrets.append(resolved)
            text = resolved
        headers[str(name)] = text
    return headers, secrets


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def call_http(ctx: DelegateContext) -> dict[str, Any]:
    """Make the request described by the inputs; see the module docstring."""
    url = ctx.inputs.get("url")
    if not url:
        raise fail(ctx, "the input 'url' is not set")
    method = str(ctx.inputs.get("method") or "GET").upper()
    headers, secrets = _headers(ctx, ctx.inputs.get("headers"))
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
    text = response.text[:_MAX_BODY]
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
