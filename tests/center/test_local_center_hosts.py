"""LocalCenter shared by several hosts on one database: each job runs once."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from credit_support import EXAMPLE, csv_asset
from modelop_mlc import ManualClock
from modelop_mlc.center import LocalCenter
from modelop_mlc.domain import AssetRole, JobStatus, JobType
from modelop_mlc.store import open_store


def centers(path: Path, clock: ManualClock, count: int) -> list[tuple[LocalCenter, list[Any]]]:
    """`count` centers, each on its own connection to one SQLite file, recording its events."""
    found = []
    for _ in range(count):
        store = open_store(str(path))
        store.migrate(upgrade=True)
        events: list[Any] = []
        found.append(
            (LocalCenter(store, clock, on_event=lambda n, v, e=events: e.append(n)), events)
        )
    return found


def queue_job(center: LocalCenter) -> str:
    """Register the example model and queue one metrics job for it."""
    model = center.register_model(
        "credit-default",
        source=EXAMPLE / "model.py",
        assets=[csv_asset("test.csv", AssetRole.TEST_DATA, rows=50)],
    )
    snapshot = center.create_deployable_model(model.id)
    job = center.create_batch_job(
        snapshot, JobType.MODEL_BATCH_TEST_JOB, inputs=snapshot.assets_with_role("TEST_DATA")
    )
    return job.id


def test_two_hosts_running_pending_jobs_at_once_run_each_job_once(tmp_path: Path) -> None:
    """Both hosts try; one claims the job, the other skips it."""
    clock = ManualClock()
    (first, first_events), (second, second_events) = centers(tmp_path / "c.db", clock, 2)
    job_id = queue_job(first)
    first_events.clear()
    ran: list[int] = []
    barrier = threading.Barrier(2)

    def work(center: LocalCenter) -> None:
        barrier.wait()
        ran.append(center.run_pending_jobs())

    threads = [threading.Thread(target=work, args=(c,)) for c in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(ran) == [0, 1]
    changed = [e for e in first_events + second_events if e.endswith("job_status_changed")]
    assert len(changed) == 1
    assert first.get_job(job_id).job_status == JobStatus.COMPLETE


def test_a_job_left_running_by_a_dead_host_is_run_again_after_twice_the_timeout(
    tmp_path: Path,
) -> None:
    """RUNNING for longer than 2 x job_timeout means its host died: another host takes it."""
    clock = ManualClock()
    [(center, _)] = centers(tmp_path / "c.db", clock, 1)
    job_id = queue_job(center)
    stuck = center.get_job(job_id).model_copy(
        update={"job_status": JobStatus.RUNNING, "started_date": clock.now()}
    )
    center._put("job", stuck, job_id)  # what a host that died mid-job leaves behind

    assert center.run_pending_jobs() == 0
    assert center.run_job(job_id).job_status == JobStatus.RUNNING
    clock.advance(timedelta(seconds=2 * center.job_timeout + 1))
    assert center.run_pending_jobs() == 1
    assert center.get_job(job_id).job_status == JobStatus.COMPLETE
