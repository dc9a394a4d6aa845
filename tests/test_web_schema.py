"""Schemathesis against the playground's OpenAPI schema: requests generated from the schema
(valid and invalid) never get a 5xx answer."""

import hypothesis
import schemathesis
from schemathesis.checks import not_a_server_error

from chainrule.web.app import Limits, create_app

# Small and quick limits: requests that hit them get 413/429/503, never a 500.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json", create_app(Limits(request_timeout_s=5, train_sessions=2))
)


@schema.parametrize()
@hypothesis.settings(max_examples=15, deadline=None, derandomize=True)
def test_no_request_the_schema_allows_or_forbids_gets_a_server_error(case):
    if case.path.endswith("/stream"):
        case.query = {**(case.query or {}), "steps_per_frame": 1}
    case.call_and_validate(checks=[not_a_server_error])
