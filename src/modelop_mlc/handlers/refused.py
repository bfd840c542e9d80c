"""ModelOp delegates that need a system this library does not connect to: refused at deploy.

A diagram that names one of them does not deploy: the error names the delegate, the system it
needs and what to register instead. Registering a delegate of that name yourself
(`@manager.delegate("CreateJenkinsJob")`) lifts the refusal, and your delegate runs.
"""

from __future__ import annotations

from modelop_mlc.handlers._base import refuse

__all__: list[str] = []

refuse(
    "CreateJenkinsJob",
    "a Jenkins server",
    outputs=("JOB",),
    hint="for example by calling Jenkins' REST API",
)
refuse(
    "CreateGitLabPipelineJob",
    "GitLab CI",
    outputs=("JOB",),
    hint="for example by calling GitLab's pipelines API",
)
refuse(
    "CreateSagemakerTransformJob",
    "Amazon SageMaker (a batch transform job)",
    outputs=("JOB",),
    hint="for example with boto3's create_transform_job",
)
refuse(
    "CreateSagemakerDeployedModel",
    "Amazon SageMaker (an endpoint)",
    outputs=("DEPLOYED_MODEL",),
    hint="for example with boto3's create_endpoint",
)
refuse(
    "DeployModelToArtifactory",
    "JFrog Artifactory",
    outputs=("DEPLOYED_MODEL",),
    hint="for example by uploading the model with Artifactory's REST API",
)
refuse(
    "ChatWithModelOp",
    "ModelOp Center's generative-AI chat service",
    outputs=("ANSWER",),
    hint="for example by calling a language model's API",
)
refuse(
    "LoadConfigMap",
    "Kubernetes (a ConfigMap of the cluster ModelOp Center runs in)",
    outputs=("CONFIG_MAP",),
    hint="for example from your application's own settings",
)
refuse(
    "PopulateDocumentTemplate",
    "ModelOp Center's document service (Word templates filled with model data)",
    outputs=("POPULATED_DOCUMENT", "UPDATED_DEPLOYABLE_MODEL", "UPDATED_STORED_MODEL"),
    hint="for example by filling a template with a templating library",
)
refuse(
    "RemoveUnusedVariables",
    "the engine's variables (a delegate here returns variables to set, it cannot remove any)",
    outputs=("VARIABLE_NAMES",),
    hint="or replace the task with a script task that calls execution.removeVariable(name)",
)
for _system in ("Jira", "ServiceNow"):
    for _target, _updated in (
        ("DeployableModel", "UPDATED_DEPLOYABLE_MODEL"),
        ("StoredModel", "UPDATED_STORED_MODEL"),
    ):
        refuse(
            f"Apply{_system}AttachmentTo{_target}",
            f"to download a {_system} ticket's attachments, which this library's ticket "
            "adapters do not do (they attach files, they do not read them back)",
            outputs=("ASSETS_UPDATED", _updated),
            hint=f"for example by downloading them with {_system}'s REST API and adding them "
            "to the model with the center's patch calls",
        )
