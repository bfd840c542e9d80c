"""Build a `jira.JIRA` client that sends every request through a session the host gives.

The `jira` package has no `session=` argument: it makes its own `ResilientSession` for its
retries and error mapping. An OAuth 2.0 session (`requests_oauthlib.OAuth2Session`, or any
`requests.Session` whose `auth` or headers carry a bearer token) must still see each request
so it can add and refresh its token. `_SessionBridge` keeps the client's session, with its
error mapping into `JIRAError`, and hands the actual sending to the host's session. Imported
only when such a client is built, since it needs the `jira` extra.
"""

from __future__ import annotations

from typing import Any

import requests
from jira import JIRA
from jira.resilientsession import ResilientSession

__all__ = ["client_over_session"]


class _Delegate(requests.Session):
    """Sends with another session: `ResilientSession.request` ends in `super().request`."""

    inner: requests.Session

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        """Send through the host's session, which adds (and refreshes) its credentials."""
        return self.inner.request(method, url, *args, **kwargs)


class _SessionBridge(ResilientSession, _Delegate):  # type: ignore[misc]
    """`jira`'s session for retries and errors, the host's session for sending."""

    def __init__(self, inner: requests.Session, template: Any) -> None:
        super().__init__(timeout=template.timeout, max_retries=0)
        self.inner = inner
        self.headers.update(template.headers)
        self.verify = template.verify


def client_over_session(
    server: str, session: requests.Session, *, options: dict[str, Any], timeout: float
) -> JIRA:
    """Build a client for `server` whose requests all go through `session`.

    Like `JIRA(...)`, it reads `serverInfo` once to learn the version and deployment type
    (Cloud or Data Center).

    Raises:
        jira.JIRAError: If Jira refuses the session's credentials or answers with an error.
        requests.RequestException: If Jira cannot be reached.
    """
    client = JIRA(
        server=server, options=options, max_retries=0, timeout=timeout, get_server_info=False
    )
    client._session = _SessionBridge(session, client._session)
    info = client.server_info()
    client._version = tuple(info["versionNumbers"])
    client.deploymentType = info.get("deploymentType")
    return client
