"""The script-task sandbox: the static guard, the attribute rewrite and the worker process.

This module has two roles:

- The host process imports it for `find_problems`, the static guard that `sandbox.check_script`
  and deployment use. Importing it runs no script code.
- `python -m modelop_mlc._engine._sandbox_worker MEMORY_BYTES` runs it as the worker subprocess
  that `sandbox.ScriptSandbox` starts. The worker limits its address space once, then answers
  one request per line on stdin with one reply per line on stdout, both JSON:

  - request: `{"source", "variables", "context", "cpu_seconds", "max_output_bytes"}`
  - success: `{"ok": true, "value", "variables": {...changed...}, "deleted", "printed"}`
  - failure: `{"ok": false, "kind", "message", "line", "problems", "variable", "recycle"}`

The worker re-runs the guard on every source it receives (defence in depth: it never runs code
the guard has not passed), rewrites every attribute load `a.b` into `_mlc_getattr(a, "b")`, and
executes the result with a builtins dict that holds only the safe names listed in
`_safe_builtins`. This module holds the project's only `compile` and `exec` calls, and only
the worker process reaches them. It imports nothing but the standard library.
"""

from __future__ import annotations

import ast
import copy
import datetime as dt
import functools
import json
import math
import os
import sys
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from types import CodeType, NoneType, SimpleNamespace, TracebackType
from typing import Any, BinaryIO

SCRIPT_FILENAME = "<script>"
"""The file name compiled scripts carry; tracebacks are searched for it to find line numbers."""

MAX_RANGE_LENGTH = 10_000_000
"""The longest `range` a script may create."""

_GETATTR_NAME = "_mlc_getattr"
_VALUE_NAME = "_mlc_value"
_MAX_MESSAGE_CHARS = 2000
_LISTED_NAMES = 20
_TRUNCATION_MARK = " ... [output truncated]"

# Attributes that open a way out of the sandbox even without a leading underscore: frame,
# code and globals of generators, coroutines, tracebacks and functions, the MRO, and
# str.format, whose field syntax ("{0.__class__}") reads attributes itself.
_DENIED_ATTRIBUTES = frozenset(
    {
        "ag_code",
        "ag_frame",
        "cr_code",
        "cr_frame",
        "co_code",
        "f_back",
        "f_builtins",
        "f_code",
        "f_globals",
        "f_locals",
        "format",
        "format_map",
        "func_code",
        "func_globals",
        "gi_code",
        "gi_frame",
        "gi_yieldfrom",
        "im_func",
        "mro",
        "tb_frame",
        "tb_next",
    }
)

# None of these exist at run time; refusing the call statically gives an early, clear message.
_DENIED_CALLS = frozenset(
    {
        "__import__",
        "breakpoint",
        "compile",
        "delattr",
        "dir",
        "eval",
        "exec",
        "getattr",
        "globals",
        "help",
        "input",
        "locals",
        "memoryview",
        "object",
        "open",
        "setattr",
        "super",
        "type",
        "vars",
    }
)

_REFUSED_STATEMENTS: dict[type[ast.AST], str] = {
    ast.Import: "imports are not allowed; use the provided math, json, datetime, date, "
    "timedelta and Decimal",
    ast.ImportFrom: "imports are not allowed; use the provided math, json, datetime, date, "
    "timedelta and Decimal",
    ast.ClassDef: "class definitions are not allowed; use dicts for structured data",
    ast.Global: "'global' statements are not allowed",
    ast.Nonlocal: "'nonlocal' statements are not allowed",
    ast.With: "'with' statements are not allowed",
    ast.AsyncWith: "async code is not allowed",
    ast.AsyncFor: "async code is not allowed",
    ast.AsyncFunctionDef: "async code is not allowed",
    ast.Await: "async code is not allowed",
    ast.Match: "'match' statements are not allowed; use if/elif",
    ast.TryStar: "'except*' is not allowed",
}

# Values whose public attributes scripts may read, and classes whose public attributes
# (alternate constructors such as `datetime.fromisoformat`, unbound methods) they may read.
_OPEN_CLASSES: frozenset[type] = frozenset(
    {
        bool,
        dict,
        float,
        frozenset,
        int,
        list,
        set,
        str,
        tuple,
        Decimal,
        dt.date,
        dt.datetime,
        dt.timedelta,
    }
)


class BpmnError(Exception):
    """`raise BpmnError("CODE", "message")` takes the script task's error boundary event."""

    def __init__(self, code: object, message: object = "") -> None:
        """Record the error code and message."""
        super().__init__(f"{code}: {message}" if message else str(code))
        self.code = str(code)
        self.message = str(message) if message is not None else ""


# Exception classes scripts may raise and catch; their instances' attributes stay closed.
_EXCEPTIONS: dict[str, type[Exception]] = {
    cls.__name__: cls
    for cls in (
        ArithmeticError,
        BpmnError,
        Exception,
        IndexError,
        KeyError,
        LookupError,
        TypeError,
        ValueError,
        ZeroDivisionError,
    )
}

Problem = tuple[int | None, str]
"""A guard finding: the 1-based line (when known) and what is wrong."""


# --------------------------------------------------------------------------- static guard


def find_problems(source: str) -> list[Problem]:
    """Check a script against the sandbox's static rules.

    Args:
        source: Python source of a script task.

    Returns:
        Every problem found, ordered by line; an empty list means the script may run.
    """
    return list(_analyse(source)[1])


@functools.lru_cache(maxsize=512)
def _analyse(source: str) -> tuple[ast.Module | None, tuple[Problem, ...]]:
    try:
        tree = ast.parse(source, filename=SCRIPT_FILENAME, mode="exec")
    except SyntaxError as err:
        return None, ((err.lineno, f"syntax error: {err.msg}"),)
    except (RecursionError, MemoryError):
        return None, ((None, "the script is nested too deeply or too large to parse"),)
    except ValueError as err:  # e.g. NUL bytes in the source
        return None, ((None, f"the script cannot be parsed: {err}"),)
    found: list[tuple[int, int, str]] = []
    # An explicit stack instead of a recursive visitor, so deeply nested code cannot exhaust
    # the interpreter's recursion limit here.
    stack: list[tuple[ast.AST, bool, bool]] = [(tree, False, False)]
    while stack:
        node, in_function, in_loop = stack.pop()
        message = _node_problem(node, in_function=in_function, in_loop=in_loop)
        if message is not None:
            found.append((getattr(node, "lineno", 0), getattr(node, "col_offset", 0), message))
        if isinstance(node, ast.FunctionDef | ast.Lambda):
            stack.extend((child, True, False) for child in ast.iter_child_nodes(node))
        elif isinstance(node, ast.For | ast.While):
            body = {id(statement) for statement in node.body}
            stack.extend(
                (child, in_function, in_loop or id(child) in body)
                for child in ast.iter_child_nodes(node)
            )
        else:
            stack.extend((child, in_function, in_loop) for child in ast.iter_child_nodes(node))
    found.sort()
    return tree, tuple((line or None, message) for line, _, message in found)


def _node_problem(node: ast.AST, *, in_function: bool, in_loop: bool) -> str | None:
    refused = _REFUSED_STATEMENTS.get(type(node))
    if refused is not None:
        return refused
    if isinstance(node, ast.Name):
        return _name_problem(node.id)
    if isinstance(node, ast.Attribute):
        if node.attr.startswith("_") or node.attr in _DENIED_ATTRIBUTES:
            hint = "; use f-strings instead" if node.attr in {"format", "format_map"} else ""
            return f"access to attribute '{node.attr}' is not allowed{hint}"
        if not isinstance(node.ctx, ast.Load):
            return (
                f"assigning or deleting attribute '{node.attr}' is not allowed; only item "
                f"assignment such as d['{node.attr}'] = ... is"
            )
        return None
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id in _DENIED_CALLS:
            return f"calling '{node.func.id}' is not allowed in scripts"
        return None
    if isinstance(node, ast.FunctionDef):
        return _name_problem(node.name)
    if isinstance(node, ast.arg):
        return _name_problem(node.arg)
    if isinstance(node, ast.keyword) and node.arg is not None:
        return _name_problem(node.arg)
    if isinstance(node, ast.ExceptHandler) and node.name is not None:
        return _name_problem(node.name)
    if isinstance(node, ast.Yield | ast.YieldFrom) and not in_function:
        return "'yield' is only allowed inside a function"
    if isinstance(node, ast.Return) and not in_function:
        return "'return' is only allowed inside a function"
    if isinstance(node, ast.Break | ast.Continue) and not in_loop:
        return f"'{type(node).__name__.lower()}' is only allowed inside a loop"
    return None


def _name_problem(name: str) -> str | None:
    # A lone "_" is the usual throwaway name and opens nothing; every other leading underscore
    # (dunders included) is reserved for the sandbox.
    if name.startswith("_") and name != "_":
        return f"the name '{name}' is not allowed: names starting with '_' are reserved"
    return None


class _AttributeRewriter(ast.NodeTransformer):
    """Turn every attribute load `a.b` into `_mlc_getattr(a, "b")`."""

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        self.generic_visit(node)
        if not isinstance(node.ctx, ast.Load):
            return node  # unreachable after the guard, which refuses attribute stores
        call = ast.Call(
            func=ast.Name(id=_GETATTR_NAME, ctx=ast.Load()),
            args=[node.value, ast.Constant(value=node.attr)],
            keywords=[],
        )
        return ast.copy_location(call, node)


@functools.lru_cache(maxsize=512)
def _compiled(source: str) -> tuple[CodeType | None, tuple[Problem, ...]]:
    tree, problems = _analyse(source)
    if problems or tree is None:
        return None, problems
    # Rewrite a copy: the cached tree from `_analyse` must keep describing the source.
    try:
        rewritten = _AttributeRewriter().visit(copy.deepcopy(tree))
    except RecursionError:
        return None, ((None, "the script is nested too deeply"),)
    body = rewritten.body
    if body and isinstance(body[-1], ast.Expr):
        # Like Camunda's Groovy and JavaScript tasks, the script's value is its last
        # expression; keep it under a reserved name so it is not taken for a variable.
        target = ast.Name(id=_VALUE_NAME, ctx=ast.Store())
        body[-1] = ast.copy_location(ast.Assign(targets=[target], value=body[-1].value), body[-1])
    ast.fix_missing_locations(rewritten)
    try:
        # The only compile() in the project, and only on a tree the guard has passed.
        code = compile(rewritten, SCRIPT_FILENAME, "exec", dont_inherit=True)
    except SyntaxError as err:
        return None, ((err.lineno, f"syntax error: {err.msg}"),)
    return code, ()


# --------------------------------------------------------------------------- runtime


def _guarded_getattr(obj: object, name: str) -> Any:
    if name.startswith("_") or name in _DENIED_ATTRIBUTES:
        raise PermissionError(f"access to attribute '{name}' is not allowed")
    kind = type(obj)
    if kind in _OPEN_CLASSES or kind in {NoneType, SimpleNamespace, _Execution}:
        return getattr(obj, name)
    if kind is type and obj in _OPEN_CLASSES:
        return getattr(obj, name)
    raise PermissionError(f"attributes of {kind.__name__} values are not available in scripts")


def _safe_isinstance(obj: object, classinfo: object) -> bool:
    classes = classinfo if isinstance(classinfo, tuple) else (classinfo,)
    allowed = _OPEN_CLASSES | frozenset(_EXCEPTIONS.values())
    if not all(type(cls) is type and cls in allowed for cls in classes):
        names = ", ".join(sorted(cls.__name__ for cls in _OPEN_CLASSES))
        raise TypeError(f"isinstance() in scripts accepts only these types: {names}")
    return isinstance(obj, tuple(classes))


def _safe_range(*args: int) -> range:
    result = range(*args)
    try:
        length = len(result)
    except OverflowError:
        length = MAX_RANGE_LENGTH + 1
    if length > MAX_RANGE_LENGTH:
        raise ValueError(f"range() in scripts is limited to {MAX_RANGE_LENGTH:,} items")
    return result


def _json_dumps(
    obj: object,
    *,
    indent: int | str | None = None,
    sort_keys: bool = False,
    ensure_ascii: bool = True,
) -> str:
    return json.dumps(obj, indent=indent, sort_keys=sort_keys, ensure_ascii=ensure_ascii)


def _json_loads(text: str) -> Any:
    return json.loads(text)


class _Output:
    """Collect what a script prints, one entry per `print` call, up to a byte budget."""

    def __init__(self, limit: int) -> None:
        self.lines: list[str] = []
        self._left = limit

    def print(self, *values: object, sep: object = " ", end: object = "\n") -> None:
        separator = " " if sep is None else sep
        ending = "\n" if end is None else end
        if not isinstance(separator, str) or not isinstance(ending, str):
            raise TypeError("print() sep and end must be strings")
        if self._left <= 0:
            return
        text = (separator.join(str(value) for value in values) + ending).removesuffix("\n")
        encoded = text.encode("utf-8", "surrogatepass")
        if len(encoded) > self._left:
            text = encoded[: self._left].decode("utf-8", "ignore") + _TRUNCATION_MARK
            self._left = 0
        else:
            self._left -= len(encoded)
        self.lines.append(text)


class _Execution:
    """The `execution` object of a Camunda script: variables plus read-only context.

    Its methods are camelCase to match the Camunda API that BPMN authors already know.
    """

    __slots__ = ("_context", "_namespace")

    def __init__(self, namespace: dict[str, Any], context: Mapping[str, Any]) -> None:
        self._namespace = namespace
        self._context = dict(context)

    def getVariable(self, name: str) -> Any:  # noqa: N802 - Camunda's API names
        """Return a process variable, or `None` when it is not set."""
        _check_variable_name(name)
        value = self._namespace.get(name)
        return None if _is_hidden(name, value) else value

    def setVariable(self, name: str, value: Any) -> None:  # noqa: N802 - Camunda's API names
        """Set a process variable; it is returned to the engine like an assignment."""
        _check_variable_name(name)
        self._namespace[name] = value

    def hasVariable(self, name: str) -> bool:  # noqa: N802 - Camunda's API names
        """Tell whether a process variable is set."""
        _check_variable_name(name)
        return name in self._namespace and not _is_hidden(name, self._namespace[name])

    def removeVariable(self, name: str) -> None:  # noqa: N802 - Camunda's API names
        """Remove a process variable; it is reported to the engine as deleted."""
        _check_variable_name(name)
        self._namespace.pop(name, None)

    def getVariables(self) -> dict[str, Any]:  # noqa: N802 - Camunda's API names
        """Return a copy of all process variables."""
        return {k: v for k, v in self._namespace.items() if not _is_hidden(k, v)}

    def getProcessInstanceId(self) -> Any:  # noqa: N802 - Camunda's API names
        """Return the process instance id."""
        return self._context.get("processInstanceId")

    def getProcessBusinessKey(self) -> Any:  # noqa: N802 - Camunda's API names
        """Return the business key of the process instance."""
        return self._context.get("processBusinessKey")

    def getCurrentActivityId(self) -> Any:  # noqa: N802 - Camunda's API names
        """Return the id of the script task."""
        return self._context.get("currentActivityId")

    def getActivityInstanceId(self) -> Any:  # noqa: N802 - Camunda's API names
        """Return the id of this run of the script task."""
        return self._context.get("activityInstanceId")


def _check_variable_name(name: object) -> None:
    # setVariable("__builtins__", ...) would replace the sandbox's builtins, so the reserved
    # names are closed here as well as in the guard.
    if not isinstance(name, str) or not name or name.startswith("_"):
        raise ValueError(f"invalid variable name {name!r}: use a string not starting with '_'")


def _is_hidden(name: str, value: object) -> bool:
    """Tell whether a namespace entry is script machinery rather than a process variable."""
    return (
        name.startswith("_")
        or callable(value)
        or isinstance(value, SimpleNamespace | _Execution | CodeType)
    )


def _safe_builtins(output: _Output, execution: _Execution) -> dict[str, Any]:
    plain: list[Callable[..., Any]] = [
        abs,
        all,
        any,
        bool,
        dict,
        enumerate,
        filter,
        float,
        int,
        len,
        list,
        map,
        max,
        min,
        reversed,
        round,
        set,
        sorted,
        str,
        sum,
        tuple,
        zip,
    ]
    names: dict[str, Any] = {fn.__name__: fn for fn in plain}
    names.update(_EXCEPTIONS)
    math_names = {n: getattr(math, n) for n in dir(math) if not n.startswith("_")}
    names.update(
        {
            "True": True,
            "False": False,
            "None": None,
            "range": _safe_range,
            "isinstance": _safe_isinstance,
            "print": output.print,
            "math": SimpleNamespace(**math_names),
            "json": SimpleNamespace(dumps=_json_dumps, loads=_json_loads),
            "datetime": dt.datetime,
            "date": dt.date,
            "timedelta": dt.timedelta,
            "Decimal": Decimal,
            "execution": execution,
            _GETATTR_NAME: _guarded_getattr,
        }
    )
    return names


def _json_default(value: object) -> Any:
    if isinstance(value, dt.date):  # datetime is a date subclass; both have isoformat()
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return _iso_duration(value)
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not a JSON value")


def _iso_duration(delta: dt.timedelta) -> str:
    sign = "-" if delta < dt.timedelta(0) else ""
    delta = abs(delta)
    hours, rest = divmod(delta.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{sign}P{delta.days}D" if delta.days else f"{sign}P"
    clock = ""
    if hours:
        clock += f"{hours}H"
    if minutes:
        clock += f"{minutes}M"
    if seconds or delta.microseconds:
        whole = f"{seconds}.{delta.microseconds:06d}".rstrip("0").rstrip(".")
        clock += f"{whole}S"
    if clock:
        text += "T" + clock
    return text if text not in {"P", "-P"} else "PT0S"


def _same(new: Any, old: Any) -> bool:
    """Compare a value with its JSON-decoded original, telling 1 from 1.0 and True."""
    if type(new) is not type(old):
        return False
    if isinstance(old, dict):
        return new.keys() == old.keys() and all(_same(new[k], old[k]) for k in old)
    if isinstance(old, list):
        return len(new) == len(old) and all(_same(a, b) for a, b in zip(new, old, strict=True))
    return bool(new == old)


def _script_line(traceback: TracebackType | None) -> int | None:
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == SCRIPT_FILENAME:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


_RECYCLING_KINDS = frozenset({"memory", "internal"})


def _failure(kind: str, message: str, **extra: Any) -> str:
    reply = {
        "ok": False,
        "kind": kind,
        "message": message[:_MAX_MESSAGE_CHARS],
        "line": None,
        "problems": [],
        "variable": None,
        # After a MemoryError or an internal fault the interpreter's state is suspect, so
        # the worker exits after replying and the host starts a fresh one.
        "recycle": kind in _RECYCLING_KINDS,
    }
    reply.update(extra)
    return json.dumps(reply)


def run_request(request: Mapping[str, Any]) -> tuple[str, bool]:
    """Run one script request inside this process and build the reply line.

    Only the worker process calls this on scripts; it applies no CPU or memory limit
    itself (`serve` does).

    Args:
        request: The decoded request (see the module docstring).

    Returns:
        The JSON reply without its trailing newline, and whether the worker must exit
        after sending it.
    """
    code, problems = _compiled(request["source"])
    if code is None:
        refused = [list(problem) for problem in problems]
        return _failure("refused", "the script was refused", problems=refused), False
    # Names starting with "_" are unreachable from scripts, and "__builtins__" must never come
    # from the caller, so such variables are not passed in at all.
    inputs = {k: v for k, v in request["variables"].items() if not k.startswith("_")}
    originals = copy.deepcopy(inputs)
    max_bytes = int(request["max_output_bytes"])
    output = _Output(max_bytes)
    namespace: dict[str, Any] = dict(inputs)
    execution = _Execution(namespace, request.get("context") or {})
    namespace["__builtins__"] = _safe_builtins(output, execution)
    try:
        exec(code, namespace)  # noqa: S102 - the sandbox's single exec, on guarded code
    except MemoryError as err:
        line = _script_line(err.__traceback__)
        return _failure("memory", "the script ran out of memory", line=line), True
    except BpmnError as err:
        line = _script_line(err.__traceback__)
        return _failure("bpmn_error", str(err), code=err.code, error=err.message, line=line), False
    except Exception as err:  # noqa: BLE001 - every script failure becomes a reply
        message = f"{type(err).__name__}: {err}"
        if isinstance(err, NameError):
            visible = sorted(k for k, v in namespace.items() if not _is_hidden(k, v))
            shown = ", ".join(visible[:_LISTED_NAMES])
            shown += ", ..." if len(visible) > _LISTED_NAMES else ""
            message += f" (variables: {shown or 'none'})"
        return _failure("runtime", message, line=_script_line(err.__traceback__)), False
    return _success(namespace, originals, output, max_bytes), False


def _success(
    namespace: dict[str, Any], originals: dict[str, Any], output: _Output, max_bytes: int
) -> str:
    value = namespace.pop(_VALUE_NAME, None)
    try:
        value_text = json.dumps(value, default=_json_default, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as err:
        message = f"the script's last expression gives a value that is not JSON ({err})"
        return _failure("result", message)
    encoded: list[str] = []
    size = len(value_text)
    for name, value in namespace.items():
        if _is_hidden(name, value) or (name in originals and _same(value, originals[name])):
            continue
        try:
            text = json.dumps(value, default=_json_default, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as err:
            message = (
                f"variable '{name}' holds a value that is not JSON ({err}); store dicts, "
                "lists, str, int, float, bool or None"
            )
            return _failure("result", message, variable=name)
        size += len(text)
        encoded.append(f"{json.dumps(name)}:{text}")
    if size > max_bytes:
        message = (
            f"the changed variables take {size:,} bytes as JSON, over the limit of {max_bytes:,}"
        )
        return _failure("result", message)
    deleted = sorted(
        name for name in originals if name not in namespace or _is_hidden(name, namespace[name])
    )
    # The variables were encoded one by one above (to name the one that fails); splice them
    # into the reply rather than encoding them a second time.
    tail = json.dumps({"deleted": deleted, "printed": output.lines})
    head = '{"ok":true,"value":' + value_text + ',"variables":{'
    return head + ",".join(encoded) + "}," + tail[1:]


# --------------------------------------------------------------------------- worker process


def _apply_memory_limit(memory_bytes: int) -> None:
    import resource  # noqa: PLC0415 - POSIX-only; the host imports this module without it

    # The limit is counted from the interpreter's own footprint, so the script gets
    # `memory_bytes` however much the imports above happened to map.
    try:
        pages = int(Path("/proc/self/statm").read_text(encoding="ascii").split()[0])
        baseline = pages * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # no procfs (not Linux): count the limit from zero
        baseline = 0
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = baseline + memory_bytes
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _arm_cpu_limit(seconds: float) -> None:
    import resource  # noqa: PLC0415 - POSIX-only
    import signal  # noqa: PLC0415 - only the worker process needs it

    # The interval timer stops the script precisely (SIGPROF's default action terminates,
    # even inside a long C call); RLIMIT_CPU, counted in whole seconds, is the kernel's
    # backstop should the timer be lost.
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft = math.ceil(usage.ru_utime + usage.ru_stime + seconds)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    signal.setitimer(signal.ITIMER_PROF, seconds)


def _disarm_cpu_limit() -> None:
    import signal  # noqa: PLC0415 - only the worker process needs it

    signal.setitimer(signal.ITIMER_PROF, 0)


def serve(memory_bytes: int, requests: BinaryIO, replies: BinaryIO) -> None:
    """Answer requests until stdin closes or a reply asks for a fresh worker.

    Args:
        memory_bytes: Address space the scripts may use on top of the interpreter.
        requests: Where request lines arrive.
        replies: Where reply lines go.
    """
    import signal  # noqa: PLC0415 - only the worker process needs it

    # An ignored disposition would be inherited from the host through exec; the CPU limit
    # relies on the default (terminating) action of both signals.
    signal.signal(signal.SIGPROF, signal.SIG_DFL)
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)
    try:
        _apply_memory_limit(memory_bytes)
    except (OSError, ValueError) as err:
        replies.write(json.dumps({"ready": False, "message": str(err)}).encode() + b"\n")
        return
    replies.write(b'{"ready":true}\n')
    for line in requests:
        try:
            request = json.loads(line)
            _arm_cpu_limit(float(request["cpu_seconds"]))
            try:
                reply, recycle = run_request(request)
            finally:
                _disarm_cpu_limit()
        except MemoryError:
            reply, recycle = _failure("memory", "the script's data ran out of memory"), True
        except Exception as err:  # noqa: BLE001 - report, then let the host start a new worker
            message = f"sandbox worker error: {type(err).__name__}: {err}"
            reply, recycle = _failure("internal", message), True
        # Every reply is ASCII: json.dumps escapes everything else.
        replies.write(reply.encode("ascii") + b"\n")
        if recycle:
            return


def main() -> None:
    """Run the worker on stdin/stdout; `sys.argv[1]` is the memory limit in bytes."""
    memory_bytes = int(sys.argv[1])
    # Replies go to a private copy of stdout; fd 1 itself points at /dev/null so nothing
    # else written there can corrupt the protocol.
    replies = os.fdopen(os.dup(1), "wb", buffering=0)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.close(devnull)
    serve(memory_bytes, sys.stdin.buffer, replies)


if __name__ == "__main__":
    main()
