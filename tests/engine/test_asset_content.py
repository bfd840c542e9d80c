"""Groovy and JUEL refuse to read the content of an asset the center keeps, and say why."""

from __future__ import annotations

from typing import Any

import pytest

from groovy_support import failure, value
from modelop_mlc._engine.juel import MappingContext, parse_expression
from modelop_mlc.errors import ExpressionError

DIGEST = "ab" * 32
KEPT: dict[str, Any] = {
    "id": "a-1",
    "filename": "train.csv",
    "assetRole": "TRAINING_DATA",
    "fileSize": 4096,
    "contentHash": {"hashType": "SHA-256", "hexString": DIGEST},
}
EMBEDDED: dict[str, Any] = {
    "id": "a-2",
    "filename": "model.py",
    "assetRole": "MODEL_SOURCE",
    "fileContent": "def score(r):\n    return 1\n",
}
SNAPSHOT = {"storedModel": {"modelAssets": [EMBEDDED, KEPT]}}


@pytest.mark.parametrize(
    "source",
    [
        "SNAPSHOT.storedModel.modelAssets[1].fileContent",
        "SNAPSHOT.storedModel.modelAssets[1].getFileContent()",
        "SNAPSHOT.storedModel.modelAssets[1].sourceCode",
        "SNAPSHOT.storedModel.modelAssets[1].fileContentString",
    ],
)
def test_groovy_reading_kept_content_names_the_asset_and_the_way_to_read_it(source: str) -> None:
    """Reading a kept asset's content fails with the asset's name, size and where to read it."""
    reason = failure(source, SNAPSHOT=SNAPSHOT).reason
    assert "IllegalStateException" in reason
    assert "asset 'train.csv' carries a reference, not its content" in reason
    assert f"4096 bytes, SHA-256 {DIGEST[:12]}" in reason
    assert "center.read_asset(asset)" in reason


def test_groovy_reads_metadata_and_embedded_content_as_before() -> None:
    """Metadata of a kept asset, and content a record carries, read as they always did."""
    assert value("SNAPSHOT.storedModel.modelAssets[1].filename", SNAPSHOT=SNAPSHOT) == "train.csv"
    assert value("SNAPSHOT.storedModel.modelAssets[1].contentHash.hashType", SNAPSHOT=SNAPSHOT) == (
        "SHA-256"
    )
    # ModelOp's getFileContent() is a byte[]: a script makes it text itself.
    embedded = "new String(SNAPSHOT.storedModel.modelAssets[0].fileContent)"
    assert value(embedded, SNAPSHOT=SNAPSHOT) == EMBEDDED["fileContent"]


def test_groovy_a_record_without_a_reference_reads_null() -> None:
    """A map with no `contentHash` (a script's own, or an external file) has a null content."""
    assert value("[filename: 'x.csv'].fileContent") is None
    external = KEPT | {"fileUrl": "s3://bucket/train.csv"}
    assert value("A.fileContent", A=external) is None


def juel(text: str, **variables: Any) -> Any:
    """Evaluate a JUEL expression over `variables`."""
    return parse_expression(text).evaluate(MappingContext(variables))


def test_juel_reading_kept_content_names_the_asset() -> None:
    """`${ASSET.fileContent}` of a kept asset is an expression error, not a quiet null."""
    with pytest.raises(ExpressionError) as info:
        juel("${ASSET.fileContent}", ASSET=KEPT)
    assert "asset 'train.csv' carries a reference, not its content" in str(info.value)
    with pytest.raises(ExpressionError):
        juel("${ASSET['sourceCode'] == null}", ASSET=KEPT)


def test_juel_reads_metadata_and_embedded_content() -> None:
    """Other fields of a kept asset and the content of an embedded one read normally."""
    assert juel("${ASSET.fileSize}", ASSET=KEPT) == 4096
    assert juel("${ASSET.fileContent}", ASSET=EMBEDDED) == EMBEDDED["fileContent"]
    assert juel("${ASSET.missing}", ASSET=KEPT) is None
