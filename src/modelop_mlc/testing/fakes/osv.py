"""`FakeOsv`: an OSV vulnerability query API (`POST /v1/query`) over a few OSV records.

It answers what `pip-audit --vulnerability-service osv --osv-url URL/v1/query` sends,
`{"package": {"name", "ecosystem"}, "version"}`, with OSV's `{"vulns": [...]}` (or `{}` when
nothing affects the version), as osv.dev and self-hosted mirrors of its data do. A record
affects a version listed in its `affected[].versions`, or inside an `ECOSYSTEM` range of
`introduced` / `fixed` events (numeric release segments compared; enough for tests).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from typing import Any

from modelop_mlc.testing.fakes._http import Clock, _Call, _FakeService, _HttpError, _Reply, _Route

__all__ = ["FakeOsv"]


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version.split("+", maxsplit=1)[0])[:4])


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _in_range(version: str, events: Sequence[Mapping[str, Any]]) -> bool:
    affected = False
    for event in events:
        if "introduced" in event:
            start = str(event["introduced"])
            affected = affected or start == "0" or _release(version) >= _release(start)
        if "fixed" in event and _release(version) >= _release(str(event["fixed"])):
            affected = False
    return affected


def _affects(record: Mapping[str, Any], name: str, ecosystem: str, version: str) -> bool:
    for affected in record.get("affected") or []:
        package = affected.get("package") or {}
        if _canonical(str(package.get("name", ""))) != _canonical(name):
            continue
        if str(package.get("ecosystem")) != ecosystem:
            continue
        if version in [str(v) for v in affected.get("versions") or []]:
            return True
        for ranges in affected.get("ranges") or []:
            if ranges.get("type") == "ECOSYSTEM" and _in_range(version, ranges.get("events", [])):
                return True
    return False


class FakeOsv(_FakeService):
    """An OSV query API serving the records given to `add()`.

    Args:
        records: OSV records to serve from the start.
        clock: Timestamps for the request log.

    Attributes:
        query_url: The URL to give pip-audit's `--osv-url` (`{url}/v1/query`).
    """

    def __init__(
        self, records: Sequence[Mapping[str, Any]] = (), *, clock: Clock | None = None
    ) -> None:
        """Create the fake with `records`; `start()` serves it."""
        super().__init__(clock=clock)
        self.records: list[dict[str, Any]] = [copy.deepcopy(dict(r)) for r in records]
        self._routes = [_Route("POST", re.compile(r"/v1/query"), self._query)]

    @property
    def query_url(self) -> str:
        """The query endpoint, `http://127.0.0.1:PORT/v1/query`."""
        return f"{self.url}/v1/query"

    def add(self, record: Mapping[str, Any]) -> None:
        """Serve one more OSV record."""
        with self._lock:
            self.records.append(copy.deepcopy(dict(record)))

    def _query(self, call: _Call) -> _Reply:
        body = self._json_body(call)
        package = body.get("package") if isinstance(body, dict) else None
        version = body.get("version") if isinstance(body, dict) else None
        if not isinstance(package, dict) or not package.get("name") or not version:
            raise _HttpError(
                self._error_reply(400, "a query needs package.name, package.ecosystem, version")
            )
        ecosystem = str(package.get("ecosystem") or "PyPI")
        found = [
            copy.deepcopy(r)
            for r in self.records
            if _affects(r, str(package["name"]), ecosystem, str(version))
        ]
        return _Reply.json(200, {"vulns": found} if found else {})

    def _error_reply(self, status: int, message: str, detail: str | None = None) -> _Reply:
        text = f"{message}: {detail}" if detail else message
        return _Reply.json(status, {"code": status, "message": text})

    def _unknown_path(self, call: _Call) -> _Reply:
        return self._error_reply(404, f"No endpoint {call.method} {call.path}")
