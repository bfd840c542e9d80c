"""The Cockpit and Tasklist over HTTP (Starlette's test client): login, CSRF, pages, actions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.applications import Starlette

import cockpit_review
from cockpit_review import KEY, RELEASE_SIGNAL
from modelop_mlc import LifecycleManager, ManagerConfig, ManualClock
from modelop_mlc.config import SECRET_NAMES
from modelop_mlc.errors import ConfigurationError
from modelop_mlc.web import create_app, site
from rest.support import TestClient
from web.support import ADMIN_TOKEN, AUTH, COMPLETER_TOKEN, READER_TOKEN, deploy_review

BASE = "http://testserver"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(name="review")
def _review(manager: LifecycleManager) -> Iterator[LifecycleManager]:
    cockpit_review.BROKEN["prepare"] = False
    deploy_review(manager)
    yield manager
    cockpit_review.BROKEN["prepare"] = False


@pytest.fixture(name="client")
def _client(review: LifecycleManager) -> Iterator[TestClient]:
    with TestClient(site(review, auth=AUTH), base_url=BASE) as client:
        yield client


def login(client: TestClient, token: str = ADMIN_TOKEN) -> str:
    """Log in through the form; return the session's CSRF token."""
    page = client.get("/login")
    (form_token,) = CSRF.findall(page.text)
    answer = client.post("/login", data={"token": token, "csrf_token": form_token})
    assert answer.status_code == 200, answer.text
    (csrf,) = set(CSRF.findall(client.get("/cockpit").text))
    return csrf


def _at_review(manager: LifecycleManager, **variables: object) -> str:
    instance = manager.start(KEY, dict(variables), business_key="credit-7")
    manager.run_due()
    return instance.id


def test_pages_redirect_to_login_and_refuse_bad_tokens(client: TestClient) -> None:
    """Without a session a page redirects to the login form; a wrong token is refused."""
    answer = client.get("/cockpit/instances", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/cockpit/instances"
    page = client.get("/login")
    (form_token,) = CSRF.findall(page.text)
    wrong = client.post("/login", data={"token": "nope", "csrf_token": form_token})
    assert wrong.status_code == 401
    assert "not accepted" in wrong.text
    assert "mlc_session" not in client.cookies


def test_login_sets_a_strict_http_only_cookie_and_returns_to_the_page(client: TestClient) -> None:
    """A good token opens a session (HttpOnly, SameSite=Strict) and goes back to `next`."""
    page = client.get("/login?next=/cockpit/kpis")
    (form_token,) = CSRF.findall(page.text)
    answer = client.post(
        "/login?next=/cockpit/kpis",
        data={"token": ADMIN_TOKEN, "csrf_token": form_token},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == "/cockpit/kpis"
    cookie = answer.headers["set-cookie"]
    assert "mlc_session=" in cookie
    assert "httponly" in cookie.lower()
    assert "samesite=strict" in cookie.lower()
    assert ADMIN_TOKEN not in cookie


def test_login_without_its_csrf_cookie_and_open_redirects_are_refused(
    client: TestClient,
) -> None:
    """The login form must echo its cookie; `next` never leaves the site."""
    refused = client.post("/login", data={"token": ADMIN_TOKEN, "csrf_token": "forged"})
    assert refused.status_code == 403
    page = client.get("/login")
    (form_token,) = CSRF.findall(page.text)
    answer = client.post(
        "/login?next=//evil.example/x",
        data={"token": ADMIN_TOKEN, "csrf_token": form_token},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/cockpit"


def test_form_posts_without_the_session_csrf_token_are_refused(
    client: TestClient, review: LifecycleManager
) -> None:
    """Cancel without the CSRF token, or from another origin, changes nothing."""
    instance_id = _at_review(review)
    csrf = login(client)
    bare = client.post(f"/cockpit/instances/{instance_id}/cancel", data={"reason": "x"})
    assert bare.status_code == 403
    foreign = client.post(
        f"/cockpit/instances/{instance_id}/cancel",
        data={"csrf_token": csrf},
        headers={"Origin": "http://evil.example"},
    )
    assert foreign.status_code == 403
    assert review.instance(instance_id).status == "running"
    done = client.post(f"/cockpit/instances/{instance_id}/cancel", data={"csrf_token": csrf})
    assert done.status_code == 200
    assert "The instance was cancelled." in done.text
    assert review.instance(instance_id).status == "cancelled"


def test_the_rest_api_ignores_the_session_cookie(client: TestClient) -> None:
    """Logged in to the pages, the REST API still wants its bearer token."""
    login(client)
    assert client.get("/engine-rest/process-definition").status_code == 401
    bearer = {"Authorization": f"Bearer {READER_TOKEN}"}
    assert client.get("/engine-rest/process-definition", headers=bearer).status_code == 200


def test_bearer_callers_read_pages_and_permissions_hold(
    client: TestClient, review: LifecycleManager
) -> None:
    """A bearer token reads pages; a read-only principal may not cancel."""
    instance_id = _at_review(review)
    reader = {"Authorization": f"Bearer {READER_TOKEN}"}
    page = client.get(f"/cockpit/instances/{instance_id}", headers=reader)
    assert page.status_code == 200
    assert 'data-element-id="review"' in page.text
    refused = client.post(f"/cockpit/instances/{instance_id}/cancel", headers=reader)
    assert refused.status_code == 403
    assert "does not have &#x27;complete&#x27; permission" in refused.text
    assert review.instance(instance_id).status == "running"


def test_instance_page_masks_secrets_and_shows_history(
    client: TestClient, review: LifecycleManager
) -> None:
    """Secret-looking variables (and nested fields) are masked; the rest is shown."""
    instance_id = _at_review(
        review,
        DB_PASSWORD="hunter2-db",
        jiraApiToken="tok-123456",
        CONFIG={"client_secret": "s3-nested", "region": "eu-west-1"},
        MODEL_OWNER="risk-team",
    )
    login(client)
    page = client.get(f"/cockpit/instances/{instance_id}").text
    for secret in ("hunter2-db", "tok-123456", "s3-nested"):
        assert secret not in page
    assert "eu-west-1" in page
    assert "risk-team" in page
    assert "••••••" in page
    assert "activity start" in page
    assert 'class="mlc-element active" data-element-id="review"' in page


def test_instances_filter_by_status_key_business_key_and_model(
    client: TestClient, review: LifecycleManager
) -> None:
    """Each filter narrows the list; the model name comes from the signal's model."""
    model = {"storedModel": {"modelMetaData": {"name": "credit-default"}}}
    first = _at_review(review, DEPLOYABLE_MODEL=model)
    second = review.start(KEY, business_key="other-1").id
    review.run_due()
    review.cancel(second)
    login(client)

    def listed(query: str) -> set[str]:
        page = client.get(f"/cockpit/instances?{query}").text
        return {i for i in (first, second) if f"/cockpit/instances/{i}" in page}

    assert listed("") == {first, second}
    assert listed("status=cancelled") == {second}
    assert listed("business_key=credit-7") == {first}
    assert listed("model=CREDIT") == {first}
    assert listed(f"key={KEY}&status=running") == {first}
    assert client.get("/cockpit/instances?status=bogus").status_code == 400


def test_definition_page_counts_instances_per_activity(
    client: TestClient, review: LifecycleManager
) -> None:
    """The definition's diagram marks `review` with the instances waiting there (not the
    cancelled one) and `prepare` with its open incident."""
    for _ in range(3):
        _at_review(review)
    review.cancel(_at_review(review))
    cockpit_review.BROKEN["prepare"] = True
    broken = review.start(KEY).id
    review.run_due()
    assert review.incidents(instance_id=broken)
    login(client)
    overview = client.get("/cockpit").text
    (definition,) = review.definitions(KEY)
    assert f"/cockpit/definitions/{definition.id}" in overview
    page = client.get(f"/cockpit/definitions/{definition.id}").text
    assert 'data-element-id="review" data-element-type="userTask" data-count="3"' in page
    assert "3 running" in page
    assert "1 incident" in page
    assert review.waiting_at(definition.id) == {"review": 3, "remind": 3, "prepare": 1}
    assert review.open_incidents_at(definition.id) == {"prepare": 1}


def test_overview_counts_per_status_and_instances_list_stops_at_a_page(
    client: TestClient, review: LifecycleManager, clock: ManualClock
) -> None:
    """The overview shows the database's counts per status; the instances page lists the
    newest 200, says more match, and a model filter reads past the first page to find one."""
    model = {"storedModel": {"modelMetaData": {"name": "credit-default"}}}
    oldest = review.start(KEY, {"DEPLOYABLE_MODEL": model}).id
    clock.advance(timedelta(seconds=1))
    newer = [review.start(KEY).id for _ in range(201)]
    review.cancel(newer[0])
    login(client)
    overview = client.get("/cockpit").text
    for status, count in (("running", 201), ("cancelled", 1), ("completed", 0)):
        assert re.search(rf"status=(?:{status})\">{count}</a>", overview), (status, overview)
    page = client.get("/cockpit/instances").text
    assert "the newest 200 instances; narrow the filters" in page
    assert page.count('class="instance-link"') == 200
    assert f"/cockpit/instances/{newer[-1]}" in page
    assert f"/cockpit/instances/{oldest}" not in page
    found = client.get("/cockpit/instances?model=credit").text
    assert f"/cockpit/instances/{oldest}" in found
    assert '<p class="count">1 instance</p>' in found


def test_task_form_is_checked_and_completes_the_task(
    client: TestClient, review: LifecycleManager
) -> None:
    """A bad number re-shows the form with the problem; good values complete the task."""
    instance_id = _at_review(review)
    csrf = login(client)
    (task,) = review.tasks(instance_id=instance_id)
    form = client.get(f"/tasklist/{task.id}").text
    assert 'type="checkbox" name="approved"' in form
    assert 'type="number" name="score"' in form
    assert '<option value="high">High</option>' in form
    bad = client.post(f"/tasklist/{task.id}/complete", data={"csrf_token": csrf, "score": "lots"})
    assert bad.status_code == 400
    assert "Score must be a whole number" in bad.text
    good = client.post(
        f"/tasklist/{task.id}/complete",
        data={"csrf_token": csrf, "approved": "true", "score": "7", "risk": "low"},
    )
    assert "Completed" in good.text
    variables = review.variables(instance_id)
    assert (variables["approved"], variables["score"], variables["risk"]) == (True, 7, "low")
    assert review.instance(instance_id).waiting_at == ("released",)


def test_tasklist_shows_only_the_tasks_a_user_may_see(
    client: TestClient, review: LifecycleManager
) -> None:
    """`ana` (group approvers, admin) sees the review; `rob` (read, no groups) sees it nowhere,
    not even under all open tasks, as over REST."""
    _at_review(review)
    login(client)
    assert "Review model" in client.get("/tasklist").text
    reader = {"Authorization": f"Bearer {READER_TOKEN}"}
    assert "Review model" not in client.get("/tasklist", headers=reader).text
    assert "Review model" not in client.get("/tasklist?show=all", headers=reader).text
    assert "Review model" in client.get("/tasklist?show=all").text


def test_a_task_and_its_variables_are_hidden_from_those_it_does_not_name(
    client: TestClient, review: LifecycleManager
) -> None:
    """`rob` (read and complete, no groups) gets 403 on the review's form and its completion,
    and the instance page hides its variables and the task; `ana` sees both."""
    instance_id = _at_review(review, JIRA_PASSWORD="hunter2", region="eu-west-1")
    (task,) = review.tasks(instance_id=instance_id)
    rob = {"Authorization": f"Bearer {COMPLETER_TOKEN}"}
    assert client.get(f"/tasklist/{task.id}", headers=rob).status_code == 403
    refused = client.post(f"/tasklist/{task.id}/complete", headers=rob, data={"score": "7"})
    assert refused.status_code == 403
    assert [t.id for t in review.tasks(instance_id=instance_id)] == [task.id]  # still open
    page = client.get(f"/cockpit/instances/{instance_id}", headers=rob).text
    assert "eu-west-1" not in page
    assert "assigned to others" in page
    assert f"/tasklist/{task.id}" not in page
    login(client)
    mine = client.get(f"/cockpit/instances/{instance_id}").text
    assert "eu-west-1" in mine
    assert f"/tasklist/{task.id}" in mine


def test_host_marked_secret_names_are_masked_on_the_pages(tmp_path: Path) -> None:
    """A name the host adds to `secret_variables` (`*PIN_CODE*`) is masked on the instance
    page and the task form page, like JIRA_PASSWORD; other values are shown."""
    config = ManagerConfig(secret_variables=(*SECRET_NAMES, "*PIN_CODE*"))
    with LifecycleManager.open(tmp_path / "mlc.db", config=config) as manager:
        deploy_review(manager)
        instance_id = _at_review(
            manager, BANK_PIN_CODE="pin-7730", JIRA_PASSWORD="hunter2-jira", region="eu-west-1"
        )
        (task,) = manager.tasks(instance_id=instance_id)
        with TestClient(site(manager, auth=AUTH), base_url=BASE) as client:
            login(client)
            pages = [
                client.get(f"/cockpit/instances/{instance_id}").text,
                client.get(f"/tasklist/{task.id}").text,
            ]
    for page in pages:
        assert "pin-7730" not in page
        assert "hunter2-jira" not in page
        assert "eu-west-1" in page


def test_signal_form_checks_json_and_reports_what_it_did(
    client: TestClient, review: LifecycleManager
) -> None:
    """Bad JSON is refused with the reason; a good signal resumes the waiting instance."""
    instance_id = _at_review(review)
    (task,) = review.tasks(instance_id=instance_id)
    review.complete_task(task.id, {"approved": True})
    csrf = login(client)
    bad = client.post(
        "/cockpit/signal", data={"csrf_token": csrf, "name": RELEASE_SIGNAL, "variables": "{"}
    )
    assert bad.status_code == 400
    assert "not valid JSON" in bad.text
    sent = client.post(
        "/cockpit/signal",
        data={"csrf_token": csrf, "name": RELEASE_SIGNAL, "variables": '{"release": "v3"}'},
    )
    assert "0 started, 1 resumed" in sent.text
    assert review.instance(instance_id).status == "completed"
    assert review.variables(instance_id)["release"] == "v3"


def test_incident_retry_from_the_instance_page(
    client: TestClient, review: LifecycleManager
) -> None:
    """An incident's Retry button runs the job again; fixed, the instance goes on."""
    cockpit_review.BROKEN["prepare"] = True
    instance_id = _at_review(review)
    (incident,) = review.incidents(instance_id=instance_id)
    csrf = login(client)
    page = client.get(f"/cockpit/instances/{instance_id}").text
    assert "registry is unreachable" in page
    assert f"/cockpit/incidents/{incident.id}/retry" in page
    cockpit_review.BROKEN["prepare"] = False
    answer = client.post(f"/cockpit/incidents/{incident.id}/retry", data={"csrf_token": csrf})
    assert "Retried; the instance is running." in answer.text
    assert review.incidents(instance_id=instance_id) == []
    assert "review" in review.instance(instance_id).waiting_at
    again = client.post(f"/cockpit/incidents/{incident.id}/retry", data={"csrf_token": csrf})
    assert again.status_code == 404


def test_sessions_expire_with_the_manager_clock(
    client: TestClient, review: LifecycleManager, clock: ManualClock
) -> None:
    """Nine hours later the session is gone and pages ask for a login again."""
    login(client)
    assert client.get("/cockpit", follow_redirects=False).status_code == 200
    clock.advance(timedelta(hours=9))
    assert client.get("/cockpit", follow_redirects=False).status_code == 303


def test_logout_ends_the_session(client: TestClient) -> None:
    """After logging out, the old cookie opens nothing."""
    csrf = login(client)
    client.post("/logout", data={"csrf_token": csrf})
    assert client.get("/cockpit", follow_redirects=False).status_code == 303


def test_kpi_page_draws_its_charts(client: TestClient, review: LifecycleManager) -> None:
    """The KPI page has a section per KPI, saying so when there is no data yet."""
    _at_review(review)
    login(client)
    page = client.get("/cockpit/kpis").text
    for section in ("kpi-time-to-production", "kpi-approval", "kpi-pass-rate"):
        assert f'id="{section}"' in page
    assert "Time to production: no data yet." in page


def test_anonymous_mode_needs_no_login_but_still_checks_csrf(
    review: LifecycleManager,
) -> None:
    """Without auth every browser gets a session: pages open, forms still need the token."""
    instance_id = _at_review(review)
    app: Starlette = create_app(review, auth=None, allow_anonymous=True)
    with TestClient(app, base_url=BASE) as client:
        page = client.get(f"/cockpit/instances/{instance_id}")
        assert page.status_code == 200
        (csrf,) = set(CSRF.findall(page.text))
        assert client.post(f"/cockpit/instances/{instance_id}/cancel").status_code == 403
        client.post(f"/cockpit/instances/{instance_id}/cancel", data={"csrf_token": csrf})
    assert review.instance(instance_id).status == "cancelled"


def test_create_app_needs_auth_or_an_explicit_anonymous(manager: LifecycleManager) -> None:
    """No auth without allow_anonymous, or both, is a configuration error."""
    with pytest.raises(ConfigurationError, match="auth="):
        create_app(manager, auth=None)
    with pytest.raises(ConfigurationError, match="not both"):
        create_app(manager, auth=AUTH, allow_anonymous=True)


def test_static_files_and_unknown_pages(client: TestClient) -> None:
    """The stylesheet and script are served; other names are 404."""
    assert "text/css" in client.get("/static/cockpit.css").headers["content-type"]
    assert "setInterval" in client.get("/static/cockpit.js").text
    assert client.get("/static/secret.py").status_code == 404


def test_overview_shows_many_ended_instances_as_a_floor() -> None:
    """Ended counts stop at 1,000 and show as "1,000+"; running counts show as counted."""
    from modelop_mlc.web._cockpit import _ENDED_SHOWN_UP_TO, _shown

    assert _shown("completed", _ENDED_SHOWN_UP_TO) == "1,000+"
    assert _shown("cancelled", _ENDED_SHOWN_UP_TO - 1) == "999"
    assert _shown("running", 25_000) == "25000"
