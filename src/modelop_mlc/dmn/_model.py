"""DMN models: XML → decision requirements graph (decisions, input data, BKMs, services)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from modelop_mlc.dmn._boxed import EXPRESSION_KINDS, Builder, Owner
from modelop_mlc.dmn._feel_compile import Evaluator
from modelop_mlc.dmn._feel_typesys import FeelType, ItemDefinition, TypeRegistry
from modelop_mlc.dmn._feel_values import EvalContext, Scope
from modelop_mlc.dmn._foreign import ExpressionLanguage
from modelop_mlc.dmn._imports import Resolver, import_elements, local_ref, split_ref
from modelop_mlc.dmn._tables import DEFAULT_INPUT_VARIABLE, CompiledTable
from modelop_mlc.dmn._xml import (
    CAMUNDA_NS,
    DMN_NAMESPACES,
    attr,
    child,
    children,
    load_xml,
    local,
    text_of,
)
from modelop_mlc.errors import DiagramError, ProblemReport

__all__ = ["DecisionInfo", "ModelSpec", "build_model"]

_NAMED: Final = frozenset(
    {
        "decision",
        "inputData",
        "businessKnowledgeModel",
        "decisionService",
        "variable",
        "formalParameter",
        "parameter",
        "column",
        "itemComponent",
        "output",
    }
)


@dataclass(frozen=True)
class DecisionInfo:
    """What a model says about one decision (no evaluation needed).

    Attributes:
        id: The decision's `id`.
        name: Its `name` (used to reference it from FEEL).
        version_tag: `camunda:versionTag`, when set.
        kind: `"table"`, `"literal"`, `"context"`, `"invocation"`, `"relation"`, `"list"`,
            `"function"`, `"conditional"`, `"filter"`, `"for"`, `"some"`, `"every"`, or
            `"none"` for a decision without logic.
        required_decisions: Ids of the decisions it requires.
        inputs: Input labels (or expressions) for a table; required input names otherwise.
        outputs: Output column names for a table; the variable name otherwise.
        variable_name: The name its result is known by in other decisions.
        hit_policy: The table's hit policy (with aggregation, e.g. `"COLLECT SUM"`), or None.
    """

    id: str
    name: str | None
    version_tag: str | None
    kind: str
    required_decisions: tuple[str, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    variable_name: str
    hit_policy: str | None = None


@dataclass
class DecisionSpec:
    """A compiled decision (internal)."""

    info: DecisionInfo
    logic: Evaluator | None
    table: CompiledTable | None
    type: FeelType | None
    required_inputs: list[str]
    knowledge: list[str]


@dataclass
class FunctionSpec:
    """A compiled business knowledge model (internal)."""

    id: str
    name: str
    make: Evaluator
    knowledge: list[str]


@dataclass
class ServiceSpec:
    """A decision service (internal)."""

    id: str
    name: str
    outputs: list[str]
    input_decisions: list[str]
    input_data: list[str]
    type: FeelType | None = None


@dataclass
class ModelSpec:
    """Everything `build_model` extracts from a DMN file (internal)."""

    namespace: str
    name: str | None
    dmn_version: str
    file: str | None
    decisions: dict[str, DecisionSpec] = field(default_factory=dict)
    inputs: dict[str, tuple[str, FeelType | None]] = field(default_factory=dict)
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    services: dict[str, ServiceSpec] = field(default_factory=dict)
    registry: TypeRegistry = field(default_factory=TypeRegistry)
    problems: list[ProblemReport] = field(default_factory=list)
    imports: dict[str, tuple[str, ModelSpec]] = field(default_factory=dict)
    names: set[str] = field(default_factory=set)

    def imported(self, ref: str) -> tuple[str, ModelSpec, str] | None:
        """`(prefix, imported model, element id)` of a `namespace#id` requirement."""
        namespace, element_id = split_ref(ref)
        found = self.imports.get(namespace) if namespace else None
        return (found[0], found[1], element_id) if found else None

    def name_of(self, element_id: str) -> str:
        """Return the variable name of any DRG element."""
        if element_id in self.decisions:
            return self.decisions[element_id].info.variable_name
        if element_id in self.functions:
            return self.functions[element_id].name
        if element_id in self.services:
            return self.services[element_id].name
        if element_id in self.inputs:
            return self.inputs[element_id][0]
        return element_id


def _href(element: Any) -> str | None:
    ref = attr(element, "href")
    if not ref:
        return None
    return local_ref(ref, element.getroottree().getroot().get("namespace"))


def _collect_names(root: Any) -> set[str]:
    names = {DEFAULT_INPUT_VARIABLE}
    for el in root.iter():
        tag = local(el)
        if tag in _NAMED:
            value = attr(el, "name")
            if value:
                names.add(" ".join(value.split()))
        iterator = attr(el, "iteratorVariable")
        if iterator:
            names.add(iterator)
        variable = attr(el, "inputVariable", CAMUNDA_NS)
        if variable:
            names.add(variable)
    return names


def _item_definition(builder: Builder, el: Any, owner: Owner) -> ItemDefinition:
    name = attr(el, "name") or ""
    ref = attr(el, "typeRef")
    ref_el = child(el, "typeRef")
    if ref is None and ref_el is not None:
        ref = (ref_el.text or "").strip() or None
    components = children(el, "itemComponent")
    allowed_el = child(el, "allowedValues")
    allowed = None
    allowed_text = (text_of(allowed_el) or "").strip()
    if allowed_text:
        test = builder.tests(
            allowed_text, allowed_el, owner, f"item definition '{name}' allowedValues"
        )

        def allowed(value: Any, test: Any = test) -> bool | None:
            ctx = EvalContext()
            result: bool | None = test(Scope({}, None, ctx), value)
            return result

    return ItemDefinition(
        name=name,
        base=ref,
        collection=attr(el, "isCollection") == "true",
        components=(
            {attr(c, "name") or "": _item_definition(builder, c, owner) for c in components}
            if components
            else None
        ),
        allowed=allowed,
        function=child(el, "functionItem") is not None,
        output_type=attr(child(el, "functionItem"), "outputTypeRef")
        if child(el, "functionItem") is not None
        else None,
    )


def _version(root: Any, file: str | None) -> tuple[str, str]:
    tag = root.tag if isinstance(root.tag, str) else ""
    namespace = tag[1:].split("}", 1)[0] if tag.startswith("{") else ""
    if local(root) != "definitions" or namespace not in DMN_NAMESPACES:
        known = ", ".join(DMN_NAMESPACES)
        problem = ProblemReport(
            f"not a DMN model: the root element is '{local(root)}' in namespace "
            f"'{namespace or 'none'}'; expected 'definitions' in one of: {known}",
            line=getattr(root, "sourceline", None),
            file=file,
        )
        raise DiagramError([problem], file=file)
    return namespace, DMN_NAMESPACES[namespace]


def build_model(
    source: bytes | str | os.PathLike[str],
    *,
    file: str | None = None,
    strict: bool = True,
    languages: Mapping[str, ExpressionLanguage] | None = None,
    per_decision: bool = False,
    resolver: Resolver | None = None,
    importing: tuple[str, ...] = (),
) -> ModelSpec:
    """Read and compile a DMN file (`languages`: cell languages other than FEEL, by name).

    With `per_decision`, problems do not fail the file: they are kept in `problems`, and a
    decision that reaches a broken expression fails when it is evaluated.

    Raises:
        DiagramError: Listing every problem found (in strict mode), or when the file is not
            readable, well-formed DMN.
    """
    strict = strict and not per_decision
    root, name = load_xml(source, file)
    namespace, version = _version(root, name)
    registry = TypeRegistry()
    imports, import_problems = _imports(root, name, resolver, importing, languages)
    known = _collect_names(root)
    for prefix, imported in imports.values():
        known |= {prefix, *imported.names}
    builder = Builder(
        file=name,
        strict=strict,
        known=known,
        registry=registry,
        language=attr(root, "expressionLanguage"),
        languages=languages,
    )
    builder.problems.extend(import_problems)
    builder.legacy = version == "1.1"
    builder.raise_broken = per_decision
    for el in children(root, "itemDefinition"):
        registry.add(
            _item_definition(
                builder, el, (attr(el, "id") or attr(el, "name") or "", attr(el, "name"))
            )
        )
    spec = ModelSpec(
        attr(root, "namespace") or namespace, attr(root, "name"), version, name, registry=registry
    )
    spec.imports = imports
    spec.names = known
    for el in children(root, "inputData"):
        element_id = attr(el, "id") or attr(el, "name") or ""
        variable = child(el, "variable")
        input_name = (
            attr(el, "name")
            or (attr(variable, "name") if variable is not None else None)
            or element_id
        )
        spec.inputs[element_id] = (input_name, builder.type_of(variable))
    for el in children(root, "businessKnowledgeModel"):
        _add_function(builder, spec, el)
    for el in children(root, "decisionService"):
        _add_service(builder, spec, el)
    for el in children(root, "decision"):
        _add_decision(builder, spec, el)
    _check_references(builder, spec, root)
    if strict and builder.problems:
        raise DiagramError(builder.problems, file=name)
    spec.problems = list(builder.problems)
    return spec


def _imports(
    root: Any,
    name: str | None,
    resolver: Resolver | None,
    importing: tuple[str, ...],
    languages: Mapping[str, ExpressionLanguage] | None,
) -> tuple[dict[str, tuple[str, ModelSpec]], list[ProblemReport]]:
    """Build every imported DMN model (recursively); problems for those not found."""
    found: dict[str, tuple[str, ModelSpec]] = {}
    problems: list[ProblemReport] = []
    for namespace, prefix in import_elements(root):
        source = resolver(namespace) if resolver is not None else None
        if source is None or namespace in importing:
            problems.append(
                ProblemReport(
                    f"the imported model '{prefix}' (namespace {namespace}) was not found; "
                    "put its .dmn file beside this one or pass it in parse_dmn(imports=...)",
                    file=name,
                )
            )
            continue
        imported = build_model(
            source,
            per_decision=True,
            resolver=resolver,
            importing=(*importing, attr(root, "namespace") or ""),
            languages=languages,
        )
        found[namespace] = (prefix, imported)
    return found, problems


def _owner(el: Any) -> Owner:
    return (attr(el, "id") or attr(el, "name") or "?", attr(el, "name"))


def _requirements(el: Any, tag: str, ref: str) -> list[str]:
    out = []
    for req in children(el, tag):
        for target in children(req, ref):
            href = _href(target)
            if href:
                out.append(href)
    return out


def _add_function(builder: Builder, spec: ModelSpec, el: Any) -> None:
    owner = _owner(el)
    name = attr(el, "name") or owner[0]
    logic = child(el, "encapsulatedLogic")
    if logic is None:
        builder.problem(el, owner, f"business knowledge model '{name}' has no encapsulatedLogic")
        make = builder.broken(f"business knowledge model '{name}' has no logic")
    else:
        make = builder.function(logic, owner, name)
    spec.functions[owner[0]] = FunctionSpec(
        owner[0], name, make, _requirements(el, "knowledgeRequirement", "requiredKnowledge")
    )


def _add_service(builder: Builder, spec: ModelSpec, el: Any) -> None:
    owner = _owner(el)

    def refs(tag: str) -> list[str]:
        return [h for h in (_href(c) for c in children(el, tag)) if h]

    spec.services[owner[0]] = ServiceSpec(
        owner[0],
        attr(el, "name") or owner[0],
        refs("outputDecision"),
        refs("inputDecision"),
        refs("inputData"),
        _service_type(builder, child(el, "variable")),
    )


def _service_type(builder: Builder, variable: Any) -> FeelType | None:
    """A service's result type: its variable's type, or that function type's output type."""
    feel_type = builder.type_of(variable)
    if isinstance(feel_type, ItemDefinition) and feel_type.function:
        return builder.type_named(feel_type.output_type) if feel_type.output_type else None
    return feel_type


def _add_decision(builder: Builder, spec: ModelSpec, el: Any) -> None:
    owner = _owner(el)
    variable = child(el, "variable")
    variable_name = (
        attr(el, "name") or (attr(variable, "name") if variable is not None else None) or owner[0]
    )
    expression = builder.find_expression(el)
    table = None
    logic: Evaluator | None = None
    if expression is None:
        kind = "none"
        if builder.strict or builder.raise_broken:
            builder.problem(
                el,
                owner,
                "the decision has no decision logic; add a decision table or a literal expression",
            )
    else:
        kind = EXPRESSION_KINDS[local(expression)]
        logic, table = builder.boxed(expression, owner, variable_name)
    required = _requirements(el, "informationRequirement", "requiredDecision")
    required_inputs = _requirements(el, "informationRequirement", "requiredInput")
    if table is not None:
        inputs = tuple(column.label for column in table.inputs)
        outputs = tuple(o.name for o in table.outputs)
        policy = table.hit_policy + (f" {table.aggregation}" if table.aggregation else "")
    else:
        inputs = tuple(spec.name_of(i) for i in required_inputs)
        outputs = (variable_name,)
        policy = None
    info = DecisionInfo(
        id=owner[0],
        name=attr(el, "name"),
        version_tag=attr(el, "versionTag", CAMUNDA_NS),
        kind=kind,
        required_decisions=tuple(required),
        inputs=inputs,
        outputs=outputs,
        variable_name=variable_name,
        hit_policy=policy,
    )
    spec.decisions[owner[0]] = DecisionSpec(
        info,
        logic,
        table,
        builder.type_of(variable),
        required_inputs,
        _requirements(el, "knowledgeRequirement", "requiredKnowledge"),
    )


def _check_references(builder: Builder, spec: ModelSpec, root: Any) -> None:
    elements = {attr(el, "id"): el for el in root.iter() if attr(el, "id")}
    for decision in spec.decisions.values():
        owner: Owner = (decision.info.id, decision.info.name)
        el = elements.get(decision.info.id)
        for ref in decision.info.required_decisions:
            found = spec.imported(ref)
            if found is not None and found[2] in found[1].decisions:
                continue
            if ref not in spec.decisions:
                builder.problem(
                    el, owner, f"requires decision '#{ref}', which is not in this model"
                )
        for ref in decision.required_inputs:
            if ref not in spec.inputs:
                builder.problem(
                    el, owner, f"requires input data '#{ref}', which is not in this model"
                )
        for ref in decision.knowledge:
            found = spec.imported(ref)
            if found is not None and (
                found[2] in found[1].functions or found[2] in found[1].services
            ):
                continue
            if ref not in spec.functions and ref not in spec.services:
                builder.problem(
                    el, owner, f"requires knowledge '#{ref}', which is not in this model"
                )
    _check_cycles(builder, spec, elements)


def _check_cycles(builder: Builder, spec: ModelSpec, elements: Mapping[str | None, Any]) -> None:
    state: dict[str, int] = {}

    def visit(decision_id: str, path: list[str]) -> None:
        mark = state.get(decision_id)
        if mark == 2:  # noqa: PLR2004 - done
            return
        if mark == 1:
            cycle = " -> ".join([*path[path.index(decision_id) :], decision_id])
            info = spec.decisions[decision_id].info
            builder.problem(
                elements.get(decision_id), (info.id, info.name), f"requirement cycle: {cycle}"
            )
            return
        state[decision_id] = 1
        for ref in spec.decisions[decision_id].info.required_decisions:
            if ref in spec.decisions:
                visit(ref, [*path, decision_id])
        state[decision_id] = 2

    for decision_id in spec.decisions:
        visit(decision_id, [])
