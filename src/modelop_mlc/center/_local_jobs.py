"""The jobs layer of `LocalCenter`: queue, claim and run batch jobs in a child process."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from modelop_mlc.center._local_catalogue import _LocalCatalogue, log
from modelop_mlc.center._port import ModelOpNotFoundError
from modelop_mlc.center._runner import FunctionRole, InputData, render_output, run_model_function
from modelop_mlc.domain import (
    Asset,
    AssetRole,
    DeployableModel,
    JobStatus,
    JobType,
    ModelBatchJob,
)
from modelop_mlc.errors import IntegrationError

__all__: list[str] = []

_ROLE_FOR_JOB: dict[str, FunctionRole] = {
    JobType.MODEL_BATCH_TRAINING_JOB: FunctionRole.TRAIN,
    JobType.MODEL_BATCH_TEST_JOB: FunctionRole.METRICS,
    JobType.MODEL_BATCH_JOB: FunctionRole.SCORE,
}


class _LocalJobs(_LocalCatalogue):
    """Batch jobs of `LocalCenter`."""

    # ------------------------------------------------------------------ jobs

    def create_batch_job(
        self,
        deployable_model: DeployableModel,
        job_type: JobType | str,
        *,
        inputs: Sequence[Asset],
        outputs: Sequence[Asset] = (),
        runtime: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> ModelBatchJob:
        """Queue a job; `run_pending_jobs()` (called by `manager.run_due()`) runs it.

        A repeated `idempotency_key` returns the job queued the first time.
        """
        job_id, earlier = self._id_for("job", ModelBatchJob, idempotency_key)
        if earlier is not None:
            return earlier
        job = ModelBatchJob(
            id=job_id,
            job_type=job_type,
            deployable_model=deployable_model,
            target_engine=runtime,
            input_data=list(inputs),
            output_data=list(outputs),
            job_parameters=dict(parameters or {}),
            created_date=self.clock.now(),
        )
        self._put("job", job, job.id)
        log.info("job %s (%s) created for snapshot %s", job.id, job_type, deployable_model.id)
        return job

    def get_job(self, job_id: str) -> ModelBatchJob:
        """Return a job."""
        return self._get("job", ModelBatchJob, job_id, "job")

    def list_jobs(self, *, status: JobStatus | None = None) -> list[ModelBatchJob]:
        """List jobs, newest first."""
        return [
            j for j in self._all("job", ModelBatchJob) if status is None or j.job_status == status
        ]

    def find_jobs(
        self,
        *,
        deployable_model_id: str | None = None,
        statuses: Sequence[str] = (),
        types: Sequence[str] = (),
    ) -> list[ModelBatchJob]:
        """List jobs (newest first) of a snapshot, with one of `statuses` and of `types`."""
        return [
            j
            for j in self._all("job", ModelBatchJob)
            if (deployable_model_id is None or j.snapshot.id == deployable_model_id)
            and (not statuses or j.job_status in statuses)
            and (not types or j.job_type in types)
        ]

    def patch_job(self, job_id: str, patch: Mapping[str, Any]) -> ModelBatchJob:
        """Merge `patch` (camelCase names) into a job."""
        current = self.get_job(job_id).to_variable()
        updated = ModelBatchJob.from_variable({**current, **dict(patch), "id": job_id})
        self._put("job", updated, job_id)
        return updated

    def update_job(self, job: ModelBatchJob) -> ModelBatchJob:
        """Replace a job with `job` (same id)."""
        self.get_job(job.id)
        self._put("job", job, job.id)
        return job

    def run_pending_jobs(self, limit: int | None = None) -> int:
        """Run queued jobs (oldest first) to completion; return how many ran.

        Several hosts may call this on one database: each job is claimed by one of them
        (compare-and-swap on its document). A job left RUNNING by a host that died is run
        again once it has been running for twice the job timeout.
        """
        waiting = self.store.list_documents("job", pending_only=True)
        queued = [j for j in map(ModelBatchJob.from_variable, waiting) if self._claimable(j)]
        ran = 0
        for job in queued:
            if limit is not None and ran >= limit:
                break
            claimed = self._claim(job.id)
            if claimed is not None:
                self._finish(claimed)
                ran += 1
        return ran

    def run_job(self, job_id: str) -> ModelBatchJob:
        """Run one job's model code now and record the outcome; emits the status change.

        A job that has ended, or that another host is running, is returned as it is.
        """
        claimed = self._claim(job_id)
        return self.get_job(job_id) if claimed is None else self._finish(claimed)

    def _claimable(self, job: ModelBatchJob) -> bool:
        if job.job_status == JobStatus.CREATED:
            return True
        if job.job_status != JobStatus.RUNNING or job.started_date is None:
            return False
        return self.clock.now() - job.started_date > timedelta(seconds=2 * self.job_timeout)

    def _claim(self, job_id: str) -> ModelBatchJob | None:
        """Mark a job RUNNING if nobody else has; return it, or None when someone has."""
        doc = self.store.get_document("job", job_id)
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
                "job", job_id, doc, running.to_variable(), self._now(), pending=True
            ):
                return None
        return running

    def _finish(self, job: ModelBatchJob) -> ModelBatchJob:
        outcome = self._execute(job)
        self._put("job", outcome, outcome.id)
        if (
            outcome.job_type == JobType.MODEL_BATCH_TRAINING_JOB
            and outcome.job_status == JobStatus.COMPLETE
            and isinstance(outcome.result, dict)
        ):
            self.patch_deployable_model(outcome.snapshot.id, {"trainedModel": outcome.result})
        log.info(
            "job %s ended %s%s",
            outcome.id,
            outcome.job_status,
            f": {outcome.message}" if outcome.message else "",
        )
        self._emit("job_status_changed", {"JOB": outcome.to_variable()})
        return outcome

    def _execute(self, job: ModelBatchJob) -> ModelBatchJob:
        def failed(message: str) -> ModelBatchJob:
            return job.model_copy(
                update={
                    "job_status": JobStatus.ERROR,
                    "message": message,
                    "ended_date": self.clock.now(),
                }
            )

        role = _ROLE_FOR_JOB.get(job.job_type)
        if role is None:
            known = ", ".join(_ROLE_FOR_JOB)
            return failed(f"LocalCenter runs {known} jobs, not {job.job_type}")
        snapshot = self.get_deployable_model(job.snapshot.id)
        # ModelOp marks the main file among several sources `primaryModelSource`.
        sources = sorted(
            snapshot.assets_with_role(AssetRole.MODEL_SOURCE),
            key=lambda a: not a.primary_model_source,
        )
        if not sources:
            return failed("the snapshot has no MODEL_SOURCE asset")
        try:
            source = self.read_asset(sources[0])
            inputs = [
                InputData(
                    self.read_asset(a),
                    (a.file_format or "CSV").upper(),
                    a.filename or a.name or "input",
                )
                for a in job.input_data
            ]
        except IntegrationError as err:
            return failed(str(err))
        run = run_model_function(
            source,
            role,
            inputs,
            job={
                "id": job.id,
                "jobType": str(job.job_type),
                "jobParameters": job.job_parameters,
                "trainedModel": snapshot.trained_model,
            },
            timeout_seconds=self.job_timeout,
            python=self.python,
        )
        if run.status != "COMPLETE":
            return failed(run.reason or "the model failed")
        outputs = list(job.output_data)
        if run.records is not None and outputs:
            try:
                outputs[0] = self._write_asset(
                    outputs[0], render_output(run.records, outputs[0].file_format or "JSON")
                )
            except IntegrationError as err:
                return failed(str(err))
        result = run.result if run.records is None else {"records": len(run.records)}
        return job.model_copy(
            update={
                "job_status": JobStatus.COMPLETE,
                "result": result,
                "output_data": outputs,
                "ended_date": self.clock.now(),
            }
        )
