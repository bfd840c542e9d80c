"""FakeJira driven by the real `jira` client over real sockets."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from jira import JIRA, JIRAError

from modelop_mlc.clock import ManualClock
from modelop_mlc.testing.fakes import FakeJira, RecordedRequest

TASK = {"project": {"key": "MLC"}, "issuetype": {"name": "Task"}}


@pytest.fixture(name="clock")
def _clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))


@pytest.fixture(name="fake")
def _fake(clock: ManualClock) -> Iterator[FakeJira]:
    with FakeJira(clock=clock.now, indexed_properties={"mlc": ["key"]}) as fake:
        yield fake


@pytest.fixture(name="client")
def _client(fake: FakeJira) -> Iterator[JIRA]:
    client = JIRA(server=fake.url, basic_auth=("alice", "api-token"), max_retries=0, timeout=5)
    yield client
    client.close()


def _create(client: JIRA, summary: str = "Review model m-42", **fields: object) -> str:
    issue = client.create_issue(fields={**TASK, "summary": summary, **fields}, prefetch=False)
    return str(issue.key)


def _calls(fake: FakeJira, method: str, path: str) -> list[RecordedRequest]:
    return [r for r in fake.requests if r.method == method and r.path == path]


# -- connecting ---------------------------------------------------------------------------


def test_basic_auth_client_sees_a_server_deployment(fake: FakeJira, client: JIRA) -> None:
    """A basic-auth client reads Server serverInfo and the calling user."""
    info = client.server_info()
    assert info["deploymentType"] == "Server"
    assert info["versionNumbers"] == [9, 12, 0]
    assert info["baseUrl"] == fake.url
    assert client.myself()["name"] == "alice"
    assert fake.requests[0].path == "/rest/api/2/serverInfo"


def test_token_auth_sends_a_bearer_token_that_the_log_redacts(fake: FakeJira) -> None:
    """A personal access token arrives as a Bearer header and is logged only by scheme."""
    fake.require_auth(tokens={"pat-123": "bob"})
    client = JIRA(server=fake.url, token_auth="pat-123", max_retries=0, timeout=5)
    assert client.myself()["name"] == "bob"
    client.close()
    assert {r.headers["Authorization"] for r in fake.requests} == {"Bearer ***"}
    assert all("pat-123" not in str(r.headers) for r in fake.requests)


def test_validate_true_checks_the_session_first(fake: FakeJira) -> None:
    """`validate=True` calls the auth session resource before serverInfo."""
    client = JIRA(server=fake.url, basic_auth=("alice", "t"), validate=True, max_retries=0)
    client.close()
    assert [r.path for r in fake.requests] == ["/rest/auth/1/session", "/rest/api/2/serverInfo"]


def test_cloud_mode_reports_cloud_and_cloud_users(clock: ManualClock) -> None:
    """A Cloud fake answers deploymentType Cloud and users with account ids."""
    with FakeJira(deployment="Cloud", clock=clock.now) as fake:
        client = JIRA(server=fake.url, basic_auth=("alice", "t"), max_retries=0, timeout=5)
        assert client.server_info()["deploymentType"] == "Cloud"
        me = client.myself()
        client.close()
    assert me["accountId"].startswith("557058:")
    assert "name" not in me


def test_metadata_endpoints_describe_projects_and_types(client: JIRA) -> None:
    """Projects, issue types, statuses, priorities and Jira 9 create metadata are served."""
    assert [p.key for p in client.projects()] == ["MLC"]
    assert [t.name for t in client.project("MLC", expand="issueTypes").issueTypes] == [
        "Task",
        "Bug",
        "Story",
    ]
    assert [t.name for t in client.issue_types()] == ["Task", "Bug", "Story"]
    assert [s.name for s in client.statuses()] == ["To Do", "In Review", "Done", "Rejected"]
    assert [p.name for p in client.priorities()][:3] == ["Highest", "High", "Medium"]
    assert [t.name for t in client.project_issue_types("MLC")] == ["Task", "Bug", "Story"]
    fields = {f.fieldId: f for f in client.project_issue_fields("MLC", "10001")}
    assert fields["summary"].required is True
    assert fields["customfield_10010"].name == "Expiration Date"


def test_cloud_createmeta_lists_creatable_fields(clock: ManualClock) -> None:
    """On Cloud, createmeta filtered by project and type lists the fields to fill in."""
    with FakeJira(deployment="Cloud", clock=clock.now) as fake:
        client = JIRA(server=fake.url, basic_auth=("alice", "t"), max_retries=0, timeout=5)
        meta = client.createmeta(
            projectKeys="MLC", issuetypeNames="Task", expand="projects.issuetypes.fields"
        )
        client.close()
    (project,) = meta["projects"]
    (issue_type,) = project["issuetypes"]
    assert (project["key"], issue_type["name"]) == ("MLC", "Task")
    assert issue_type["fields"]["customfield_10010"]["schema"]["type"] == "date"


# -- issues -------------------------------------------------------------------------------


def test_create_issue_with_prefetch_returns_the_stored_issue(fake: FakeJira, client: JIRA) -> None:
    """The default create posts the issue, then reads it back in full."""
    issue = client.create_issue(fields={**TASK, "summary": "Review", "labels": ["mlc"]})
    assert issue.key == "MLC-1"
    assert issue.fields.status.name == "To Do"
    assert issue.fields.labels == ["mlc"]
    assert issue.fields.reporter.name == "alice"
    assert issue.fields.created == "2026-03-01T09:00:00.000+0000"
    assert [(r.method, r.path) for r in fake.requests[1:]] == [
        ("POST", "/rest/api/2/issue"),
        ("GET", "/rest/api/2/issue/MLC-1"),
    ]


def test_create_issue_without_prefetch_sends_a_single_post(fake: FakeJira, client: JIRA) -> None:
    """With prefetch=False the client sends only the POST and gets id, key and self."""
    issue = client.create_issue(fields={**TASK, "summary": "Review"}, prefetch=False)
    post = _calls(fake, "POST", "/rest/api/2/issue")
    assert len(post) == 1
    assert post[0].json == {"fields": {**TASK, "summary": "Review"}}
    assert issue.raw == {
        "id": "10000",
        "key": "MLC-1",
        "self": f"{fake.url}/rest/api/2/issue/10000",
    }
    assert _calls(fake, "GET", "/rest/api/2/issue/MLC-1") == []


def test_create_issue_by_project_and_type_names_resolves_their_ids(
    fake: FakeJira, client: JIRA
) -> None:
    """String project and issue type make the client look up the project and its types."""
    issue = client.create_issue(project="MLC", issuetype="Bug", summary="Drift", prefetch=False)
    assert issue.key == "MLC-1"
    assert _calls(fake, "GET", "/rest/api/2/project/MLC")
    lookup = _calls(fake, "GET", "/rest/api/2/project/10000")
    assert lookup[0].query == {"expand": ["issueTypes"]}
    sent = _calls(fake, "POST", "/rest/api/2/issue")[0].json
    assert sent["fields"]["project"] == {"id": "10000"}
    assert sent["fields"]["issuetype"] == {"id": "10002"}
    assert fake.issues["MLC-1"]["fields"]["issuetype"]["name"] == "Bug"


def test_issue_read_honours_the_fields_filter(client: JIRA) -> None:
    """`fields=` limits the returned fields to the ones asked for."""
    key = _create(client)
    issue = client.issue(key, fields="summary,customfield_10010")
    assert set(issue.raw["fields"]) == {"summary", "customfield_10010"}
    assert issue.fields.summary == "Review model m-42"


def test_update_sets_a_custom_field_found_by_name(fake: FakeJira, client: JIRA) -> None:
    """A custom field id looked up by name in `fields()` can be written and read back."""
    key = _create(client)
    ids = {field["name"]: field["id"] for field in client.fields()}
    issue = client.issue(key)
    issue.update(
        fields={ids["Expiration Date"]: "2026-12-31", ids["Model Risk Tier"]: {"value": "Tier 2"}}
    )
    assert issue.raw["fields"][ids["Expiration Date"]] == "2026-12-31"
    assert issue.get_field(ids["Model Risk Tier"]).value == "Tier 2"
    # Issue.update() writes through the `self` URL, which carries the numeric id.
    assert _calls(fake, "PUT", "/rest/api/2/issue/10000")


def test_custom_field_schema_matches_jira(client: JIRA) -> None:
    """The field list describes custom fields with Jira's schema and clause names."""
    field = next(f for f in client.fields() if f["name"] == "Expiration Date")
    assert field == {
        "id": "customfield_10010",
        "key": "customfield_10010",
        "name": "Expiration Date",
        "untranslatedName": "Expiration Date",
        "custom": True,
        "orderable": True,
        "navigable": True,
        "searchable": True,
        "clauseNames": ["cf[10010]", "Expiration Date"],
        "schema": {
            "type": "date",
            "custom": "com.atlassian.jira.plugin.system.customfieldtypes:datepicker",
            "customId": 10010,
        },
    }


def test_a_project_without_the_field_refuses_it() -> None:
    """Without an "Expiration Date" field, writing customfield_10010 gets Jira's 400."""
    with FakeJira(custom_fields={}) as fake:
        client = JIRA(server=fake.url, basic_auth=("alice", "t"), max_retries=0, timeout=5)
        assert "Expiration Date" not in {f["name"] for f in client.fields()}
        with pytest.raises(JIRAError) as caught:
            _create(client, customfield_10010="2026-12-31")
        client.close()
    assert caught.value.status_code == 400
    assert caught.value.response.json() == {
        "errorMessages": [],
        "errors": {
            "customfield_10010": "Field 'customfield_10010' cannot be set. It is not on the "
            "appropriate screen, or unknown."
        },
    }


def test_invalid_field_values_get_field_errors(client: JIRA) -> None:
    """Bad dates and labels with spaces are refused per field, all at once."""
    with pytest.raises(JIRAError) as caught:
        _create(client, customfield_10010="31/12/2026", labels=["two words"])
    errors = caught.value.response.json()["errors"]
    assert set(errors) == {"customfield_10010", "labels"}


def test_missing_summary_is_reported_like_jira(client: JIRA) -> None:
    """Creating without a summary answers Jira's required-field error."""
    with pytest.raises(JIRAError) as caught:
        client.create_issue(fields=dict(TASK), prefetch=False)
    assert caught.value.response.json()["errors"] == {
        "summary": "You must specify a summary of the issue."
    }


def test_update_operations_add_labels_and_comments(fake: FakeJira, client: JIRA) -> None:
    """`update` operations add and remove labels and add comments."""
    key = _create(client, labels=["a"])
    client.issue(key).update(update={"labels": [{"add": "b"}, {"remove": "a"}]}, comment="why")
    issue = fake.issues[key]
    assert issue["fields"]["labels"] == ["b"]
    assert [c["body"] for c in issue["fields"]["comment"]["comments"]] == ["why"]


# -- transitions, comments, attachments ---------------------------------------------------


def test_transitions_follow_the_mlc_workflow(client: JIRA) -> None:
    """Each status offers the workflow's next transitions with string ids."""
    key = _create(client)
    assert [(t["id"], t["name"]) for t in client.transitions(key)] == [("11", "Start Review")]
    client.transition_issue(key, "11")
    assert [(t["id"], t["name"], t["to"]["name"]) for t in client.transitions(key)] == [
        ("21", "Approve", "Done"),
        ("31", "Reject", "Rejected"),
    ]


def test_transition_by_name_looks_up_the_id_first(fake: FakeJira, client: JIRA) -> None:
    """A transition by name reads the transitions, then posts the id."""
    key = _create(client)
    fake.clear_requests()
    client.transition_issue(key, "Start Review")
    assert [(r.method, r.path) for r in fake.requests] == [
        ("GET", f"/rest/api/2/issue/{key}/transitions"),
        ("POST", f"/rest/api/2/issue/{key}/transitions"),
    ]
    assert client.issue(key).fields.status.name == "In Review"


def test_transition_by_id_posts_an_int_id_with_a_comment(fake: FakeJira, client: JIRA) -> None:
    """A numeric transition is posted directly, as an int, with the comment as an update."""
    key = _create(client)
    fake.transition(key, "In Review")
    fake.clear_requests()
    client.transition_issue(key, "21", comment="Approved by the model board")
    (post,) = fake.requests
    assert post.json == {
        "transition": {"id": 21},
        "fields": {},
        "update": {"comment": [{"add": {"body": "Approved by the model board"}}]},
    }
    issue = client.issue(key)
    assert issue.fields.status.name == "Done"
    assert issue.fields.status.statusCategory.key == "done"
    assert issue.fields.resolution.name == "Done"
    assert issue.fields.comment.comments[0].body == "Approved by the model board"


def test_reject_and_reopen_set_and_clear_the_resolution(client: JIRA) -> None:
    """Rejecting resolves as "Won't Do"; reopening clears the resolution."""
    key = _create(client)
    client.transition_issue(key, "Start Review")
    client.transition_issue(key, "Reject")
    assert client.issue(key).fields.resolution.name == "Won't Do"
    client.transition_issue(key, "Reopen")
    issue = client.issue(key)
    assert issue.fields.status.name == "To Do"
    assert issue.fields.resolution is None


def test_a_transition_not_available_now_is_a_400(client: JIRA) -> None:
    """Approving an issue that is not in review answers 400; unknown names fail client-side."""
    key = _create(client)
    with pytest.raises(JIRAError) as caught:
        client.transition_issue(key, "21")
    assert caught.value.status_code == 400
    assert caught.value.text == "Transition id '21' is not valid for this issue."
    with pytest.raises(JIRAError, match="Invalid transition name"):
        client.transition_issue(key, "Approve")


def test_comments_are_added_and_listed(client: JIRA) -> None:
    """Comments come back with ids, bodies and authors, in order."""
    key = _create(client)
    first = client.add_comment(key, "Model card attached")
    client.add_comment(key, "Please review")
    comments = client.comments(key)
    assert [c.body for c in comments] == ["Model card attached", "Please review"]
    assert comments[0].id == first.id
    assert comments[0].author.name == "alice"
    assert client.comment(key, first.id).body == "Model card attached"


def test_attachments_are_uploaded_as_multipart(fake: FakeJira, client: JIRA) -> None:
    """The multipart upload is parsed; the bytes come back unchanged."""
    key = _create(client)
    content = b"\x00\x01binary\r\nreport\n\xff"
    attachment = client.add_attachment(key, io.BytesIO(content), filename="report.bin")
    assert attachment.filename == "report.bin"
    assert attachment.size == len(content)
    assert attachment.get() == content
    upload = _calls(fake, "POST", f"/rest/api/2/issue/{key}/attachments")[0]
    assert upload.headers["X-Atlassian-Token"] == "no-check"
    assert upload.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    assert fake.issues[key]["fields"]["attachment"][0]["size"] == len(content)


def test_attachments_without_the_xsrf_header_are_refused(fake: FakeJira, client: JIRA) -> None:
    """Without `X-Atlassian-Token: no-check` Jira's XSRF guard answers 403."""
    key = _create(client)
    response = requests.post(
        f"{fake.url}/rest/api/2/issue/{key}/attachments",
        files={"file": ("a.txt", b"x")},
        timeout=5,
    )
    assert response.status_code == 403
    assert response.text == "XSRF check failed"


# -- properties and search ----------------------------------------------------------------


def test_issue_properties_store_json(client: JIRA) -> None:
    """An issue property round-trips its JSON value and is listed by key."""
    key = _create(client)
    response = client.add_issue_property(key, "mlc", {"key": "run-7/step-3", "attempt": 2})
    assert response.status_code == 201
    assert client.add_issue_property(key, "mlc", {"key": "run-7/step-3"}).status_code == 200
    assert client.issue_property(key, "mlc").raw == {"key": "mlc", "value": {"key": "run-7/step-3"}}
    assert [p.key for p in client.issue_properties(key)] == ["mlc"]


def test_a_missing_property_is_a_404(client: JIRA) -> None:
    """Reading a property that was never set answers 404."""
    key = _create(client)
    with pytest.raises(JIRAError) as caught:
        client.issue_property(key, "mlc")
    assert caught.value.status_code == 404


def test_server_search_supports_the_jql_subset(
    fake: FakeJira, client: JIRA, clock: ManualClock
) -> None:
    """Project, status, labels, keys, properties and ORDER BY select the right issues."""
    first = _create(client, "one", labels=["mlc", "model-a"])
    clock.advance(timedelta(minutes=1))
    second = _create(client, "two", labels=["mlc"])
    clock.advance(timedelta(minutes=1))
    third = _create(client, "three")
    fake.transition(second, "Done")
    client.add_issue_property(third, "mlc", {"key": "idem-3"})

    def keys(jql: str) -> list[str]:
        return [issue.key for issue in client.search_issues(jql)]

    assert keys("project = MLC ORDER BY created") == [first, second, third]
    assert keys("project = MLC ORDER BY created DESC") == [third, second, first]
    assert keys('project = MLC AND status = "Done"') == [second]
    assert keys("labels = mlc AND status != Done") == [first]
    assert keys(f"key in ({first}, {third}) ORDER BY key") == [first, third]
    assert keys('issue.property[mlc].key = "idem-3"') == [third]
    assert keys('summary ~ "TW"') == [second]
    assert keys('created >= "2026-03-01 09:01" ORDER BY created') == [second, third]
    assert keys("resolution = Unresolved ORDER BY key") == [first, third]
    search = _calls(fake, "GET", "/rest/api/2/search")[0]
    assert search.query["fields"] == ["*all"]
    assert search.query["startAt"] == ["0"]


def test_server_search_pages_with_start_at(client: JIRA) -> None:
    """`startAt`/`maxResults` page through the results and report the total."""
    for n in range(5):
        _create(client, f"issue {n}")
    page = client.search_issues("project = MLC ORDER BY key", startAt=2, maxResults=2)
    assert [issue.key for issue in page] == ["MLC-3", "MLC-4"]
    assert page.total == 5
    everything = client.search_issues("project = MLC", maxResults=False)
    assert len(everything) == 5


def test_search_by_post_and_as_json(fake: FakeJira, client: JIRA) -> None:
    """POST search and raw JSON results work, with a field filter."""
    key = _create(client, labels=["mlc"])
    posted = client.search_issues("labels = mlc", use_post=True)
    assert [issue.key for issue in posted] == [key]
    raw = client.search_issues("labels = mlc", json_result=True, fields="summary")
    assert raw["total"] == 1
    assert raw["issues"][0]["fields"] == {"summary": "Review model m-42"}
    assert _calls(fake, "POST", "/rest/api/2/search")[0].json["jql"] == "labels = mlc"


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("colour = red", "Field 'colour' does not exist or you do not have permission"),
        ("status = Done OR labels = x", "'OR' (line 1, character 15) is outside the subset"),
        ("status = ", "The JQL query is incomplete."),
        ("key = MLC-404", "An issue with key 'MLC-404' does not exist for field 'key'."),
    ],
)
def test_invalid_jql_is_a_400_in_jira_shape(client: JIRA, jql: str, message: str) -> None:
    """Unsupported or invalid JQL answers 400 with the reason in errorMessages."""
    with pytest.raises(JIRAError) as caught:
        client.search_issues(jql)
    assert caught.value.status_code == 400
    body = caught.value.response.json()
    assert body["errors"] == {}
    assert message in body["errorMessages"][0]


def test_cloud_search_uses_search_jql_with_page_tokens(clock: ManualClock) -> None:
    """On Cloud the client calls /search/jql and follows nextPageToken."""
    with FakeJira(deployment="Cloud", clock=clock.now) as fake:
        client = JIRA(server=fake.url, basic_auth=("alice", "t"), max_retries=0, timeout=5)
        for n in range(3):
            _create(client, f"issue {n}")
        jql = "project = MLC ORDER BY key"
        first = client.search_issues(jql, maxResults=2)
        rest = client.enhanced_search_issues(jql, nextPageToken=first.nextPageToken, maxResults=2)
        everything = client.search_issues(jql, maxResults=0)
        gone = requests.get(f"{fake.url}/rest/api/2/search", params={"jql": "x"}, timeout=5)
        client.close()
    assert [issue.key for issue in first] == ["MLC-1", "MLC-2"]
    assert [issue.key for issue in rest] == ["MLC-3"]
    assert rest.nextPageToken is None
    assert [issue.key for issue in everything] == ["MLC-1", "MLC-2", "MLC-3"]
    calls = _calls(fake, "GET", "/rest/api/2/search/jql")
    assert calls[1].query["nextPageToken"] == [first.nextPageToken]
    assert gone.status_code == 410


def test_cloud_search_refuses_unbounded_jql(clock: ManualClock) -> None:
    """Cloud's enhanced search rejects a query without any restriction."""
    with FakeJira(deployment="Cloud", clock=clock.now) as fake:
        client = JIRA(server=fake.url, basic_auth=("alice", "t"), max_retries=0, timeout=5)
        with pytest.raises(JIRAError) as caught:
            client.search_issues("ORDER BY created")
        client.close()
    assert caught.value.status_code == 400
    assert "Unbounded JQL" in caught.value.text


# -- helpers and webhooks -----------------------------------------------------------------


def test_human_changes_are_visible_to_the_client(fake: FakeJira, client: JIRA) -> None:
    """`transition` and `set_field` change the issue the client reads next."""
    key = _create(client)
    fake.set_field(key, "Expiration Date", "2027-01-31")
    fake.set_field(key, "Model Risk Tier", "Tier 1")
    fake.transition(key, "Rejected", comment="Not enough evidence")
    issue = client.issue(key, expand="changelog")
    assert issue.raw["fields"]["customfield_10010"] == "2027-01-31"
    assert issue.raw["fields"]["customfield_10011"]["value"] == "Tier 1"
    assert issue.fields.status.name == "Rejected"
    assert issue.fields.comment.comments[0].body == "Not enough evidence"
    fields = [item.field for h in issue.changelog.histories for item in h.items]
    assert fields == ["Expiration Date", "Model Risk Tier", "status", "resolution"]


def test_helpers_refuse_unknown_names(fake: FakeJira, client: JIRA) -> None:
    """Unknown issues, statuses and fields raise with what exists."""
    key = _create(client)
    with pytest.raises(KeyError, match="MLC-1"):
        fake.transition("MLC-9", "Done")
    with pytest.raises(ValueError, match="statuses: To Do, In Review, Done, Rejected"):
        fake.transition(key, "Approved")
    with pytest.raises(KeyError, match="settable fields"):
        fake.set_field(key, "Colour", "red")
    with pytest.raises(ValueError, match="Invalid date format"):
        fake.set_field(key, "Expiration Date", "soon")


def test_create_issue_helper_seeds_state(fake: FakeJira, client: JIRA) -> None:
    """An issue created by the helper is found by a property search."""
    key = fake.create_issue("Seeded", fields={"labels": ["mlc"]}, properties={"mlc": {"key": "k"}})
    assert [i.key for i in client.search_issues('issue.property[mlc].key = "k"')] == [key]
    assert fake.issues[key]["properties"] == {"mlc": {"key": "k"}}


def test_webhook_payload_describes_the_last_change(fake: FakeJira, client: JIRA) -> None:
    """The webhook body carries the full issue and the status change items."""
    key = _create(client)
    fake.transition(key, "In Review", author="carol")
    payload = fake.webhook_payload(key)
    assert payload["webhookEvent"] == "jira:issue_updated"
    assert payload["issue_event_type_name"] == "issue_generic"
    assert payload["timestamp"] == int(datetime(2026, 3, 1, 9, 0, tzinfo=UTC).timestamp() * 1000)
    assert payload["user"]["name"] == "carol"
    assert payload["issue"]["key"] == key
    assert payload["issue"]["fields"]["status"]["name"] == "In Review"
    assert payload["changelog"]["items"] == [
        {
            "field": "status",
            "fieldtype": "jira",
            "fieldId": "status",
            "from": "10000",
            "fromString": "To Do",
            "to": "10001",
            "toString": "In Review",
        }
    ]
    created = fake.webhook_payload(key, "jira:issue_created")
    assert created["issue_event_type_name"] == "issue_created"
    assert "changelog" not in created
    with pytest.raises(ValueError, match="Unknown webhook event"):
        fake.webhook_payload(key, "issue_updated")


# -- failures -----------------------------------------------------------------------------


def test_a_503_fails_once_then_the_next_call_succeeds(fake: FakeJira, client: JIRA) -> None:
    """With max_retries=0 an injected 503 surfaces once; the next call is served."""
    key = _create(client)
    fake.fail_next(503)
    with pytest.raises(JIRAError) as caught:
        client.issue(key)
    assert caught.value.status_code == 503
    assert caught.value.response.json() == {"errorMessages": ["Service Unavailable"], "errors": {}}
    assert client.issue(key).key == key


def test_a_429_carries_retry_after(fake: FakeJira, client: JIRA) -> None:
    """An injected 429 reaches the client with its Retry-After header."""
    fake.fail_next(429, retry_after=7)
    with pytest.raises(JIRAError) as caught:
        client.myself()
    assert caught.value.status_code == 429
    assert caught.value.response.headers["Retry-After"] == "7"


def test_failures_can_target_a_path_and_method(fake: FakeJira, client: JIRA) -> None:
    """A failure with a path prefix and method leaves other requests alone."""
    key = _create(client)
    fake.fail_next(500, times=2, path_prefix="/rest/api/2/issue", method="POST", body="boom")
    assert client.issue(key).key == key
    for _ in range(2):
        with pytest.raises(JIRAError) as caught:
            client.add_comment(key, "x")
        assert caught.value.status_code == 500
        assert caught.value.text == "boom"
    assert client.add_comment(key, "x").body == "x"


def test_a_revoked_token_gets_401(fake: FakeJira) -> None:
    """After `revoke` the same credential is refused with Jira's 401."""
    fake.require_auth(users={"alice": "api-token"})
    client = JIRA(server=fake.url, basic_auth=("alice", "api-token"), max_retries=0, timeout=5)
    assert client.myself()["name"] == "alice"
    fake.revoke("api-token")
    with pytest.raises(JIRAError) as caught:
        client.myself()
    client.close()
    assert caught.value.status_code == 401
    assert caught.value.response.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
    assert caught.value.response.json()["errorMessages"] == [
        "You are not authenticated. Authentication required to perform this operation."
    ]


def test_required_auth_refuses_wrong_and_missing_credentials(fake: FakeJira) -> None:
    """With `require_auth` a wrong password and an anonymous call both get 401."""
    fake.require_auth(users={"alice": "right"})
    with pytest.raises(JIRAError) as caught:
        JIRA(server=fake.url, basic_auth=("alice", "wrong"), max_retries=0, timeout=5)
    assert caught.value.status_code == 401
    assert requests.get(f"{fake.url}/rest/api/2/myself", timeout=5).status_code == 401


def test_an_unknown_issue_is_a_404_in_jira_shape(client: JIRA) -> None:
    """Reading an issue that does not exist answers Jira's 404 body."""
    with pytest.raises(JIRAError) as caught:
        client.issue("MLC-404")
    assert caught.value.status_code == 404
    assert caught.value.response.json() == {
        "errorMessages": ["Issue does not exist or you do not have permission to see it."],
        "errors": {},
    }


def test_an_unknown_project_is_a_400_in_jira_shape(client: JIRA) -> None:
    """Creating in a project that does not exist answers Jira's 400 body."""
    with pytest.raises(JIRAError) as caught:
        client.create_issue(
            fields={"project": {"key": "NOPE"}, "issuetype": {"name": "Task"}, "summary": "x"}
        )
    assert caught.value.status_code == 400
    assert caught.value.response.json() == {
        "errorMessages": [],
        "errors": {"project": "valid project is required"},
    }


def test_an_unknown_path_is_a_404_in_jira_shape(fake: FakeJira) -> None:
    """Paths the fake does not serve answer 404 with Jira's error body."""
    response = requests.get(f"{fake.url}/rest/api/2/dashboard", timeout=5)
    assert response.status_code == 404
    assert response.json()["errorMessages"] == [f"null for uri: {fake.url}/rest/api/2/dashboard"]


def test_the_request_log_records_requests(fake: FakeJira, client: JIRA, clock: ManualClock) -> None:
    """Each request is logged with method, path, query, JSON body, redacted auth and time."""
    _create(client, "Logged")
    post = _calls(fake, "POST", "/rest/api/2/issue")[0]
    assert post.json == {"fields": {**TASK, "summary": "Logged"}}
    assert post.body.startswith(b"{")
    assert post.headers["Authorization"] == "Basic ***"
    assert post.header("authorization") == "Basic ***"
    assert post.timestamp == clock.now()
    client.issue("MLC-1", fields="summary")
    assert fake.requests[-1].query == {"fields": ["summary"]}


def test_a_hung_request_times_the_client_out(fake: FakeJira) -> None:
    """`hang_next` holds the response so a client timeout fires; `release` frees it."""
    client = JIRA(server=fake.url, basic_auth=("alice", "t"), max_retries=0, timeout=0.5)
    fake.hang_next()
    with pytest.raises(requests.exceptions.Timeout):
        client.myself()
    fake.release()
    assert client.myself()["name"] == "alice"
    client.close()


def test_a_hang_after_commit_loses_the_response_but_keeps_the_issue(fake: FakeJira) -> None:
    """With `commit_first` the issue is created although the client times out."""
    client = JIRA(server=fake.url, basic_auth=("alice", "t"), max_retries=0, timeout=0.5)
    fake.hang_next(path_prefix="/rest/api/2/issue", commit_first=True)
    with pytest.raises(requests.exceptions.Timeout):
        _create(client, "Created once")
    fake.release()
    client.close()
    assert list(fake.issues) == ["MLC-1"]


def test_lifecycle_errors_are_explicit() -> None:
    """The URL needs a running fake, starting twice fails, and stop can repeat."""
    fake = FakeJira()
    with pytest.raises(RuntimeError, match="not running"):
        _ = fake.url
    fake.start()
    with pytest.raises(RuntimeError, match="already running"):
        fake.start()
    fake.stop()
    fake.stop()
    with pytest.raises(ValueError, match="unknown type"):
        FakeJira(custom_fields={"Risk": "colour"})
    with pytest.raises(ValueError, match="deployment"):
        FakeJira(deployment="DC")  # type: ignore[arg-type]
    assert fake.errors == []
