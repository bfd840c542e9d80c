"""ModelOp's SDK classes (`com.modelop.sdk.dataobjects.v2...`) as dict-backed records.

An SDK object built in a script (`new FileAsset()`, then `setFilename("x.csv")`) is a dict
whose keys are the camelCase JSON field names our records (`modelop_mlc.domain`) use, so what
a script builds is exactly the JSON a delegate reads. Byte-array fields (`fileContent`) are
kept as the UTF-8 text our `Asset` record reads. Enumerations (`Asset.AssetRole`,
`FileAsset.FileFormat`, `ModelAssociation.AssociationRole`, ...) are open, as ModelOp's lists
grow: any upper-case constant name is accepted, and a constant equals its name as text, so
`it.assetRole == Asset.AssetRole.TRAINING_DATA` holds for `"assetRole": "TRAINING_DATA"`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from modelop_mlc._engine.groovy._classes import EnumConstant, JavaClass, register
from modelop_mlc._engine.groovy._errors import java_error
from modelop_mlc._engine.groovy._java_objects import Bytes
from modelop_mlc._engine.groovy._values import to_str

if TYPE_CHECKING:
    from modelop_mlc._engine.groovy._runtime import Context

__all__ = ["ENUM_FIELDS", "EnumConstant", "SdkRecord", "store_field"]

_V2: Final = "com.modelop.sdk.dataobjects.v2"
_BYTE_FIELDS: Final = frozenset({"fileContent"})


def _ordinal(ctx: Context, self: EnumConstant, args: list[Any]) -> int:
    if self.name not in self.enum.enum_constants:
        raise java_error(
            "IllegalStateException",
            f"{self.enum.simple}.{self.name} is not in ModelOp's documented list, so it has "
            "no ordinal here",
        )
    return self.enum.enum_constants.index(self.name)


EnumConstant.METHODS.update(
    {
        "name": lambda ctx, self, args: self.name,
        "toString": lambda ctx, self, args: self.name,
        "ordinal": _ordinal,
        "equals": lambda ctx, self, args: self.groovy_equals(args[0]),
        "compareTo": lambda ctx, self, args: self.compare_to(args[0]),
    }
)


class SdkRecord(dict[Any, Any]):
    """An SDK object: a dict of its JSON fields that knows its class (for `instanceof`)."""

    __slots__ = ("sdk_class",)

    def __init__(self, sdk_class: JavaClass, fields: dict[str, Any]) -> None:
        """Create the record with its initial fields."""
        super().__init__(fields)
        self.sdk_class = sdk_class


def store_field(record: dict[Any, Any], name: str, value: Any) -> None:
    """Set a field as a setter would: a `byte[]` field keeps the UTF-8 text."""
    if name in _BYTE_FIELDS and hasattr(value, "data") and isinstance(value.data, bytes):
        try:
            value = value.data.decode("utf-8")
        except UnicodeDecodeError:
            raise java_error(
                "IllegalArgumentException",
                f"{name} must be UTF-8 text (assets carry text content here)",
            ) from None
    record[name] = value


def read_field(name: str, value: Any) -> Any:
    """A field's value as a script sees it: byte-array fields as bytes, enums as constants."""
    if isinstance(value, str):
        enum = ENUM_FIELDS.get(name)
        if enum is not None:
            return EnumConstant(enum, value)
        if name in _BYTE_FIELDS:
            return Bytes(value.encode("utf-8"))
    return value


def _enum(qualified: str, constants: tuple[str, ...]) -> JavaClass:
    enum = JavaClass(
        qualified,
        enum_constants=constants,
        open_enum=True,
        test=lambda v: (
            isinstance(v, EnumConstant) and v.enum.simple == qualified.rsplit(".", 1)[-1]
        ),
    )
    enum.statics["values"] = lambda ctx, args: [EnumConstant(enum, c) for c in constants]
    enum.statics["valueOf"] = lambda ctx, args: enum.static_field(to_str(args[0]))
    return enum


def _record_class(
    qualified: str, initial: dict[str, Any] | None = None, **nested: JavaClass
) -> JavaClass:
    cls = JavaClass(qualified, fields=dict(nested))

    def construct(ctx: Context, args: list[Any], named: dict[str, Any]) -> SdkRecord:
        if args:
            raise java_error(
                "MissingMethodException",
                f"new {cls.simple}() takes no positional arguments; set fields with setters "
                f"or named arguments (new {cls.simple}(name: 'x'))",
            )
        record = SdkRecord(cls, dict(initial or {}))
        for key, value in named.items():
            store_field(record, to_str(key), value)
        return record

    cls.construct = construct
    cls.test = lambda v: (
        isinstance(v, SdkRecord)
        and (v.sdk_class is cls or (cls.simple == "Asset" and v.sdk_class.simple.endswith("Asset")))
    )
    return register(cls)


ASSET_ROLES: Final = (
    "MODEL_SOURCE", "TRAINING_DATA", "TEST_DATA", "BASELINE_DATA", "COMPARATOR_DATA",
    "SCORING_DATA", "SCORING_OUTPUT", "WEIGHTS_FILE", "MODEL_BINARY", "DMN", "DOCUMENTATION",
    "UNKNOWN", "TEST_RESULT_COMPARATOR", "README_FILE", "MODEL_SCHEMA", "MODEL_METADATA",
    "REQUIRED_LIBRARIES", "REQUIRED_ASSETS", "MODEL_DOCUMENTATION", "MODEL_TEST_SOURCE",
)  # fmt: skip
ASSET_TYPES: Final = ("ASSET_FILE", "EXTERNAL_FILE", "SOURCE_CODE", "FILE")
FILE_FORMATS: Final = ("CSV", "JSON", "TEXT", "BINARY", "PARQUET", "AVRO", "UNKNOWN")
ASSOCIATION_ROLES: Final = (
    "DATA_DRIFT_MODEL", "CONCEPT_DRIFT_MODEL", "BIAS_MODEL", "INTERPRETABILITY_MODEL",
    "PERFORMANCE_MODEL", "STABILITY_MODEL", "MONITORING_MODEL", "CHAMPION_MODEL",
    "CHALLENGER_MODEL", "BASE_MODEL",
)  # fmt: skip
ASSOCIATION_TYPES: Final = ("DEPLOYABLE_MODEL_ASSOCIATION", "STORED_MODEL_ASSOCIATION")
JOB_STATUSES: Final = ("CREATED", "WAITING", "RUNNING", "COMPLETE", "ERROR", "CANCELLED")
JOB_TYPES: Final = ("MODEL_BATCH_JOB", "MODEL_BATCH_TEST_JOB", "MODEL_BATCH_TRAINING_JOB")

ASSET_ROLE = _enum(f"{_V2}.assets.Asset.AssetRole", ASSET_ROLES)
ASSET_TYPE = _enum(f"{_V2}.assets.Asset.AssetType", ASSET_TYPES)
FILE_FORMAT = _enum(f"{_V2}.assets.FileAsset.FileFormat", FILE_FORMATS)
ASSOCIATION_ROLE = _enum(f"{_V2}.model.ModelAssociation.AssociationRole", ASSOCIATION_ROLES)
ASSOCIATION_TYPE = _enum(f"{_V2}.model.ModelAssociation.AssociationType", ASSOCIATION_TYPES)
# Job enums are not nameable in scripts (their SDK package is not documented) but let
# `JOB.jobStatus.name()` work.
JOB_STATUS = _enum(f"{_V2}.jobs.JobStatus", JOB_STATUSES)
JOB_TYPE = _enum(f"{_V2}.jobs.JobType", JOB_TYPES)

ENUM_FIELDS: Final[dict[str, JavaClass]] = {
    "assetRole": ASSET_ROLE,
    "assetType": ASSET_TYPE,
    "fileFormat": FILE_FORMAT,
    "associationRole": ASSOCIATION_ROLE,
    "associationType": ASSOCIATION_TYPE,
    "jobStatus": JOB_STATUS,
    "jobType": JOB_TYPE,
}

_record_class(f"{_V2}.assets.Asset", AssetRole=ASSET_ROLE, AssetType=ASSET_TYPE)
_record_class(
    f"{_V2}.assets.FileAsset",
    {"assetType": "ASSET_FILE"},
    FileFormat=FILE_FORMAT,
    AssetRole=ASSET_ROLE,
    AssetType=ASSET_TYPE,
)
_record_class(
    f"{_V2}.assets.ExternalFileAsset",
    {"assetType": "EXTERNAL_FILE"},
    FileFormat=FILE_FORMAT,
    AssetRole=ASSET_ROLE,
    AssetType=ASSET_TYPE,
)
_record_class(f"{_V2}.model.DeployedModel")
_record_class(f"{_V2}.model.DeployableModel")
_record_class(f"{_V2}.model.StoredModel")
_record_class(
    f"{_V2}.model.ModelAssociation",
    AssociationRole=ASSOCIATION_ROLE,
    AssociationType=ASSOCIATION_TYPE,
)
_record_class(f"{_V2}.ModelTestResult")
