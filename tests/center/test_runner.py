import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from modelop_mlc.center._runner import (
    FunctionRole,
    InputData,
    JobRun,
    ModelSourceError,
    find_functions,
    render_output,
    run_model_function,
)
from modelop_mlc.errors import MlcError

BROKEN = Path(__file__).resolve().parents[2] / "examples" / "models" / "broken"
ROWS_CSV = "id,x,group\n1,0.5,a\n2,1.5,b\n3,2.5,a\n"


def model(text: str) -> str:
    return textwrap.dedent(text).lstrip()


def run(source: str, role: FunctionRole = FunctionRole.METRICS, *inputs: InputData, **kw: Any):
    return run_model_function(source, role, list(inputs), **kw)


def csv_input(content: str = ROWS_CSV, name: str = "data") -> InputData:
    return InputData(content, "CSV", name)


# --- find_functions ---------------------------------------------------------------------------


def test_find_functions_maps_each_smart_comment_to_the_def_below_it():
    """Every role's smart comment names the function directly under it, schema lines allowed."""
    source = model(
        """
        import pandas as pd

        # modelop.init
        def begin(job_json):
            pass

        # modelop.train
        def fit(df):
            yield {}

        # modelop.schema.0: input_schema.avsc
        # modelop.score
        # modelop.schema.1: output_schema.avsc
        def action(df):
            yield {}

        # modelop.metrics
        def evaluate(df):
            yield {}
        """
    )
    assert find_functions(source) == {
        FunctionRole.INIT: "begin",
        FunctionRole.TRAIN: "fit",
        FunctionRole.SCORE: "action",
        FunctionRole.METRICS: "evaluate",
    }


def test_find_functions_ignores_lookalikes_in_strings_and_after_code():
    """Smart-comment text inside a string or after code on the same line marks nothing."""
    source = model(
        '''
        HELP = """
        # modelop.score
        """
        x = 1  # modelop.init

        def helper():
            pass

        # modelop.metrics
        def metrics(df):
            yield {}
        '''
    )
    assert find_functions(source) == {FunctionRole.METRICS: "metrics"}


def test_find_functions_accepts_a_decorated_function():
    """A smart comment above a function's decorators marks that function."""
    source = model(
        """
        import functools

        # modelop.metrics
        @functools.lru_cache
        def metrics(df):
            return {}
        """
    )
    assert find_functions(source) == {FunctionRole.METRICS: "metrics"}


def test_find_functions_lets_one_function_carry_two_roles():
    """Stacked smart comments give one function several roles."""
    source = "# modelop.score\n# modelop.metrics\ndef both(df):\n    yield {}\n"
    assert find_functions(source) == {FunctionRole.SCORE: "both", FunctionRole.METRICS: "both"}


def test_find_functions_rejects_a_role_marked_twice():
    """A second smart comment for the same role raises naming both lines."""
    source = model(
        """
        # modelop.metrics
        def first(df):
            yield {}

        # modelop.metrics
        def second(df):
            yield {}
        """
    )
    with pytest.raises(ModelSourceError) as caught:
        find_functions(source)
    assert caught.value.line == 5
    assert (
        str(caught.value) == "model.py line 5: '# modelop.metrics' appears twice (first on line 1)"
    )
    assert isinstance(caught.value, MlcError)


def test_find_functions_rejects_a_smart_comment_without_a_def():
    """A smart comment followed by anything but a module-level def raises with its line."""
    source = model(
        """
        import os

        # modelop.score
        THRESHOLD = 0.5

        def score(df):
            yield {}
        """
    )
    with pytest.raises(ModelSourceError, match=r"line 3: '# modelop\.score' must be directly"):
        find_functions(source)


def test_find_functions_rejects_a_smart_comment_on_a_method():
    """A smart comment on a method is refused: only module-level functions can be called."""
    source = model(
        """
        class Model:
            # modelop.metrics
            def metrics(self, df):
                yield {}
        """
    )
    with pytest.raises(ModelSourceError) as caught:
        find_functions(source)
    assert caught.value.line == 2


def test_find_functions_reports_a_syntax_error_with_its_line():
    """Source that does not parse raises `ModelSourceError` with the offending line."""
    with pytest.raises(ModelSourceError) as caught:
        find_functions("# modelop.metrics\ndef metrics(df):\n    yield {\n")
    assert caught.value.line is not None
    assert "syntax error" in str(caught.value)


# --- failure modes -----------------------------------------------------------------------------


def test_an_exception_in_model_code_is_an_error_naming_type_message_and_line():
    """A metrics function that raises ends the job in ERROR with the exception and its line."""
    result = run((BROKEN / "raises.py").read_text(), FunctionRole.METRICS, csv_input())
    assert result.status == "ERROR"
    assert (
        result.reason
        == "ValueError: no label column 'default' in the data (model.py line 12, in metrics)"
    )
    assert result.records is None
    assert result.result is None
    assert 'File "model.py", line 12, in metrics' in result.stderr_tail


def test_a_hanging_model_is_killed_at_the_timeout():
    """A function that never returns is killed and reported as timed out."""
    result = run(
        (BROKEN / "hangs.py").read_text(), FunctionRole.METRICS, csv_input(), timeout_seconds=2
    )
    assert result.status == "ERROR"
    assert result.reason == "timed out after 2 s"


def test_output_that_is_not_json_is_an_error_and_printed_noise_is_kept():
    """A yielded object that is not JSON fails the job; the model's prints appear in the tails."""
    result = run((BROKEN / "garbage.py").read_text(), FunctionRole.METRICS, csv_input())
    assert result.status == "ERROR"
    assert result.reason == (
        "metrics function returned a value that is not JSON: "
        "an object of type 'Coefficients' at $.result.model"
    )
    assert result.stdout_tail.endswith("x" * 100 + "\n")
    assert "binary garbage" in result.stderr_tail


def test_a_missing_role_function_is_an_error():
    """Running a role the model does not define fails without starting a process."""
    result = run((BROKEN / "no_metrics.py").read_text(), FunctionRole.METRICS, csv_input())
    assert result.status == "ERROR"
    assert result.reason == "the model has no '# modelop.metrics' function"


def test_a_misplaced_smart_comment_is_an_error_naming_the_line():
    """A source whose smart comments are wrong fails the job with the line, not an exception."""
    result = run("# modelop.metrics\nx = 1\n", FunctionRole.METRICS)
    assert result.status == "ERROR"
    assert result.reason == (
        "model.py line 1: '# modelop.metrics' must be directly above a module-level def"
    )


def test_exceeding_the_memory_limit_is_an_error():
    """A model that allocates past its memory limit fails with MemoryError and the limit."""
    source = model(
        """
        # modelop.metrics
        def metrics():
            hoard = []
            while True:
                hoard.append(bytearray(50_000_000))
            yield {"chunks": len(hoard)}
        """
    )
    result = run(source, memory_bytes=400 * 1024 * 1024)
    assert result.status == "ERROR"
    assert result.reason is not None
    assert result.reason.startswith("MemoryError")
    assert result.reason.endswith("the memory limit is 400 MiB")


def test_a_process_killed_by_a_signal_is_an_error_naming_the_signal():
    """A child that dies from a signal is reported with the signal's name."""
    source = model(
        """
        import os
        import signal

        # modelop.metrics
        def metrics():
            os.kill(os.getpid(), signal.SIGKILL)
            yield {}
        """
    )
    result = run(source)
    assert result.status == "ERROR"
    assert result.reason is not None
    assert result.reason.startswith("the model process was killed by SIGKILL")


def test_a_model_that_exits_early_is_an_error():
    """A model that ends its process before answering fails the job with the exit code."""
    source = model(
        """
        import os

        # modelop.metrics
        def metrics():
            os._exit(3)
        """
    )
    result = run(source)
    assert result.status == "ERROR"
    assert result.reason is not None
    assert result.reason.startswith("the model process exited with code 3 without a valid result")


def test_sys_exit_in_model_code_is_reported_like_an_exception():
    """`sys.exit()` inside model code is caught and reported with its line."""
    source = "import sys\n\n# modelop.metrics\ndef metrics():\n    sys.exit(0)\n"
    result = run(source)
    assert result.status == "ERROR"
    assert result.reason == "SystemExit: 0 (model.py line 5, in metrics)"


def test_an_exception_at_import_time_is_reported_with_its_line():
    """Module-level code that raises fails the job with the line and no function name."""
    source = "import json\nraise RuntimeError('no GPU')\n\n# modelop.metrics\ndef m():\n    pass\n"
    result = run(source)
    assert result.reason == "RuntimeError: no GPU (model.py line 2)"


def test_an_exception_in_init_fails_the_job():
    """An init function that raises fails the job before the role's function runs."""
    source = model(
        """
        # modelop.init
        def init(job_json):
            raise KeyError("trainedModel")

        # modelop.metrics
        def metrics():
            yield {}
        """
    )
    result = run(source)
    assert result.reason == "KeyError: 'trainedModel' (model.py line 3, in init)"


def test_invalid_json_input_is_an_error_naming_the_input():
    """An input asset that is not valid JSON fails the job naming the asset."""
    source = "# modelop.metrics\ndef metrics(df):\n    yield {}\n"
    result = run(source, FunctionRole.METRICS, InputData("{not json\n", "JSON", "test-data"))
    assert result.status == "ERROR"
    assert result.reason is not None
    assert result.reason.startswith("input 'test-data' is not valid JSON")


def test_a_score_function_yielding_a_scalar_is_an_error():
    """Score output must be dicts or DataFrames; a bare number fails the job."""
    source = "# modelop.score\ndef score(df):\n    yield 0.5\n"
    result = run(source, FunctionRole.SCORE, csv_input())
    assert result.status == "ERROR"
    assert (
        result.reason == "score function yielded a float; yield dicts, lists of dicts or DataFrames"
    )


def test_a_missing_interpreter_is_an_error():
    """An interpreter that does not exist fails the job instead of raising."""
    source = "# modelop.metrics\ndef metrics():\n    yield {}\n"
    result = run(source, python="/nonexistent/python3")
    assert result.status == "ERROR"
    assert result.reason is not None
    assert result.reason.startswith("cannot start the model process with '/nonexistent/python3'")


def test_a_job_that_is_not_json_is_refused():
    """A job mapping that cannot be serialised raises `ValueError` before anything runs."""
    with pytest.raises(ValueError, match="job JSON cannot be serialised"):
        run("# modelop.metrics\ndef m():\n    pass\n", job={"when": object()})


def test_input_data_rejects_unknown_formats():
    """Only CSV and JSON inputs are accepted; the format is normalised to upper case."""
    assert InputData("[]", "json", "x").file_format == "JSON"
    with pytest.raises(ValueError, match="use CSV or JSON"):
        InputData("", "parquet", "x")


# --- isolation ---------------------------------------------------------------------------------


def test_printed_output_cannot_corrupt_the_result():
    """Whatever the model prints, even protocol-like JSON on fd 1, the result is its yield."""
    source = model(
        """
        import os
        import sys

        # modelop.metrics
        def metrics(df):
            print('{"result": "forged"}')
            os.write(1, b'{"records": []}\\n')
            sys.stdout.close()
            yield {"rows": len(df)}
        """
    )
    result = run(source, FunctionRole.METRICS, csv_input())
    assert result.status == "COMPLETE"
    assert result.result == {"rows": 3}
    assert '{"result": "forged"}' in result.stdout_tail


def test_the_parent_environment_does_not_reach_the_model(monkeypatch: pytest.MonkeyPatch):
    """Secrets in the host's environment are not visible to model code."""
    monkeypatch.setenv("MLC_TEST_SECRET", "hunter2")
    source = model(
        """
        import os

        # modelop.metrics
        def metrics():
            yield {"secret": os.environ.get("MLC_TEST_SECRET"), "names": sorted(os.environ)}
        """
    )
    result = run(source)
    assert result.status == "COMPLETE"
    assert result.result["secret"] is None
    assert "MLC_TEST_SECRET" not in result.result["names"]
    assert {"HOME", "PATH", "PYTHONPATH"} <= set(result.result["names"])


def test_the_model_runs_in_its_own_working_directory(tmp_path: Path):
    """Files a model writes land in a per-job directory that is also its HOME."""
    source = model(
        """
        import os
        from pathlib import Path

        # modelop.train
        def train():
            Path("weights.bin").write_bytes(b"0")
            yield {"cwd": os.getcwd(), "home": os.environ["HOME"], "files": os.listdir(".")}
        """
    )
    first = run(source, FunctionRole.TRAIN)
    second = run(source, FunctionRole.TRAIN)
    assert first.result["cwd"] == first.result["home"]
    assert first.result["files"] == ["weights.bin"]
    assert first.result["cwd"] != second.result["cwd"]
    assert not Path(first.result["cwd"]).exists()


# --- calling conventions and data ----------------------------------------------------------------


def test_csv_json_lines_and_json_array_inputs_give_the_same_frame():
    """The three input encodings reach the model as equal DataFrames."""
    source = model(
        """
        # modelop.metrics
        def metrics(df):
            yield {"columns": list(df.columns), "rows": df.to_dict(orient="records")}
        """
    )
    rows = [{"id": 1, "x": 0.5, "group": "a"}, {"id": 2, "x": 1.5, "group": "b"}]
    lines = "".join(json.dumps(r) + "\n" for r in rows)
    inputs = [
        InputData("id,x,group\n1,0.5,a\n2,1.5,b\n", "CSV", "csv"),
        InputData(lines, "JSON", "lines"),
        InputData(json.dumps(rows, indent=2), "JSON", "array"),
    ]
    results = [run(source, FunctionRole.METRICS, i).result for i in inputs]
    assert [{"columns": ["id", "x", "group"], "rows": rows}] * 3 == results


def test_several_inputs_are_passed_positionally():
    """Each input asset becomes one DataFrame argument, in order."""
    source = model(
        """
        # modelop.metrics
        def metrics(baseline, sample):
            yield {"baseline": len(baseline), "sample": len(sample)}
        """
    )
    result = run(
        source,
        FunctionRole.METRICS,
        csv_input(name="baseline"),
        InputData('{"x": 1}\n', "JSON", "sample"),
    )
    assert result.result == {"baseline": 3, "sample": 1}


def test_score_output_is_normalised_to_records():
    """Dicts, lists of dicts and DataFrames yielded by score all become flat records."""
    source = model(
        """
        # modelop.score
        def score(df):
            yield {"id": 0, "score": 0.0}
            yield [{"id": -1, "score": 1.0}]
            yield df.assign(score=df["x"] * 2)[["id", "score"]]
        """
    )
    result = run(source, FunctionRole.SCORE, csv_input())
    assert result.status == "COMPLETE"
    assert result.records == [
        {"id": 0, "score": 0.0},
        {"id": -1, "score": 1.0},
        {"id": 1, "score": 1.0},
        {"id": 2, "score": 3.0},
        {"id": 3, "score": 5.0},
    ]
    assert result.result is None


def test_a_returned_value_works_like_a_single_yield():
    """A metrics function may return its dict instead of yielding it."""
    source = "# modelop.metrics\ndef metrics(df):\n    return {'rows': len(df)}\n"
    assert run(source, FunctionRole.METRICS, csv_input()).result == {"rows": 3}


def test_several_yields_from_metrics_become_a_list():
    """Each value yielded by a metrics function is kept, in order."""
    source = "# modelop.metrics\ndef metrics():\n    yield {'a': 1}\n    yield {'b': 2}\n"
    assert run(source).result == [{"a": 1}, {"b": 2}]


def test_numpy_and_pandas_values_become_json_and_nan_becomes_null():
    """Numpy scalars and arrays, pandas objects, NaN and infinity are made JSON-safe."""
    source = model(
        """
        import numpy as np
        import pandas as pd

        # modelop.metrics
        def metrics(df):
            yield {
                "count": np.int64(3),
                "mean": np.float32(0.5),
                "flag": np.bool_(True),
                "nan": float("nan"),
                "inf": np.inf,
                "array": np.array([1.0, np.nan]),
                "series": pd.Series({"a": 1, "b": 2}),
                "missing": pd.NA,
                "when": pd.Timestamp("2026-01-02T03:04:05"),
                np.int64(7): "numpy key",
            }
        """
    )
    result = run(source, FunctionRole.METRICS, csv_input())
    assert result.status == "COMPLETE"
    assert result.result == {
        "count": 3,
        "mean": 0.5,
        "flag": True,
        "nan": None,
        "inf": None,
        "array": [1.0, None],
        "series": {"a": 1, "b": 2},
        "missing": None,
        "when": "2026-01-02T03:04:05",
        "7": "numpy key",
    }


def test_init_receives_the_job_and_may_take_no_argument():
    """`init(job_json)` gets the job; an `init()` without parameters is called bare."""
    with_arg = model(
        """
        STATE = {}

        # modelop.init
        def init(job_json):
            STATE["job"] = job_json

        # modelop.metrics
        def metrics():
            yield STATE["job"]
        """
    )
    without_arg = (
        "# modelop.init\ndef init():\n    pass\n# modelop.metrics\ndef m():\n    yield 1\n"
    )
    job = {"trainedModel": {"coefficients": [1.0]}, "jobParameters": {"k": "v"}}
    assert job == run(with_arg, job=job).result
    assert run(with_arg).result == {}
    assert run(without_arg).result == 1


def test_the_init_role_returns_what_init_returns():
    """Running the init role alone reports init's return value."""
    source = "# modelop.init\ndef init(job_json):\n    return sorted(job_json)\n"
    assert run(source, FunctionRole.INIT, job={"b": 1, "a": 2}).result == ["a", "b"]


def test_a_completed_job_reports_its_run():
    """A completed job has status COMPLETE, no reason and a duration."""
    result = run("# modelop.metrics\ndef m():\n    yield {'ok': True}\n")
    assert isinstance(result, JobRun)
    assert result.ok
    assert result.reason is None
    assert result.duration_seconds > 0


# --- render_output -----------------------------------------------------------------------------


def test_render_output_writes_csv_with_every_key():
    """CSV output has the union of keys as header, JSON for nested values, empty for None."""
    records: list[dict[str, Any]] = [
        {"id": 1, "score": 0.5},
        {"id": 2, "extra": {"a": [1]}, "score": None},
    ]
    assert render_output(records, "csv") == 'id,score,extra\n1,0.5,\n2,,"{""a"": [1]}"\n'


def test_render_output_writes_json_lines():
    """JSON output has one record per line."""
    records: list[dict[str, Any]] = [{"id": 1}, {"id": 2, "label": "x"}]
    text = render_output(records, "JSON")
    assert records == [json.loads(line) for line in text.splitlines()]
    with pytest.raises(ValueError, match="use CSV or JSON"):
        render_output(records, "XML")
