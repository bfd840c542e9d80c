"""Boxed expressions: compile DMN expression elements into evaluators.

Covers literal expressions, contexts, relations, lists, invocations, function definitions,
decision tables and the DMN 1.5 conditional, filter and iterator boxes, collecting every
problem found on the way.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Final

from modelop_mlc.dmn import _feel_ast as ast
from modelop_mlc.dmn._feel import BUILTIN_NAMES, new_compiler
from modelop_mlc.dmn._feel_compile import Evaluator, UnaryTest
from modelop_mlc.dmn._feel_lexer import FeelSyntaxError
from modelop_mlc.dmn._feel_parser import names_in, parse_expression, parse_type, parse_unary_tests
from modelop_mlc.dmn._feel_typesys import ANY, FeelType, TypeRegistry
from modelop_mlc.dmn._feel_values import MISSING, FeelFunction, Range, Scope, call_function
from modelop_mlc.dmn._foreign import (
    ExpressionLanguage,
    ForeignExpression,
    ForeignSyntaxError,
    foreign_expression,
)
from modelop_mlc.dmn._tables import CompiledTable, Owner, compile_table
from modelop_mlc.dmn._xml import attr, child, children, is_feel, local, text_of
from modelop_mlc.errors import ProblemReport

__all__ = ["EXPRESSION_KINDS", "BrokenExpressionError", "Builder", "Owner"]

EXPRESSION_KINDS: Final = {
    "literalExpression": "literal",
    "decisionTable": "table",
    "context": "context",
    "relation": "relation",
    "list": "list",
    "invocation": "invocation",
    "functionDefinition": "function",
    "conditional": "conditional",
    "filter": "filter",
    "for": "for",
    "some": "some",
    "every": "every",
}
_SHORT: Final = 60


def _clip(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _SHORT else flat[: _SHORT - 1] + "…"


class BrokenExpressionError(Exception):
    """Evaluation reached an expression `parse_dmn` could not compile (internal)."""


class Builder:
    """Compiles expressions for one model and records problems instead of stopping.

    Args:
        file: The file name for problem reports.
        strict: When false, broken expressions evaluate to null with a warning instead of
            only being reported (the TCK runner uses this to score the rest of a model).
        known: Every name declared in the model (for multi-word name resolution).
        registry: The model's types.
        language: The model's default `expressionLanguage`.
        languages: Languages other than FEEL that cells may use, by lower-case name.
    """

    def __init__(
        self,
        *,
        file: str | None,
        strict: bool,
        known: Collection[str],
        registry: TypeRegistry,
        language: str | None,
        languages: Mapping[str, ExpressionLanguage] | None = None,
    ) -> None:
        """Create a builder."""
        self.languages = dict(languages or {})
        self.file = file
        self.strict = strict
        self.known = frozenset(known) | BUILTIN_NAMES
        self.registry = registry
        self.compiler = new_compiler(registry)
        self.language = language
        self.problems: list[ProblemReport] = []
        self.raise_broken = False
        self.legacy = False
        """DMN 1.1 files get Camunda's pre-7.13 reading of string output entries."""

    # -- problems ------------------------------------------------------------------------

    def problem(self, element: Any, owner: Owner, message: str, line: int | None = None) -> None:
        """Record a problem at `element` (or `line`) inside the DRG element `owner`."""
        if line is None:
            line = getattr(element, "sourceline", None) if element is not None else None
        self.problems.append(
            ProblemReport(
                message,
                element_id=owner[0],
                element_name=owner[1],
                line=line if isinstance(line, int) else None,
                file=self.file,
            )
        )

    def broken(self, reason: str) -> Evaluator:
        """An evaluator for an expression that could not be compiled.

        It fails the decision being evaluated (`raise_broken`, what `parse_dmn` builds), or
        gives null with a warning (the lenient conformance loader).
        """
        if self.raise_broken:

            def fail(_scope: Scope) -> None:
                raise BrokenExpressionError(reason)

            return fail

        def run(scope: Scope) -> None:
            scope.warn(f"{reason}; the result is null")

        return run

    def foreign_language(self, language: str | None) -> ExpressionLanguage | None:
        """The language of a cell when it is not FEEL and the parser was given it."""
        effective = language if language is not None else self.language
        if is_feel(effective):
            return None
        return self.languages.get((effective or "").strip().lower())

    def foreign(
        self, foreign: ExpressionLanguage, text: str, element: Any, owner: Owner, where: str
    ) -> ForeignExpression | None:
        """Compile a cell in `foreign`; None (with a problem recorded) when it does not."""
        try:
            return foreign.compile(text)
        except ForeignSyntaxError as err:
            start = getattr(element, "sourceline", None)
            line = start + err.line - 1 if isinstance(start, int) else None
            self.problem(element, owner, f"{where}: {err.reason}", line)
            return None

    def foreign_value(
        self, language: str | None, text: str, element: Any, owner: Owner, where: str
    ) -> Evaluator | None:
        """An evaluator for a non-FEEL expression cell, or None when the cell is FEEL."""
        foreign = self.foreign_language(language)
        if foreign is None:
            return None
        compiled = self.foreign(foreign, text, element, owner, where)
        if compiled is None:
            return self.broken(f"{where} could not be compiled")
        return foreign_expression(compiled, where)

    def check_language(self, element: Any, owner: Owner, where: str, language: str | None) -> bool:
        """Report a non-FEEL `expressionLanguage` (JUEL, Groovy, JavaScript, Python)."""
        effective = language if language is not None else self.language
        if is_feel(effective):
            return True
        self.problem(
            element,
            owner,
            f"{where}: expressionLanguage '{effective}' is not supported; only FEEL is. "
            "Rewrite the expression in FEEL (e.g. JUEL `${a > 1 && b}` is FEEL `a > 1 and b`)",
        )
        return False

    # -- FEEL ----------------------------------------------------------------------------

    def feel(
        self,
        text: str,
        element: Any,
        owner: Owner,
        where: str,
        known: Collection[str] = (),
    ) -> Evaluator:
        """Compile a FEEL expression, reporting a syntax error with its position."""
        try:
            node = parse_expression(text, self.known | frozenset(known))
            return self.compiler.expr(node)
        except FeelSyntaxError as err:
            self.problem(element, owner, f"{where}: cannot parse '{_clip(text)}': {err}")
            return self.broken(f"{where} could not be parsed")

    def variable(self, name: str) -> Evaluator:
        """An evaluator reading one variable (null when absent)."""

        def run(scope: Scope) -> Any:
            value = scope.lookup(name)
            if value is MISSING:
                scope.warn(f"unknown name '{name}'; it is null")
                return None
            return value

        return run

    def names_in(self, text: str) -> tuple[str, ...]:
        """Return the non-built-in variable names a FEEL expression reads."""
        try:
            node = parse_expression(text, self.known)
        except FeelSyntaxError:
            return ()
        return tuple(n for n in names_in(node) if n not in BUILTIN_NAMES and n != "?")

    def legacy_text(self, text: str, element: Any, owner: Owner, where: str) -> Evaluator:
        """A DMN 1.1 string output entry: FEEL if it reads as FEEL, else literal text.

        Camunda 7 before 7.13 evaluated output entries as JUEL, where text outside `${...}`
        is a literal string; ModelOp's comparator tables rely on that (`AUC under threshold`).
        """
        if "${" in text or "#{" in text:
            self.problem(
                element,
                owner,
                f"{where}: '{_clip(text)}' is a JUEL expression, which is not supported; "
                "rewrite it in FEEL",
            )
            return self.broken(f"{where} is a JUEL expression")
        try:
            node = parse_expression(text, self.known)
        except FeelSyntaxError:
            return lambda _scope: text
        if isinstance(node, ast.Name) and node.name not in self.known:
            return lambda _scope: text
        return self.compiler.expr(node)

    def tests(
        self,
        text: str,
        element: Any,
        owner: Owner,
        where: str,
        known: Collection[str] = (),
    ) -> UnaryTest:
        """Compile unary tests (an input entry or allowed values)."""
        try:
            node = parse_unary_tests(text, self.known | frozenset(known))
            return self.compiler.unary_tests(node)
        except FeelSyntaxError as err:
            self.problem(element, owner, f"{where}: cannot parse '{_clip(text)}': {err}")

            def broken(scope: Scope, _value: Any) -> None:
                scope.warn(f"{where} could not be parsed; the rule does not match")

            return broken

    def constants(self, text: str, element: Any, owner: Owner, where: str) -> list[Any]:
        """Read `outputValues`-style text (`"a", "b"`) as an ordered list of constants."""
        if not text.strip():
            return []
        try:
            node = parse_unary_tests(text, self.known)
        except FeelSyntaxError as err:
            self.problem(element, owner, f"{where}: cannot parse '{_clip(text)}': {err}")
            return []
        return [t.operand.value for t in node.tests if isinstance(t.operand, ast.Literal)]

    def type_named(self, text: str) -> FeelType:
        """Resolve a `typeRef` (a built-in, Camunda or item-definition name, or `list<T>`)."""
        name = text.strip()
        if self.registry.knows(name):
            return self.registry.get(name)
        try:
            return self.registry.from_node(
                parse_type(name, self.known | self.registry.definitions.keys())
            )
        except FeelSyntaxError:
            return ANY

    def type_of(self, element: Any | None) -> FeelType | None:
        """Return the type named by an element's `typeRef` attribute (or child element)."""
        if element is None:
            return None
        ref = attr(element, "typeRef")
        if ref is None:
            ref_el = child(element, "typeRef")
            ref = ref_el.text if ref_el is not None else None
        return self.type_named(ref) if ref and ref.strip() else None

    # -- boxed expressions ---------------------------------------------------------------

    def find_expression(self, element: Any) -> Any | None:
        """Return the first child that is a boxed expression."""
        for c in element:
            if local(c) in EXPRESSION_KINDS:
                return c
        return None

    def boxed(
        self, element: Any, owner: Owner, name: str
    ) -> tuple[Evaluator, CompiledTable | None]:
        """Compile a boxed expression element; also return the table when it is one."""
        kind = local(element)
        if kind == "decisionTable":
            table = compile_table(self, element, owner, name)
            return table.value, table
        method = getattr(self, "_" + kind.lower(), None)
        if method is None:
            self.problem(element, owner, f"unsupported expression element '{kind}'")
            return self.broken(f"'{kind}' is not supported"), None
        evaluator: Evaluator = method(element, owner, name)
        return evaluator, None

    def _nested(self, element: Any | None, owner: Owner, name: str) -> Evaluator:
        """Compile the boxed expression inside a wrapper element (`<then>`, `<in>`, …)."""
        if element is None:
            return _null
        inner = element if local(element) in EXPRESSION_KINDS else self.find_expression(element)
        if inner is None:
            return _null
        return self.boxed(inner, owner, name)[0]

    def _literalexpression(self, element: Any, owner: Owner, name: str) -> Evaluator:
        where = f"literal expression of '{name}'"
        foreign = self.foreign_value(
            attr(element, "expressionLanguage"),
            text_of(element) or "",
            child(element, "text"),
            owner,
            where,
        )
        if foreign is not None:
            return foreign
        if not self.check_language(element, owner, where, attr(element, "expressionLanguage")):
            return self.broken(f"{where} uses an unsupported expression language")
        text = text_of(element)
        if text is None or not text.strip():
            if self.strict:
                self.problem(element, owner, f"{where} is empty")
            return _null
        return self.feel(text, element, owner, where)

    def _context(self, element: Any, owner: Owner, name: str) -> Evaluator:
        entries: list[tuple[str | None, Evaluator, FeelType | None]] = []
        for entry in children(element, "contextEntry"):
            variable = child(entry, "variable")
            key = attr(variable, "name") if variable is not None else None
            expression = self.find_expression(entry)
            evaluate = (
                self.boxed(expression, owner, key or name)[0] if expression is not None else _null
            )
            entries.append((key, evaluate, self.type_of(variable)))

        def run(scope: Scope) -> Any:
            frame: dict[str, Any] = {}
            inner = scope.child(frame)
            for key, evaluate, feel_type in entries:
                value = evaluate(inner)
                if feel_type is not None and value is not None:
                    value, ok = feel_type.coerce(value)
                    if not ok:
                        scope.warn(f"context entry '{key}' is not a {feel_type.name}; it is null")
                if key is None:
                    return value
                frame[key] = value
            return dict(frame)

        return run

    def _relation(self, element: Any, owner: Owner, name: str) -> Evaluator:
        columns = [
            attr(c, "name") or f"column{i}" for i, c in enumerate(children(element, "column"), 1)
        ]
        rows = []
        for row in children(element, "row"):
            cells = [self.boxed(c, owner, name)[0] for c in row if local(c) in EXPRESSION_KINDS]
            if len(cells) != len(columns):
                self.problem(
                    row, owner, f"relation row has {len(cells)} cells for {len(columns)} columns"
                )
            rows.append(cells)
        return lambda scope: [
            {col: cell(scope) for col, cell in zip(columns, cells, strict=False)} for cells in rows
        ]

    def _list(self, element: Any, owner: Owner, name: str) -> Evaluator:
        items = [self.boxed(c, owner, name)[0] for c in element if local(c) in EXPRESSION_KINDS]
        return lambda scope: [item(scope) for item in items]

    def _invocation(self, element: Any, owner: Owner, name: str) -> Evaluator:
        callee_el = self.find_expression(element)
        callee = self.boxed(callee_el, owner, name)[0] if callee_el is not None else _null
        names: list[str] = []
        args: list[Evaluator] = []
        for binding in children(element, "binding"):
            parameter = child(binding, "parameter")
            names.append((attr(parameter, "name") if parameter is not None else None) or "")
            expression = self.find_expression(binding)
            args.append(self.boxed(expression, owner, name)[0] if expression is not None else _null)
        return lambda scope: call_function(scope, callee(scope), [a(scope) for a in args], names)

    def _functiondefinition(self, element: Any, owner: Owner, name: str) -> Evaluator:
        return self.function(element, owner, name)

    def function(
        self,
        element: Any,
        owner: Owner,
        name: str,
    ) -> Evaluator:
        """Compile a function definition (also a BKM's `encapsulatedLogic`)."""
        params = [
            (attr(p, "name") or "", self.type_of(p)) for p in children(element, "formalParameter")
        ]
        kind = (attr(element, "kind") or "FEEL").upper()
        body_el = self.find_expression(element)
        body = self.boxed(body_el, owner, name)[0] if body_el is not None else _null
        result_type = self.type_of(body_el) if body_el is not None else None
        external = kind not in ("FEEL", "F")

        def run(scope: Scope) -> FeelFunction:
            def impl(call_scope: Scope, *args: Any) -> Any:
                if external:
                    call_scope.warn(f"'{name}' is a {kind} function, which is not supported; null")
                    return None
                frame: dict[str, Any] = {}
                for (param, feel_type), arg in zip(params, args, strict=True):
                    value = arg
                    if feel_type is not None and value is not None:
                        value, ok = feel_type.coerce(value)
                        if not ok:
                            call_scope.warn(
                                f"'{name}': argument '{param}' is not a {feel_type.name}; null"
                            )
                            return None
                    frame[param] = value
                result = body(Scope(frame, scope, call_scope.ctx))
                if result_type is not None and result is not None:
                    result, _ok = result_type.coerce(result)
                return result

            return FeelFunction(name, [p for p, _ in params], impl)

        return run

    def _conditional(self, element: Any, owner: Owner, name: str) -> Evaluator:
        condition = self._nested(child(element, "if"), owner, name)
        then = self._nested(child(element, "then"), owner, name)
        otherwise = self._nested(child(element, "else"), owner, name)

        def run(scope: Scope) -> Any:
            test = condition(scope)
            if test is True:
                return then(scope)
            if test is False or test is None:
                return otherwise(scope)
            scope.warn("a conditional's 'if' is not a boolean; the result is null")
            return None

        return run

    def _filter(self, element: Any, owner: Owner, name: str) -> Evaluator:
        source = self._nested(child(element, "in"), owner, name)
        match = self._nested(child(element, "match"), owner, name)

        def run(scope: Scope) -> Any:
            items = source(scope)
            if items is None:
                return None
            kept = []
            for item in items if type(items) is list else [items]:
                inner = scope.child({"item": item})
                if type(item) is dict:
                    inner = inner.child(item)
                hit = match(inner)
                if hit is True:
                    kept.append(item)
                elif hit is not False and hit is not None:
                    scope.warn("a filter's match is not a boolean; the result is null")
                    return None
            return kept

        return run

    def _iterator(
        self, element: Any, owner: Owner, name: str, body_tag: str
    ) -> tuple[str, Evaluator, Evaluator]:
        variable = attr(element, "iteratorVariable") or "item"
        source = self._nested(child(element, "in"), owner, name)
        body = self._nested(child(element, body_tag), owner, name)
        return variable, source, body

    def _for(self, element: Any, owner: Owner, name: str) -> Evaluator:
        variable, source, body = self._iterator(element, owner, name, "return")

        def run(scope: Scope) -> Any:
            items = _iterable(source(scope))
            if items is None:
                return None
            results: list[Any] = []
            for item in items:
                results.append(body(scope.child({variable: item, "partial": results})))
            return results

        return run

    def _quantifier(self, element: Any, owner: Owner, name: str, every: bool) -> Evaluator:
        variable, source, body = self._iterator(element, owner, name, "satisfies")

        def run(scope: Scope) -> Any:
            items = _iterable(source(scope))
            if items is None:
                return None
            outcomes = [body(scope.child({variable: item})) for item in items]
            if any(o is not None and type(o) is not bool for o in outcomes):
                scope.warn("a quantifier's condition is not a boolean; the result is null")
                return None
            if every:
                return all(o is True for o in outcomes)
            return any(o is True for o in outcomes)

        return run

    def _some(self, element: Any, owner: Owner, name: str) -> Evaluator:
        return self._quantifier(element, owner, name, every=False)

    def _every(self, element: Any, owner: Owner, name: str) -> Evaluator:
        return self._quantifier(element, owner, name, every=True)


def _iterable(value: Any) -> list[Any] | None:
    if value is None:
        return None
    if type(value) is Range:
        return None
    return value if type(value) is list else [value]


def _null(_scope: Scope) -> None:
    return None
