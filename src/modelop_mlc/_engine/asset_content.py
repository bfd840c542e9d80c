"""Why a script cannot read the content of an asset the centre keeps.

A ModelOp centre here keeps data files and large sources itself: an asset in a process
variable then carries `contentHash` (a reference) and no `fileContent`, `fileContentString`
or `sourceCode`. Groovy and JUEL read records as ModelOp's typed objects, so reading one of
those fields there would give a quiet null where ModelOp gives text; they raise this
explanation instead. A value a script built itself (`new FileAsset()` with
`setFileContent`) has its content and reads as built.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

__all__ = ["CONTENT_FIELDS", "kept_content_error"]

CONTENT_FIELDS: Final = ("fileContent", "fileContentString", "sourceCode")
"""The fields ModelOp keeps an asset's content in."""


def kept_content_error(record: Mapping[Any, Any], name: Any) -> str | None:
    """The message for reading content field `name` of an asset the centre keeps, else None."""
    if name not in CONTENT_FIELDS or name in record:
        return None
    reference = record.get("contentHash")
    if not isinstance(reference, Mapping) or record.get("fileUrl"):
        return None
    if any(field in record for field in CONTENT_FIELDS):
        return None
    label = (
        record.get("filename")
        or record.get("sourceCodeFilePath")
        or record.get("name")
        or record.get("id")
        or record.get("assetId")
        or "unnamed"
    )
    size = record.get("fileSize")
    held = f"{size} bytes, " if isinstance(size, int) else ""
    digest = str(reference.get("hexString", ""))[:12]
    return (
        f"asset '{label}' carries a reference, not its content: the ModelOp center keeps "
        f"the file ({held}SHA-256 {digest}…), so '{name}' is not in the variable. Delegates "
        "read it through the center themselves (CreateModelBatchJob, ModelTestResultEval, "
        "RunSecurityScan, ...); host code calls center.read_asset(asset); LocalCenter's "
        "inline_limit keeps small sources in records. See docs/modelop-center.md, 'Asset "
        "contents'"
    )
