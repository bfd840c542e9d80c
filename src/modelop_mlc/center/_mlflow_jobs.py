"""MlflowCenter's jobs and test results: MLflow runs linked to the model version they concern.

A job is queued in the manager's database (so one host claims it, by compare-and-swap) and
runs in a child process through `_runner`, with `_mlflow_child` as the model source: the
child loads the version with `mlflow.pyfunc` and calls it. Each job has an MLflow run in the
jobs experiment, tagged with the version (`mlc.model_name`, `mlc.model_version`) and, where
the version has a logged model, its metrics are linked to that model too. The run holds the
job's outcome: status tags, numeric results as metrics, `result.json`, scoring output files.
A metrics job's run is recorded on the version as `mlc.metrics_run`, a training job's as
`mlc.trained_run` (its `trained_model.json` is what later jobs on the version start from).

A test result is a run as well (the metrics job's own run when it has one): its
`test_result.json` is the record, read back by `find_test_results`, and the version's
`mlc.test_result` tag says `passed`, `failed` or `not judged`.
"""

from __future__ import annotations

import json
import logging
import math
import tempfile
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from modelop_mlc.center._mlflow_client import MlflowApi
from modelop_mlc.center._mlflow_records import split_snapshot_id
from modelop_mlc.center._port import ModelOpNotFoundError
from modelop_mlc.center._runner import FunctionRole, InputData, render_output, run_model_function
from modelop_mlc.clock import Clock
from modelop_mlc.domain import (
    Asset,
    AssetType,
    DeployableModel,
    JobStatus,
    JobType,
    ModelBatchJob,
    ModelTestResult,
)
from modelop_mlc.errors import IntegrationError

__all__ = ["NOT_JUDGED", "JobStore", "MlflowJobs", "verdict"]

log = logging.getLogger("modelop_mlc.center")
NOT_JUDGED = "not judged"
_DRIVER = Path(__file__).with_name("_mlflow_child.py")
_ROLE_FOR_JOB: dict[str, FunctionRole] = {
    JobType.MODEL_BATCH_TRAINING_JOB.value: FunctionRole.TRAIN,
    JobType.MODEL_BATCH_TEST_JOB.value: FunctionRole.METRICS,
    JobType.MODEL_BATCH_JOB.value: FunctionRole.SCORE,
}
_RUN_STATUS = {JobStatus.COMPLETE: "FINISHED", JobStatus.ERROR: "FAILED"}
_MAX_METRICS = 200


class _Tx(Protocol):
    def put_document(self, kind: str, doc_id: str, doc: Any, at: str) -> None: ...

    def replace_document(
        self, kind: str, doc_id: str, expected: Any, doc: Any, at: str
    ) -> bool: ...

    def insert_document(self, kind: str, doc_id: str, doc: Any, at: str) -> bool: ...


class JobStore(Protocol):
    """Where MlflowCenter keeps its queue and event log (the manager's `SqlStore` is one)."""

    def get_document(self, kind: str, doc_id: str) -> Any | None:
        """Read a document."""
        ...

    def list_documents(self, kind: str) -> list[Any]:
        """Read every document of a kind, oldest first."""
        ...

    def transaction(self) -> AbstractContextManager[_Tx]:
        """Open a write transaction."""
        ...


def verdict(passed: bool | None) -> str:
    """The `mlc.test_result` tag value for a test result's verdict."""
    if passed is None:
        return NOT_JUDGED
    return "passed" if passed else "failed"


class MlflowJobs:
    """Queue, run and record jobs and test results (used by `MlflowCenter`).

    Args:
        api: The MLflow client.
        store: The queue's database.
        clock: The manager's clock.
        experiment: The MLflow experiment job and test-result runs go to.
        read_asset: Reads an input asset's text.
        emit: Reports a job's status change (`job_status_changed`, with `JOB`).
        timeout: Seconds a job's child process may run.
        memory_bytes: Its address-space limit.
        python: The interpreter that runs it.
    """

    def __init__(
        self,
        api: MlflowApi,
        store: JobStore,
        clock: Clock,
        *,
        experiment: str,
        read_asset: Callable[[Asset], str],
        emit: Callable[[str, dict[str, Any]], None],
        timeout: float,
        memory_bytes: int | None,
        python: str | None,
    ) -> None:
        """Create the job runner."""
        self.api = api
        self.store = store
        self.clock = clock
        self.experiment = experiment
        self.read_asset = read_asset
        self.emit = emit
        self.timeout = timeout
        self.memory_bytes = memory_bytes
        self.python = python

    # ------------------------------------------------------------------ queue

    def _now(self) -> str:
        return self.clock.now().isoformat(timespec="microseconds")

    def create(
        self,
        snapshot: DeployableModel,
        job_type: JobType | str,
        *,
        inputs: Sequence[Asset],
        outputs: Sequence[Asset],
        runtime: str | None,
        parameters: Mapping[str, Any] | None,
        idempotency_key: str | None,
    ) -> ModelBatchJob:
        """Queue a job; a repeated idempotency key returns the job queued the first time."""
        job_id = (
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"mlc:mlflowJob:{idempotency_key}"))
            if idempotency_key
            else str(uuid.uuid4())
        )
        job = ModelBatchJob(
            id=job_id,
            job_type=job_type,
            deployable_model=snapshot,
            target_engine=runtime,
            input_data=list(inputs),
            output_data=list(outputs),
            job_parameters=dict(parameters or {}),
            created_date=self.clock.now(),
        )
        with self.store.transaction() as tx:
            if not tx.insert_document("mlflowJob", job_id, job.to_variable(), self._now()):
                return self.get(job_id)
        log.info("MLflow job %s (%s) queued for %s", job_id, job_type, snapshot.id)
        return job

    def get(self, job_id: str) -> ModelBatchJob:
        """Return a job."""
        doc = self.store.get_document("mlflowJob", job_id)
        if doc is None:
            raise ModelOpNotFoundError("job", job_id)
        return ModelBatchJob.from_variable(doc)

    def all(self) -> list[ModelBatchJob]:
        """Every job, newest first."""
        return [
            ModelBatchJob.from_variable(d) for d in reversed(self.store.list_documents("mlflowJob"))
        ]

    def run_pending(self, limit: int | None) -> int:
        """Run queued jobs, oldest first; return how many ran."""
        ran = 0
        for job in reversed(self.all()):
            if limit is not None and ran >= limit:
                break
            if self._claimable(job) and self.run(job.id) is not None:
                ran += 1
        return ran

    def run(self, job_id: str) -> ModelBatchJob | None:
        """Claim and run one job; None when it has ended or another host runs it."""
        doc = self.store.get_document("mlflowJob", job_id)
        if doc is None:
            raise ModelOpNotFoundError("job", job_id)
        job = ModelBatchJob.from_variable(doc)
        if not self._claimable(job):
            return None
        running = job.model_copy(
            update={"job_status": JobStatus.RUNNING, "started_date": self.clock.now()}
        )
        with self.store.transaction() as tx:
            if not tx.replace_document(
                "mlflowJob", job_id, doc, running.to_variable(), self._now()
            ):
                return None
        try:
            outcome = self._execute(running)
        except IntegrationError as err:
            # MLflow is unreachable: give the job back so a later round runs it again.
            self._save(job)
            log.warning("MLflow job %s put back: %s", job_id, err)
            raise
        self._save(outcome)
        log.info("MLflow job %s ended %s", outcome.id, outcome.job_status)
        self.emit("job_status_changed", {"JOB": outcome.to_variable()})
        return outcome

    def _save(self, job: ModelBatchJob) -> None:
        with self.store.transaction() as tx:
            tx.put_document("mlflowJob", job.id, job.to_variable(), self._now())

    def _claimable(self, job: ModelBatchJob) -> bool:
        if job.job_status == JobStatus.CREATED:
            return True
        if job.job_status != JobStatus.RUNNING or job.started_date is None:
            return False
        return self.clock.now() - job.started_date > timedelta(seconds=2 * self.timeout)

    # ------------------------------------------------------------------ running

    def _execute(self, job: ModelBatchJob) -> ModelBatchJob:
        snapshot = job.snapshot
        names = split_snapshot_id(snapshot.id)
        if names is None:
            return _failed(job, self.clock, f"'{snapshot.id}' is not an MLflow model version")
        role = _ROLE_FOR_JOB.get(str(job.job_type))
        if role is None:
            known = ", ".join(_ROLE_FOR_JOB)
            return _failed(job, self.clock, f"MlflowCenter runs {known} jobs, not {job.job_type}")
        name, version = names
        run_id = self._run_for(job, name, version)
        job = job.model_copy(update={"mlflowRunId": run_id})
        try:
            inputs = [
                InputData(
                    self.read_asset(a),
                    (a.file_format or "CSV").upper(),
                    a.filename or a.name or "input",
                )
                for a in job.input_data
            ]
        except (IntegrationError, ModelOpNotFoundError, ValueError) as err:
            return self._record(_failed(job, self.clock, str(err)), run_id, name, version)
        trained = self.trained_model(name, version)
        with tempfile.TemporaryDirectory(prefix="mlc-mlflow-model-") as tmp:
            uri = self.api.call(
                f"locate model version {name}/{version}",
                self.api.client.get_model_version_download_uri,
                name,
                version,
            )
            model_path = self.api.download(uri, Path(tmp))
            run = run_model_function(
                _DRIVER.read_text(encoding="utf-8"),
                role,
                inputs,
                job={
                    "id": job.id,
                    "jobType": str(job.job_type),
                    "jobParameters": job.job_parameters,
                    "trainedModel": trained,
                    "modelPath": str(model_path),
                },
                timeout_seconds=self.timeout,
                python=self.python,
                memory_bytes=self.memory_bytes,
            )
        if not run.ok:
            return self._record(
                _failed(job, self.clock, run.reason or "the model failed"), run_id, name, version
            )
        outputs = list(job.output_data)
        if run.records is not None and outputs:
            fmt = outputs[0].file_format or "JSON"
            path = f"outputs/{outputs[0].filename or outputs[0].name or 'output'}"
            url = self.api.log_text(run_id, render_output(run.records, fmt), path)
            outputs[0] = outputs[0].model_copy(
                update={"asset_type": AssetType.EXTERNAL_FILE, "file_url": url}
            )
        result = run.result if run.records is None else {"records": len(run.records)}
        done = job.model_copy(
            update={
                "job_status": JobStatus.COMPLETE,
                "result": result,
                "output_data": outputs,
                "ended_date": self.clock.now(),
            }
        )
        return self._record(done, run_id, name, version)

    def _run_for(self, job: ModelBatchJob, name: str, version: str) -> str:
        """The job's MLflow run: found by its tag (a retried job), else created."""
        found = self.api.runs(self.experiment, f"tags.`mlc.job_id` = '{job.id}'")
        if found:
            return str(found[0].info.run_id)
        run = self.api.call(
            f"create a run for job {job.id}",
            self.api.client.create_run,
            self.api.experiment_id(self.experiment),
            tags={
                "mlc.job_id": job.id,
                "mlc.job_type": str(job.job_type),
                "mlc.model_name": name,
                "mlc.model_version": version,
                "mlc.snapshot_id": job.snapshot.id,
                "mlflow.runName": f"{job.job_type} {name} v{version}",
            },
        )
        return str(run.info.run_id)

    def _record(self, job: ModelBatchJob, run_id: str, name: str, version: str) -> ModelBatchJob:
        """Write a finished job to its run (and the version's tags); return it."""
        client = self.api.client
        status = JobStatus(job.job_status)
        tags = {"mlc.job_status": status.value}
        if job.message:
            tags["mlc.job_message"] = job.message[:4000]
        for key, value in tags.items():
            self.api.call(f"tag run {run_id}", client.set_tag, run_id, key, value)
        if isinstance(job.result, dict):
            metrics = headline_metrics(job.result)
            model_id = self._model_id(name, version)
            for metric, number in metrics.items():
                self.api.call(
                    f"log metric {metric}",
                    client.log_metric,
                    run_id,
                    metric,
                    number,
                    model_id=model_id,
                )
        if job.result is not None:
            self.api.log_text(run_id, json.dumps(job.result, indent=1), "result.json")
        if job.job_type == JobType.MODEL_BATCH_TEST_JOB and status == JobStatus.COMPLETE:
            self._tag_version(name, version, "mlc.metrics_run", run_id)
        if job.job_type == JobType.MODEL_BATCH_TRAINING_JOB and status == JobStatus.COMPLETE:
            self.api.log_text(run_id, json.dumps(job.result), "trained_model.json")
            self._tag_version(name, version, "mlc.trained_run", run_id)
        self.api.call(
            f"end run {run_id}", client.set_terminated, run_id, _RUN_STATUS.get(status, "FAILED")
        )
        return job

    def _tag_version(self, name: str, version: str, key: str, value: str) -> None:
        self.api.call(
            f"tag model version {name}/{version}",
            self.api.client.set_model_version_tag,
            name,
            version,
            key,
            value,
        )

    def _model_id(self, name: str, version: str) -> str | None:
        found = self.api.call(
            f"read model version {name}/{version}",
            self.api.client.get_model_version,
            name,
            version,
        )
        source = str(found.source or "")
        logged = source.removeprefix("models:/")
        return logged if source.startswith("models:/m-") else None

    def store_trained_model(self, name: str, version: str, trained: dict[str, Any]) -> str:
        """Keep a trained model for a version (a run's `trained_model.json`); return the run."""
        run = self.api.call(
            "create a training run",
            self.api.client.create_run,
            self.api.experiment_id(self.experiment),
            tags={
                "mlc.model_name": name,
                "mlc.model_version": version,
                "mlflow.runName": f"trained model {name} v{version}",
            },
        )
        run_id = str(run.info.run_id)
        self.api.log_text(run_id, json.dumps(trained), "trained_model.json")
        self.api.call("end run", self.api.client.set_terminated, run_id, "FINISHED")
        self._tag_version(name, version, "mlc.trained_run", run_id)
        return run_id

    def trained_model(
        self, name: str, version: str, tags: Mapping[str, str] | None = None
    ) -> dict[str, Any] | None:
        """What the version's last training job produced, or None (`tags`: the version's)."""
        if tags is None:
            found = self.api.call(
                f"read model version {name}/{version}",
                self.api.client.get_model_version,
                name,
                version,
            )
            tags = found.tags or {}
        run_id = tags.get("mlc.trained_run")
        if not run_id:
            return None
        value = json.loads(self.api.read_text(f"runs:/{run_id}/trained_model.json"))
        return value if isinstance(value, dict) else None

    # ------------------------------------------------------------------ test results

    def create_result(
        self,
        snapshot: DeployableModel,
        results: Mapping[str, Any],
        *,
        job_id: str | None,
        idempotency_key: str | None,
    ) -> ModelTestResult:
        """Record a test result in a run (the job's run when it has one) and on the version."""
        names = split_snapshot_id(snapshot.id)
        if names is None:
            raise ModelOpNotFoundError("MLflow model version", snapshot.id)
        name, version = names
        if idempotency_key:
            earlier = self.api.runs(
                self.experiment, f"tags.`mlc.test_result_key` = '{idempotency_key}'"
            )
            if earlier:
                return self.get_result(str(earlier[0].info.run_id))
        run_id = self._result_run(job_id, snapshot, name, version)
        result = ModelTestResult(
            id=run_id,
            deployable_model_id=snapshot.id,
            stored_model_id=snapshot.stored_model.id,
            job_id=job_id,
            test_results=dict(results),
            created_date=self.clock.now(),
        )
        self._write_result(result, idempotency_key)
        for key, value in headline_metrics(dict(results)).items():
            self.api.call(f"log metric {key}", self.api.client.log_metric, run_id, key, value)
        return result

    def _result_run(
        self, job_id: str | None, snapshot: DeployableModel, name: str, version: str
    ) -> str:
        if job_id:
            runs = self.api.runs(self.experiment, f"tags.`mlc.job_id` = '{job_id}'")
            if runs and "mlc.test_result" not in runs[0].data.tags:
                return str(runs[0].info.run_id)
        run = self.api.call(
            "create a test-result run",
            self.api.client.create_run,
            self.api.experiment_id(self.experiment),
            tags={
                "mlc.model_name": name,
                "mlc.model_version": version,
                "mlc.snapshot_id": snapshot.id,
                "mlflow.runName": f"test result {name} v{version}",
            },
        )
        self.api.call("end run", self.api.client.set_terminated, run.info.run_id, "FINISHED")
        return str(run.info.run_id)

    def _write_result(self, result: ModelTestResult, key: str | None = None) -> None:
        client = self.api.client
        run_id = result.id
        self.api.log_text(run_id, json.dumps(result.to_variable(), indent=1), "test_result.json")
        tags = {
            "mlc.test_result": "true",
            "mlc.test_result_verdict": verdict(result.test_result_passed),
        }
        if key:
            tags["mlc.test_result_key"] = key
        for tag, value in tags.items():
            self.api.call(f"tag run {run_id}", client.set_tag, run_id, tag, value)
        names = split_snapshot_id(result.deployable_model_id)
        if names is not None:
            self._tag_version(*names, "mlc.test_result", verdict(result.test_result_passed))
            self._tag_version(*names, "mlc.test_result_run", run_id)

    def get_result(self, result_id: str) -> ModelTestResult:
        """Read a test result back from its run."""
        text = self.api.read_text(f"runs:/{result_id}/test_result.json")
        return ModelTestResult.from_variable(json.loads(text))

    def patch_result(self, result_id: str, patch: Mapping[str, Any]) -> ModelTestResult:
        """Merge `patch` into a test result and re-tag its run and version."""
        current = self.get_result(result_id).to_variable()
        updated = ModelTestResult.from_variable({**current, **dict(patch)})
        self._write_result(updated)
        return updated

    def find_results(self, snapshot_id: str) -> list[ModelTestResult]:
        """A version's test results, newest first, read back from their runs."""
        runs = self.api.runs(
            self.experiment,
            f"tags.`mlc.snapshot_id` = '{snapshot_id}' and tags.`mlc.test_result` = 'true'",
        )
        return [self.get_result(str(r.info.run_id)) for r in runs]


def headline_metrics(result: Mapping[str, Any]) -> dict[str, float]:
    """The finite numbers at the top of a result: what MLflow shows as the run's metrics."""
    found: dict[str, float] = {}
    for key, value in result.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if math.isfinite(value) and len(found) < _MAX_METRICS:
            found[str(key)] = float(value)
    return found


def _failed(job: ModelBatchJob, clock: Clock, message: str) -> ModelBatchJob:
    return job.model_copy(
        update={"job_status": JobStatus.ERROR, "message": message, "ended_date": clock.now()}
    )
