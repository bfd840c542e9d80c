"""FakeServiceNow driven by the real `pysnow` client over real sockets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pysnow
import pytest
import requests
from pysnow.exceptions import NoResults

from modelop_mlc.clock import ManualClock
from modelop_mlc.testing.fakes import FakeServiceNow

NOT_FOUND = {
    "error": {
        "message": "No Record found",
        "detail": "Record doesn't exist or ACL restricts the record retrieval",
    },
    "status": "failure",
}


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))


@pytest.fixture(name="fake")
def _fake(clock: ManualClock) -> Iterator[FakeServiceNow]:
    with FakeServiceNow(clock=clock.now, columns={"incident": {"u_model_id": "Model ID"}}) as fake:
        yield fake


@pytest.fixture(name="client")
def _client(fake: FakeServiceNow) -> Iterator[pysnow.Client]:
    client = pysnow.Client(
        host=f"127.0.0.1:{fake.port}", user="svc.mlc", password="secret", use_ssl=False
    )
    yield client
    client.close()


@pytest.fixture(name="incidents")
def _incidents(client: pysnow.Client) -> pysnow.Resource:
    return client.resource(api_path="/table/incident")


@pytest.fixture(name="changes")
def _changes(client: pysnow.Client) -> pysnow.Resource:
    return client.resource(api_path="/table/change_request")


# -- records ------------------------------------------------------------------------------


def test_a_host_client_without_ssl_reaches_the_fake(
    fake: FakeServiceNow, incidents: pysnow.Resource
) -> None:
    """`host=` plus `use_ssl=False` points pysnow at the fake; create answers 201."""
    record = incidents.create(payload={"short_description": "Model m-42 drifted"}).one()
    assert record["short_description"] == "Model m-42 drifted"
    (post,) = fake.requests
    assert (post.method, post.path) == ("POST", "/api/now/table/incident")
    # pysnow sends every sysparm_* parameter, even on POST.
    assert post.query["sysparm_limit"] == ["10000"]
    assert post.query["sysparm_display_value"] == ["False"]
    assert post.json == {"short_description": "Model m-42 drifted"}
    assert post.headers["Authorization"] == "Basic ***"
    assert post.headers["Accept"] == "application/json"


def test_new_incidents_get_servicenow_defaults(
    incidents: pysnow.Resource, clock: ManualClock
) -> None:
    """An incident gets a 32-hex sys_id, an INC number, state New and timestamps."""
    first = incidents.create(payload={"short_description": "a", "correlation_id": "k-1"}).one()
    second = incidents.create(payload={"short_description": "b"}).one()
    assert re.fullmatch(r"[0-9a-f]{32}", first["sys_id"])
    assert (first["number"], second["number"]) == ("INC0010001", "INC0010002")
    assert first["state"] == "1"
    assert first["active"] == "true"
    assert first["correlation_id"] == "k-1"
    assert first["sys_created_on"] == first["sys_updated_on"] == "2026-03-01 09:00:00"
    assert first["sys_created_by"] == "svc.mlc"
    assert first["opened_by"]["value"] == "svc.mlc"


def test_new_change_requests_start_as_stock_ones(changes: pysnow.Resource) -> None:
    """A change request gets a CHG number, state New (-5) and approval "not requested"."""
    change = changes.create(payload={"short_description": "Deploy m-42"}).one()
    assert change["number"] == "CHG0030001"
    assert change["state"] == "-5"
    assert change["approval"] == "not requested"
    assert change["type"] == "normal"


def test_records_are_read_updated_and_deleted(
    fake: FakeServiceNow, incidents: pysnow.Resource, clock: ManualClock
) -> None:
    """Get by query, update (GET then PUT) and delete (GET then DELETE) work end to end."""
    created = incidents.create(payload={"short_description": "a", "correlation_id": "k-1"}).one()
    found = incidents.get(query={"correlation_id": "k-1"}).one()
    assert found["sys_id"] == created["sys_id"]
    clock.advance(timedelta(minutes=5))
    fake.clear_requests()
    updated = incidents.update({"number": "INC0010001"}, {"state": "2"}).one()
    assert updated["state"] == "2"
    assert updated["sys_updated_on"] == "2026-03-01 09:05:00"
    assert updated["sys_mod_count"] == "1"
    assert [(r.method, r.path) for r in fake.requests] == [
        ("GET", "/api/now/table/incident"),
        ("PUT", f"/api/now/table/incident/{created['sys_id']}"),
    ]
    assert incidents.delete({"sys_id": created["sys_id"]}) == {"status": "record deleted"}
    assert fake.records("incident") == []
    with pytest.raises(NoResults):
        incidents.get(query={"correlation_id": "k-1"}).one()
    assert incidents.get(query={"correlation_id": "k-1"}).one_or_none() is None


def test_patch_updates_a_record_by_sys_id(incidents: pysnow.Resource) -> None:
    """A custom PATCH on `/{sys_id}` updates the record."""
    created = incidents.create(payload={"short_description": "a"}).one()
    patched = incidents.request(
        "PATCH", path_append="/" + created["sys_id"], json={"state": "3"}
    ).one()
    assert patched["state"] == "3"


def test_system_fields_cannot_be_written(incidents: pysnow.Resource) -> None:
    """`sys_` fields in a payload are ignored, except a valid sys_id on insert."""
    sys_id = "0123456789abcdef0123456789abcdef"
    created = incidents.create(
        payload={"sys_id": sys_id, "sys_created_on": "1999-01-01 00:00:00"}
    ).one()
    assert created["sys_id"] == sys_id
    assert created["sys_created_on"] == "2026-03-01 09:00:00"


def test_closing_an_incident_makes_it_inactive(incidents: pysnow.Resource) -> None:
    """State 7 (Closed) sets active to false and records closed_at."""
    created = incidents.create(payload={"short_description": "a"}).one()
    closed = incidents.update({"sys_id": created["sys_id"]}, {"state": 7}).one()
    assert closed["active"] == "false"
    assert closed["closed_at"] == "2026-03-01 09:00:00"


# -- queries and paging -------------------------------------------------------------------


def test_dict_queries_match_every_field(fake: FakeServiceNow, incidents: pysnow.Resource) -> None:
    """A dict query becomes `a=x^b=y` and matches exactly."""
    fake.add_record("incident", u_model_id="m-42", state="1")
    fake.add_record("incident", u_model_id="m-42", state="2")
    fake.add_record("incident", u_model_id="m-7", state="1")
    found = incidents.get(query={"u_model_id": "m-42", "state": "1"}).all()
    assert [(r["u_model_id"], r["state"]) for r in found] == [("m-42", "1")]
    assert fake.requests[-1].query["sysparm_query"] == ["u_model_id=m-42^state=1"]


def test_query_builder_conditions_and_order(
    fake: FakeServiceNow, incidents: pysnow.Resource
) -> None:
    """QueryBuilder's STARTSWITH, LIKE, OR and ORDERBYDESC are understood."""
    for name in ("model a", "model b", "pipeline c", "other"):
        fake.add_record("incident", short_description=name)
    query = (
        pysnow.QueryBuilder()
        .field("short_description")
        .starts_with("model")
        .OR()
        .field("short_description")
        .contains("PIPE")
        .AND()
        .field("number")
        .order_descending()
    )
    found = incidents.get(query=query, fields=["short_description", "number"]).all()
    assert [r["short_description"] for r in found] == ["pipeline c", "model b", "model a"]
    assert set(found[0]) == {"short_description", "number"}
    assert fake.requests[-1].query["sysparm_fields"] == ["short_description,number"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("state=1^ORstate=2", ["a", "b"]),
        ("stateIN2,3", ["b", "c"]),
        ("state!=1^ORDERBYDESCshort_description", ["c", "b"]),
        ("short_descriptionENDSWITHc", ["c"]),
        ("state>1^state<=3", ["b", "c"]),
        ("close_notesISEMPTY^state=3", ["c"]),
        ("state=1^NQstate=3", ["a", "c"]),
        ("", ["a", "b", "c"]),
    ],
)
def test_encoded_queries(
    fake: FakeServiceNow, incidents: pysnow.Resource, query: str, expected: list[str]
) -> None:
    """The documented encoded-query subset filters and orders records."""
    for name, state in (("a", "1"), ("b", "2"), ("c", "3")):
        fake.add_record("incident", short_description=name, state=state)
    found = incidents.get(query=query).all()
    assert [r["short_description"] for r in found] == expected


def test_an_unsupported_query_is_a_400(fake: FakeServiceNow) -> None:
    """Queries outside the subset are refused in ServiceNow's error shape."""
    response = requests.get(
        f"{fake.url}/api/now/table/incident",
        params={"sysparm_query": "opened_atBETWEENjavascript:gs.daysAgo(1)"},
        timeout=5,
    )
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "failure"
    assert body["error"]["message"] == "Invalid query"


def test_paging_over_more_records_than_the_limit(
    fake: FakeServiceNow, incidents: pysnow.Resource
) -> None:
    """Offset and limit page through records; X-Total-Count and Link describe the pages."""
    for n in range(7):
        fake.add_record("incident", short_description=f"bulk {n}")
    seen: list[str] = []
    offset = 0
    while True:
        response = incidents.get(query="ORDERBYnumber", limit=3, offset=offset)
        page = response.all()
        if not page:
            break
        seen.extend(r["short_description"] for r in page)
        offset += 3
    assert seen == [f"bulk {n}" for n in range(7)]
    response = incidents.get(query="ORDERBYnumber", limit=3, offset=3)
    links = {
        link["rel"]: link["url"]
        for link in requests.utils.parse_header_links(response.headers["Link"])
    }
    assert response.headers["X-Total-Count"] == "7"
    assert set(links) == {"first", "prev", "next", "last"}
    assert "sysparm_offset=6" in links["next"]
    assert "sysparm_offset=0" in links["prev"]
    assert links["last"].startswith(f"{fake.url}/api/now/table/incident?")


def test_pagination_header_can_be_suppressed(
    fake: FakeServiceNow, incidents: pysnow.Resource
) -> None:
    """`suppress_pagination_header=True` drops the Link header but keeps the count."""
    fake.add_record("incident")
    response = incidents.get(query={}, suppress_pagination_header=True)
    assert "Link" not in response.headers
    assert response.headers["X-Total-Count"] == "1"


def test_display_values_and_reference_links(incidents: pysnow.Resource) -> None:
    """display_value and exclude_reference_link change how values and references render."""
    created = incidents.create(payload={"short_description": "a", "state": "2"}).one()
    query = {"sys_id": created["sys_id"]}
    shown = incidents.get(query=query, display_value=True).one()
    assert shown["state"] == "In Progress"
    both = incidents.get(query=query, display_value="all").one()
    assert both["state"] == {"display_value": "In Progress", "value": "2"}
    assert both["opened_by"]["link"].endswith("/api/now/table/sys_user/svc.mlc")
    # pysnow shallow-copies its parameters, so display_value="all" sticks to the resource.
    bare = incidents.get(query=query, display_value=False, exclude_reference_link=True).one()
    assert bare["opened_by"] == "svc.mlc"


def test_work_notes_are_journal_entries(
    fake: FakeServiceNow, client: pysnow.Client, incidents: pysnow.Resource
) -> None:
    """Work notes append entries, shown newest first with display values and in the journal."""
    created = incidents.create(payload={"work_notes": "Opened by MLC"}).one()
    assert created["work_notes"] == ""
    incidents.update({"sys_id": created["sys_id"]}, {"work_notes": "Model retrained"})
    shown = incidents.get(query={"sys_id": created["sys_id"]}, display_value=True).one()
    assert shown["work_notes"] == (
        "2026-03-01 09:00:00 - svc.mlc (Work notes)\nModel retrained\n\n"
        "2026-03-01 09:00:00 - svc.mlc (Work notes)\nOpened by MLC\n\n"
    )
    journal = client.resource(api_path="/table/sys_journal_field")
    rows = journal.get(query={"element_id": created["sys_id"]}).all()
    assert [r["value"] for r in rows] == ["Opened by MLC", "Model retrained"]
    assert [e["value"] for e in fake.journal("incident", created["sys_id"])] == [
        "Opened by MLC",
        "Model retrained",
    ]


# -- attachments --------------------------------------------------------------------------


# pysnow 0.7.17's Attachment.upload() reads the file with `open(path, "rb").read()` and never
# closes it, so CPython reports a ResourceWarning from inside pysnow.
@pytest.mark.filterwarnings("ignore:unclosed file <_io.BufferedReader:ResourceWarning")
def test_attachments_are_uploaded_listed_and_downloaded(
    fake: FakeServiceNow, incidents: pysnow.Resource, tmp_path: Path
) -> None:
    """A raw-body upload is stored; pysnow lists it by record and the bytes download intact."""
    created = incidents.create(payload={"short_description": "a"}).one()
    report = tmp_path / "report.txt"
    report.write_bytes(b"drift report\n")
    uploaded = incidents.attachments.upload(created["sys_id"], str(report), name="drift.txt").one()
    assert uploaded["file_name"] == "drift.txt"
    assert uploaded["size_bytes"] == "13"
    assert uploaded["table_sys_id"] == created["sys_id"]
    upload = fake.requests[-1]
    assert upload.path == "/api/now/attachment/file"
    assert upload.query["table_name"] == ["incident"]
    assert upload.body == b"drift report\n"
    listed = incidents.attachments.get(created["sys_id"])
    assert [a["file_name"] for a in listed] == ["drift.txt"]
    content = requests.get(uploaded["download_link"], timeout=5)
    assert content.content == b"drift report\n"
    assert fake.attachments("incident", created["sys_id"])[0][1] == b"drift report\n"


def test_attachments_need_an_existing_record(fake: FakeServiceNow) -> None:
    """Uploading to a missing record answers 404; missing parameters answer 400."""
    url = f"{fake.url}/api/now/attachment/file"
    params = {"table_name": "incident", "table_sys_id": "0" * 32, "file_name": "a.txt"}
    missing = requests.post(url, params=params, data=b"x", timeout=5)
    assert missing.status_code == 404
    assert missing.json() == NOT_FOUND
    incomplete = requests.post(url, params={"table_name": "incident"}, data=b"x", timeout=5)
    assert incomplete.status_code == 400
    assert "table_sys_id, file_name" in incomplete.json()["error"]["message"]


# -- helpers ------------------------------------------------------------------------------


def test_set_state_approves_a_change_like_a_person(
    fake: FakeServiceNow, changes: pysnow.Resource, clock: ManualClock
) -> None:
    """`set_state` changes state and approval; the client and event payload see it."""
    change = changes.create(payload={"short_description": "Deploy", "correlation_id": "c-1"}).one()
    clock.advance(timedelta(hours=1))
    fake.set_state("change_request", change["sys_id"], -2, approval="approved", work_notes="ok")
    read = changes.get(query={"correlation_id": "c-1"}).one()
    assert (read["state"], read["approval"]) == ("-2", "approved")
    assert read["sys_updated_by"] == "approver"
    payload = fake.event_payload("change_request", change["sys_id"])
    assert payload == {
        "table": "change_request",
        "sys_id": change["sys_id"],
        "number": "CHG0030001",
        "state": "-2",
        "approval": "approved",
        "updated_on": "2026-03-01 10:00:00",
        "fields": fake.records("change_request")[0],
    }
    assert payload["fields"]["correlation_id"] == "c-1"


def test_helpers_refuse_unknown_tables_and_records(fake: FakeServiceNow) -> None:
    """Helpers raise KeyError naming what exists."""
    with pytest.raises(KeyError, match="incident, change_request"):
        fake.records("problem")
    with pytest.raises(KeyError, match="sys_id"):
        fake.set_state("incident", "0" * 32, 2)
    with pytest.raises(KeyError, match="sys_id"):
        fake.event_payload("incident", "0" * 32)


def test_extra_tables_can_be_configured(clock: ManualClock) -> None:
    """A table given to the constructor works like the built-in ones."""
    columns = {"u_model_review": {"u_model": "Model"}}
    with FakeServiceNow(tables=("u_model_review",), columns=columns, clock=clock.now) as fake:
        record = fake.add_record("u_model_review", u_model="m-42")
        response = requests.get(f"{fake.url}/api/now/v2/table/u_model_review", timeout=5)
    assert response.json()["result"][0]["u_model"] == "m-42"
    assert record["number"] == "MODE0001001"
    with pytest.raises(ValueError, match="Invalid table name"):
        FakeServiceNow(tables=("Bad Name",))


# -- errors and failures ------------------------------------------------------------------


def test_an_unknown_record_is_a_404_in_servicenow_shape(incidents: pysnow.Resource) -> None:
    """Reading a missing sys_id raises HTTPError with ServiceNow's 404 body."""
    with pytest.raises(requests.HTTPError) as caught:
        incidents.request("GET", path_append="/" + "0" * 32).one()
    assert caught.value.response.status_code == 404
    assert caught.value.response.json() == NOT_FOUND


def test_an_unknown_table_is_a_400(fake: FakeServiceNow) -> None:
    """A table the fake does not have answers 400 "Invalid table"."""
    response = requests.get(f"{fake.url}/api/now/table/problem", timeout=5)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Invalid table problem"


def test_an_unknown_path_is_a_404_in_servicenow_shape(fake: FakeServiceNow) -> None:
    """Paths the fake does not serve answer 404 with ServiceNow's error body."""
    response = requests.get(f"{fake.url}/api/now/cmdb/instance", timeout=5)
    assert response.status_code == 404
    assert response.json()["status"] == "failure"


def test_wrong_credentials_get_401_in_servicenow_shape(fake: FakeServiceNow) -> None:
    """With `require_auth`, a wrong password gets ServiceNow's 401 body."""
    fake.require_auth(users={"svc.mlc": "right"})
    client = pysnow.Client(
        host=f"127.0.0.1:{fake.port}", user="svc.mlc", password="wrong", use_ssl=False
    )
    with pytest.raises(requests.HTTPError) as caught:
        client.resource(api_path="/table/incident").get(query={}).all()
    client.close()
    assert caught.value.response.status_code == 401
    assert caught.value.response.json() == {
        "error": {
            "message": "User Not Authenticated",
            "detail": "Required to provide Auth information",
        },
        "status": "failure",
    }


def test_a_revoked_password_gets_401(fake: FakeServiceNow, incidents: pysnow.Resource) -> None:
    """After `revoke` the client's password is refused."""
    incidents.get(query={}).all()
    fake.revoke("secret")
    with pytest.raises(requests.HTTPError) as caught:
        incidents.get(query={}).all()
    assert caught.value.response.status_code == 401


def test_bearer_tokens_are_accepted_when_configured(fake: FakeServiceNow) -> None:
    """An OAuth bearer token listed in `require_auth` is accepted and redacted in the log."""
    fake.require_auth(tokens=["oauth-abc"])
    response = requests.get(
        f"{fake.url}/api/now/table/incident",
        headers={"Authorization": "Bearer oauth-abc"},
        timeout=5,
    )
    assert response.status_code == 200
    assert fake.requests[-1].headers["Authorization"] == "Bearer ***"


def test_an_injected_503_fails_once(fake: FakeServiceNow, incidents: pysnow.Resource) -> None:
    """An injected 503 surfaces as HTTPError once; the retry succeeds."""
    fake.fail_next(503, retry_after=2)
    response = incidents.create(payload={"short_description": "a"})
    # pysnow only checks the status when the response is read.
    with pytest.raises(requests.HTTPError) as caught:
        response.one()
    assert caught.value.response.status_code == 503
    assert caught.value.response.headers["Retry-After"] == "2"
    assert caught.value.response.json()["status"] == "failure"
    assert fake.records("incident") == []
    assert incidents.create(payload={"short_description": "a"}).one()["number"] == "INC0010001"


def test_a_hung_request_times_the_client_out(fake: FakeServiceNow, client: pysnow.Client) -> None:
    """`hang_next` makes a pysnow request with a short timeout raise a timeout."""
    slow = client.resource(api_path="/table/incident", timeout=0.5)
    fake.hang_next(path_prefix="/api/now/table/incident", commit_first=True)
    with pytest.raises(requests.exceptions.Timeout):
        slow.create(payload={"short_description": "maybe"})
    fake.release()
    # The insert happened although the response was lost: retries must look it up first.
    assert [r["short_description"] for r in fake.records("incident")] == ["maybe"]
    assert fake.errors == []
