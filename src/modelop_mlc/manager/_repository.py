"""Deployments: validate, version and store BPMN and DMN files; build and cache specs."""

from __future__ import annotations

import os
import threading
import uuid
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from modelop_mlc._engine.definitions import CompiledProcess, ProcessSpecs, build_specs, digest
from modelop_mlc._engine.timers import parse_timer
from modelop_mlc._engine.validation import BpmnReport, validate_bpmn
from modelop_mlc._engine.xml import BPMN_NS, XmlSource, load_xml, read_source
from modelop_mlc.clock import Clock
from modelop_mlc.errors import (
    DecisionError,
    DefinitionNotFoundError,
    DiagramError,
    ProblemReport,
)
from modelop_mlc.manager._applicability import criteria_from_properties
from modelop_mlc.models import Deployment, ProcessDefinition
from modelop_mlc.registry import DelegateRegistry
from modelop_mlc.store import SqlStore
from modelop_mlc.store.rows import DefinitionRow, iso

if TYPE_CHECKING:
    from modelop_mlc.dmn import DmnModel

__all__ = ["Repository", "RepositoryDecisions", "Source"]

Source = str | bytes | os.PathLike[str] | tuple[str, bytes | str]
"""A path, XML text, XML bytes, or a `(name, content)` pair."""

_DMN_NAMESPACES = (
    "http://www.omg.org/spec/DMN/",
    "https://www.omg.org/spec/DMN/",
    "http://www.omg.org/spec/DMN",
)
_CACHE_SIZE = 256


@dataclass
class _Prepared:
    source: XmlSource
    kind: str  # bpmn | dmn
    processes: list[CompiledProcess]
    decisions: list[Any]  # DecisionInfo of the DMN model
    model: Any = None


def _as_source(item: Source) -> XmlSource:
    if isinstance(item, tuple) and len(item) == 2:  # noqa: PLR2004 - (name, content)
        name, content = item
        data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
        return read_source(data, name=str(name))
    return read_source(item)


def _kind(root: Any) -> str:
    tag = root.tag if isinstance(root.tag, str) else ""
    namespace = tag[1:].split("}")[0] if tag.startswith("{") else ""
    if namespace == BPMN_NS:
        return "bpmn"
    if namespace.startswith(_DMN_NAMESPACES) or "DMN" in namespace:
        return "dmn"
    return "unknown"


class Repository:
    """Deploys files, tracks versions and hands out cached specs and decision models."""

    def __init__(self, store: SqlStore, clock: Clock, registry: DelegateRegistry) -> None:
        """Create the repository over `store`."""
        self.store = store
        self.clock = clock
        self.registry = registry
        self._specs: OrderedDict[str, ProcessSpecs] = OrderedDict()
        self._models: OrderedDict[str, DmnModel] = OrderedDict()
        # Definition rows never change once stored, so any host may keep them by id.
        self._definitions: OrderedDict[str, DefinitionRow] = OrderedDict()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ validation

    def _delegate_lookup(self, candidates: tuple[str, ...]) -> bool | str:
        """True when a candidate is registered, else why it is refused, else False."""
        if self.registry.resolve(candidates) is not None:
            return True
        return self.registry.refusal(candidates) or False

    def validate(
        self, sources: Sequence[Source], *, check_delegates: bool = True
    ) -> list[_Prepared]:
        """Check every file; raise one `DiagramError` listing every problem of every file.

        Raises:
            DiagramError: If any file has a problem.
        """
        prepared: list[_Prepared] = []
        problems: list[ProblemReport] = []
        dmn_items: list[XmlSource] = []
        bpmn_items: list[XmlSource] = []
        for item in sources:
            try:
                source = _as_source(item)
                root = load_xml(source)
            except DiagramError as err:
                problems.extend(err.problems)
                continue
            kind = _kind(root)
            if kind == "dmn":
                dmn_items.append(source)
            elif kind == "bpmn":
                bpmn_items.append(source)
            else:
                problems.append(
                    ProblemReport(
                        f"not a BPMN or DMN file (root element {root.tag!r}); deploy .bpmn files "
                        "saved by Camunda Modeler and .dmn decision files",
                        file=source.name,
                    )
                )
        decisions = {row.key for row in self.store.decision_rows()}
        for source in dmn_items:
            try:
                model = _parse_dmn(source)
            except DiagramError as err:
                problems.extend(err.problems)
                continue
            infos = [model.decisions[k] for k in model.decision_ids()]
            decisions.update(info.id for info in infos)
            prepared.append(_Prepared(source, "dmn", [], infos, model))
        for source in bpmn_items:
            report: BpmnReport = validate_bpmn(
                source,
                decisions=decisions,
                delegate_lookup=self._delegate_lookup if check_delegates else (lambda _c: True),
                delegates=self.registry.names(),
            )
            if report.problems:
                problems.extend(report.problems)
                continue
            prepared.append(_Prepared(source, "bpmn", report.processes, []))
        if problems:
            raise DiagramError(problems, file=problems[0].file if len(sources) == 1 else None)
        return prepared

    # ------------------------------------------------------------------ deployment

    def deploy(
        self,
        sources: Sequence[Source],
        *,
        name: str | None,
        applies_to: Mapping[str, Any] | None,
        source_label: str | None,
        tenant_id: str | None,
        duplicate_filtering: bool,
        check_delegates: bool,
    ) -> Deployment:
        """Validate and store `sources` as one deployment."""
        if not sources:
            raise DiagramError([ProblemReport("nothing to deploy: pass at least one file")])
        prepared = self.validate(sources, check_delegates=check_delegates)
        now = self.clock.now()
        at = iso(now)
        deployment_id = str(uuid.uuid4())
        definitions: list[ProcessDefinition] = []
        decisions: list[tuple[str, int]] = []
        new = False
        with self.store.transaction() as tx:
            for item in prepared:
                text = item.source.data.decode("utf-8")
                file_digest = digest(item.source.data)
                resource_id = str(uuid.uuid4())
                stored_resource = False
                if item.kind == "dmn":
                    for info in item.decisions:
                        version, old_digest = tx.latest_version("decisions", info.id)
                        if duplicate_filtering and old_digest == file_digest:
                            decisions.append((info.id, version))
                            continue
                        if not stored_resource:
                            tx.insert_resource(
                                resource_id,
                                deployment_id,
                                item.source.name,
                                "dmn",
                                file_digest,
                                text,
                            )
                            stored_resource = True
                        tx.insert_decision(
                            f"{info.id}:{version + 1}:{resource_id[:8]}",
                            info.id,
                            version + 1,
                            info.name,
                            getattr(info, "version_tag", None),
                            resource_id,
                            deployment_id,
                            file_digest,
                            at,
                        )
                        decisions.append((info.id, version + 1))
                        new = True
                    continue
                for process in item.processes:
                    version, old_digest = tx.latest_version("definitions", process.id)
                    if duplicate_filtering and old_digest == file_digest:
                        existing = self.store.latest_definition(process.id)
                        if existing is not None:
                            definitions.append(self._record(existing))
                            continue
                    if not stored_resource:
                        tx.insert_resource(
                            resource_id, deployment_id, item.source.name, "bpmn", file_digest, text
                        )
                        stored_resource = True
                    row = self._definition_row(
                        process,
                        version + 1,
                        resource_id,
                        deployment_id,
                        file_digest,
                        applies_to,
                        at,
                    )
                    starts = [
                        (s.kind, s.event_name or "", s.id)
                        for s in process.start_events
                        if s.kind in {"signal", "message"}
                    ]
                    tx.insert_definition(row, starts)
                    self._schedule_start_timers(tx, row, process)
                    definitions.append(self._record(row))
                    new = True
            if new:
                tx.insert_deployment(deployment_id, name, source_label, tenant_id, at)
            elif definitions:
                # Everything was a duplicate: answer with the earlier deployment, as Camunda's
                # duplicate filtering does, and record nothing.
                deployment_id = definitions[0].deployment_id
        return Deployment(
            id=deployment_id,
            name=name,
            definitions=tuple(definitions),
            decisions=tuple(decisions),
            new=new,
            deployed_at=now,
        )

    def _definition_row(
        self,
        process: CompiledProcess,
        version: int,
        resource_id: str,
        deployment_id: str,
        file_digest: str,
        applies_to: Mapping[str, Any] | None,
        at: str,
    ) -> DefinitionRow:
        criteria = (
            dict(applies_to)
            if applies_to is not None
            else criteria_from_properties(process.properties)
        )
        info = {
            "start_events": [s.__dict__ for s in process.start_events],
            "called": sorted(process.called_elements),
            "decisions": sorted(process.decision_refs),
            "properties": dict(process.properties),
            "elements": {
                k: [v.type, v.name, v.line, v.source, v.target, v.camunda_type]
                for k, v in process.elements.items()
            },
            "resource": None,
            "history_ttl_days": process.history_ttl_days,
        }
        return DefinitionRow(
            id=f"{process.id}:{version}:{resource_id[:8]}",
            key=process.id,
            version=version,
            name=process.name,
            version_tag=process.version_tag,
            resource_id=resource_id,
            deployment_id=deployment_id,
            digest=file_digest,
            applies_to=criteria,
            info=info,
            deployed_at=at,
        )

    def _schedule_start_timers(self, tx: Any, row: DefinitionRow, process: CompiledProcess) -> None:
        tx.delete_start_timers(f"start:{row.key}:")
        for start in process.start_events:
            if start.kind != "timer" or not start.timer_kind or not start.timer_value:
                continue
            if "${" in start.timer_value or "#{" in start.timer_value:
                continue  # evaluated per instance only; process-level needs a literal
            schedule = parse_timer(start.timer_kind, start.timer_value)
            due = schedule.first_due(self.clock.now())
            tx.set_start_timer(
                f"start:{row.key}:{start.id}", row.id, start.id, iso(due) if due else None, 0
            )

    # ------------------------------------------------------------------ reading

    def _record(self, row: DefinitionRow) -> ProcessDefinition:
        name = self.store.resource(row.resource_id).name
        starts = tuple(
            (s["id"], s["kind"], s.get("event_name")) for s in row.info.get("start_events", [])
        )
        return ProcessDefinition(
            id=row.id,
            key=row.key,
            version=row.version,
            name=row.name,
            version_tag=row.version_tag,
            resource=name,
            deployment_id=row.deployment_id,
            applies_to=row.applies_to,
            start_events=starts,
            history_ttl_days=row.info.get("history_ttl_days"),
        )

    def record(self, row: DefinitionRow) -> ProcessDefinition:
        """Turn a definition row into the public record."""
        return self._record(row)

    def latest(self, key: str) -> DefinitionRow:
        """The latest version of `key` (one index look-up; the row itself is cached).

        Raises:
            DefinitionNotFoundError: Listing the deployed keys.
        """
        definition_id = self.store.latest_definition_id(key)
        row = self.definition(definition_id) if definition_id is not None else None
        if row is None:
            raise DefinitionNotFoundError(key, self.store.definition_keys())
        return row

    def definition(self, definition_id: str) -> DefinitionRow | None:
        """A definition version by id, from the cache or the store."""
        with self._lock:
            row = self._definitions.get(definition_id)
            if row is not None:
                self._definitions.move_to_end(definition_id)
                return row
        row = self.store.get_definition(definition_id)
        if row is not None:
            with self._lock:
                self._definitions[definition_id] = row
                while len(self._definitions) > _CACHE_SIZE:
                    self._definitions.popitem(last=False)
        return row

    def specs(self, definition_id: str) -> ProcessSpecs:
        """Return the (cached) specs of a definition.

        Raises:
            DefinitionNotFoundError: If the id is unknown.
        """
        with self._lock:
            found = self._specs.get(definition_id)
            if found is not None:
                self._specs.move_to_end(definition_id)
                return found
        row = self.store.get_definition(definition_id)
        if row is None:
            raise DefinitionNotFoundError(definition_id, self.store.definition_keys())
        resource = self.store.resource(row.resource_id)
        specs = build_specs(
            row.key, [XmlSource(resource.content.encode("utf-8"), f"{row.id}/{resource.name}")]
        )
        with self._lock:
            self._specs[definition_id] = specs
            while len(self._specs) > _CACHE_SIZE:
                self._specs.popitem(last=False)
        return specs

    def called_definition(
        self, caller: DefinitionRow, key: str, binding: str, version: str | None
    ) -> DefinitionRow | None:
        """The definition a call activity of `caller` starts, per Camunda's binding.

        `latest`: the latest version of `key`; `deployment`: the version deployed with the
        caller; `version`: that version number; `versionTag`: the latest version with that tag.
        """
        if binding == "latest":
            return self.store.latest_definition(key)
        if binding == "version":
            try:
                number = int(str(version).strip())
            except ValueError:
                return None
            return self.store.definition_version(key, number)
        rows = self.store.list_definitions(key=key)
        if binding == "deployment":
            rows = [r for r in rows if r.deployment_id == caller.deployment_id]
        elif binding == "versionTag":
            rows = [r for r in rows if r.version_tag == version]
        else:
            return None
        return rows[-1] if rows else None

    # ------------------------------------------------------------------ decisions

    def decision_model(self, decision_ref: str, *, binding: str, version: str | None) -> DmnModel:
        """Find the DMN model holding `decision_ref` per Camunda's binding rules.

        Raises:
            DecisionError: If no deployed decision matches.
        """
        rows = self.store.decision_rows(decision_ref)
        if not rows:
            known = sorted({r.key for r in self.store.decision_rows()})
            raise DecisionError(
                f"no deployed DMN decision has id '{decision_ref}'; deployed: "
                f"{', '.join(known) or 'none'}",
                decision_id=decision_ref,
            )
        chosen = rows[-1]
        if binding == "version" and version is not None:
            matches = [r for r in rows if str(r.version) == str(version)]
            if not matches:
                raise DecisionError(
                    f"decision '{decision_ref}' has no version {version}", decision_id=decision_ref
                )
            chosen = matches[-1]
        elif binding == "versionTag" and version is not None:
            matches = [r for r in rows if r.version_tag == version]
            if not matches:
                raise DecisionError(
                    f"decision '{decision_ref}' has no versionTag {version}",
                    decision_id=decision_ref,
                )
            chosen = matches[-1]
        resource_id = chosen.resource_id
        with self._lock:
            model = self._models.get(resource_id)
        if model is None:
            resource = self.store.resource(resource_id)
            model = _parse_dmn(XmlSource(resource.content.encode("utf-8"), resource.name))
            with self._lock:
                self._models[resource_id] = model
                while len(self._models) > _CACHE_SIZE:
                    self._models.popitem(last=False)
        return model


def _parse_dmn(source: XmlSource) -> DmnModel:
    from modelop_mlc._engine.decision_languages import DECISION_LANGUAGES  # noqa: PLC0415
    from modelop_mlc.dmn import parse_dmn  # noqa: PLC0415 - dmn is loaded only when used

    model = parse_dmn(source.data, file=source.name, languages=DECISION_LANGUAGES)
    model.raise_for_problems()  # deploy-time checks refuse what a decision could not run
    return model


class RepositoryDecisions:
    """What delegates see of the deployed DMN decisions."""

    def __init__(self, repository: Repository) -> None:
        """See the decisions `repository` deployed."""
        self._repository = repository

    def model(self, decision_id: str) -> DmnModel:
        """Return the DMN model holding the latest version of `decision_id`."""
        return self._repository.decision_model(decision_id, binding="latest", version=None)
