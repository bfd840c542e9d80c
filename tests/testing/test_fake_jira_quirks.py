"""FakeJira where real Jira is awkward: search lag, property indexes, screens, field shapes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests

from modelop_mlc import ManualClock
from modelop_mlc.testing.fakes import FakeJira
from modelop_mlc.testing.fakes.jira import Screens

FIELDS = (("Regions", "multiselect"), ("Approver", "user"), ("Tier", "option"), ("Tier", "string"))


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))


@pytest.fixture(name="fake", params=["Server", "Cloud"])
def _fake(request: pytest.FixtureRequest, clock: ManualClock) -> Iterator[FakeJira]:
    with FakeJira(
        deployment=request.param,
        clock=clock.now,
        custom_fields=FIELDS,
        screens=Screens(create=["Regions", "Approver"], edit=["Regions", "Tier"]),
        indexed_properties={"mlc": ["key"]},
        search_lag=timedelta(minutes=2),
    ) as fake:
        yield fake


def _api(fake: FakeJira, method: str, path: str, **kwargs: object) -> requests.Response:
    return requests.request(method, f"{fake.url}/rest/api/2/{path}", timeout=5, **kwargs)  # type: ignore[arg-type]


def _search(fake: FakeJira, jql: str) -> requests.Response:
    path = "search/jql" if fake.deployment == "Cloud" else "search"
    return _api(fake, "GET", path, params={"jql": jql, "fields": "summary"})


def test_search_sees_a_new_issue_only_after_the_lag(fake: FakeJira, clock: ManualClock) -> None:
    """Reading by key is immediate; JQL finds the issue once the lag has passed."""
    key = fake.create_issue("Review", properties={"mlc": {"key": "k"}})
    assert _api(fake, "GET", f"issue/{key}").status_code == 200
    assert _search(fake, 'issue.property[mlc].key = "k"').json()["issues"] == []
    clock.advance(timedelta(minutes=2))
    found = _search(fake, 'issue.property[mlc].key = "k"').json()["issues"]
    assert [i["key"] for i in found] == [key]


def test_only_declared_property_paths_are_searchable(fake: FakeJira) -> None:
    """An undeclared property path is unknown to JQL, as in Jira."""
    answer = _search(fake, 'issue.property[mlc].kind = "x"')
    assert answer.status_code == 400
    assert "does not exist" in answer.json()["errorMessages"][0]


def test_screens_are_reported_and_enforced(fake: FakeJira) -> None:
    """createmeta lists the create screen (Cloud pages in `fields`, DC in `values`)."""
    meta = _api(fake, "GET", "issue/createmeta/MLC/issuetypes/10001").json()
    items = meta["fields" if fake.deployment == "Cloud" else "values"]
    assert {i["fieldId"] for i in items} >= {"customfield_10010", "customfield_10011"}
    assert "customfield_10012" not in {i["fieldId"] for i in items}
    body = {
        "fields": {
            "project": {"key": "MLC"},
            "issuetype": {"name": "Task"},
            "summary": "x",
            "customfield_10012": {"value": "High"},
        }
    }
    refused = _api(fake, "POST", "issue", json=body)
    assert refused.status_code == 400
    assert "not on the appropriate screen" in refused.json()["errors"]["customfield_10012"]
    key = fake.create_issue("Review")
    editable = _api(fake, "GET", f"issue/{key}/editmeta").json()["fields"]
    # A screen entry by name puts every field of that name on the screen.
    assert set(editable) == {"customfield_10010", "customfield_10012", "customfield_10013"}


def test_field_values_take_jira_shapes(fake: FakeJira) -> None:
    """A multi-select needs a list of options; a user picker an accountId on Cloud, a name on DC."""
    key = fake.create_issue("Review")
    not_a_list = _api(
        fake, "PUT", f"issue/{key}", json={"fields": {"customfield_10010": {"value": "EU"}}}
    )
    assert not_a_list.json()["errors"]["customfield_10010"] == "data was not an array"
    users = _api(
        fake,
        "GET",
        "user/search",
        params={"query" if fake.deployment == "Cloud" else "username": "ali"},
    ).json()
    assert [u["displayName"] for u in users] == ["alice"]
    picker = (
        {"accountId": users[0]["accountId"]} if fake.deployment == "Cloud" else {"name": "alice"}
    )
    body = {
        "fields": {
            "project": {"key": "MLC"},
            "issuetype": {"name": "Task"},
            "summary": "x",
            "customfield_10011": picker,
        }
    }
    assert _api(fake, "POST", "issue", json=body).status_code == 201
    wrong = {"name": "alice"} if fake.deployment == "Cloud" else {"name": "nobody"}
    body["fields"]["customfield_10011"] = wrong
    assert _api(fake, "POST", "issue", json=body).status_code == 400


def test_fields_may_share_a_name(fake: FakeJira) -> None:
    """Two custom fields called Tier are listed with their own ids."""
    fields = _api(fake, "GET", "field").json()
    assert [f["id"] for f in fields if f["name"] == "Tier"] == [
        "customfield_10012",
        "customfield_10013",
    ]
