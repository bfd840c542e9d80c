"""The Cockpit and Tasklist in a real headless Chromium, against a live server on 127.0.0.1.

Each flow is asserted on the page and in the store. The pages are photographed into the
test's temporary folder (checked as PNGs of the page's size, never pixel by pixel); with
`MLC_SCREENSHOT_DIR=docs/img` the pictures of docs/cockpit.md are written there too.
Without Chromium the tests skip, loudly; with `MLC_REQUIRE_BROWSER=1` (CI) they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import cockpit_review
from cockpit_review import KEY, RELEASE_SIGNAL
from modelop_mlc import LifecycleManager
from modelop_mlc.cli import main as mlc
from modelop_mlc.kpis import compute_kpis
from modelop_mlc.web import site
from web.support import ADMIN_TOKEN, AUTH, deploy_review, live_server

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 15_000


def _playwright() -> Any:
    reason = ""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "the playwright package is not installed (pip install -e '.[dev]')"
    if not reason and not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (apt-get install chromium chromium-driver)"
    if reason:
        message = f"BROWSER TESTS NOT RUN: {reason}"
        if os.environ.get("MLC_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return sync_playwright


@pytest.fixture(name="browser", scope="module")
def _browser() -> Iterator[Any]:
    sync_playwright = _playwright()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture(name="page")
def _page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.set_default_timeout(WAIT_MS)
    yield page
    context.close()


@pytest.fixture(name="review")
def _review(manager: LifecycleManager) -> Iterator[LifecycleManager]:
    cockpit_review.BROKEN["prepare"] = False
    deploy_review(manager)
    yield manager
    cockpit_review.BROKEN["prepare"] = False


@pytest.fixture(name="url")
def _url(review: LifecycleManager) -> Iterator[str]:
    with live_server(site(review, auth=AUTH)) as url:
        yield url


def shoot(page: Any, name: str, folder: Path) -> None:
    """Photograph the window into `folder`, check the PNG, and copy it for the docs."""
    target = folder / name
    page.screenshot(path=str(target))
    data = target.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    size = struct.unpack(">II", data[16:24])
    assert size == (page.viewport_size["width"], page.viewport_size["height"])
    docs = os.environ.get("MLC_SCREENSHOT_DIR")
    if docs:
        Path(docs).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(target, Path(docs) / name)


def log_in(page: Any, url: str, path: str = "/cockpit") -> None:
    """Open `path`, get sent to the login form, log in, and land back on `path`."""
    page.goto(url + path)
    assert page.url.startswith(url + "/login")
    page.fill("#token", ADMIN_TOKEN)
    page.click("form.login button")
    page.wait_for_url(url + path)


def _at_review(manager: LifecycleManager, **variables: Any) -> str:
    instance = manager.start(KEY, dict(variables), business_key="credit-risk-v3")
    manager.run_due()
    return instance.id


def _state(page: Any, element_id: str) -> str:
    found = page.get_attribute(f'#diagram g[data-element-id="{element_id}"]', "class")
    return str(found).split()[1]


def test_log_in_open_the_instance_and_see_the_waiting_task(
    page: Any, url: str, review: LifecycleManager, tmp_path: Path
) -> None:
    """After logging in, the instance page highlights the user task it waits at."""
    instance_id = _at_review(
        review,
        DEPLOYABLE_MODEL={"storedModel": {"modelMetaData": {"name": "credit-default"}}},
        DB_PASSWORD="hunter2-db",
    )
    log_in(page, url)
    shoot(page, "cockpit-processes.png", tmp_path)
    page.click("nav >> text=Instances")
    page.fill("input[name=model]", "credit")
    page.click("form.filters button")
    page.click(f'a[href="/cockpit/instances/{instance_id}"]')
    page.wait_for_selector('#diagram g[data-element-id="review"]')
    assert _state(page, "review") == "active"
    assert _state(page, "prepare") == "taken"
    assert "hunter2-db" not in page.content()
    assert "review" in review.instance(instance_id).waiting_at
    shoot(page, "cockpit-instance.png", tmp_path)


def test_complete_the_user_task_through_its_form(
    page: Any, url: str, review: LifecycleManager, tmp_path: Path
) -> None:
    """The Tasklist shows the group's task; its form completes it with typed values."""
    instance_id = _at_review(review)
    log_in(page, url, "/tasklist")
    page.click("a.task-link >> text=Review model")
    page.check("input[name=approved]")
    page.fill("input[name=score]", "8")
    page.select_option("select[name=risk]", "high")
    page.fill("input[name=comment]", "Looks good; AUC above the bar")
    shoot(page, "tasklist-form.png", tmp_path)
    page.click("form.task-form button")
    page.wait_for_url(url + "/tasklist")
    assert "Completed 'Review model'" in page.inner_text(".flash.ok")
    variables = review.variables(instance_id)
    assert (variables["approved"], variables["score"], variables["risk"]) == (True, 8, "high")
    assert review.tasks(instance_id=instance_id) == []
    page.goto(f"{url}/cockpit/instances/{instance_id}")
    assert _state(page, "released") == "active"
    assert _state(page, "review") == "taken"


def test_retry_an_incident(page: Any, url: str, review: LifecycleManager, tmp_path: Path) -> None:
    """A failed job shows as an incident in red; Retry runs it again and the process goes on."""
    cockpit_review.BROKEN["prepare"] = True
    instance_id = _at_review(review)
    log_in(page, url, f"/cockpit/instances/{instance_id}")
    assert _state(page, "prepare") == "incident"
    assert "registry is unreachable" in page.inner_text("table.incidents")
    shoot(page, "cockpit-incident.png", tmp_path)
    cockpit_review.BROKEN["prepare"] = False
    page.click("table.incidents button.retry")
    page.wait_for_selector(".flash.ok")
    assert "Retried; the instance is running." in page.inner_text(".flash.ok")
    assert _state(page, "review") == "active"
    assert review.incidents(instance_id=instance_id) == []
    assert review.instance(instance_id).status == "running"


def test_send_a_signal_and_watch_the_diagram_update(
    page: Any, url: str, review: LifecycleManager, tmp_path: Path
) -> None:
    """The open diagram refreshes by itself; a signal sent from its form ends the instance."""
    instance_id = _at_review(review)
    log_in(page, url, f"/cockpit/instances/{instance_id}")
    (task,) = review.tasks(instance_id=instance_id)
    review.complete_task(task.id, {"approved": True})
    # The page polls the server-drawn SVG; the wait ends as soon as the new state shows.
    page.wait_for_selector('#diagram g.active[data-element-id="released"]')
    page.click("nav >> text=Send signal")
    page.fill("#signal-name", RELEASE_SIGNAL)
    page.fill("#signal-variables", json.dumps({"release": "v3"}))
    shoot(page, "cockpit-signal.png", tmp_path)
    page.click("form.signal button")
    page.wait_for_selector(".flash.ok")
    assert "0 started, 1 resumed" in page.inner_text(".flash.ok")
    instance = review.instance(instance_id)
    assert instance.status == "completed"
    assert instance.variables["release"] == "v3"


@pytest.fixture(name="demo", scope="module")
def _demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LifecycleManager]:
    folder = tmp_path_factory.mktemp("demo")
    assert mlc(["demo", "--dir", str(folder)]) == 0
    manager = LifecycleManager.open(folder / "mlc.db")
    yield manager
    manager.close()


def test_the_demo_instance_and_its_kpis(
    browser: Any, demo: LifecycleManager, tmp_path: Path
) -> None:
    """The demo's finished instance shows its path taken; the KPI page charts its numbers."""
    # The newest instance that went all the way to production.
    instance = next(
        i
        for i in demo.instances(key="deploy_with_test_and_jira")
        if any(e.activity_id == "deployed" for e in demo.history(i.id))
    )
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    with live_server(site(demo, auth=AUTH)) as url:
        log_in(page, url, f"/cockpit/instances/{instance.id}")
        assert _state(page, "deployed") == "taken"
        assert page.locator("#diagram g.active").count() == 0
        assert demo.instance(instance.id).status == "completed"
        shoot(page, "cockpit-demo-instance.png", tmp_path)
        page.click("nav >> text=KPIs")
        bars = page.locator("#kpi-time-to-production g.bar")
        assert bars.count() == 4
        kpis = compute_kpis(demo)
        assert kpis.time_to_production is not None
        median = page.get_attribute(
            '#kpi-time-to-production g.bar[data-label="median"]', "data-value"
        )
        assert float(str(median)) == pytest.approx(kpis.time_to_production.median)
        ring = "#kpi-pass-rate svg"
        assert page.get_attribute(ring, "data-passed") == str(kpis.tests_passed)
        assert page.get_attribute(ring, "data-judged") == str(kpis.tests_judged)
        shoot(page, "cockpit-kpis.png", tmp_path)
    page.close()
