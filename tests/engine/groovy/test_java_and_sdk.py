"""Java shims (UUID, numbers, Math, Date, loggers), ModelOp's SDK records and `execution`."""

from __future__ import annotations

from typing import Any

import pytest

from groovy_support import changes, failure, problems, run, value

SDK = "import com.modelop.sdk.dataobjects.v2.assets.*\nimport com.modelop.sdk.dataobjects.v2.model.*\n"

JAVA = [
    ("java.util.UUID.fromString('5F0E0C57-4B2C-4D3C-9A3E-6B1F6B2B7F10').toString()",
     "5f0e0c57-4b2c-4d3c-9a3e-6b1f6b2b7f10"),
    ("UUID.fromString('1-2-3-4-5').toString()", "00000001-0002-0003-0004-000000000005"),
    ("UUID.randomUUID().toString()", "00000000-0000-4000-8000-000000000001"),
    ("[UUID.randomUUID(), UUID.randomUUID()]*.toString()",
     ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"]),
    ("UUID.fromString('5f0e0c57-4b2c-4d3c-9a3e-6b1f6b2b7f10') == UUID.fromString('5F0E0C57-4B2C-4D3C-9A3E-6B1F6B2B7F10')", True),
    ("Integer.parseInt('42')", 42),
    ("Integer.parseInt('-7')", -7),
    ("Integer.valueOf('8') + 1", 9),
    ("Integer.parseInt('ff', 16)", 255),
    ("Long.parseLong('9000000000')", 9000000000),
    ("Double.parseDouble(' 1.5 ')", 1.5),
    ("Double.parseDouble('2e3')", 2000.0),
    ("Boolean.parseBoolean('TRUE')", True),
    ("Integer.MAX_VALUE", 2147483647),
    ("Math.max(3, 7)", 7),
    ("Math.min(3, 7.5)", 3),
    ("Math.abs(-2.5)", 2.5),
    ("Math.round(2.5)", 3),
    ("Math.round(-2.5)", -2),
    ("Math.floor(2.7)", 2.0),
    ("Math.ceil(2.1)", 3.0),
    ("Math.sqrt(16)", 4.0),
    ("Math.pow(2, 3)", 8.0),
    ("Math.log10(1000)", 3.0),
    ("Math.PI > 3.14", True),
    ("new BigDecimal('1.10') + 1", 2.1),
    ("BigDecimal.valueOf(0.1) * 3", 0.3),
    ("new Date().getTime()", 1767864600000),
    ("new Date().toString()", "Thu Jan 08 09:30:00 UTC 2026"),
    ("new Date().format('yyyy-MM-dd HH:mm')", "2026-01-08 09:30"),
    ("new Date(0).before(new Date())", True),
    ("new Date()", "2026-01-08T09:30:00.000Z"),
    ("def sb = new StringBuilder(); sb.append('a').append(1); sb << 'b'; sb.toString()", "a1b"),
    ("new ArrayList([1, 2])", [1, 2]),
    ("def m = new LinkedHashMap(); m.put('a', 1); m", {"a": 1}),
    ("new HashSet([1, 1, 2])", [1, 2]),
    ("Arrays.asList(1, 2)", [1, 2]),
    ("Objects.equals(1, 1)", True),
    ("Objects.isNull(null)", True),
    ("new groovy.json.JsonSlurper().parseText('{\"a\": [1, 2.5]}')", {"a": [1, 2.5]}),
    ("groovy.json.JsonOutput.toJson([a: 1, b: [true, null]])", '{"a":1,"b":[true,null]}'),
]  # fmt: skip


@pytest.mark.parametrize(("source", "expected"), JAVA)
def test_java_shims(source: str, expected: Any) -> None:
    """UUID (lenient as Java's, random from the injected source), numbers, Math, Date, JSON."""
    assert value(source) == expected


def test_invalid_uuid_in_try_catch_takes_the_catch() -> None:
    """The drift idiom: `UUID.fromString` on a bad id inside try/catch."""
    source = (
        "import java.util.UUID\ndef uuid\ntry {\n  uuid = UUID.fromString(MODEL_ID)\n"
        "} catch (Exception e) {\n  uuid = null\n}\nreturn uuid"
    )
    assert value(source, MODEL_ID="not-a-uuid") is None
    assert value(source, MODEL_ID="5f0e0c57-4b2c-4d3c-9a3e-6b1f6b2b7f10") == (
        "5f0e0c57-4b2c-4d3c-9a3e-6b1f6b2b7f10"
    )


def test_number_format_errors_name_the_input() -> None:
    """`Integer.parseInt` refuses what Java refuses, naming the input."""
    assert 'For input string: "4 2"' in failure("Integer.parseInt('4 2')").reason


def test_loggers_and_println_go_to_python_logging() -> None:
    """SLF4J loggers (with `{}` placeholders) and `println` are logged, not printed."""
    logs: list[tuple[str, str, str]] = []
    source = (
        "def log = org.slf4j.LoggerFactory.getLogger('Drift.bpmn')\n"
        "log.info('model {} has {} assets', 'm1', 3)\nlog.error('bad')\nprintln 'done'\n"
        "println('x', 1)"
    )
    run(source, logs=logs)
    assert logs == [
        ("info", "Drift.bpmn", "model m1 has 3 assets"),
        ("error", "Drift.bpmn", "bad"),
        ("info", "println", "done"),
        ("info", "println", "x 1"),
    ]


def test_a_stored_logger_comes_back_as_a_logger() -> None:
    """A logger set as a variable is stored as JSON and read back as a logger."""
    logs: list[tuple[str, str, str]] = []
    stored = changes("execution.setVariable('LOG', org.slf4j.LoggerFactory.getLogger('x'))")
    assert stored == {"LOG": {"@slf4jLogger": "x"}}
    run("LOG.warn('again')", dict(stored), logs=logs)
    assert logs == [("warn", "x", "again")]


SDK_CASES = [
    (
        SDK + "def f = new FileAsset()\nf.setFilename('t.csv')\nf.setName('Test')\n"
        "f.setFileFormat(FileAsset.FileFormat.CSV)\nf.setFileContent('a,b\\n1,2\\n'.getBytes())\n"
        "f.setFileSize(f.getFileContent().size())\nf",
        {"assetType": "ASSET_FILE", "filename": "t.csv", "name": "Test", "fileFormat": "CSV",
         "fileContent": "a,b\n1,2\n", "fileSize": 8},
    ),
    (
        "def f = new com.modelop.sdk.dataobjects.v2.assets.ExternalFileAsset(fileUrl: 's3://b/k')\nf",
        {"assetType": "EXTERNAL_FILE", "fileUrl": "s3://b/k"},
    ),
    (SDK + "def f = new FileAsset(); f.assetRole = Asset.AssetRole.TRAINING_DATA; f.assetRole",
     "TRAINING_DATA"),
    (SDK + "Asset.AssetRole.TEST_RESULT_COMPARATOR.name()", "TEST_RESULT_COMPARATOR"),
    (SDK + "Asset.AssetRole.SOME_FUTURE_ROLE.toString()", "SOME_FUTURE_ROLE"),
    (SDK + "Asset.AssetRole.DMN == 'DMN'", True),
    (SDK + "Asset.AssetRole.valueOf('README_FILE')", "README_FILE"),
    (SDK + "Asset.AssetRole.TRAINING_DATA.ordinal()", 1),
    (SDK + "ModelAssociation.AssociationRole.DATA_DRIFT_MODEL", "DATA_DRIFT_MODEL"),
    (SDK + "new DeployedModel() instanceof DeployedModel", True),
    (SDK + "new FileAsset() instanceof Asset", True),
    (SDK + "Asset.AssetRole.DMN instanceof Asset.AssetRole", True),
    ("def r = new com.modelop.sdk.dataobjects.v2.ModelTestResult(); r.setTestResults([auc: 0.9]); r",
     {"testResults": {"auc": 0.9}}),
    (SDK + "def d = new DeployedModel(); d.setDeployableModel([id: 'm1']); d.deployableModel.id", "m1"),
]  # fmt: skip


@pytest.mark.parametrize(("source", "expected"), SDK_CASES)
def test_sdk_records(source: str, expected: Any) -> None:
    """SDK objects are records with ModelOp's JSON field names; enums are open and equal their names."""
    assert value(source) == expected


ENUM_FIELDS = [
    ("it.assetRole == Asset.AssetRole.TRAINING_DATA", "train.csv"),
    ("it.assetRole.name() == 'COMPARATOR_DATA'", "cmp.csv"),
    ("it.assetRole.toString() == 'README_FILE'", "readme.md"),
    ("it.assetRole == 'TRAINING_DATA'", "train.csv"),
]


@pytest.mark.parametrize(("test", "name"), ENUM_FIELDS)
def test_role_strings_in_variables_compare_as_enum_constants(test: str, name: str) -> None:
    """Roles read from ModelOp JSON compare equal to enum constants and answer `name()`."""
    assets = [
        {"name": "train.csv", "assetRole": "TRAINING_DATA"},
        {"name": "cmp.csv", "assetRole": "COMPARATOR_DATA"},
        {"name": "readme.md", "assetRole": "README_FILE"},
    ]
    source = SDK + f"MODEL.storedModel.modelAssets.find {{ {test} }}.name"
    assert value(source, MODEL={"storedModel": {"modelAssets": assets}}) == name


def test_set_file_content_needs_bytes() -> None:
    """`setFileContent` stores bytes as text; bytes themselves are not a variable value."""
    err = failure("execution.setVariable('B', 'x'.getBytes())")
    assert "byte[] cannot be stored" in err.reason


def test_sdk_class_without_import_is_refused_with_a_hint() -> None:
    """Using an SDK class without its import is refused at deploy, naming the import to add."""
    assert problems("Asset.AssetRole.DMN") == [
        "class Asset is not imported; add `import com.modelop.sdk.dataobjects.v2.assets.Asset`"
    ]


EXECUTION = [
    ("execution.getVariable('X')", 5),
    ("execution.hasVariable('X')", True),
    ("execution.hasVariable('NOPE')", False),
    ("execution.getVariable('NOPE')", None),
    ("execution.getProcessInstanceId()", "pi-1"),
    ("execution.processInstanceId", "pi-1"),
    ("execution.getBusinessKey()", "bk-7"),
    ("execution.getProcessBusinessKey()", "bk-7"),
    ("execution.getCurrentActivityId()", "prepare"),
    ("execution.setVariable('Y', 1); execution.getVariable('Y')", 1),
    ("execution.setVariable('Y', 2); Y", 2),
    ("execution.setVariableLocal('L', 3); execution.getVariableLocal('L')", 3),
    ("execution.removeVariable('X'); execution.hasVariable('X')", False),
    ("execution.getVariables().keySet()", ["X"]),
]


@pytest.mark.parametrize(("source", "expected"), EXECUTION)
def test_execution_object(source: str, expected: Any) -> None:
    """`execution` reads and writes variables and answers Camunda's getters."""
    assert value(source, X=5) == expected


def test_execution_writes_are_reported_in_order() -> None:
    """`setVariable`, `setVariableLocal` and `removeVariable` become ordered changes."""
    outcome = run(
        "execution.setVariable('A', [1])\nexecution.setVariableLocal('B', 'b')\n"
        "execution.removeVariable('C')",
        {"C": 1},
    )
    assert outcome.changes == [("set", "A", [1]), ("local", "B", "b"), ("remove", "C", None)]


def test_in_place_changes_to_variables_are_written_back() -> None:
    """Changing a variable's object in place persists it, as Camunda 7 does."""
    model = {"storedModel": {"modelAssets": [{"assetRole": "TRAINING_DATA"}]}}
    source = (
        SDK + "MODEL.storedModel.modelAssets.add([assetRole: Asset.AssetRole.DMN])\n"
        "RESULT.setDeployedModel([id: 'd1'])"
    )
    assert changes(source, MODEL=model, RESULT={}) == {
        "MODEL": {
            "storedModel": {"modelAssets": [{"assetRole": "TRAINING_DATA"}, {"assetRole": "DMN"}]}
        },
        "RESULT": {"deployedModel": {"id": "d1"}},
    }
    assert model == {"storedModel": {"modelAssets": [{"assetRole": "TRAINING_DATA"}]}}


def test_unchanged_variables_are_not_written() -> None:
    """Reading a variable without changing it writes nothing back."""
    assert run("MODEL.name.toUpperCase()", {"MODEL": {"name": "m"}}).changes == []


def test_a_failed_script_writes_nothing() -> None:
    """Writes made before a failure are dropped with it."""
    err = failure(
        "execution.setVariable('A', 1)\nMODEL.list.add(2)\nthrow new Exception('x')",
        MODEL={"list": []},
    )
    assert err.line == 3


def test_closures_cannot_be_stored() -> None:
    """A closure has no JSON form: storing one fails naming the variable."""
    assert "variable 'F' cannot be stored" in failure("execution.setVariable('F', { 1 })").reason
