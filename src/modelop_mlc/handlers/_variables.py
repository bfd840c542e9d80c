"""What each ModelOp process variable holds: the words the docs and the Modeler templates show.

Delegates name their inputs and outputs by ModelOp's variable names (`DEPLOYABLE_MODEL`,
`JOB_TYPE`, ...); a name means the same thing in every delegate, so it is described once
here. `scripts/delegate_table.py` prints this glossary in docs/delegates.md and
`modelop_mlc.element_templates` turns it into the labels, descriptions, field types and
choices of Camunda Modeler's element templates: one source, so they cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from modelop_mlc.domain import AssetRole, AssociationRole, DeployedState, JobType, Stage
from modelop_mlc.tickets import TicketKind

__all__ = ["VARIABLES", "Kind", "Variable"]

Kind = Literal["record", "records", "id", "text", "long text", "list", "map", "number", "date"]
"""How a value is given: a ModelOp record (JSON object, usually `${VARIABLE}`), a list of
records, an id, one line of text, several lines, a list (or comma-separated text), a map
(JSON object), a number or an ISO 8601 date."""

_SEVERITIES = ("INFO", "WARNING", "ERROR")


@dataclass(frozen=True)
class Variable:
    """One ModelOp process variable.

    Attributes:
        label: A short name for people ("Snapshot").
        description: What it holds, in one or two sentences.
        kind: How its value is given (`Kind`).
        choices: The values ModelOp knows, for an enumeration (others are accepted).
    """

    label: str
    description: str
    kind: Kind = "text"
    choices: tuple[str, ...] = ()


def _names(enum: type[object]) -> tuple[str, ...]:
    return tuple(str(member.value) for member in enum)  # type: ignore[attr-defined]


VARIABLES: dict[str, Variable] = {
    # records of the center
    "STORED_MODEL": Variable(
        "Stored model",
        "A business model as ModelOp stores it (modelMetaData: name, type, tags), or its id.",
        "record",
    ),
    "STORED_MODELS": Variable("Stored models", "A list of stored models.", "records"),
    "STORED_MODEL_ID": Variable("Stored model id", "The id of a stored model.", "id"),
    "STORED_MODEL_IDS": Variable("Stored model ids", "A list of stored model ids.", "list"),
    "UPDATED_STORED_MODEL": Variable(
        "Updated stored model", "The stored model as changed.", "record"
    ),
    "DEPLOYABLE_MODEL": Variable(
        "Snapshot",
        "A snapshot (deployable model): the stored model frozen with its assets and tags, as "
        "the Signals_deployable_model_changed signal delivers it; or its id.",
        "record",
    ),
    "DEPLOYABLE_MODELS": Variable("Snapshots", "A list of snapshots.", "records"),
    "DEPLOYABLE_MODEL_ID": Variable("Snapshot id", "The id of a snapshot.", "id"),
    "DEPLOYABLE_MODEL_IDS": Variable("Snapshot ids", "A list of snapshot ids.", "list"),
    "UPDATED_DEPLOYABLE_MODEL": Variable("Updated snapshot", "The snapshot as changed.", "record"),
    "MODEL_ID": Variable(
        "Snapshot id (MODEL_ID)",
        "The snapshot id a REST signal carries (ModelOp's Run Back Test and drift tests).",
        "id",
    ),
    "ID": Variable("Id", "The id of the record to read (ModelOp's generic input).", "id"),
    "REFERENCE_MODEL": Variable(
        "Reference snapshot", "The snapshot whose assets are added, or its id.", "record"
    ),
    "CHAMPION": Variable(
        "Champion",
        "The snapshot in production (or its id) a challenger is compared with.",
        "record",
    ),
    "CHALLENGER": Variable("Challenger", "The new snapshot (or its id).", "record"),
    "ASSOCIATED_MODEL": Variable(
        "Associated snapshot", "The snapshot (or its id) to associate, e.g. a monitor.", "record"
    ),
    "ASSOCIATED_MODEL_ID": Variable("Associated snapshot id", "The id of that snapshot.", "id"),
    "ASSOCIATED_MODELS": Variable(
        "Associations",
        "A snapshot's associations, each with associationRole and associatedModel.",
        "records",
    ),
    "MODEL_ASSOCIATION": Variable("Association", "The association made.", "record"),
    "ASSOCIATION_ROLE": Variable(
        "Association role",
        "What an associated model does for the snapshot.",
        choices=_names(AssociationRole),
    ),
    "MONITORS": Variable(
        "Monitors",
        'Monitor stored model names (a list, comma-separated, or {"name", "associationRole"} '
        "objects).",
        "list",
    ),
    "MONITOR_NAMES": Variable("Monitor names", "Monitor names (ModelOp's older input).", "list"),
    "ADDED_MONITOR_NAMES": Variable("Monitors added", "The monitors associated.", "list"),
    "FAILED_TO_ADD_MONITOR_NAMES": Variable(
        "Monitors not added", "The monitors without a snapshot to associate.", "list"
    ),
    "TAG": Variable(
        "Tag", "A model service tag (e.g. credit-risk) that models and runtimes share."
    ),
    "TAGS": Variable("Tags", "Tags for the new snapshot (a list or comma-separated).", "list"),
    "NAME": Variable("Name", "A name to look up."),
    "MODEL_NAME": Variable("Model name", "A stored model's name (ModelOp's older input)."),
    "CREATED_AFTER": Variable(
        "Created after", "An ISO 8601 date or date-time: only newer records count.", "date"
    ),
    "QUERY": Variable(
        "Query",
        'A map of camelCase field paths to wanted values, e.g. {"modelMetaData.type": "R"}.',
        "map",
    ),
    "PATCH": Variable(
        "Patch",
        'A map of the camelCase fields to change, e.g. {"deployedState": "UNDEPLOYED"}.',
        "map",
    ),
    # assets
    "ASSET": Variable("Asset", "An asset (ModelOp's FileAsset or external asset JSON).", "record"),
    "ASSETS": Variable("Assets", "A list of assets.", "records"),
    "ASSET_ROLE": Variable("Asset role", "Only assets with this role.", choices=_names(AssetRole)),
    "ASSET_ROLES": Variable(
        "Asset roles", "Only assets with these roles (a list or comma-separated).", "list"
    ),
    "ASSETS_UPDATED": Variable("Assets updated", "Whether assets were added.", "text"),
    "FILE_ASSET": Variable("File asset", "One file asset (or null when none).", "record"),
    "FILE_ASSETS": Variable("File assets", "A list of file assets.", "records"),
    "EXTERNAL_FILE_ASSET": Variable(
        "External file asset", "The asset as an external file (fileUrl).", "record"
    ),
    "INPUT_ASSETS": Variable("Input assets", "The assets a job reads.", "records"),
    "ADDITIONAL_ASSETS": Variable(
        "Additional assets", "Assets passed to a job besides its input.", "records"
    ),
    "INPUT_FILE": Variable("Input file", "The asset a job reads (a file asset).", "record"),
    "OUTPUT_FILE": Variable("Output file", "The asset a job writes (a file asset).", "record"),
    "FILE_NAME": Variable("File name", "The asset's file name, e.g. scores.csv."),
    "FILE_FORMAT": Variable("File format", "The asset's format.", choices=("CSV", "JSON")),
    "FILE_URL": Variable("File URL", "Where the file is (s3://, hdfs://, https://, file://)."),
    "URL": Variable("URL", "The address to download."),
    # jobs, results, decisions
    "JOB": Variable(
        "Job", "A batch job (id, jobType, jobStatus, inputData, outputData), or its id.", "record"
    ),
    "JOBS": Variable("Jobs", "A list of jobs, newest first.", "records"),
    "JOB_ID": Variable("Job id", "The id of a job.", "id"),
    "TEST_JOB": Variable("Test job", "The test job ModelOp's diagrams map JOB to.", "record"),
    "MODEL_BATCH_JOB": Variable("Batch job", "A finished job whose output is metrics.", "record"),
    "JOB_TYPE": Variable("Job type", "What the job does.", choices=_names(JobType)),
    "JOB_TYPES": Variable(
        "Job types", "Job types to match (a list or comma-separated).", "list", _names(JobType)
    ),
    "JOB_STATUSES": Variable(
        "Job statuses",
        "Job statuses to match (a list or comma-separated): CREATED, RUNNING, COMPLETE, ERROR...",
        "list",
    ),
    "JOB_PARAMETERS": Variable("Job parameters", "A map the job's init function receives.", "map"),
    "POLL_INTERVAL": Variable("Poll interval", "How long to wait between checks."),
    "MAX_POLL_INTERVAL": Variable(
        "Longest poll interval", "The checks slow down to this (an ISO 8601 duration)."
    ),
    "MODEL_TEST_RESULT": Variable(
        "Test result", "A model test result (testResults: the metrics), or its id.", "record"
    ),
    "MODEL_TEST_RESULTS": Variable("Test results", "A list of test results.", "records"),
    "MODEL_TEST_RESULT_ID": Variable("Test result id", "The id of a test result.", "id"),
    "MODEL_TEST_RESULT_IDS": Variable(
        "Test result ids", "Ids of test results, newest first.", "list"
    ),
    "TEST_RESULTS": Variable("Metrics", "The metrics to judge or store (a map).", "map"),
    "JSON": Variable("JSON", "Metrics as JSON text or an object.", "long text"),
    "DMN": Variable("Comparator DMN", "The comparator decision (DMN XML or an asset).", "record"),
    "DECISION_REF": Variable("Decision", "The id of a deployed DMN decision to use instead."),
    "TEST_RESULT": Variable("Passed", "Whether the results pass the comparator DMN.", "text"),
    "TEST_RESULT_MESSAGE": Variable(
        "Verdict message", "The reasons of the failing rules (empty when they pass).", "long text"
    ),
    "TEST_RESULT_JUDGED": Variable(
        "Judged", "Whether a comparator DMN judged the results at all.", "text"
    ),
    "TEST_RESULT_DETAILS": Variable("Verdict details", "Each rule's outcome.", "records"),
    "NOTIFIERS": Variable("Notifiers", "The matched rows of the comparator DMN.", "records"),
    "COMPARISON": Variable("Comparison", "Per metric: champion, challenger, better.", "map"),
    "CHALLENGER_WINS": Variable("Challenger wins", "Whether the challenger is better.", "text"),
    "LOWER_IS_BETTER": Variable(
        "Lower is better",
        "Metrics where a smaller value is better, besides the usual ones.",
        "list",
    ),
    "SECURITY_SCAN": Variable(
        "Security scan", "high, medium, low, vulnerabilities, findings, passed.", "map"
    ),
    # runtimes and deployments
    "RUNTIME": Variable("Runtime", "A runtime (engine) record, or its name.", "record"),
    "RUNTIMES": Variable("Runtimes", "A list of runtimes.", "records"),
    "ONLINE_RUNTIMES": Variable("Online runtimes", "Runtimes with endpoints.", "records"),
    "BATCH_RUNTIMES": Variable("Batch runtimes", "Runtimes without endpoints.", "records"),
    "ENGINE_INSTANCE": Variable("Runtime name", "The name of a runtime (engine)."),
    "RUNTIME_NAME": Variable("Runtime name", "The name of a runtime (ModelOp's other input)."),
    "ENGINE_STATE": Variable("Runtime state", "The runtime's state after the call.", "text"),
    "MODEL_STAGE": Variable("Stage", "The runtimes' environment stage.", choices=_names(Stage)),
    "STAGE": Variable(
        "Stage", "The environment stage (ModelOp's other input).", choices=_names(Stage)
    ),
    "DEPLOYED_MODEL": Variable(
        "Deployment",
        "A deployed model (snapshot on a runtime: state, schedules, expiry).",
        "record",
    ),
    "DEPLOYED_MODELS": Variable("Deployments", "A list of deployed models.", "records"),
    "DEPLOYED_MODEL_ID": Variable("Deployment id", "The id of a deployed model.", "id"),
    "DEPLOYED_MODEL_IDS": Variable("Deployment ids", "A list of deployed model ids.", "list"),
    "DEPLOYED_MODEL_AND_DEPLOYABLE_MODEL_IDS": Variable(
        "Production ids",
        "Each production deployment as {deployedModelId, deployableModelId}.",
        "records",
    ),
    "PREVIOUS_DEPLOYED_MODEL": Variable(
        "Previous deployment", "The deployment whose schedules are copied.", "record"
    ),
    "STATE": Variable("Deployed state", "A deployment state.", choices=_names(DeployedState)),
    "DEPLOYED_STATE": Variable(
        "Deployed state",
        "A deployment state (ModelOp's other input).",
        choices=_names(DeployedState),
    ),
    "SCHEDULES": Variable(
        "Schedules", 'Schedules to add, e.g. [{"cronExpression": "0 30 1 * * ?"}].', "records"
    ),
    "EXPIRATION_DATE": Variable("Expiration date", "An ISO 8601 date.", "date"),
    "DAYS": Variable("Days", "How many days ahead to look.", "number"),
    # notifications and tickets
    "MESSAGE": Variable("Message", "The notification's or ticket's text.", "long text"),
    "NOTIFICATION_MESSAGE": Variable(
        "Message (NOTIFICATION_MESSAGE)", "The text, as ModelOp's diagrams name it.", "long text"
    ),
    "SEVERITY": Variable("Severity", "How serious it is.", choices=_SEVERITIES),
    "NOTIFICATION_SEVERITY": Variable(
        "Severity (NOTIFICATION_SEVERITY)", "How serious, as ModelOp names it.", choices=_SEVERITIES
    ),
    "TYPE": Variable("Notification type", "A notification type, e.g. JOB or TEST."),
    "NOTIFICATION_TYPE": Variable("Notification type", "ModelOp's other name for TYPE."),
    "NOTIFICATION": Variable("Notification", "A notification record, or its id.", "record"),
    "NOTIFICATIONS": Variable("Notifications", "A list of notifications.", "records"),
    "NOTIFICATION_ID": Variable("Notification id", "The id of a notification.", "id"),
    "NEW_NOTIFICATION": Variable(
        "Ticket", "The ticket opened: system, key, kind, status, summary, url.", "record"
    ),
    "SUMMARY": Variable("Summary", "The ticket's title (by default made from the model)."),
    "TICKET_KIND": Variable(
        "Ticket kind", "Overrides the kind of ticket opened.", choices=_names(TicketKind)
    ),
    "TICKET_FIELDS": Variable("Ticket fields", "More fields of the ticket, by name.", "map"),
    "TICKET": Variable("Ticket", "A ticket (as NEW_NOTIFICATION holds it), or its key.", "record"),
    "TICKET_KEY": Variable("Ticket key", "A ticket's key, e.g. MLC-12."),
    "TICKET_SYSTEM": Variable(
        "Ticket system", "Where the ticket is.", choices=("local", "jira", "servicenow")
    ),
    "TICKET_STATUS": Variable("Ticket status", "The status the ticket reached.", "text"),
    "STATUSES": Variable(
        "Statuses to wait for", "Comma-separated ticket statuses, e.g. Done,Rejected.", "list"
    ),
    "READ_FIELD": Variable("Field to read", "A ticket field read when it is done."),
    "TICKET_FIELD_VALUE": Variable("Field value", "The value of that field.", "text"),
    "AUDIT_RECORD": Variable("Audit record", "An audit record, or its id.", "record"),
    "AUDIT_RECORDS": Variable("Audit records", "A list of audit records, newest first.", "records"),
    "AUDIT_RECORD_ID": Variable("Audit record id", "The id of an audit record.", "id"),
    # refused delegates' outputs (written by the delegate you register)
    "ANSWER": Variable("Answer", "The chat service's answer.", "long text"),
    "CONFIG_MAP": Variable("Config map", "The settings read.", "map"),
    "POPULATED_DOCUMENT": Variable("Document", "The filled document (an asset).", "record"),
    "VARIABLE_NAMES": Variable("Variable names", "The variables removed.", "list"),
    # the HTTP connector (Camunda's names)
    "url": Variable("URL", "The address to call (http:// or https://)."),
    "method": Variable(
        "Method", "The HTTP method.", choices=("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
    ),
    "headers": Variable(
        "Headers",
        "A map of header names to values: the request's (a value secret:NAME is replaced by "
        "the configured secret NAME) or the response's.",
        "map",
    ),
    "payload": Variable(
        "Payload", "The request body: text, or a map or list sent as JSON.", "long text"
    ),
    "timeout": Variable("Timeout", "Seconds to wait for the answer.", "number"),
    "response": Variable("Response", "The body (parsed when it is JSON).", "long text"),
    "statusCode": Variable("Status code", "The HTTP status.", "number"),
}
"""Variable name → what it holds."""
