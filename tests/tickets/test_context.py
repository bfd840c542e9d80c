"""TicketContext from variables, snapshot diffs and rendered ticket bodies."""

from __future__ import annotations

import pytest

from modelop_mlc.tickets import (
    ModelChange,
    Ticket,
    TicketContext,
    TicketKind,
    context_from_variables,
    diff_models,
    render_description,
    render_summary,
    render_test_results,
    wake_key,
)
from tickets.support import PREVIOUS, SNAPSHOT, VARIABLES


def _context(**extra: object) -> TicketContext:
    return context_from_variables(
        TicketKind.TEST_REVIEW,
        {**VARIABLES, **extra},
        instance_id="inst-1",
        activity_id="create",
        activity_name="Open ticket",
        instance_link="https://mlc.example.com/instances/{instance_id}",
    )


def test_context_reads_model_test_results_reasons_and_links() -> None:
    """ModelOp's variables give the model, metrics, DMN reasons and a link back."""
    context = _context()
    assert (context.model_name, context.model_type, context.model_version) == (
        "credit-risk",
        "PYTHON3",
        2,
    )
    assert context.model_tags == ["run_test", "jira"]
    assert (context.snapshot_id, context.stored_model_id, context.model_group) == (
        "snap-2",
        "sm-1",
        "risk",
    )
    assert context.test_results == {"auc": 0.61, "f1_score": 0.7042, "rows": 1200}
    assert context.test_passed is False
    assert context.failing_reasons == ["AUC 0.61 is below 0.7", "F1 0.70 is below 0.75"]
    assert context.links == {"Process instance": "https://mlc.example.com/instances/inst-1"}


def test_context_tolerates_missing_and_odd_variables() -> None:
    """A failure ticket is still described when variables are missing or oddly shaped."""
    context = context_from_variables(
        "error", {"DEPLOYABLE_MODEL": "not-a-dict", "JOB": 7, "ERROR_MESSAGE": "boom"}
    )
    assert context.model_name is None
    assert context.job_id is None
    assert context.error_message == "boom"
    assert context.changes == []


def test_passing_results_have_no_failing_reasons() -> None:
    """When the DMN passed, its message is not turned into failing reasons."""
    context = _context(TEST_RESULT=True, TEST_RESULT_MESSAGE="All criteria passed")
    assert context.failing_reasons == []
    assert context.test_passed is True


def test_diff_reports_metadata_tags_and_assets() -> None:
    """The diff names changed metadata, tags and added, removed and changed assets."""
    changes = diff_models(PREVIOUS, SNAPSHOT)
    described = [change.describe() for change in changes]
    assert described[0] == "type: PYTHON → PYTHON3"
    assert "tags: run_test → run_test, jira" in described
    assert "asset old.csv (TEST_DATA): removed" in described
    assert "asset test.csv (TEST_DATA): added (s3://b/test.csv)" in described
    source = next(c for c in changes if c.what == "asset model.py (MODEL_SOURCE)")
    assert source.before != source.after
    assert source.before is not None
    assert source.before.startswith("content ")


def test_diff_without_a_previous_snapshot_is_empty() -> None:
    """The first snapshot of a model has nothing to compare with."""
    assert diff_models(None, SNAPSHOT) == []
    assert diff_models(SNAPSHOT, SNAPSHOT) == []


def test_diff_compares_custom_metadata() -> None:
    """Custom metadata entries are compared one by one."""
    old = {"modelMetaData": {"name": "m", "custom": {"owner": "ann", "tier": 1}}}
    new = {"modelMetaData": {"name": "m", "custom": {"tier": 2, "sla": "gold"}}}
    assert [c.describe() for c in diff_models(old, new)] == [
        "custom.owner: removed",
        "custom.sla: added (gold)",
        "custom.tier: 1 → 2",
    ]


def test_text_description_renders_the_results_table_and_reasons() -> None:
    """The plain-text body has the model, changes, an aligned table and the DMN's reasons."""
    body = render_description(_context(), "text")
    assert "Name: credit-risk" in body
    assert "- tags: run_test → run_test, jira" in body
    assert "Test results: FAILED" in body
    assert (
        "Metric   | Value\n---------+------\nauc      | 0.61\nf1_score | 0.7042\nrows     | 1200"
        in body
    )
    assert "Failing criteria" in body
    assert "- AUC 0.61 is below 0.7\n- F1 0.70 is below 0.75" in body
    assert "Process instance: https://mlc.example.com/instances/inst-1" in body
    assert "Activity: Open ticket (create)" in body


def test_jira_description_uses_wiki_markup() -> None:
    """The Jira body uses headings, a ||header|| table, bullets and [label|url] links."""
    body = render_description(_context(), "jira")
    assert "h3. Test results: FAILED" in body
    assert "||Metric||Value||\n|auc|0.61|\n|f1\\_score|0.7042|" in body
    assert "* AUC 0.61 is below 0.7" in body
    assert "* [Process instance|https://mlc.example.com/instances/inst-1]" in body


def test_html_description_escapes_values() -> None:
    """The HTML body is a table and lists, with every value escaped."""
    context = _context(ERROR_MESSAGE="<script>alert(1)</script>")
    body = render_description(context, "html")
    assert "<tr><td>auc</td><td>0.61</td></tr>" in body
    assert "<li>AUC 0.61 is below 0.7</li>" in body
    assert "&lt;script&gt;" in body
    assert "<script>" not in body


def test_results_table_flattens_modelop_test_records() -> None:
    """Monitor output (lists of test records with values) becomes `test: metric` rows."""
    metrics = {
        "performance": [{"test_name": "Classification Metrics", "values": {"auc": 0.8}}],
        "drift": {"psi": 0.02},
        "labels": ["a", "b"],
    }
    table = render_test_results(metrics)
    assert "Classification Metrics: auc | 0.8" in table
    assert "drift.psi" in table
    assert '["a", "b"]' in table
    assert render_test_results({}) == ""


def test_results_table_cuts_long_tables() -> None:
    """More than 60 metrics are cut, saying how many were left out."""
    table = render_test_results({f"m{i}": i for i in range(70)}, "jira")
    assert table.count("\n|m") == 60
    assert table.endswith("… and 10 more metrics")


@pytest.mark.parametrize(
    ("kind", "extra", "expected"),
    [
        (TicketKind.MODEL_APPROVAL, {}, "Approve credit-risk v2 for deployment"),
        (TicketKind.MODEL_REVIEW, {}, "Review credit-risk v2"),
        (TicketKind.TEST_REVIEW, {}, "Test results of credit-risk v2 failed"),
        (
            TicketKind.JOB_FAILURE,
            {"JOB": {"id": "j-9", "jobStatus": "ERROR"}},
            "Job j-9 of credit-risk v2 ended ERROR",
        ),
        (TicketKind.ERROR, {}, "MLC error in Open ticket for credit-risk v2"),
        (TicketKind.NOTIFICATION, {"MESSAGE": "Drift found\nmore"}, "Drift found"),
        (TicketKind.NOTIFICATION, {"SUMMARY": "Custom title"}, "Custom title"),
    ],
)
def test_summary_depends_on_the_kind(
    kind: TicketKind, extra: dict[str, object], expected: str
) -> None:
    """Each kind gets its own title unless SUMMARY is given."""
    context = context_from_variables(
        kind, {**VARIABLES, **extra}, activity_id="create", activity_name="Open ticket"
    )
    assert render_summary(context) == expected


def test_ticket_round_trips_through_a_variable() -> None:
    """`to_variable()` is JSON and `from_variable()` reads it back."""
    context = _context()
    ticket = Ticket(
        system="local",
        key="MLC-1",
        kind="test_review",
        status="Done",
        summary=render_summary(context),
        fields={"Expiration Date": "2027-01-31"},
        native_status="Done",
    )
    assert Ticket.from_variable(ticket.to_variable()) == ticket
    assert ticket.has_status("done ", "Rejected")
    assert not ticket.has_status("To Do")
    assert wake_key("jira", "MLC-1") == "ticket:jira:MLC-1"


def test_model_change_describes_itself() -> None:
    """A change reads as `what: before → after`."""
    assert ModelChange(what="group", before="a", after="b").describe() == "group: a → b"
