"""Group commit: steps of different instances saved in one transaction.

A worker runs a claimed batch of due timers and jobs; each is a step of its own instance,
computed and checked as usual, but committed together with the others of the batch, so a
batch costs one commit (one fsync at `durability="full"`) instead of one per step. What a
step promises stays as it was:

- each step's writes (its instance with the revision check, waits, history, incidents, and
  whatever else its transaction body writes) are one unit: the group's transaction commits
  all of them or none;
- what a step threw is delivered only after the transaction holding the step commits;
- if the group's transaction fails (a step lost its revision race, a lock timed out), it is
  rolled back and every step is saved again on its own, as computed; a step that lost a race
  is run again from the instance's new state (`redo`), exactly as a lone step is. Nothing
  of a rolled-back group was saved, and every save compares the revision, so no step is
  applied twice;
- two steps of one instance never share a group: the second is computed after the first
  committed (`holds()` tells the caller to flush first).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from modelop_mlc.errors import InstanceConflictError
from modelop_mlc.store import SqlStore, Tx

__all__ = ["CommitGroup"]

log = logging.getLogger("modelop_mlc.runtime")

Done = Callable[[BaseException | None], None]


@dataclass
class _Member:
    key: str
    body: Callable[[Tx], Any]
    after: Callable[[Any], object]
    redo: Callable[[], object]
    done: Done | None


class CommitGroup:
    """Collects computed steps and commits them together, at most `limit` at a time."""

    def __init__(self, store: SqlStore, limit: int) -> None:
        """Commit through `store`, `limit` members per transaction at most."""
        self._store = store
        self.limit = max(limit, 1)
        self._members: list[_Member] = []
        self._keys: set[str] = set()

    def __len__(self) -> int:
        """How many members wait for the next flush."""
        return len(self._members)

    def holds(self, key: str) -> bool:
        """Whether a member with this key (an instance id) waits for the next flush."""
        return key in self._keys

    def add(
        self,
        key: str,
        body: Callable[[Tx], Any],
        *,
        after: Callable[[Any], object],
        redo: Callable[[], object],
        done: Done | None = None,
    ) -> None:
        """Add a computed step (or another write) to the next commit.

        Args:
            key: What the member writes (an instance id): transactions write in key order,
                so two hosts' groups lock rows in the same order.
            body: Its writes; raises `InstanceConflictError` if it lost a race.
            after: What follows its commit (keeping its workflow, delivering its throws),
                given what `body` returned.
            redo: Runs it again on its own, from the current state, when `body` lost a race.
            done: Told the outcome: None once saved, or the error it failed with.
        """
        self._members.append(_Member(key, body, after, redo, done))
        self._keys.add(key)
        if len(self._members) >= self.limit:
            self.flush()

    def flush(self) -> None:
        """Commit every member: in one transaction, or one by one if that fails."""
        members, self._members = self._members, []
        self._keys = set()
        if not members:
            return
        if len(members) == 1:
            self._one_by_one(members)
            return
        ordered = sorted(members, key=lambda m: m.key)

        def body(tx: Tx) -> dict[int, Any]:
            return {id(member): member.body(tx) for member in ordered}

        try:
            results = self._store.run_transaction(body)
        except Exception as err:  # noqa: BLE001 - any failure: save the steps one by one
            log.info(
                "group commit of %s steps failed (%s: %s); saving them one by one",
                len(members),
                type(err).__name__,
                err,
            )
            self._one_by_one(members)
            return
        for member in members:
            _finish(member, partial(member.after, results[id(member)]))

    def _one_by_one(self, members: list[_Member]) -> None:
        for member in members:

            def save(member: _Member = member) -> None:
                try:
                    result = self._store.run_transaction(member.body)
                except InstanceConflictError:
                    member.redo()
                else:
                    member.after(result)

            _finish(member, save)


def _finish(member: _Member, action: Callable[[], object]) -> None:
    """Run `action` for a member and tell it the outcome; its failure is the member's."""
    try:
        action()
    except Exception as err:
        if member.done is None:
            raise
        member.done(err)
        return
    if member.done is not None:
        member.done(None)
