"""Restored workflows kept between steps, by instance and revision.

Rebuilding an instance's task tree from its stored state costs more than most steps' engine
work, and the next step of an instance usually runs on the same host soon after (a task
completed after the start, a job after the step that queued it). So after a step commits,
its workflow stays here, keyed by the instance id and the revision that commit wrote.

Safe with several hosts and threads because:

- every write to an instance bumps its revision, and a step reads the instance row before
  anything else; an entry whose revision is not the row's is never used (another host or
  thread wrote since), and it goes;
- `take()` removes the entry: one step owns a workflow at a time, and a step that fails at
  any point leaves nothing behind (no half-run workflow is ever handed out again);
- only a step that committed puts its workflow back, with the JSON it committed; before the
  workflow runs again, all of its data is replaced with fresh copies decoded from that JSON
  (`EngineInstance.settle`, done by the step that takes it, since most entries are never
  taken), so it is what loading that revision would give and shares no object with
  anything handed out;
- the specs the workflow runs on are part of the key, and the size is bounded (least recently
  used first out).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from modelop_mlc._engine.instance import EngineInstance

__all__ = ["KeptWorkflow", "WorkflowCache"]

log = logging.getLogger("modelop_mlc.runtime")


@dataclass(frozen=True)
class KeptWorkflow:
    """A committed step's engine instance and the JSON it saved, settled only when used.

    Most kept workflows are never used again (the instance's next step comes after they
    were evicted, or on another host), so the work of settling is left to the step that
    takes one.
    """

    engine: EngineInstance
    state_json: str
    variables_json: str

    def settled(self, instance_id: str) -> Any | None:
        """The workflow as loading the saved JSON would give it (None if that failed)."""
        try:
            self.engine.settle(json.loads(self.state_json), json.loads(self.variables_json))
        except Exception:  # a bug, but the step is saved: the next step restores instead
            log.exception("could not reuse the kept workflow of %s", instance_id)
            return None
        return self.engine.workflow


@dataclass(frozen=True)
class _Entry:
    revision: int
    specs: Any
    workflow: Any


class WorkflowCache:
    """At most `size` workflows of recently stepped instances (0 turns the cache off)."""

    def __init__(self, size: int) -> None:
        """Create an empty cache."""
        self.size = size
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def take(self, instance_id: str, revision: int, specs: Any) -> Any | None:
        """Remove and return the workflow of `instance_id` if it is at `revision` on `specs`."""
        with self._lock:
            entry = self._entries.pop(instance_id, None)
            if entry is None or entry.revision != revision or entry.specs is not specs:
                self.misses += 1
                return None
            self.hits += 1
            return entry.workflow

    def put(self, instance_id: str, revision: int, specs: Any, workflow: Any) -> None:
        """Keep a committed step's workflow as the instance's state at `revision`."""
        if self.size <= 0:
            return
        with self._lock:
            self._entries[instance_id] = _Entry(revision, specs, workflow)
            self._entries.move_to_end(instance_id)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def discard(self, instance_id: str) -> None:
        """Forget an instance (it ended, or was written without the engine)."""
        with self._lock:
            self._entries.pop(instance_id, None)

    def __len__(self) -> int:
        """How many workflows are kept."""
        return len(self._entries)
