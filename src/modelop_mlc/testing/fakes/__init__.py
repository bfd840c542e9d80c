"""Stateful fakes of the remote systems MLC processes talk to, served over real HTTP.

`FakeJira`, `FakeServiceNow`, `FakeModelOpCenter` and `FakeOsv` (an OSV vulnerability query
API) are standard-library HTTP servers on 127.0.0.1 with an ephemeral port. The real `jira`,
`pysnow`, `requests` and `pip-audit` clients talk to them over sockets; every request
is recorded as a `RecordedRequest`, and failures, hangs and credential revocation can be
injected. Importing this package starts nothing and reads no environment.
"""

from modelop_mlc.testing.fakes._http import RecordedRequest
from modelop_mlc.testing.fakes.jira import FakeJira
from modelop_mlc.testing.fakes.modelop import FakeModelOpCenter
from modelop_mlc.testing.fakes.osv import FakeOsv
from modelop_mlc.testing.fakes.servicenow import FakeServiceNow

__all__ = ["FakeJira", "FakeModelOpCenter", "FakeOsv", "FakeServiceNow", "RecordedRequest"]
