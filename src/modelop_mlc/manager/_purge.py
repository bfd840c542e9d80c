"""Purging ended instances by age, as Camunda's history cleanup does.

An ended instance becomes removable once its definition's `camunda:historyTimeToLive` has
passed since it ended; an explicit `before` date also removes ended instances of definitions
without one, but never before their time to live is up. Each removal keeps the instance's
KPI facts (`kpi_facts`), optionally writes the instance, its history and incidents to a JSON
Lines archive first, and deletes them in one transaction per batch.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO

from modelop_mlc.clock import Clock
from modelop_mlc.errors import ConfigurationError
from modelop_mlc.manager._convert import history_event
from modelop_mlc.manager._kpi_facts import instance_facts
from modelop_mlc.models import PurgeResult
from modelop_mlc.store import SqlStore
from modelop_mlc.store.rows import DefinitionRow, InstanceRow, KpiFactsRow, iso

__all__ = ["purge"]


def _cutoff(definition: DefinitionRow, now: datetime, before: datetime | None) -> datetime | None:
    """Instances of `definition` that ended before this may go (None: none may)."""
    ttl = definition.info.get("history_ttl_days")
    if ttl is None:
        return before
    expired = now - timedelta(days=int(ttl))
    return expired if before is None else min(expired, before)


def purge(
    store: SqlStore,
    clock: Clock,
    *,
    before: datetime | None,
    key: str | None,
    archive: str | Path | None,
    batch: int,
    dry_run: bool,
) -> PurgeResult:
    """Remove ended instances as `LifecycleManager.purge` describes.

    Raises:
        ConfigurationError: If `before` has no time zone or `batch` is not positive.
    """
    if before is not None and before.tzinfo is None:
        raise ConfigurationError(
            f"purge(before={before.isoformat()}) needs a time zone, e.g. "
            "datetime(2025, 1, 1, tzinfo=UTC)"
        )
    if batch < 1:
        raise ConfigurationError(f"purge(batch={batch}): the batch must be 1 or more")
    now = clock.now()
    counts: dict[str, int] = {}
    out = None if archive is None or dry_run else Path(archive).open("a", encoding="utf-8")  # noqa: SIM115 - closed below
    try:
        for definition in store.list_definitions(key=key):
            cutoff = _cutoff(definition, now, before)
            if cutoff is None:
                continue
            after: tuple[str, str] | None = None
            while True:
                ended, after = store.ended_before(
                    definition.id, iso(cutoff), after=after, limit=batch
                )
                if ended:
                    counts[definition.id] = counts.get(definition.id, 0) + len(ended)
                    if not dry_run:
                        _remove(store, ended, out)
                if after is None:
                    break
    finally:
        if out is not None:
            out.close()
    return PurgeResult(
        instances=sum(counts.values()),
        by_definition=counts,
        archive=None if archive is None or dry_run else str(archive),
    )


def _remove(store: SqlStore, instances: Sequence[InstanceRow], out: IO[str] | None) -> None:
    """Keep the KPI facts of `instances` (and archive them), then delete them."""
    facts = []
    for row in instances:
        history = store.history(row.id)
        incidents = store.incidents(instance_id=row.id, open_only=False)
        events = [history_event(h) for h in history]
        facts.append(
            KpiFactsRow(
                instance_id=row.id,
                key=row.key,
                business_key=row.business_key,
                status=row.status,
                started_at=row.started_at,
                ended_at=row.ended_at,
                facts=instance_facts(events, incidents=len(incidents)).as_json(),
            )
        )
        if out is not None:
            record = {
                "instance": {k: v for k, v in asdict(row).items() if k != "state"},
                "history": [asdict(h) for h in history],
                "incidents": [asdict(i) for i in incidents],
            }
            out.write(json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n")
    if out is not None:
        out.flush()
    with store.transaction() as tx:
        tx.insert_kpi_facts(facts)
        tx.purge_instances([row.id for row in instances])
