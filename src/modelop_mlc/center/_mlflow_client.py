"""The MLflow client behind `MlflowCenter`: imported lazily, its failures turned into ours.

`mlflow` is an optional extra, so it is imported on first use (a host without it can still
import `modelop_mlc.center`). Every call goes through `MlflowApi.call`, which turns MLflow's
exceptions into `ModelOpNotFoundError` (the object does not exist) or `IntegrationError`
(anything else; retryable when the server could not be reached or failed on its side), so
no MLflow or `requests` traceback reaches a process author.
"""

from __future__ import annotations

import importlib
import tempfile
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from modelop_mlc.center._port import ModelOpNotFoundError
from modelop_mlc.errors import ConfigurationError, IntegrationError

__all__ = ["MlflowApi", "load_mlflow"]

T = TypeVar("T")
SERVICE = "mlflow"
# MLflow's error codes for "not there"; the others mean the request itself was wrong.
_MISSING = frozenset({"RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"})
_SERVER_SIDE = frozenset(
    {"INTERNAL_ERROR", "TEMPORARILY_UNAVAILABLE", "REQUEST_LIMIT_EXCEEDED", "DEADLINE_EXCEEDED"}
)
_PAGE = 1000


def load_mlflow(name: str = "mlflow") -> Any:
    """Import `mlflow` (or one of its modules).

    Raises:
        ConfigurationError: If MLflow is not installed.
    """
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise ConfigurationError(
            f"MlflowCenter needs MLflow ({name} cannot be imported: {err}); install it with "
            "`pip install 'modelop-mlc[mlflow]'`"
        ) from err


class MlflowApi:
    """An `MlflowClient` for one tracking server, with our errors.

    Args:
        tracking_uri: The tracking server (`http://host:5000`) or store URI.
        registry_uri: The model registry, when it is not the tracking server.
        scope: An MLflow filter on registered-model names (`name LIKE 'credit-%'`) that every
            search of the registry is narrowed by: the models this center governs.
    """

    def __init__(
        self, tracking_uri: str, registry_uri: str | None = None, *, scope: str | None = None
    ) -> None:
        """Create the client (no request is made)."""
        mlflow = load_mlflow()
        self.scope = scope
        self.tracking_uri = tracking_uri
        self.registry_uri = registry_uri or tracking_uri
        self.client = mlflow.MlflowClient(tracking_uri=tracking_uri, registry_uri=registry_uri)
        self._exception: type[BaseException] = load_mlflow("mlflow.exceptions").MlflowException
        self._experiments: dict[str, str] = {}

    def call(self, what: str, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call `function` and translate its failure.

        Args:
            what: What is being done, for the message ("read model version credit/3").
            function: The MLflow client method.
            *args: Its positional arguments.
            **kwargs: Its keyword arguments.

        Raises:
            ModelOpNotFoundError: If MLflow says the object does not exist.
            IntegrationError: For any other failure (retryable when the server was unreachable
                or failed on its side).
        """
        try:
            return function(*args, **kwargs)
        except self._exception as err:
            code = str(getattr(err, "error_code", "") or "")
            if code in _MISSING:
                raise ModelOpNotFoundError("MLflow object", what) from err
            status = _status(err)
            raise IntegrationError(
                f"MLflow failed to {what} at {self.tracking_uri}: {_message(err)}",
                service=SERVICE,
                status_code=status,
                retryable=code in _SERVER_SIDE or status is None or status >= 500,  # noqa: PLR2004
            ) from err
        except OSError as err:  # connection refused, reset, DNS: the server is not there
            raise IntegrationError(
                f"MLflow failed to {what}: cannot reach {self.tracking_uri} ({err})",
                service=SERVICE,
                retryable=True,
            ) from err

    # ------------------------------------------------------------------ registry

    def versions(self, filter_string: str = "") -> Iterator[Any]:
        """Yield every model version (in scope) matching `filter_string`, page by page."""
        filter_string = self._scoped(filter_string)
        token = None
        while True:
            page = self.call(
                "search model versions",
                self.client.search_model_versions,
                filter_string or None,
                max_results=_PAGE,
                page_token=token,
            )
            yield from page
            token = getattr(page, "token", None)
            if not token:
                return

    def registered_models(self, filter_string: str = "") -> Iterator[Any]:
        """Yield every registered model (in scope) matching `filter_string`, page by page."""
        filter_string = self._scoped(filter_string)
        token = None
        while True:
            page = self.call(
                "search registered models",
                self.client.search_registered_models,
                filter_string or None,
                max_results=_PAGE,
                page_token=token,
            )
            yield from page
            token = getattr(page, "token", None)
            if not token:
                return

    def _scoped(self, filter_string: str) -> str:
        if not self.scope:
            return filter_string
        return f"{self.scope} and {filter_string}" if filter_string else self.scope

    # ------------------------------------------------------------------ runs

    def experiment_id(self, name: str) -> str:
        """The id of the experiment called `name`, created if needed."""
        if name not in self._experiments:
            found = self.call(f"read experiment '{name}'", self.client.get_experiment_by_name, name)
            if found is None:
                try:
                    created = self.call(
                        f"create experiment '{name}'", self.client.create_experiment, name
                    )
                except IntegrationError:
                    # Another host may have created it since; read it again.
                    found = self.call(
                        f"read experiment '{name}'", self.client.get_experiment_by_name, name
                    )
                    if found is None:
                        raise
                    created = found.experiment_id
                self._experiments[name] = str(created)
            else:
                self._experiments[name] = str(found.experiment_id)
        return self._experiments[name]

    def runs(self, experiment: str, filter_string: str) -> list[Any]:
        """Every run of `experiment` matching `filter_string`, newest first."""
        found: list[Any] = []
        token = None
        while True:
            page = self.call(
                "search runs",
                self.client.search_runs,
                [self.experiment_id(experiment)],
                filter_string,
                max_results=_PAGE,
                order_by=["attributes.start_time DESC"],
                page_token=token,
            )
            found.extend(page)
            token = getattr(page, "token", None)
            if not token:
                return found

    # ------------------------------------------------------------------ artifacts

    def read_text(self, uri: str) -> str:
        """Return the text of one artifact (`runs:/<run>/<path>` or a repository URI)."""
        with tempfile.TemporaryDirectory(prefix="mlc-mlflow-") as tmp:
            path = self.download(uri, Path(tmp))
            try:
                return path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as err:
                raise IntegrationError(
                    f"MLflow artifact '{uri}' is not readable text: {err}", service=SERVICE
                ) from err

    def download(self, uri: str, destination: Path) -> Path:
        """Download the file or directory at `uri` into `destination`; return its path."""
        if uri.startswith("runs:/"):
            run_id, _, path = uri.removeprefix("runs:/").partition("/")
            local = self.call(
                f"download artifact '{uri}'",
                self.client.download_artifacts,
                run_id,
                path,
                str(destination),
            )
            return Path(local)
        registry = load_mlflow("mlflow.store.artifact.artifact_repository_registry")
        parent, _, name = uri.rstrip("/").rpartition("/")
        repository = self.call(
            f"open artifact store for '{uri}'",
            registry.get_artifact_repository,
            parent,
            tracking_uri=self.tracking_uri,
        )
        local = self.call(
            f"download artifact '{uri}'", repository.download_artifacts, name, str(destination)
        )
        return Path(local)

    def run_files(self, run_id: str, skip: frozenset[str]) -> list[str]:
        """Every file artifact of a run (paths), leaving out the directories in `skip`."""
        found: list[str] = []
        pending = [""]
        while pending:
            directory = pending.pop()
            listing = self.call(
                f"list artifacts of run {run_id}",
                self.client.list_artifacts,
                run_id,
                directory or None,
            )
            for item in listing:
                if item.path in skip:
                    continue
                if item.is_dir:
                    pending.append(item.path)
                else:
                    found.append(item.path)
        return sorted(found)

    def log_text(self, run_id: str, text: str, path: str) -> str:
        """Store `text` as the artifact `path` of a run; return its `runs:/` URI."""
        self.call(f"write artifact '{path}'", self.client.log_text, run_id, text, path)
        return f"runs:/{run_id}/{path}"


def flat_tags(tags: Any) -> dict[str, str]:
    """MLflow tags as a plain dict (entities carry them as a dict or a list of objects)."""
    if not tags:
        return {}
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(t.key): str(t.value) for t in tags}


def _status(err: BaseException) -> int | None:
    getter = getattr(err, "get_http_status_code", None)
    try:
        status = getter() if callable(getter) else None
    except Exception:  # noqa: BLE001 - a malformed error must still be reported
        return None
    return int(status) if isinstance(status, int) else None


def _message(err: BaseException) -> str:
    text = str(getattr(err, "message", "") or err)
    return text if len(text) <= 500 else text[:500] + "…"  # noqa: PLR2004
