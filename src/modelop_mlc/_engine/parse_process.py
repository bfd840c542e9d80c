"""The process parser: indexes BPMN elements, sequence flows, links and compensation handlers.

How it indexes and parses a process overrides SpiffWorkflow's private methods, so that part
lives in `_spiff_private.ProcessParserOverrides`.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.ProcessParser import ProcessParser

from modelop_mlc._engine._spiff_private import ProcessParserOverrides

__all__ = ["MlcProcessParser"]


class MlcProcessParser(ProcessParserOverrides, ProcessParser):
    """A process: indexes only BPMN elements and records sequence flows for history."""

    def incoming_flows(self, bpmn_id: str | None) -> dict[str, str]:
        """Map source element id → sequence flow id for flows into `bpmn_id`."""
        return dict(self._incoming.get(bpmn_id or "", {}))

    def parse_data_object(self, obj: Any) -> Any:
        return None
