"""Registry events that start MLC processes: MLflow webhooks and polling, deduplicated.

A new model version, a tag a person sets on a version, or an alias moved to a version is an
event; each starts the matching processes once, with `Signals_deployable_model_changed` and
the version as `DEPLOYABLE_MODEL`. Events arrive two ways and may arrive both ways:

- **webhooks** (MLflow 3.3+): the server POSTs `model_version.created`,
  `model_version_tag.set` and `model_version_alias.created`; `handle_webhook` checks the
  HMAC-SHA256 signature (`X-MLflow-Signature: v1,<base64>` over `<delivery id>.<timestamp>.
  <body>`) and the timestamp, then turns the payload into events.
- **polling**: `poll` reads every version and compares it with what was seen before.

Either way an event is identified by what happened (`created:credit/3`,
`tag:credit/3:run_test=true`, `alias:credit:challenger=3`), not by how it arrived, and is
recorded in the manager's database with an insert that only one caller wins. So an event seen
by a webhook and then by a poll, delivered twice, or seen by two hosts starts its processes
once, and a restarted host does not start them again. Our own `mlc.*` tags and the aliases
our deployments move are not events.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from modelop_mlc.center._mlflow_client import MlflowApi, flat_tags
from modelop_mlc.center._mlflow_jobs import JobStore
from modelop_mlc.center._mlflow_records import OURS, snapshot_id
from modelop_mlc.center._port import ModelOpNotFoundError
from modelop_mlc.clock import Clock
from modelop_mlc.errors import ConfigurationError, IntegrationError, MlcError

__all__ = ["WEBHOOK_EVENTS", "EventFeed", "WebhookRejectedError"]

log = logging.getLogger("modelop_mlc.center")
WEBHOOK_EVENTS = (
    "model_version.created",
    "model_version_tag.set",
    "model_version_alias.created",
)
_KIND = "mlflowEvent"


class WebhookRejectedError(MlcError):
    """An MLflow webhook delivery was refused: unsigned, badly signed, stale or malformed.

    Attributes:
        reason: Why, for the HTTP response (never the secret).
        status: The HTTP status to answer: 401 (unsigned or badly signed), 409 (stale) or
            400 (not a JSON object).
        code: The outcome it is counted under: `unsigned`, `bad_signature`, `stale` or
            `malformed` (as `WebhookGuard.counts()` names them).
    """

    def __init__(self, reason: str, *, status: int = 401, code: str = "bad_signature") -> None:
        """Create the error."""
        self.reason = reason
        self.status = status
        self.code = code
        super().__init__(f"MLflow webhook refused: {reason}")


class EventFeed:
    """Turn registry changes into process starts, once each.

    Args:
        api: The MLflow client.
        store: Where seen events are recorded (the manager's database).
        clock: The manager's clock (webhook timestamps are checked against it).
        fire: Starts the processes for one event: `fire(name, version, event, found)`, with
            the version as MLflow returned it when the feed has it (else None).
        own_alias: Whether an alias on a version is one our deployment put there.
        secret: The webhook secret; None refuses every webhook.
        tolerance: How old a webhook's timestamp may be.
    """

    def __init__(
        self,
        api: MlflowApi,
        store: JobStore,
        clock: Clock,
        *,
        fire: Callable[[str, str, dict[str, Any], Any], None],
        own_alias: Callable[[Mapping[str, str], str], bool],
        secret: str | None,
        tolerance: timedelta = timedelta(minutes=5),
    ) -> None:
        """Create the feed (nothing is read until the first poll or webhook)."""
        self.api = api
        self.store = store
        self.clock = clock
        self.fire = fire
        self.own_alias = own_alias
        self.secret = secret
        self.tolerance = tolerance
        self._seen: set[str] | None = None

    # ------------------------------------------------------------------ bookkeeping

    def seen(self) -> set[str]:
        """The events already recorded (read from the database once)."""
        if self._seen is None:
            self._seen = {d["key"] for d in self.store.list_documents(_KIND)}
        return self._seen

    def record(self, keys: Iterable[str], *, event: str | None = None) -> bool:
        """Record `keys` as seen; tell whether `event` (one of them) was recorded by us."""
        seen = self.seen()
        now = self.clock.now().isoformat(timespec="microseconds")
        won = False
        with self.store.transaction() as tx:
            for key in keys:
                if key in seen:
                    continue
                inserted = tx.insert_document(_KIND, _doc_id(key), {"key": key, "at": now}, now)
                won = won or (inserted and key == event)
        seen.update(keys)
        return won

    def event(
        self,
        key: str,
        name: str,
        version: str,
        detail: dict[str, Any],
        *also: str,
        found: Any = None,
    ) -> int:
        """Record one event (and `also`, seen with it); start its processes if it is new."""
        if key in self.seen():
            self.record(also)
            return 0
        if not self.record([key, *also], event=key):
            return 0  # another host (or an earlier delivery) recorded it first
        log.info("MLflow event %s", key)
        self.fire(name, version, {"key": key, **detail}, found)
        return 1

    # ------------------------------------------------------------------ polling

    def poll(self) -> int:
        """Read the registry and start processes for what changed; return how many events."""
        fired = 0
        aliases_of = self._aliases()
        for found in self.api.versions():
            name, version = str(found.name), str(found.version)
            tags = flat_tags(found.tags)
            aliases = aliases_of.get((name, version), [])
            created = f"created:{snapshot_id(name, version)}"
            state = [*_tag_keys(name, version, tags), *_alias_keys(name, version, aliases)]
            if created not in self.seen():
                # A new version: its tags and aliases came with it, one event in all.
                fired += self.event(
                    created, name, version, {"kind": "created"}, *state, found=found
                )
                continue
            for key in _tag_keys(name, version, tags):
                if key not in self.seen():
                    tag = key.partition(":")[2].partition(":")[2]
                    detail = {"kind": "tag", "tag": tag}
                    fired += self.event(key, name, version, detail, found=found)
            for alias in aliases:
                key = _alias_key(name, alias, version)
                if key in self.seen():
                    continue
                if self.own_alias(tags, alias):
                    self.record([key])
                    continue
                detail = {"kind": "alias", "alias": alias}
                fired += self.event(key, name, version, detail, found=found)
        return fired

    def _aliases(self) -> dict[tuple[str, str], list[str]]:
        """(name, version) to its aliases: version searches leave aliases out."""
        found: dict[tuple[str, str], list[str]] = {}
        for registered in self.api.registered_models():
            for alias, version in dict(registered.aliases or {}).items():
                found.setdefault((str(registered.name), str(version)), []).append(str(alias))
        return found

    def baseline(self) -> int:
        """Record the registry as it is now as seen, starting nothing; return how many."""
        keys: list[str] = []
        aliases_of = self._aliases()
        for found in self.api.versions():
            name, version = str(found.name), str(found.version)
            keys.append(f"created:{snapshot_id(name, version)}")
            keys += _tag_keys(name, version, flat_tags(found.tags))
            keys += _alias_keys(name, version, aliases_of.get((name, version), []))
        fresh = [k for k in keys if k not in self.seen()]
        self.record(fresh)
        return len(fresh)

    # ------------------------------------------------------------------ webhooks

    def supports_webhooks(self) -> bool:
        """Whether the server has registry webhooks (MLflow 3.3 and later)."""
        listing = getattr(self.api.client, "list_webhooks", None)
        if listing is None:
            return False
        try:
            self.api.call("list webhooks", listing, max_results=1)
        except (IntegrationError, ModelOpNotFoundError) as err:
            log.info("MLflow at %s has no webhooks (%s): polling only", self.api.tracking_uri, err)
            return False
        return True

    def register(self, url: str, *, name: str) -> str:
        """Create (or update) the webhook `name` that calls `url`; return its id.

        Raises:
            ConfigurationError: Without a secret.
            IntegrationError: If the server refuses.
        """
        if not self.secret:
            raise ConfigurationError("register_webhook needs MlflowCenter(webhook_secret=...)")
        client = self.api.client
        options = {"url": url, "events": list(WEBHOOK_EVENTS), "secret": self.secret}
        for existing in self.api.call("list webhooks", client.list_webhooks):
            if existing.name == name:
                self.api.call(
                    "update webhook", client.update_webhook, existing.webhook_id, **options
                )
                return str(existing.webhook_id)
        created = self.api.call("create webhook", client.create_webhook, name=name, **options)
        return str(created.webhook_id)

    def verify(self, body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
        """Check a delivery's signature and age; return its JSON.

        Raises:
            WebhookRejectedError: If it is unsigned, badly signed, stale or not JSON.
        """
        if not self.secret:
            raise WebhookRejectedError(
                "no webhook secret is configured on MlflowCenter", code="unsigned"
            )
        lower = {k.lower(): v for k, v in headers.items()}
        signature = lower.get("x-mlflow-signature", "")
        delivery = lower.get("x-mlflow-delivery-id", "")
        stamp = lower.get("x-mlflow-timestamp", "")
        if not signature.startswith("v1,") or not delivery or not stamp.isdigit():
            raise WebhookRejectedError(
                "missing or malformed X-MLflow-* signature headers", code="unsigned"
            )
        signed = f"{delivery}.{stamp}.".encode() + body
        digest = hmac.new(self.secret.encode(), signed, hashlib.sha256).digest()
        expected = "v1," + base64.b64encode(digest).decode()
        if not hmac.compare_digest(expected, signature):
            raise WebhookRejectedError("the signature does not match the configured secret")
        sent = datetime.fromtimestamp(int(stamp), tz=UTC)
        if abs(self.clock.now() - sent) > self.tolerance:
            raise WebhookRejectedError(
                f"the delivery is timestamped {sent.isoformat()}, outside the accepted "
                f"{self.tolerance} window (a replay, or a clock out of step)",
                status=409,
                code="stale",
            )
        try:
            payload = json.loads(body)
        except ValueError as err:
            raise WebhookRejectedError(
                f"the body is not JSON ({err})", status=400, code="malformed"
            ) from err
        if not isinstance(payload, dict):
            raise WebhookRejectedError(
                "the body is not a JSON object", status=400, code="malformed"
            )
        return payload

    def handle(self, payload: Mapping[str, Any]) -> int:
        """Turn a verified delivery into events; return how many started processes."""
        entity, action = payload.get("entity"), payload.get("action")
        data = payload.get("data")
        if not isinstance(data, Mapping) or not data.get("name"):
            return 0
        name = str(data["name"])
        version = str(data.get("version") or "")
        if (entity, action) == ("model_version", "created") and version:
            tags = {str(k): str(v) for k, v in (data.get("tags") or {}).items()}
            created = f"created:{snapshot_id(name, version)}"
            state = _tag_keys(name, version, tags)
            return self.event(created, name, version, {"kind": "created"}, *state)
        if (entity, action) == ("model_version_tag", "set") and version:
            key = str(data.get("key") or "")
            if not key or key.startswith(OURS):
                return 0
            tag = f"{key}={data.get('value', '')}"
            event = f"tag:{snapshot_id(name, version)}:{tag}"
            return self.event(event, name, version, {"kind": "tag", "tag": tag})
        if (entity, action) == ("model_version_alias", "created") and version:
            alias = str(data.get("alias") or "")
            current = self.api.call(
                f"read model version {name}/{version}",
                self.api.client.get_model_version,
                name,
                version,
            )
            if not alias or self.own_alias(flat_tags(current.tags), alias):
                return 0
            event = _alias_key(name, alias, version)
            return self.event(event, name, version, {"kind": "alias", "alias": alias})
        return 0


def _tag_keys(name: str, version: str, tags: Mapping[str, str]) -> list[str]:
    return [
        f"tag:{snapshot_id(name, version)}:{k}={v}"
        for k, v in tags.items()
        if not k.startswith(OURS)
    ]


def _alias_key(name: str, alias: str, version: str) -> str:
    return f"alias:{name}:{alias}={version}"


def _alias_keys(name: str, version: str, aliases: Iterable[str]) -> list[str]:
    return [_alias_key(name, a, version) for a in aliases]


def _doc_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()
