"""Hostile expressions and bad diagrams are refused with a clear error instead of freezing,
flooding or crashing the host (issue 25, items 4, 5 and 8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bpmn_xml import chain, flow, process
from modelop_mlc import LifecycleManager, ManagerConfig, validate
from modelop_mlc._engine.scripting import STEPS_PER_CPU_SECOND
from modelop_mlc.dmn._bounds import current_limits
from modelop_mlc.errors import ExpressionError, ProcessError, ScriptError

START = '<bpmn:startEvent id="start"/>'
END = '<bpmn:endEvent id="end"/>'
# Catastrophic backtracking for Python's `re`: 53 s for 31 characters before RE2.
EVIL = "^([a-zA-Z]+ ?)+$"
NAME = "a" * 30 + "!"


def _condition(text: str, language: str | None) -> str:
    lang = f' language="{language}"' if language else ""
    return f"<bpmn:conditionExpression{lang}>{text}</bpmn:conditionExpression>"


def _router(yes: str, no: str, language: str | None = None) -> str:
    """A gateway choosing `yes` or `no` by two conditions, then waiting at a user task."""
    return process(
        START + '<bpmn:exclusiveGateway id="g"/><bpmn:userTask id="yes"/>'
        '<bpmn:userTask id="no"/>' + END + chain("start", "g") + '<bpmn:sequenceFlow id="fy" '
        f'sourceRef="g" targetRef="yes">{_condition(yes, language)}</bpmn:sequenceFlow>'
        f'<bpmn:sequenceFlow id="fn" sourceRef="g" targetRef="no">{_condition(no, language)}'
        "</bpmn:sequenceFlow>" + chain("yes", "end") + chain("no", "end"),
        pid="router",
    )


def _script(code: str, language: str) -> str:
    return process(
        START + f'<bpmn:scriptTask id="s" scriptFormat="{language}"><bpmn:script>{code}'
        '</bpmn:script></bpmn:scriptTask><bpmn:userTask id="w"/>'
        + END
        + chain("start", "s", "w", "end"),
        pid="script",
    )


def _input(expression: str) -> str:
    return process(
        START + '<bpmn:userTask id="w"><bpmn:extensionElements><camunda:inputOutput>'
        f'<camunda:inputParameter name="x">{expression}</camunda:inputParameter>'
        "</camunda:inputOutput></bpmn:extensionElements></bpmn:userTask>"
        + END
        + chain("start", "w", "end"),
        pid="input",
    )


def test_a_backtracking_regex_in_juel_answers_at_once(manager: LifecycleManager) -> None:
    """JUEL `matches` with a catastrophic pattern runs on RE2 and takes its path."""
    manager.deploy(_router(f"${{name.matches('{EVIL}')}}", f"${{!name.matches('{EVIL}')}}"))
    assert manager.start("router", {"name": NAME}).waiting_at == ("no",)
    assert manager.start("router", {"name": "Ada Lovelace"}).waiting_at == ("yes",)


def test_a_backtracking_regex_in_feel_answers_at_once(manager: LifecycleManager) -> None:
    """FEEL `matches()` with the same pattern runs on RE2 too."""
    test = f'matches(name, "{EVIL}")'
    manager.deploy(_router(test, f"not({test})", "feel"))
    assert manager.start("router", {"name": NAME}).waiting_at == ("no",)


def test_a_back_reference_is_refused_with_the_reason(manager: LifecycleManager) -> None:
    """A pattern that needs backtracking is refused, naming the pattern and why."""
    manager.deploy(_router("${name.matches('(a)\\1')}", "${!name.matches('(a)\\1')}"))
    with pytest.raises(ExpressionError, match=r"back-references need backtracking"):
        manager.start("router", {"name": NAME})


def test_a_juel_concat_chain_is_refused_before_it_allocates(manager: LifecycleManager) -> None:
    """`concat` through an input parameter stops at the string limit, not at 5.6 GB."""
    manager.deploy(_input("${s.concat(s).concat(s).concat(s)}"))
    with pytest.raises(ExpressionError, match=r"concat\(\) would build a string of 1200000"):
        manager.start("input", {"s": "a" * 400_000})
    assert manager.instances(key="input") == []


def test_a_feel_join_of_a_million_strings_is_refused(manager: LifecycleManager) -> None:
    """`string join(for i in 1..1000000 return s)` stops at the collection limit."""
    manager.deploy(_script("string join(for i in 1..1000000 return s)", "feel"))
    with pytest.raises(ExpressionError, match=r"at most 100000 are allowed"):
        manager.start("script", {"s": "abcdefghij"})


def test_a_nested_feel_for_is_stopped(manager: LifecycleManager) -> None:
    """A nested `for` of 10^10 iterations is stopped instead of never returning."""
    manager.deploy(_script("count(for i in 1..100000, j in 1..100000 return i)", "feel"))
    with pytest.raises(ExpressionError, match=r"was stopped"):
        manager.start("script", {})


def test_a_growing_replace_leaves_the_fast_path_for_the_sandbox(
    manager: LifecycleManager,
) -> None:
    """`s.replace("a", s)` on 50,000 characters is not built in the host: the sandbox's
    memory limit stops it and the error says so."""
    manager.deploy(_script('s = s.replace("a", s)', "python"))
    with pytest.raises(ScriptError, match=r"memory limit"):
        manager.start("script", {"s": "a" * 50_000})


def test_a_process_calling_itself_stops_at_the_call_depth_limit(
    manager: LifecycleManager,
) -> None:
    """A self-recursive call activity fails at depth 20 with the chain of calls."""
    manager.deploy(
        process(
            START
            + '<bpmn:callActivity id="again" calledElement="rec"/>'
            + END
            + chain("start", "again", "end"),
            pid="rec",
        )
    )
    with pytest.raises(ProcessError, match=r"would nest 21 call activities deep \(at most 20\)"):
        manager.start("rec")


def test_the_call_depth_limit_is_configurable(tmp_path: Path) -> None:
    """`max_call_depth=3` stops the same process at depth 4."""
    manager = LifecycleManager.open(tmp_path / "mlc.db", config=ManagerConfig(max_call_depth=3))
    try:
        manager.deploy(
            process(
                START
                + '<bpmn:callActivity id="again" calledElement="rec"/>'
                + END
                + chain("start", "again", "end"),
                pid="rec",
            )
        )
        with pytest.raises(ProcessError, match=r"would nest 4 call activities deep"):
            manager.start("rec")
    finally:
        manager.close()


LOOP = process(
    START + '<bpmn:exclusiveGateway id="g" default="g_s"/>'
    '<bpmn:scriptTask id="s" scriptFormat="python"><bpmn:script>n = n + 1</bpmn:script>'
    "</bpmn:scriptTask>"
    + END
    + chain("start", "g", "s")
    + flow("back", "s", "g")
    + flow("out", "g", "end", "${n < 0}"),
    pid="loop",
)


def test_a_loop_without_a_wait_state_stops_at_the_activity_budget(
    manager: LifecycleManager,
) -> None:
    """A loop with no wait state fails after 10,000 activities; nothing is stored."""
    manager.deploy(LOOP)
    with pytest.raises(ProcessError, match=r"more than 10000 activities ran in one step"):
        manager.start("loop", {"n": 0})
    assert manager.instances(key="loop") == []


def _long_chain(count: int, pid: str) -> str:
    ids = [f"t{n}" for n in range(count)]
    body = "".join(f'<bpmn:task id="{i}"/>' for i in ids)
    return process(
        START + body + '<bpmn:userTask id="w"/>' + END + chain("start", *ids, "w", "end"), pid=pid
    )


def test_a_chain_of_two_thousand_elements_deploys_and_runs(manager: LifecycleManager) -> None:
    """Parsing, validating and running a 2,000-element chain uses no deep recursion."""
    manager.deploy(_long_chain(2_000, "chain"))
    assert manager.start("chain").waiting_at == ("w",)


def test_validation_of_sixty_thousand_elements_finishes() -> None:
    """30,000 tasks and 30,000 flows validate (linear look-ups; before, it ran past 300 s)."""
    report = validate(_long_chain(30_000, "big"))
    assert report.ok, report.problems[:3]


def test_a_delegate_runs_in_the_steps_context(tmp_path: Path) -> None:
    """The cut-off helper thread sees the step's context: its expression limits."""
    seen: list[int] = []
    config = ManagerConfig(script_cpu_seconds=0.5)
    with LifecycleManager.open(tmp_path / "mlc.db", config=config) as manager:
        manager.register_delegate("probe", lambda _ctx: seen.append(current_limits().max_steps))
        manager.deploy(
            process(
                START + '<bpmn:serviceTask id="s" camunda:delegateExpression="${probe}"/>'
                '<bpmn:userTask id="w"/>' + END + chain("start", "s", "w", "end"),
                pid="probe",
            )
        )
        manager.start("probe")
    assert seen == [int(0.5 * STEPS_PER_CPU_SECOND)]
    assert seen != [current_limits().max_steps]  # not the defaults outside a step
