"""Run a ModelOp-style model's Python source in a child process.

ModelOp models are plain Python files whose entry points are marked by "smart comments" on the
line(s) above each `def`:

```
# modelop.init
def begin(job_json): ...

# modelop.schema.0: input_schema.avsc
# modelop.metrics
def metrics(df):
    yield {"auc": 0.8}
```

`find_functions` reads those comments with `ast` and `tokenize`; it never runs the code.
`run_model_function` runs one function in a fresh interpreter (`_runner_child`) with a clean
environment, a per-job directory, a memory limit and a timeout, and maps whatever happens
(output, an exception, garbage, a hang, a crash) to a `JobRun`. Model code is never imported into
this process: a model may be careless or hostile, and the host must survive either.
"""

from __future__ import annotations

import ast
import contextlib
import csv
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import tokenize
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from modelop_mlc.errors import MlcError

__all__ = [
    "FunctionRole",
    "InputData",
    "JobRun",
    "ModelSourceError",
    "find_functions",
    "render_output",
    "run_model_function",
]

_SMART_COMMENT = re.compile(r"#\s*modelop\.(?P<rest>\S.*?)\s*$")
_FILE_FORMATS = ("CSV", "JSON")
_TAIL_CHARS = 4000
# A result larger than this is refused rather than parsed: the parent must not be made to
# allocate whatever a model chooses to emit.
_MAX_RESULT_BYTES = 256 * 1024 * 1024
_MODEL_FILE = "model.py"


class FunctionRole(StrEnum):
    """What a model function is for, as named by its smart comment (`# modelop.<role>`)."""

    INIT = "init"
    TRAIN = "train"
    SCORE = "score"
    METRICS = "metrics"


class ModelSourceError(MlcError):
    """A model's source cannot be used: a syntax error or misplaced or repeated smart comments.

    Attributes:
        line: The 1-based line the problem is on, when known.
    """

    def __init__(self, message: str, *, line: int | None = None) -> None:
        """Create the error; the line, when given, is prefixed to the message."""
        self.line = line
        super().__init__(f"{_MODEL_FILE} line {line}: {message}" if line else message)


@dataclass(frozen=True)
class InputData:
    """One input asset for a job.

    Attributes:
        content: The file's text.
        file_format: `"CSV"`, or `"JSON"` for JSON lines or a JSON array (detected from the text).
        name: The asset's name, used in error messages.
    """

    content: str
    file_format: str
    name: str = "input"

    def __post_init__(self) -> None:
        """Normalise `file_format` to upper case and reject unknown formats.

        Raises:
            ValueError: If `file_format` is neither CSV nor JSON.
        """
        fmt = self.file_format.upper()
        if fmt not in _FILE_FORMATS:
            raise ValueError(
                f"Input '{self.name}' has file format '{self.file_format}'; use CSV or JSON"
            )
        object.__setattr__(self, "file_format", fmt)


@dataclass(frozen=True)
class JobRun:
    """The outcome of running one model function.

    Attributes:
        status: `"COMPLETE"` or `"ERROR"`, as ModelOp's `jobStatus`.
        records: The scored records of a score function; `None` for other roles and on error.
        result: What an init, train or metrics function yielded or returned (a single yielded
            value is unwrapped; several become a list); `None` for score and on error.
        reason: Why the job failed, for people (`"ValueError: bad input (model.py line 12)"`);
            `None` when it completed.
        stdout_tail: The end of what the model printed to stdout.
        stderr_tail: The end of what the model printed to stderr (including tracebacks).
        duration_seconds: Wall time of the child process.
    """

    status: str
    records: list[dict[str, Any]] | None
    result: Any
    reason: str | None
    stdout_tail: str
    stderr_tail: str
    duration_seconds: float

    @property
    def ok(self) -> bool:
        """Whether the job completed."""
        return self.status == "COMPLETE"


def find_functions(source: str) -> dict[FunctionRole, str]:
    """Find the model's functions by their smart comments, without running any code.

    A smart comment (`# modelop.score`) must sit directly above a module-level `def` (or its
    decorators); other `# modelop.` lines such as `# modelop.schema.0: in.avsc` may sit between.
    One function may carry several roles; a role may appear only once.

    Args:
        source: The model's Python source.

    Returns:
        Each role found mapped to its function's name.

    Raises:
        ModelSourceError: If the source does not parse, a smart comment is not followed by a
            module-level `def`, or a role is marked twice.
    """
    try:
        tree = ast.parse(source, filename=_MODEL_FILE)
    except SyntaxError as err:
        raise ModelSourceError(f"syntax error: {err.msg}", line=err.lineno) from err
    starts: dict[int, str] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            starts[first] = node.name

    smart = _smart_comment_lines(source)
    found: dict[FunctionRole, str] = {}
    found_at: dict[FunctionRole, int] = {}
    for line, rest in sorted(smart.items()):
        role = _role_of(rest)
        if role is None:
            continue  # schema and other annotations carry no function
        target = line + 1
        while target in smart:
            target += 1
        name = starts.get(target)
        if name is None:
            raise ModelSourceError(
                f"'# modelop.{role}' must be directly above a module-level def", line=line
            )
        if role in found:
            raise ModelSourceError(
                f"'# modelop.{role}' appears twice (first on line {found_at[role]})", line=line
            )
        if isinstance(_function_node(tree, name), ast.AsyncFunctionDef):
            raise ModelSourceError(f"'{name}' is async; model functions must be plain", line=line)
        found[role] = name
        found_at[role] = line
    return found


def run_model_function(
    source: str,
    role: FunctionRole,
    inputs: Sequence[InputData],
    *,
    job: Mapping[str, Any] | None = None,
    timeout_seconds: float = 60.0,
    python: str | None = None,
    memory_bytes: int | None = 1_073_741_824,
) -> JobRun:
    """Run the model's `role` function in a child process and report what happened.

    The child gets the source and inputs in a fresh temporary directory, a working directory
    (`cwd` and `HOME`) inside it, and an environment holding only `PATH`, `PYTHONPATH` and a few
    fixed settings: none of this process's other variables, which may hold secrets. It calls
    the `init` function (with `job`, if it takes an argument) and then the role's function with
    one pandas DataFrame per input, positionally. Failures never raise: a bad source, an
    exception in model code, output that is not JSON, a timeout or a crash all return a
    `JobRun` with status `"ERROR"` and a `reason`.

    Args:
        source: The model's Python source.
        role: Which function to run.
        inputs: The input assets, passed to the function as DataFrames in this order.
        job: The job JSON handed to `init` (ModelOp's `job_json`; `{}` when `None`); a trained
            model is passed as `job["trainedModel"]`.
        timeout_seconds: Wall-clock limit; on expiry the child's whole process group is killed.
        python: The interpreter to run; defaults to this one (`sys.executable`).
        memory_bytes: The child's address-space limit (`RLIMIT_AS`), or `None` for none.

    Returns:
        The job's outcome.

    Raises:
        ValueError: If `job` is not JSON-serialisable or `timeout_seconds` is not positive.
    """
    if not timeout_seconds > 0:
        raise ValueError(f"timeout_seconds must be positive, not {timeout_seconds}")
    try:
        job_text = json.dumps(dict(job) if job is not None else {}, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise ValueError(f"The job JSON cannot be serialised: {err}") from err

    try:
        functions = find_functions(source)
    except ModelSourceError as err:
        return _failed(str(err))
    if role not in functions:
        return _failed(f"the model has no '# modelop.{role}' function")

    with tempfile.TemporaryDirectory(prefix="mlc-job-") as tmp:
        jobdir = Path(tmp)
        _write_job(
            jobdir,
            source,
            role=role,
            functions=functions,
            inputs=inputs,
            job_text=job_text,
            memory_bytes=memory_bytes,
        )
        return _run_child(jobdir, role, python or sys.executable, timeout_seconds, memory_bytes)


def render_output(records: Sequence[Mapping[str, Any]], file_format: str) -> str:
    """Render records as the text of an output asset.

    CSV has a header of every key in first-seen order; nested values are written as JSON and
    `None` as an empty cell. JSON is JSON lines, one record per line.

    Args:
        records: The records, typically `JobRun.records`.
        file_format: `"CSV"` or `"JSON"` (case-insensitive).

    Returns:
        The file's text.

    Raises:
        ValueError: If `file_format` is neither CSV nor JSON.
    """
    fmt = file_format.upper()
    if fmt == "JSON":
        return "".join(json.dumps(dict(r), allow_nan=False) + "\n" for r in records)
    if fmt != "CSV":
        raise ValueError(f"Cannot render output as '{file_format}'; use CSV or JSON")
    columns: dict[str, None] = {}
    for record in records:
        columns.update(dict.fromkeys(record))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow({key: _csv_cell(value) for key, value in record.items()})
    return out.getvalue()


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _smart_comment_lines(source: str) -> dict[int, str]:
    """Map each line holding only a `# modelop.` comment to the text after `modelop.`."""
    lines = source.splitlines()
    found: dict[int, str] = {}
    # tokenize, not a regex over lines, so text inside strings is never taken for a comment.
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT:
            continue
        row, col = token.start
        if lines[row - 1][:col].strip():
            continue  # a trailing comment after code is not a smart comment
        match = _SMART_COMMENT.fullmatch(token.string)
        if match:
            found[row] = match.group("rest")
    return found


def _role_of(rest: str) -> FunctionRole | None:
    try:
        return FunctionRole(rest)
    except ValueError:
        return None


def _function_node(tree: ast.Module, name: str) -> ast.stmt | None:
    return next(
        (
            n
            for n in tree.body
            if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.name == name
        ),
        None,
    )


def _write_job(
    jobdir: Path,
    source: str,
    *,
    role: FunctionRole,
    functions: Mapping[FunctionRole, str],
    inputs: Sequence[InputData],
    job_text: str,
    memory_bytes: int | None,
) -> None:
    (jobdir / "work").mkdir()
    (jobdir / _MODEL_FILE).write_text(source, encoding="utf-8")
    (jobdir / "job.json").write_text(job_text, encoding="utf-8")
    specs = []
    for index, data in enumerate(inputs):
        path = f"input_{index}.{data.file_format.lower()}"
        (jobdir / path).write_text(data.content, encoding="utf-8")
        specs.append({"path": path, "format": data.file_format, "name": data.name})
    spec = {
        "role": str(role),
        "functions": {str(r): name for r, name in functions.items()},
        "inputs": specs,
        "memory_bytes": memory_bytes,
    }
    (jobdir / "spec.json").write_text(json.dumps(spec), encoding="utf-8")


def _child_env(jobdir: Path) -> dict[str, str]:
    package_root = str(Path(__file__).resolve().parents[2])  # the folder holding modelop_mlc
    # The venv's site-packages go on PYTHONPATH too, so a `python=` other than this venv's
    # interpreter still finds pandas and numpy.
    site_dirs = [p for p in sys.path if p.endswith(("site-packages", "dist-packages"))]
    work = str(jobdir / "work")
    return {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": work,
        "TMPDIR": work,
        "PYTHONPATH": os.pathsep.join([package_root, *site_dirs]),
        "PYTHONUTF8": "1",
        "PYTHONIOENCODING": "utf-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONHASHSEED": "0",
        # One BLAS thread: deterministic numerics, and each idle thread's buffers would
        # otherwise count against the memory limit.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def _run_child(
    jobdir: Path,
    role: FunctionRole,
    python: str,
    timeout_seconds: float,
    memory_bytes: int | None,
) -> JobRun:
    command = [python, "-m", "modelop_mlc.center._runner_child", str(jobdir)]
    stdout_path, stderr_path = jobdir / "stdout.txt", jobdir / "stderr.txt"
    started = time.monotonic()
    timed_out = False
    # Output goes to files, not pipes: a model printing gigabytes fills a disk quota, not
    # this process's memory, and no pipe can deadlock.
    with stdout_path.open("wb") as out, stderr_path.open("wb") as err:
        try:
            process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                cwd=jobdir / "work",
                env=_child_env(jobdir),
                start_new_session=True,
            )
        except OSError as start_error:
            return _failed(f"cannot start the model process with '{python}': {start_error}")
        try:
            process.wait(timeout=timeout_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
        # Kill the whole group even after a clean exit: the model may have left children.
        _kill_group(process.pid)
        returncode = process.wait()
    duration = time.monotonic() - started
    stdout_tail, stderr_tail = _tail(stdout_path), _tail(stderr_path)

    def failed(reason: str) -> JobRun:
        return _failed(reason, stdout_tail, stderr_tail, duration)

    if timed_out:
        return failed(f"timed out after {timeout_seconds:g} s")
    error = _read_json(jobdir / "error.json")
    if isinstance(error, dict):
        return failed(_error_reason(error, memory_bytes))
    if returncode < 0:
        return failed(_signal_reason(-returncode, memory_bytes))
    result = _read_json(jobdir / "result.json")
    if returncode != 0 or not isinstance(result, dict):
        last = stderr_tail.strip().splitlines()[-1:] or ["no output on stderr"]
        return failed(
            f"the model process exited with code {returncode} without a valid result "
            f"({last[0][:300]})"
        )
    if role is FunctionRole.SCORE:
        records = result.get("records")
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            return failed("the model process wrote a malformed result file")
        return JobRun("COMPLETE", records, None, None, stdout_tail, stderr_tail, duration)
    if "result" not in result:
        return failed("the model process wrote a malformed result file")
    return JobRun("COMPLETE", None, result["result"], None, stdout_tail, stderr_tail, duration)


def _kill_group(pgid: int) -> None:
    # Nothing to do if the group is already gone.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _failed(
    reason: str, stdout_tail: str = "", stderr_tail: str = "", duration: float = 0.0
) -> JobRun:
    return JobRun("ERROR", None, None, reason, stdout_tail, stderr_tail, duration)


def _tail(path: Path) -> str:
    with path.open("rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        # Bytes, not characters; four per character covers any UTF-8 text.
        handle.seek(max(0, size - 4 * _TAIL_CHARS))
        text = handle.read().decode("utf-8", errors="replace")
    return text[-_TAIL_CHARS:]


def _read_json(path: Path) -> Any:
    """Return the file's JSON, or `None` if it is missing, too large or not JSON."""
    try:
        if path.stat().st_size > _MAX_RESULT_BYTES:
            return None
        with path.open(encoding="utf-8") as handle:
            return json.load(handle, parse_constant=_reject_constant)
    except (OSError, ValueError, RecursionError):
        return None


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _error_reason(error: Mapping[str, Any], memory_bytes: int | None) -> str:
    kind = error.get("kind")
    message = str(error.get("message", ""))[:1000]
    if kind != "exception":
        return message or "the model failed"
    exc_type = str(error.get("type", "Exception"))
    text = f"{exc_type}: {message}" if message else exc_type
    where = error.get("function")
    line = error.get("line")
    if isinstance(line, int):
        text += f" ({_MODEL_FILE} line {line}"
        text += f", in {where})" if where else ")"
    if exc_type == "MemoryError" and memory_bytes:
        text += f"; the memory limit is {_format_bytes(memory_bytes)}"
    return text


def _signal_reason(signum: int, memory_bytes: int | None) -> str:
    try:
        name = signal.Signals(signum).name
    except ValueError:
        name = f"signal {signum}"
    reason = f"the model process was killed by {name}"
    if memory_bytes and signum in (signal.SIGKILL, signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS):
        reason += f" (it may have exceeded the memory limit of {_format_bytes(memory_bytes)})"
    return reason


def _format_bytes(count: int) -> str:
    gib = 1024**3
    if count >= gib and count % gib == 0:
        return f"{count // gib} GiB"
    return f"{count / 1024**2:g} MiB"
