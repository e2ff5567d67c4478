"""Page capabilities added to the API: one's own registry record, discarding an allocation draft."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from chuangye.core.models import AuditEntry
from chuangye.plans import services as plan_services
from chuangye.plans.models import AllocationVersion
from chuangye.programs.loans import testing

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_entrepreneur_reads_and_updates_their_own_record(personas: dict[str, Any]) -> None:
    from chuangye.programs.loans.demo import ensure_loan_setup

    ensure_loan_setup(password="Test-Passw0rd!")
    person = testing.borrower(personas, user=personas["entrepreneur"])
    me = client_for(personas["entrepreneur"])
    body = me.get("/api/v1/persons/me").json()
    assert body["id"] == person.pk and body["id_masked"].endswith("002X")
    changed = me.patch("/api/v1/persons/me", {"phone": "13800001111"}, "application/json")
    assert changed.status_code == 200 and changed.json()["phone_masked"].endswith("1111")
    assert "13800001111" not in changed.content.decode()
    assert AuditEntry.objects.filter(action="entrepreneurs.person.contact").count() == 1
    bad = me.patch("/api/v1/persons/me", {"phone": "12"}, "application/json")
    assert bad.status_code == 400 and bad.json()["message"]
    for name in ("outsider", "coordinator", "street_officer"):
        assert client_for(personas[name]).get("/api/v1/persons/me").status_code == 404


def test_coordinator_discards_an_allocation_draft(plan: Any, personas: dict[str, Any]) -> None:
    coordinator = personas["coordinator"]
    active = plan_services.propose_allocation(plan, actor=coordinator)
    plan_services.activate_allocation(active, actor=coordinator)
    draft = plan_services.propose_allocation(plan, actor=coordinator, reason="年中调整")
    assert (
        client_for(personas["leader"]).delete(f"/api/v1/allocations/{draft.pk}").status_code == 403
    )
    assert (
        client_for(personas["outsider"]).delete(f"/api/v1/allocations/{draft.pk}").status_code
        == 404
    )
    refused = client_for(coordinator).delete(f"/api/v1/allocations/{active.pk}")
    assert refused.status_code == 400 and refused.json()["code"] == "invalid"
    assert client_for(coordinator).delete(f"/api/v1/allocations/{draft.pk}").status_code == 204
    assert list(AllocationVersion.objects.filter(plan=plan)) == [active]
    assert AuditEntry.objects.filter(action="plans.allocation.discard").count() == 1
