"""Secret variable values never reach the library's log records or incident messages (issue 25)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bpmn_xml import chain, process
from modelop_mlc import LifecycleManager, ManagerConfig
from modelop_mlc.config import SECRET_NAMES
from modelop_mlc.errors import ExpressionError
from modelop_mlc.registry import DelegateContext

PASSWORD = "JiraPassw0rd-6620"
PIN = "pin-code-4417"


def _diagram(asynchronous: bool) -> str:
    after = ' camunda:asyncBefore="true"' if asynchronous else ""
    return process(
        '<bpmn:startEvent id="start"/>'
        '<bpmn:serviceTask id="chatty" camunda:class="Chatty"/>'
        f'<bpmn:serviceTask id="login" camunda:class="Login"{after}/>'
        '<bpmn:endEvent id="end"/>' + chain("start", "chatty", "login", "end"),
        pid="logs",
    )


def _chatty(ctx: DelegateContext) -> None:
    # A delegate that logs what it was given, as careless code does.
    ctx.log.info("variables: %s", dict(ctx.variables))
    ctx.log.warning("logging in with " + ctx.variables["JIRA_PASSWORD"])  # noqa: G003


def _login(ctx: DelegateContext) -> None:
    raise RuntimeError(
        f"Jira refused user bob with password {ctx.variables['JIRA_PASSWORD']} "
        f"and pin {ctx.variables['BANK_PIN_CODE']}"
    )


@pytest.mark.parametrize("asynchronous", [False, True], ids=["inline", "job"])
def test_logs_and_incidents_hold_no_secret_value(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, asynchronous: bool
) -> None:
    """A delegate logging its variables and another failing with the password (and the host's
    own secret name BANK_PIN_CODE) in its message leave `***` in every record and incident."""
    config = ManagerConfig(
        secret_variables=(*SECRET_NAMES, "*PIN_CODE*"), default_retry_cycle="R0/PT1M"
    )
    caplog.set_level(logging.DEBUG, logger="modelop_mlc")
    with LifecycleManager.open(tmp_path / "mlc.db", config=config) as manager:
        manager.register_delegate("Chatty", _chatty)
        manager.register_delegate("Login", _login)
        manager.deploy(_diagram(asynchronous))
        instance = manager.start(
            "logs", {"JIRA_PASSWORD": PASSWORD, "BANK_PIN_CODE": PIN, "MODEL": "credit"}
        )
        manager.run_due()
        (incident,) = manager.incidents(instance_id=instance.id)
        # In process the values stay real: delegates need them.
        assert manager.instance(instance.id).variables["JIRA_PASSWORD"] == PASSWORD
    text = "\n".join(caplog.text.splitlines() + [r.getMessage() for r in caplog.records])
    assert "logging in with ***" in text
    if not asynchronous:  # a failing job becomes an incident without a log record
        assert "Jira refused user bob with password *** and pin ***" in text
    assert "'MODEL': 'credit'" in text
    assert "Jira refused user bob with password *** and pin ***" in incident.message
    for secret in (PASSWORD, PIN):
        assert secret not in text
        assert secret not in incident.message


SCRIPTED = process(
    '<bpmn:startEvent id="start"/>'
    '<bpmn:scriptTask id="talk" scriptFormat="groovy"><bpmn:script>'
    "def log = org.slf4j.LoggerFactory.getLogger('Talk')\n"
    "log.info('password {}', JIRA_PASSWORD)\n"
    "println 'pin ' + BANK_PIN_CODE\n"
    "throw new IllegalStateException('refused ' + JIRA_PASSWORD)"
    "</bpmn:script></bpmn:scriptTask>"
    '<bpmn:endEvent id="end"/>' + chain("start", "talk", "end"),
    pid="scripted",
)


def test_groovy_log_lines_and_failures_hold_no_secret_value(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A Groovy script's logger, `println` and exception message show `***` for both secrets."""
    config = ManagerConfig(secret_variables=(*SECRET_NAMES, "*PIN_CODE*"))
    caplog.set_level(logging.DEBUG, logger="modelop_mlc")
    with LifecycleManager.open(tmp_path / "mlc.db", config=config) as manager:
        manager.deploy(SCRIPTED)
        with pytest.raises(Exception) as raised:
            manager.start("scripted", {"JIRA_PASSWORD": PASSWORD, "BANK_PIN_CODE": PIN})
    text = caplog.text
    assert "password ***" in text
    assert "pin ***" in text
    assert "refused ***" in str(raised.value)
    for secret in (PASSWORD, PIN):
        assert secret not in text
        assert secret not in str(raised.value)


def _gateway(condition: str) -> str:
    return process(
        '<bpmn:startEvent id="start"/>'
        '<bpmn:userTask id="review"/>'
        '<bpmn:exclusiveGateway id="check"/>'
        '<bpmn:endEvent id="yes"/><bpmn:endEvent id="no"/>'
        + chain("start", "review", "check")
        + '<bpmn:sequenceFlow id="to_yes" sourceRef="check" targetRef="yes">'
        f"<bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="to_no" sourceRef="check" targetRef="no">'
        "<bpmn:conditionExpression>${false}</bpmn:conditionExpression></bpmn:sequenceFlow>",
        pid="gate",
    )


@pytest.mark.parametrize(
    "condition", ["${JIRA_PASSWORD * 2 > 3}", "${BANK_PIN_CODE * 2 > 3}"], ids=["juel", "host"]
)
def test_an_expression_error_quoting_a_secret_value_shows_stars(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, condition: str
) -> None:
    """An expression that cannot use a secret's value ("Cannot coerce '...'") names `***` in
    the error the caller gets and in every log record, for a name of either kind."""
    config = ManagerConfig(secret_variables=(*SECRET_NAMES, "*PIN_CODE*"))
    caplog.set_level(logging.DEBUG, logger="modelop_mlc")
    with LifecycleManager.open(tmp_path / "mlc.db", config=config) as manager:
        manager.deploy(_gateway(condition))
        instance = manager.start("gate", {"JIRA_PASSWORD": PASSWORD, "BANK_PIN_CODE": PIN})
        (task,) = manager.tasks(instance_id=instance.id)
        with pytest.raises(ExpressionError) as raised:
            manager.complete_task(task.id)
    assert "Cannot coerce '***'" in str(raised.value)
    for secret in (PASSWORD, PIN):
        assert secret not in str(raised.value)
        assert secret not in caplog.text
