"""Asset contents a centre keeps: records carry metadata and a reference, not the file.

ModelOp Center keeps the files of a model (training and test data, weights, documents,
notebooks) in its storage and gives the asset JSON a reference: `fileUrl`,
`repositoryInfo`, `fileSize` and `contentHash` (`{"hashType": "SHA-256", "hexString":
...}`). Only source code (`sourceCode` of SOURCE_CODE assets) and small model files
(`fileContentString` of README, requirements, schemas, metadata) travel inside the record.
A centre here does the same, so the snapshots, jobs and deployments that delegates put in
process variables stay small, and it reads the content back (`read_asset`) when a job or a
delegate needs it:

- data and every other file: kept by the centre, the record gets `contentHash`;
- what ModelOp embeds (SOURCE_CODE assets, and the roles in `EMBEDDED_ROLES`): left in the
  record while its text is at most `inline_limit` bytes, else kept as data is.

A record written back to the centre (`UpdateStoredModel`, `PatchDeployableModel`, ...) may
carry such references, or have lost an asset's content altogether: `refill` gives each
asset that has an id and no content what the stored record has for the same id, so no
update erases a file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any, Final

from modelop_mlc._engine.asset_content import CONTENT_FIELDS
from modelop_mlc.domain import Asset, AssetRole, AssetType

__all__ = [
    "DEFAULT_INLINE_LIMIT",
    "EMBEDDED_ROLES",
    "content_fields",
    "digest_of",
    "is_embedded_kind",
    "referencing",
    "refill",
]

DEFAULT_INLINE_LIMIT: Final = 1024
"""Bytes of source or model-file text a record keeps in itself (ModelOp embeds such files)."""

EMBEDDED_ROLES: Final = frozenset(
    {
        AssetRole.MODEL_SOURCE,
        AssetRole.MODEL_TEST_SOURCE,
        AssetRole.TEST_RESULT_COMPARATOR,
        AssetRole.DASHBOARD_RESULT_COMPARATOR,
        AssetRole.DMN,
        AssetRole.README_FILE,
        AssetRole.REQUIRED_LIBRARIES,
        AssetRole.REQUIRED_ASSETS,
        AssetRole.MODEL_SCHEMA,
        AssetRole.MODEL_METADATA,
    }
)
"""Roles whose files ModelOp keeps in the record (as source code or a small FILE asset)."""

_REFERENCE_FIELDS: Final = ("contentHash", "fileUrl", "repositoryInfo", "fileSize")


def digest_of(text: str) -> str:
    """The SHA-256 hex digest of `text` (UTF-8): the key a centre keeps it under."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def is_embedded_kind(asset: Asset) -> bool:
    """Whether ModelOp keeps this kind of asset's text in the record itself."""
    return asset.asset_type == AssetType.SOURCE_CODE or asset.asset_role in EMBEDDED_ROLES


def content_fields(asset: Asset) -> dict[str, Any]:
    """The content fields the asset carries, as they are (a FILE's base64 and its text)."""
    doc = asset.to_variable()
    return {k: doc[k] for k in CONTENT_FIELDS if doc.get(k) is not None}


def referencing(asset: Asset, digest: str, size: int) -> Asset:
    """`asset` with its content replaced by a reference to what the centre keeps.

    A `fileSize` the record has is kept (ModelOp's); otherwise it is the text's size.
    """
    doc = {k: v for k, v in asset.to_variable().items() if k not in CONTENT_FIELDS}
    doc["contentHash"] = {"hashType": "SHA-256", "hexString": digest}
    doc.setdefault("fileSize", size)
    return Asset.from_variable(doc)


def _has_source(asset: Asset) -> bool:
    return asset.text is not None or asset.content_hash is not None or bool(asset.file_url)


def refill(assets: Sequence[Asset], stored: Iterable[Asset]) -> list[Asset]:
    """`assets`, each one with an id and no content given the stored asset's content fields.

    An asset that carries its content, a reference or a URL is kept as it is; one with an
    id the stored record does not have is kept too.
    """
    by_key: dict[str, Asset] = {a.key: a for a in stored if a.key}
    filled: list[Asset] = []
    for asset in assets:
        known = by_key.get(asset.key or "")
        if known is None or _has_source(asset) or not _has_source(known):
            filled.append(asset)
            continue
        old = known.to_variable()
        doc = asset.to_variable()
        for field in (*CONTENT_FIELDS, *_REFERENCE_FIELDS):
            if field in old and field not in doc:
                doc[field] = old[field]
        filled.append(Asset.from_variable(doc))
    return filled
