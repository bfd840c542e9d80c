"""The child side of `_runner`: import a model's source and run one of its functions.

Run as `python -m modelop_mlc.center._runner_child <jobdir>`, never imported by the library.
The job directory holds `spec.json` (role, function names, inputs, memory limit), `job.json`,
`model.py` and the input files; the child answers with `result.json` (`{"records": [...]}` or
`{"result": ...}`) or `error.json` (`{"kind", "message", ...}`). Answers go to files rather than
stdout, so whatever the model prints cannot corrupt them.

This module needs only the standard library to start; pandas is imported when inputs are read,
and numpy and pandas values are recognised through `sys.modules`, so a model that uses neither
never loads them.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import inspect
import io
import json
import math
import resource
import sys
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import ModuleType, TracebackType
from typing import Any, TypeVar

__all__ = ["main"]

_MAX_DEPTH = 200
_T = TypeVar("_T")


class _Failure(Exception):  # noqa: N818 - internal control flow, never escapes this module
    """A failure already described as an `error.json` payload."""

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload.get("message", ""))
        self.payload = payload


class _NotJsonError(Exception):
    def __init__(self, path: str, what: str) -> None:
        super().__init__(f"{what} at {path}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the job in the directory named by the first argument.

    Args:
        argv: The command-line arguments after the program name; defaults to `sys.argv[1:]`.

    Returns:
        The process exit code: 0 with `result.json` written, 1 with `error.json` written,
        2 if the job directory is unusable.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        sys.stderr.write("usage: python -m modelop_mlc.center._runner_child JOBDIR\n")
        return 2
    jobdir = Path(args[0]).resolve()
    try:
        spec = json.loads((jobdir / "spec.json").read_text(encoding="utf-8"))
        job = json.loads((jobdir / "job.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        sys.stderr.write(f"unusable job directory {jobdir}: {err}\n")
        return 2
    _limit_resources(spec.get("memory_bytes"))
    try:
        payload = _run(jobdir, spec, job)
    except _Failure as failure:
        _write_atomically(jobdir / "error.json", json.dumps(failure.payload))
        return 1
    _write_atomically(jobdir / "result.json", payload)
    return 0


def _limit_resources(memory_bytes: int | None) -> None:
    # No core files: a crashing model would otherwise litter its job directory.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_bytes:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _run(jobdir: Path, spec: Mapping[str, Any], job: Any) -> str:
    role = str(spec["role"])
    functions: Mapping[str, str] = spec["functions"]
    model_path = jobdir / "model.py"
    frames = [_read_input(jobdir / i["path"], i["format"], i["name"]) for i in spec["inputs"]]
    module = _guard(model_path, None, lambda: _import_model(model_path))

    init_name = functions.get("init")
    if init_name is not None:
        init = getattr(module, init_name)
        args = (job,) if _takes_argument(init) else ()
        init_out = _guard(model_path, init_name, lambda: _collect(init(*args)))
        if role == "init":
            return _dump({"result": _unwrap(init_out)}, role)

    name = functions[role]
    function = getattr(module, name)
    values = _guard(model_path, name, lambda: _collect(function(*frames)))
    if role == "score":
        try:
            records = _records(values)
        except TypeError as err:
            raise _Failure({"kind": "bad_output", "message": f"score function {err}"}) from err
        return _dump({"records": records}, role)
    return _dump({"result": _unwrap(values)}, role)


def _import_model(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("model", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["model"] = module
    # Executing model code is allowed here, and only here: this is the sandboxed child process
    # that `_runner` starts for one job, with a clean environment and resource limits.
    spec.loader.exec_module(module)
    return module


def _guard(model_path: Path, function: str | None, call: Callable[[], _T]) -> _T:
    """Run model code, turning anything it raises into a `_Failure` that names the line."""
    try:
        return call()
    except BaseException as exc:  # noqa: BLE001 - any failure of model code becomes job data
        payload = _describe(exc, model_path, function)
        sys.stderr.write(payload["traceback"])
        raise _Failure(payload) from None


def _describe(exc: BaseException, model_path: Path, function: str | None) -> dict[str, Any]:
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001 - a model's exception may even fail to print
        message = "<unprintable message>"
    exc_type = "MemoryError" if isinstance(exc, MemoryError) else type(exc).__name__
    line = _model_line(exc.__traceback__, model_path)
    if line is None and isinstance(exc, SyntaxError) and exc.filename == str(model_path):
        line = exc.lineno
    tb = exc.__traceback__
    # Start the traceback in model code: the runner's own frames would only distract its author.
    while tb is not None and tb.tb_frame.f_code.co_filename != str(model_path):
        tb = tb.tb_next
    lines = traceback.format_exception(type(exc), exc, tb or exc.__traceback__)
    return {
        "kind": "exception",
        "type": exc_type,
        "message": message[:2000],
        "line": line,
        "function": function,
        "traceback": "".join(lines[-30:]).replace(str(model_path), "model.py"),
    }


def _model_line(tb: TracebackType | None, model_path: Path) -> int | None:
    line = None
    for frame in traceback.extract_tb(tb):
        if frame.filename == str(model_path):
            line = frame.lineno
    return line


def _takes_argument(function: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return True
    positional = (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
        inspect.Parameter.VAR_POSITIONAL,
    )
    return any(p.kind in positional for p in parameters)


def _collect(output: Any) -> list[Any]:
    """Return everything a generator yields, or a returned value as a one-item list."""
    if inspect.isgenerator(output):
        return list(output)
    return [] if output is None else [output]


def _unwrap(values: list[Any]) -> Any:
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def _read_input(path: Path, file_format: str, name: str) -> Any:
    try:
        pd = importlib.import_module("pandas")
    except ImportError as err:
        raise _Failure(
            {
                "kind": "environment",
                "message": "pandas is needed to read model inputs; install modelop-mlc[models]",
            }
        ) from err
    text = path.read_text(encoding="utf-8")
    try:
        if not text.strip():
            return pd.DataFrame()
        if file_format == "CSV":
            return pd.read_csv(io.StringIO(text))
        rows = _json_rows(text)
        return pd.DataFrame.from_records(rows) if rows else pd.DataFrame()
    except ValueError as err:  # pandas' ParserError is a ValueError
        message = f"input '{name}' is not valid {file_format}: {str(err)[:500]}"
        raise _Failure({"kind": "input", "message": message}) from err


def _json_rows(text: str) -> list[dict[str, Any]]:
    """Parse a JSON array, a single object, or JSON lines into a list of objects."""
    try:
        whole = json.loads(text)
    except ValueError:
        whole = [json.loads(line) for line in text.splitlines() if line.strip()]
    rows = whole if isinstance(whole, list) else [whole]
    if not all(isinstance(row, dict) for row in rows):
        raise ValueError("every record must be a JSON object")
    return rows


def _records(values: list[Any]) -> list[Any]:
    pd = sys.modules.get("pandas")
    records: list[Any] = []
    for value in values:
        if isinstance(value, Mapping):
            records.append(value)
        elif pd is not None and isinstance(value, pd.DataFrame):
            records.extend(value.to_dict(orient="records"))
        elif pd is not None and isinstance(value, pd.Series):
            records.append(value.to_dict())
        elif isinstance(value, list | tuple):
            records.extend(_records(list(value)))
        else:
            raise TypeError(
                f"yielded a {type(value).__name__}; yield dicts, lists of dicts or DataFrames"
            )
    return records


def _dump(payload: Mapping[str, Any], role: str) -> str:
    try:
        converted = _to_json(payload, "$", 0)
        return json.dumps(converted, allow_nan=False)
    except (_NotJsonError, ValueError, TypeError, RecursionError) as err:
        message = f"{role} function returned a value that is not JSON: {err}"
        raise _Failure({"kind": "not_json", "message": message}) from err


def _to_json(value: Any, path: str, depth: int) -> Any:
    """Return `value` as plain JSON types: numpy/pandas scalars unwrapped, NaN and inf as None."""
    if depth > _MAX_DEPTH:
        raise _NotJsonError(path, f"nesting deeper than {_MAX_DEPTH} levels")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {_key(k, path): _to_json(v, f"{path}.{k}", depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_to_json(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(value)]
    np = sys.modules.get("numpy")
    if np is not None:
        if isinstance(value, np.generic):
            return _to_json(value.item(), path, depth + 1)
        if isinstance(value, np.ndarray):
            return _to_json(value.tolist(), path, depth + 1)
    pd = sys.modules.get("pandas")
    if pd is not None:
        if value is pd.NA or value is pd.NaT:
            return None
        if isinstance(value, pd.DataFrame):
            return _to_json(value.to_dict(orient="records"), path, depth + 1)
        if isinstance(value, pd.Series):
            return _to_json(value.to_dict(), path, depth + 1)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    raise _NotJsonError(path, f"an object of type '{type(value).__name__}'")


def _key(key: Any, path: str) -> str:
    if isinstance(key, str):
        return str(key)
    np = sys.modules.get("numpy")
    if isinstance(key, bool | int | float) or (np is not None and isinstance(key, np.generic)):
        return str(key)
    raise _NotJsonError(path, f"a key of type '{type(key).__name__}'")


def _write_atomically(path: Path, text: str) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)


if __name__ == "__main__":
    sys.exit(main())
