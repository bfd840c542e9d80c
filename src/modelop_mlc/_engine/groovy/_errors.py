"""What can go wrong: syntax errors, refused constructs, Java exceptions and broken limits.

Java exceptions (`throw new ...`, and what the runtime raises where Java would: a method called
on null, a bad number, a missing property) travel as `GroovyThrow`, which `try/catch` in a
script can catch by class, following Java's class hierarchy. A broken sandbox limit is a
`GroovyLimitError`, which no script can catch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "EXCEPTION_PARENTS",
    "GroovyLimitError",
    "GroovyProblem",
    "GroovySecurityError",
    "GroovySyntaxError",
    "GroovyThrow",
    "JavaException",
    "exception_class",
    "is_subclass",
    "java_error",
]


def position(source: str, offset: int) -> tuple[int, int]:
    """Return the 1-based line and column of `offset` in `source`."""
    offset = max(0, min(offset, len(source)))
    line = source.count("\n", 0, offset) + 1
    column = offset - source.rfind("\n", 0, offset)
    return line, column


class GroovySyntaxError(Exception):
    """The text is not Groovy we can parse; `line` and `column` are 1-based in the script."""

    def __init__(self, message: str, source: str, offset: int) -> None:
        """Locate the error at `offset` of `source`."""
        self.line, self.column = position(source, offset)
        self.reason = message
        super().__init__(f"line {self.line}, column {self.column}: {message}")


@dataclass(frozen=True)
class GroovyProblem:
    """One reason a script is refused before it runs (syntax, or a construct outside the subset).

    Attributes:
        line: The 1-based line in the script.
        column: The 1-based column in that line.
        message: What is not supported and what to write instead.
    """

    line: int
    column: int
    message: str

    def __str__(self) -> str:
        """Render as `line N: message`."""
        return f"line {self.line}: {self.message}"


class GroovyLimitError(Exception):
    """A sandbox limit was reached (steps, sizes, memory, time); scripts cannot catch it."""

    def __init__(self, message: str, line: int | None = None) -> None:
        """Record the message and, once known, the script line."""
        super().__init__(message)
        self.message = message
        self.line = line


class GroovySecurityError(GroovyLimitError):
    """A script reached for something the sandbox never allows (reflection, the JVM)."""


# Simple class name -> parent simple name; the root is Throwable.
EXCEPTION_PARENTS: Final = {
    "Exception": "Throwable",
    "Error": "Throwable",
    "AssertionError": "Error",
    "StackOverflowError": "Error",
    "RuntimeException": "Exception",
    "IllegalArgumentException": "RuntimeException",
    "NumberFormatException": "IllegalArgumentException",
    "PatternSyntaxException": "IllegalArgumentException",
    "IllegalStateException": "RuntimeException",
    "NullPointerException": "RuntimeException",
    "ArithmeticException": "RuntimeException",
    "ClassCastException": "RuntimeException",
    "UnsupportedOperationException": "RuntimeException",
    "IndexOutOfBoundsException": "RuntimeException",
    "ArrayIndexOutOfBoundsException": "IndexOutOfBoundsException",
    "StringIndexOutOfBoundsException": "IndexOutOfBoundsException",
    "NoSuchElementException": "RuntimeException",
    "ConcurrentModificationException": "RuntimeException",
    "GroovyRuntimeException": "RuntimeException",
    "MissingPropertyException": "GroovyRuntimeException",
    "MissingMethodException": "GroovyRuntimeException",
    "JsonException": "GroovyRuntimeException",
    "ProcessEngineException": "RuntimeException",
    "BpmnError": "ProcessEngineException",
}
_PACKAGES: Final = {
    "BpmnError": "org.camunda.bpm.engine.delegate",
    "ProcessEngineException": "org.camunda.bpm.engine",
    "GroovyRuntimeException": "groovy.lang",
    "MissingPropertyException": "groovy.lang",
    "MissingMethodException": "groovy.lang",
    "JsonException": "groovy.json",
    "NoSuchElementException": "java.util",
    "ConcurrentModificationException": "java.util",
    "PatternSyntaxException": "java.util.regex",
}


def exception_class(simple: str) -> str:
    """Return the qualified name of the exception class `simple`."""
    return f"{_PACKAGES.get(simple, 'java.lang')}.{simple}"


def is_subclass(simple: str, ancestor: str) -> bool:
    """Tell whether exception class `simple` is `ancestor` or inherits from it."""
    current: str | None = simple
    while current is not None:
        if current == ancestor:
            return True
        current = EXCEPTION_PARENTS.get(current)
    return False


class JavaException:
    """A Java exception object inside a script (`e.message`, `e.getCode()` for BpmnError)."""

    __slots__ = ("cause", "code", "kind", "message")

    def __init__(
        self,
        kind: str,
        message: str | None = None,
        *,
        code: str | None = None,
        cause: JavaException | None = None,
    ) -> None:
        """Create an exception of simple class `kind`."""
        self.kind = kind
        self.message = message
        self.code = code
        self.cause = cause

    def __str__(self) -> str:
        """Render as Java's `Throwable.toString()` does."""
        name = exception_class(self.kind)
        return f"{name}: {self.message}" if self.message is not None else name


class GroovyThrow(Exception):  # noqa: N818 - it carries a thrown Java exception
    """A Java exception thrown in a script; `try/catch` may catch it."""

    def __init__(self, exception: JavaException, line: int | None = None) -> None:
        """Wrap `exception`; `line` is filled in where it was raised."""
        super().__init__(str(exception))
        self.exception = exception
        self.line = line


def java_error(kind: str, message: str) -> GroovyThrow:
    """A `GroovyThrow` of a new `kind` exception (e.g. `NullPointerException`)."""
    return GroovyThrow(JavaException(kind, message))
