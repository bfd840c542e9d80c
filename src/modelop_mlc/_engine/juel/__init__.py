"""JUEL, the expression language of Camunda 7 diagrams, as a small and safe interpreter.

Camunda evaluates `${...}` and `#{...}` with JUEL (the Java Unified Expression Language, EL 2.2).
This package tokenizes and parses that language into an AST once per source text and evaluates it
by walking the tree. No Python code is generated or run, no attribute of an arbitrary object is
ever read, and there is no exponentiation, so an expression cannot reach the interpreter, hang or
build huge numbers.

Values are JSON-like (`dict`, `list`, `str`, `int`, `float`, `bool`, `None`; `Decimal` and
`datetime` are tolerated). Operators coerce their operands the way JUEL's `BooleanOperations`
and `NumberOperations` do. Methods are limited to an allow-list per type, plus whatever a host
`JuelObject` (such as `execution`) chooses to answer.

Functions: only Camunda 7's built-in ones, checked (name and argument count) when the text is
parsed, so an unknown function is a deploy-time problem that lists the supported ones.

- `now()`: the current time as a Java `Date`, read from the context's clock (a
  `ClockedContext`; in the engine, the manager's injected `Clock`). Methods: `getTime()`,
  `before(d)`, `after(d)`, `compareTo(d)`, `equals(d)`, `toString()`.
- `dateTime()`: the same instant as a Joda-Time `DateTime`, always in UTC. Methods:
  `plusYears/Months/Weeks/Days/Hours/Minutes/Seconds/Millis(n)` and the matching `minus...(n)`
  (months and years keep the day when they can, else take the month's last day, as Joda does),
  `withTimeAtStartOfDay()`, `toDate()`, `getMillis()`, `getYear()`, `getMonthOfYear()`,
  `getDayOfMonth()`, `getDayOfWeek()` (Monday is 1), `getDayOfYear()`, `getHourOfDay()`,
  `getMinuteOfHour()`, `getSecondOfMinute()` (each also readable as a property, `.year`),
  `isBefore(x)`, `isAfter(x)`, `isEqual(x)`, `compareTo(x)`, `toString()` and
  `toString(pattern)` with Joda's pattern letters (`yyyy-MM-dd'T'HH:mm`). `x` may be a date, ISO
  8601 text or epoch milliseconds. `<`, `>`, `<=` and `>=` order dates chronologically.
- `JSON(x)` and `S(x)`: a read-only Spin JSON node over `x`, which is JSON text (parsed) or
  data (copied). Methods: `prop(name)`, `hasProp(name)`, `fieldNames()`, `elements()`,
  `stringValue()`, `numberValue()`, `boolValue()`, `value()`, `isObject()`, `isArray()`,
  `isString()`, `isNumber()`, `isBoolean()`, `isNull()`, `isValue()`, `toString()` (compact
  JSON). Spin's mutators and `jsonPath()` are not provided. `S(...)` of XML text and `XML(...)`
  are refused: XML Spin does not run here.
- `currentUser()` and `currentUserGroups()`: nobody is authenticated inside the engine, so they
  give null and an empty list (Camunda gives null for both without a user; the empty list keeps
  `currentUserGroups().contains('x')` false instead of failing).

Dates and Spin nodes never leave the interpreter: the value of a whole `${...}`, and every
argument passed to a host `JuelObject` (`execution.setVariable`), is plain JSON. A date becomes
ISO 8601 text with milliseconds in UTC (`2026-01-08T09:30:00.000Z`), which due dates, timer
definitions and variables accept; a node becomes the JSON value it wraps (lists of nodes, as
`elements()` gives, become lists of values). In composite text they render the same way.

The work is split by stage: `_lexer` tokenizes, `_parser` builds the tree of `_ast` nodes, which
evaluate with the coercions of `_values`, the operators of `_operators` and the properties and
methods of `_methods`; `_functions` holds the built-in functions, whose values are the dates of
`_dates` and the JSON nodes of `_spin`; `_expression` holds the entry points and `_context` the
host protocols.

Example:
    >>> context = MappingContext({"reviewResult": "APPROVED"})
    >>> parse_expression("${reviewResult == 'APPROVED'}").evaluate(context)
    True
"""

from __future__ import annotations

from modelop_mlc._engine.juel._context import (
    ClockedContext,
    EvaluationContext,
    JuelObject,
    ListableContext,
    MappingContext,
)
from modelop_mlc._engine.juel._expression import (
    Expression,
    evaluate_condition,
    is_expression,
    parse_expression,
)

__all__ = [
    "ClockedContext",
    "EvaluationContext",
    "Expression",
    "JuelObject",
    "ListableContext",
    "MappingContext",
    "evaluate_condition",
    "is_expression",
    "parse_expression",
]
