"""Configuration for `LifecycleManager`: frozen, documented per field, always passed in."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from modelop_mlc.errors import ConfigurationError

__all__ = [
    "SECRET_NAMES",
    "ManagerConfig",
    "RedactingFilter",
    "cut_secrets",
    "is_secret_name",
    "redact",
    "secret_values",
]

SECRET_NAMES = ("*PASSWORD*", "*PASSWD*", "*TOKEN*", "*SECRET*", "*API_KEY*", "*CREDENTIAL*")
"""Variable names whose values are treated as secrets (case does not matter)."""


def is_secret_name(name: str, patterns: Iterable[str] = SECRET_NAMES) -> bool:
    """Whether variable `name` matches one of `patterns` (`*` any text, case ignored)."""
    upper = name.upper()
    return any(fnmatchcase(upper, pattern.upper()) for pattern in patterns)


_SHORTEST_SECRET = 4
"""Shorter text values are not cut out of messages: "a" or "no" would blank every word."""


def secret_values(variables: Mapping[str, Any], patterns: Iterable[str]) -> tuple[str, ...]:
    """The text values of the variables whose names match `patterns`, longest first."""
    found = {
        value
        for name, value in variables.items()
        if isinstance(value, str)
        and len(value) >= _SHORTEST_SECRET
        and is_secret_name(name, patterns)
    }
    return tuple(sorted(found, key=len, reverse=True))


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every one of `secrets` replaced by `***`."""
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


def cut_secrets(err: BaseException, secrets: Sequence[str]) -> None:
    """Cut `secrets` out of an error's text, and out of the errors it was raised from.

    An expression error quotes the value it could not use (`Cannot coerce 'Passw0rd...'`);
    its text reaches the caller, an incident, a log line and a REST answer.
    """
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        current.args = tuple(redact(a, secrets) if isinstance(a, str) else a for a in current.args)
        notes = getattr(current, "__notes__", None)
        if notes:
            current.__notes__ = [redact(n, secrets) for n in notes]
        current = current.__cause__ or current.__context__


class RedactingFilter(logging.Filter):
    """Cuts known secret values out of every record a logger emits (its message is formatted)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        """Keep the values to cut out (see `secret_values`)."""
        super().__init__()
        self.secrets = tuple(secrets)

    def filter(self, record: logging.LogRecord) -> bool:
        """Format the record's message, cut the secrets out, and let it through."""
        message = record.getMessage()
        cleaned = redact(message, self.secrets)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and record.exc_info[1] is not None:
            # The traceback text would quote the exception's message again.
            record.exc_text = redact(
                logging.Formatter().formatException(record.exc_info), self.secrets
            )
            record.exc_info = None
        return True


class ManagerConfig(BaseModel):
    """How a `LifecycleManager` runs processes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default_retry_cycle: str = Field(
        "R3/PT5M",
        description="Retries of a failing delegate when the task sets no "
        "camunda:failedJobRetryTimeCycle: attempts and the delay between them.",
    )
    job_lease_seconds: float = Field(
        300.0,
        gt=0,
        description="How long a worker holds a claimed job or timer before "
        "another worker may take it over.",
    )
    delegate_timeout_seconds: float | None = Field(
        600.0,
        gt=0,
        description="How long one delegate call may run. A delegate still running then is "
        "cut off: its job becomes an incident (and its lease is released), and whatever it "
        "returns later is discarded. Delegates then run on a helper thread (one per calling "
        "thread, reused); None runs them on the calling thread, without a time limit.",
    )
    max_conflict_retries: int = Field(
        50,
        ge=1,
        description="How often a step is retried after losing an optimistic-lock "
        "race before the error reaches the caller.",
    )
    script_cpu_seconds: float = Field(2.0, gt=0, description="CPU limit of one script task.")
    script_memory_mb: int = Field(256, gt=16, description="Memory limit of one script task.")
    script_wall_seconds: float = Field(5.0, gt=0, description="Wall-clock limit of one script.")
    record_variable_values: bool = Field(
        default=True,
        description="Whether history stores the new values of changed variables (large "
        "values are truncated), or only their names.",
    )
    history_facts: frozenset[str] = Field(
        default=frozenset(
            {
                "TEST_RESULT",
                "TEST_RESULT_JUDGED",
                "TICKET_STATUS",
                "CHALLENGER_WINS",
                "ENGINE_STATE",
                "statusCode",
            }
        ),
        description="Delegate result variables whose scalar values the service task's "
        "activity_end history event records (besides the delegate's name); KPIs read them.",
    )
    unjudged_test_result: bool = Field(
        default=False,
        description="The TEST_RESULT ModelTestResultEval writes when the model has no "
        "comparator DMN, so its results are not judged (TEST_RESULT_JUDGED is false either "
        "way). False by default: a model without a DMN never passes.",
    )
    max_activities_per_step: int = Field(
        10_000,
        ge=1,
        description="How many activities one step may run before it is stopped: a loop "
        "without a wait state fails fast (well under a second at the default) instead of "
        "running for minutes.",
    )
    max_call_depth: int = Field(
        20,
        ge=1,
        description="How deeply call activities may nest; a call activity that calls "
        "itself (directly or through others) fails at this depth.",
    )
    max_event_cascade: int = Field(
        1000,
        ge=1,
        description="Upper bound on signals/messages one call may trigger through "
        "thrown events, against diagrams that ping-pong forever.",
    )
    secrets: dict[str, SecretStr] = Field(
        default_factory=dict,
        description="Named secrets delegates may use (HTTP headers "
        "written `secret:NAME`); never stored in variables, history or logs.",
    )
    secret_variables: tuple[str, ...] = Field(
        SECRET_NAMES,
        description="Variable-name patterns (`*` any text, case ignored) whose values "
        "history, REST answers and Cockpit show as `***` and error messages and the "
        "library's log records never show; add your own names here.",
    )
    secret_hosts: dict[str, list[str]] = Field(
        default_factory=dict,
        description="For each secret, the hosts the HTTP connector may send it to "
        "(`host`, `host:port` or `*.domain`); a secret with none listed is sent nowhere.",
    )
    data_roots: list[str] = Field(
        default_factory=list,
        description="Directories LocalCenter may read external file "
        "assets from and write outputs to (default: the current directory).",
    )
    worker_id: str | None = Field(
        None,
        description="Name of this host in job leases; defaults to host name and pid.",
    )
    workflow_cache_size: int = Field(
        1000,
        ge=0,
        description="How many instances' restored workflows are kept between their steps "
        "(checked against the instance's revision, so safe with several hosts); 0 keeps "
        "none. Each takes roughly 10-40 KiB.",
    )
    group_commit: int = Field(
        50,
        ge=1,
        description="How many due timers and jobs of different instances `run_due()` and "
        "workers save in one transaction, and how many receivers' steps of one signal or "
        "message; 1 saves each in its own.",
    )

    @classmethod
    def from_env(
        cls, prefix: str = "MLC_", environ: Mapping[str, str] | None = None
    ) -> ManagerConfig:
        """Build a config from environment variables such as `MLC_JOB_LEASE_SECONDS`.

        Raises:
            ConfigurationError: If a variable has an invalid value.
        """
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            key = prefix + name.upper()
            if key in env:
                values[name] = env[key]
        for name in ("secrets", "secret_hosts", "data_roots"):
            if isinstance(values.get(name), str):
                values[name] = _parse_env_collection(prefix + name.upper(), values[name])
        try:
            return cls(**values)
        except ValidationError as err:
            raise ConfigurationError(
                f"invalid {prefix}* environment settings: {_redact(str(err))}"
            ) from None


def _parse_env_collection(key: str, text: str) -> Any:
    """`MLC_SECRETS` holds JSON; `MLC_DATA_ROOTS` JSON or a path list (os.pathsep)."""
    import json  # noqa: PLC0415 - only for this rare path

    try:
        return json.loads(text)
    except ValueError:
        if key.endswith("DATA_ROOTS"):
            return [p for p in text.split(os.pathsep) if p]
        raise ConfigurationError(f"{key} must be JSON (a name-to-value object)") from None


def _redact(text: str) -> str:
    """Pydantic errors quote the input; never let a secret value through."""
    import re  # noqa: PLC0415 - only on the error path

    return re.sub(r"input_value=[^,\]]+", "input_value=***", text)
