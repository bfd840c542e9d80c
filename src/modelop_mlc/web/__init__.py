"""The Cockpit and Tasklist: web pages over a `LifecycleManager`, beside the REST app.

Cockpit shows the deployed processes with their running instances per activity, instances
with filters, one instance with its live diagram, variables (secrets masked), history,
incidents (retry) and cancel, a form to send signals, and the life-cycle KPIs as charts.
Tasklist shows the open user tasks of the logged-in user's groups and completes them
through their Camunda form. Server-rendered HTML with a little JavaScript; no build step.
Needs the `rest` extra.

Example:
    >>> from modelop_mlc.rest import StaticTokens
    >>> from modelop_mlc.web import site
    >>> app = site(manager, auth=StaticTokens({"s3cr3t": {"read"}}))  # doctest: +SKIP
"""

from modelop_mlc.web._site import create_app, serve, site

__all__ = ["create_app", "serve", "site"]
