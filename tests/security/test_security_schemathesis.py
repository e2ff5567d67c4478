"""Property-based API testing from the live OpenAPI schema: no input makes the API answer 5xx.

The schema is read from the application itself (``/api/schema/`` over WSGI), so every operation
the API documents is exercised: with data that follows the schema (positive) and with data
that breaks it (negative), once with generated path parameters and once with the ids of real
objects so that requests reach the services. Runs are derandomized and bounded.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup

# Every request commits on its own, as in production: one failing query does not poison the rest.
pytestmark = pytest.mark.django_db(transaction=True)

ON_SQLITE = "sqlite" in django_settings.DATABASES["default"]["ENGINE"]

#: 5xx answers of today's code, found by this test: request pattern → cause. Each has an
#: explicit reproduction below (``test_known_server_error``) that fails once it is fixed.
KNOWN_5XX: dict[str, str] = {}

#: Requests in the whole run, shared evenly by every operation × data mode × parameter source
#: (at least 2 each), which keeps the run near a minute however many operations there are.
REQUESTS = 900
RUN = settings(
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def real_ids(plan: Any, personas: dict[str, Any], live_round: Any) -> dict[str, str]:
    """Path parameter values that name existing objects, by the collection they belong to."""
    from chuangye.accounts.models import Department
    from chuangye.core.models import AuditEntry
    from chuangye.plans import services as plan_services
    from chuangye.reporting import services
    from chuangye.reporting.duties import duties
    from chuangye.reporting.models import Notification

    bureau = Department.objects.get(code="371002-rsj")
    duty = next(
        d for d in duties(plan, live_round.month, departments={bureau.pk}) if not d.prefilled
    )
    value = services.save_value(
        indicator=duty.indicator,
        org_unit=duty.org_unit,
        year=live_round.year,
        month=live_round.month,
        value="8",
        actor=personas["reporter_huancui"],
    )
    measure = plan.measures.filter(responsibilities__department__code="rsj").first()
    progress = services.save_progress(
        measure=measure,
        department=value.department,
        year=2025,
        quarter=2,
        narrative="按计划推进",
        measure_status="on_track",
        actor=personas["reporter_huancui"],
    )
    allocation = plan_services.propose_allocation(plan, actor=personas["coordinator"])
    note = Notification.objects.create(user=personas["coordinator"], title="待办")
    return {
        "plans": str(plan.pk),
        "measures": str(measure.pk),
        "targets": str(plan.targets.order_by("order").first().pk),
        "org-units": "371002",
        "departments": "371002-rsj",
        "audit-entries": str(AuditEntry.objects.order_by("id").first().pk),  # type: ignore[union-attr]
        "data-values": str(value.pk),
        "rounds": str(live_round.pk),
        "progress-updates": str(progress.pk),
        "allocations": str(allocation.pk),
        "notifications": str(note.pk),
    }


def _fixed_path(operation: Any, real_ids: dict[str, str]) -> dict[str, str] | None:
    match = re.match(r"/api/v1/([\w-]+)/\{(\w+)\}", operation.path)
    if match is None or match.group(1) not in real_ids:
        return None
    return {match.group(2): real_ids[match.group(1)]}


def test_no_api_operation_answers_with_a_server_error(
    real_ids: dict[str, str], personas: dict[str, Any]
) -> None:
    from rest_framework.authtoken.models import Token

    from chuangye.config.wsgi import application

    token = Token.objects.create(user=personas["coordinator"])
    auth = {"Authorization": f"Token {token.key}"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    # An operation the schema describes wrongly (an Err) has no ok() and fails the test here.
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) > 30
    # Revoking the caller's own token ends the run's authentication: that operation goes last.
    operations.sort(key=lambda op: op.path.endswith("/revoke"))
    # Every operation with generated path ids; those on a single object also with real ones.
    runs: list[tuple[Any, GenerationMode, dict[str, str] | None]] = []
    for operation in operations:
        fixed = _fixed_path(operation, real_ids)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            runs += [(operation, mode, None)] + ([(operation, mode, fixed)] if fixed else [])
    examples = max(2, REQUESTS // len(runs))
    failures: list[str] = []
    exercised: set[str] = set()

    def run_examples(operation: Any, mode: GenerationMode, path: dict[str, str] | None) -> None:
        @settings(RUN, max_examples=examples)
        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path))
        def run(case: Any) -> None:
            response = case.call(headers=auth)
            exercised.add(operation.label)
            try:
                case.validate_response(response, checks=[not_a_server_error], headers=auth)
            except FailureGroup as exc:  # a BaseExceptionGroup, not an Exception
                if not any(re.search(p, case.as_curl_command()) for p in KNOWN_5XX):
                    failures.append(f"{operation.label} [{mode.value}]\n{exc}")

        with contextlib.suppress(Unsatisfiable):  # nothing to break in a parameterless GET
            run()

    for operation, mode, path in runs:
        run_examples(operation, mode, path)

    assert exercised == {op.label for op in operations}
    assert not failures, "\n\n".join(failures[:20])


@pytest.mark.parametrize(
    ("url", "today"),
    [
        ("/api/v1/plans/?limit=104551882179475783680", True),
        ("/api/v1/measures/?limit=99999999999999999999", True),
        ("/api/v1/measures/?plan=134812390478835027620551087620096", ON_SQLITE),
        ("/api/v1/progress?target=134812390478835027620551087620096", ON_SQLITE),
        ("POST /api/v1/ventures/", ON_SQLITE),
    ],
)
def test_oversized_numbers_are_refused_not_crashed(
    url: str, today: bool, personas: dict[str, Any], request: Any
) -> None:
    """Limits and ids beyond 64 bits get a 4xx answer on both databases."""
    from rest_framework.test import APIClient

    client = APIClient(raise_request_exception=False)
    client.force_authenticate(personas["coordinator"])
    if url.startswith("POST "):
        body = {"name": "某店", "kind": "other", "district": "371002", "founders": [2**70]}
        response = client.post(url.split(" ", 1)[1], body, format="json")
    else:
        response = client.get(url)
    assert response.status_code < 500


def test_schema_is_served_without_a_login(client: Any) -> None:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "创业威海 API"
