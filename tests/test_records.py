"""The records the manager returns print as one short line, whatever their variables hold."""

from __future__ import annotations

from datetime import UTC, datetime

from modelop_mlc import MessageResult, ProcessInstance

BIG = {"DEPLOYABLE_MODEL": {"assets": [{"fileContent": "x" * 100_000}]}, "score": 0.9}


def test_an_instance_repr_names_its_variables_without_their_values() -> None:
    """A 100 KB variable leaves the repr one line of names."""
    instance = ProcessInstance(
        id="e384d7db",
        key="review",
        version=2,
        status="running",
        business_key=None,
        variables=BIG,
        waiting_at=("approve",),
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        ended_at=None,
        definition_id="review:2:abc",
    )
    assert repr(instance) == (
        "ProcessInstance(id='e384d7db', key='review', version=2, status='running', "
        "business_key=None, waiting_at=('approve',), "
        "variables=<2 variables: DEPLOYABLE_MODEL, score>)"
    )


def test_long_variable_lists_are_cut() -> None:
    """Past eight names the repr says there are more."""
    result = MessageResult("i1", started=True, variables={f"v{i}": i for i in range(10)})
    assert repr(result) == (
        "MessageResult(instance_id='i1', started=True, "
        "variables=<10 variables: v0, v1, v2, v3, v4, v5, v6, v7, ...>)"
    )
