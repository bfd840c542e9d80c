"""An MLflow `python_function` model around a ModelOp model source ("models from code").

`MlflowCenter.log_model` saves this file as the model's code, with the ModelOp source
(`source`), the names of its smart-comment functions (`functions`) and, optionally, a trained
model (`trained_model`) as artifacts. Loading the model runs this file, which needs only
MLflow and the source's own imports: anyone with MLflow can load and `predict` the version,
with or without this library. The library never imports this module.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
from pathlib import Path
from typing import Any

_pyfunc = importlib.import_module("mlflow.pyfunc")
_models = importlib.import_module("mlflow.models")
_PythonModel: Any = _pyfunc.PythonModel


class ModelOpSourceModel(_PythonModel):  # type: ignore[misc] # MLflow is imported lazily
    """Calls a ModelOp source's `init`, `score`, `metrics` and `train` functions."""

    def load_context(self, context: Any) -> None:
        """Import the source and run its `init` (with the trained model, if one was saved)."""
        artifacts = context.artifacts
        path = Path(artifacts["source"])
        spec = importlib.util.spec_from_file_location("modelop_source", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load the model source {path}")
        self.module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.module)
        self.functions: dict[str, str] = json.loads(Path(artifacts["functions"]).read_text())
        trained = None
        if "trained_model" in artifacts:
            trained = json.loads(Path(artifacts["trained_model"]).read_text())
        self.init({"trainedModel": trained} if trained else {})

    def _function(self, role: str) -> Any:
        name = self.functions.get(role)
        return getattr(self.module, name) if name else None

    def has(self, role: str) -> bool:
        """Whether the source has a function for `role` (init, score, metrics, train)."""
        return self._function(role) is not None

    def init(self, job: dict[str, Any]) -> None:
        """Call the source's init function with a job JSON."""
        function = self._function("init")
        if function is not None:
            if inspect.signature(function).parameters:
                function(job)
            else:
                function()

    def score(self, df: Any) -> Any:
        """Call the source's score function."""
        return self._call("score", df)

    def metrics(self, df: Any) -> Any:
        """Call the source's metrics function."""
        return self._call("metrics", df)

    def train(self, df: Any) -> Any:
        """Call the source's train function."""
        return self._call("train", df)

    def _call(self, role: str, df: Any) -> Any:
        function = self._function(role)
        if function is None:
            raise AttributeError(f"the model source has no '# modelop.{role}' function")
        return function(df)

    # Unannotated on purpose: MLflow infers a signature from predict's type hints and warns
    # that `Any` validates nothing.
    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def] # noqa: ANN001, ANN202
        """Score `model_input` (a DataFrame) with the source's score function."""
        pd = importlib.import_module("pandas")
        output = self.score(model_input)
        if isinstance(output, pd.DataFrame):
            return output
        rows = list(output) if inspect.isgenerator(output) else output
        if isinstance(rows, dict):
            rows = [rows]
        return pd.DataFrame.from_records(rows)


_models.set_model(ModelOpSourceModel())
