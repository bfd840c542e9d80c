"""DMN imports: other models' decisions, business knowledge models and names, by prefix.

`<import namespace="…" name="myimport" importType="…DMN…MODEL…"/>` makes the imported model's
elements available as `myimport.Element Name` in FEEL, and its decisions and knowledge usable
as requirements (`href="namespace#id"`). Imported models are found through a resolver: the
files passed to `parse_dmn(imports=…)`, else the `.dmn` files beside the importing file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from lxml import etree

from modelop_mlc.dmn._xml import attr, children

__all__ = ["Resolver", "import_elements", "local_ref", "resolver_for", "split_ref"]

Source = bytes | str | os.PathLike[str]
Resolver = Callable[[str], Source | None]
_DMN_IMPORT = "dmn"  # importType URIs of DMN models contain it (…/DMN/20230324/MODEL/)


def import_elements(root: Any) -> list[tuple[str, str]]:
    """`(namespace, name)` of each DMN model the document imports (PMML/XSD are skipped)."""
    found = []
    for el in children(root, "import"):
        kind = (attr(el, "importType") or "").lower()
        namespace = attr(el, "namespace")
        if namespace and _DMN_IMPORT in kind:
            found.append((namespace, " ".join((attr(el, "name") or "").split())))
    return found


def split_ref(ref: str) -> tuple[str | None, str]:
    """`(namespace, id)` of a requirement: `None` namespace for this model's own elements."""
    namespace, _, element_id = ref.rpartition("#")
    return (namespace or None), element_id


def local_ref(href: str, own_namespace: str | None) -> str:
    """A requirement `href` as the model keys it: `id` for its own, `namespace#id` else."""
    namespace, _, element_id = href.rpartition("#")
    if not namespace or namespace == own_namespace:
        return element_id
    return f"{namespace}#{element_id}"


def resolver_for(source: Source, imports: Mapping[str, Source] | None) -> Resolver:
    """Find imported models: in `imports` (namespace → file), else beside `source`."""
    given = dict(imports or {})
    folder = None
    if isinstance(source, os.PathLike) or (
        isinstance(source, str) and not source.lstrip().startswith("<")
    ):
        folder = Path(source).resolve().parent
    cache: dict[str, Path] | None = None

    def resolve(namespace: str) -> Source | None:
        nonlocal cache
        if namespace in given:
            return given[namespace]
        if folder is None:
            return None
        if cache is None:
            cache = {}
            for path in sorted(folder.glob("*.dmn")):
                try:
                    root = etree.parse(
                        str(path), etree.XMLParser(resolve_entities=False, no_network=True)
                    ).getroot()
                except etree.XMLSyntaxError:
                    continue
                own = root.get("namespace")
                if own:
                    cache.setdefault(own, path)
        return cache.get(namespace)

    return resolve
