"""The entrepreneur registry: validation, encryption, masking, scoping and the two metrics."""

import datetime as dt
from typing import Any

import pytest
from django.db import connection

from chuangye.accounts.models import Department, OrgUnit
from chuangye.core.models import AuditEntry
from chuangye.monitoring.models import Fact
from chuangye.plans.models import Plan
from chuangye.plans.services import configure_indicator
from chuangye.programs.entrepreneurs import selectors, services
from chuangye.programs.entrepreneurs.metrics import JOBS, SUPPORTED
from chuangye.programs.entrepreneurs.models import Person

pytestmark = pytest.mark.django_db

ID_A = "11010519491231002X"
ID_B = "440524188001010014"
DAY = dt.date(2025, 6, 10)


@pytest.fixture
def registry(plan: Plan, personas: dict[str, Any]) -> dict[str, Any]:
    types = {t.code: t for t in services.ensure_support_types()}
    for name, key in (("扶持创业", SUPPORTED), ("带动就业", JOBS)):
        configure_indicator(plan.indicators.get(name=name), actor=None, source=key)
    return {
        "types": types,
        "huancui": OrgUnit.objects.get(code="371002"),
        "wendeng": OrgUnit.objects.get(code="371003"),
    }


def _person(personas: dict[str, Any], registry: dict[str, Any], number: str = ID_A) -> Person:
    return services.register_person(
        name="王某一",
        id_number=number,
        district=registry["huancui"],
        actor=personas["street_officer"],
        phone="13912345678",
        target_group="graduate",
    )


def test_register_derives_gender_and_birth_and_encrypts(personas: Any, registry: Any) -> None:
    person = _person(personas, registry)
    assert person.gender == "F" and person.birth_date == dt.date(1949, 12, 31)
    assert person.id_masked == "110105********002X"
    assert person.phone_masked == "139****5678"
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_cipher, phone_cipher FROM entrepreneurs_person")
        stored = " ".join(cursor.fetchone())
    assert ID_A not in stored and "13912345678" not in stored
    entry = AuditEntry.objects.get(action="entrepreneurs.person.register")
    assert ID_A not in str(entry.after) and entry.after["id"] == "110105********002X"


@pytest.mark.parametrize(
    ("number", "message"),
    [("110105194912310021", "校验位"), ("11010519491331002X", "出生日期"), ("12345", "18位")],
)
def test_invalid_id_is_refused_and_nothing_saved(
    personas: Any, registry: Any, number: str, message: str
) -> None:
    with pytest.raises(services.RegistryError, match=message):
        _person(personas, registry, number)
    assert Person.objects.count() == 0


def test_duplicate_id_and_bad_phone_are_refused(personas: Any, registry: Any) -> None:
    _person(personas, registry)
    with pytest.raises(services.RegistryError, match="已登记"):
        _person(personas, registry)
    with pytest.raises(services.RegistryError, match="手机号"):
        services.register_person(
            name="李某",
            id_number=ID_B,
            district=registry["huancui"],
            actor=personas["street_officer"],
            phone="12345",
        )


def test_district_staff_cannot_register_in_another_district(personas: Any, registry: Any) -> None:
    with pytest.raises(services.RegistryError, match="文登区"):
        services.register_person(
            name="李某",
            id_number=ID_B,
            district=registry["wendeng"],
            actor=personas["street_officer"],
        )
    with pytest.raises(services.RegistryError, match="业务经办人员"):
        services.register_person(
            name="李某",
            id_number=ID_B,
            district=registry["huancui"],
            actor=personas["reporter_huancui"],
        )


def test_invalid_credit_code_is_refused(personas: Any, registry: Any) -> None:
    person = _person(personas, registry)
    with pytest.raises(services.RegistryError, match="校验位"):
        services.register_venture(
            name="演示店",
            kind="enterprise",
            district=registry["huancui"],
            actor=personas["street_officer"],
            founders=[person],
            credit_code="91110000600037341M",
        )
    venture = services.register_venture(
        name="演示店",
        kind="enterprise",
        district=registry["huancui"],
        actor=personas["street_officer"],
        founders=[person],
        credit_code="91110000600037341L",
    )
    assert venture.credit_code == "91110000600037341L"


def test_person_supported_by_two_departments_counts_once(personas: Any, registry: Any) -> None:
    person = _person(personas, registry)
    huancui, rsj = Department.objects.get(code="371002-rsj"), Department.objects.get(code="rsj")
    services.record_support(
        person=person,
        support_type=registry["types"]["subsidy"],
        date=DAY,
        actor=personas["street_officer"],
        amount=5000,
        department=huancui,
    )
    services.record_support(
        person=person,
        support_type=registry["types"]["training"],
        date=DAY + dt.timedelta(days=3),
        actor=personas["loan_officer"],
        department=rsj,
    )
    services.record_support(
        person=person,
        support_type=registry["types"]["mentor"],
        date=dt.date(2025, 8, 1),
        actor=personas["loan_officer"],
        department=rsj,
    )
    cells = {
        (f.org_unit.code, f.month): f.value for f in Fact.objects.filter(indicator__name="扶持创业")
    }
    assert cells == {("371002", 6): 1, ("371000", 6): 1}
    assert _first(person) == (DAY, registry["huancui"].pk)
    # One record carries the count: the first by date, then by the order recorded.
    assert person.supports.filter(first=True).count() == 1


def test_earlier_support_moves_the_count_to_its_month(personas: Any, registry: Any) -> None:
    person = _person(personas, registry)
    services.record_support(
        person=person,
        support_type=registry["types"]["training"],
        date=DAY,
        actor=personas["street_officer"],
    )
    services.record_support(
        person=person,
        support_type=registry["types"]["training"],
        date=dt.date(2025, 3, 2),
        actor=personas["street_officer"],
    )
    months = sorted(
        f.month for f in Fact.objects.filter(indicator__name="扶持创业", org_unit__code="371002")
    )
    assert months == [3]


def test_jobs_feed_the_employment_indicator(personas: Any, registry: Any) -> None:
    person = _person(personas, registry)
    venture = services.register_venture(
        name="演示店",
        kind="individual",
        district=registry["huancui"],
        actor=personas["street_officer"],
        founders=[person],
    )
    services.record_jobs(
        venture=venture,
        date=DAY,
        jobs=4,
        basis="social_insurance",
        actor=personas["street_officer"],
    )
    services.record_jobs(
        venture=venture, date=DAY, jobs=3, basis="contracts", actor=personas["street_officer"]
    )
    fact = Fact.objects.get(indicator__name="带动就业", org_unit__code="371000", month=6)
    assert fact.value == 7 and fact.records == 2
    with pytest.raises(services.RegistryError):
        services.record_jobs(
            venture=venture, date=DAY, jobs=0, basis="contracts", actor=personas["street_officer"]
        )


def test_search_by_full_id_phone_and_name_is_scoped(personas: Any, registry: Any) -> None:
    _person(personas, registry)
    officer = personas["street_officer"]
    assert selectors.search_persons(officer, ID_A).count() == 1
    assert selectors.search_persons(officer, "13912345678").count() == 1
    assert selectors.search_persons(officer, "王某").count() == 1
    assert selectors.search_persons(officer, "李").count() == 0
    assert selectors.search_persons(personas["reporter_wendeng"], ID_A).count() == 0
    assert selectors.search_persons(personas["outsider"], "王").count() == 0


def test_pages_show_masked_ids_and_unmask_is_logged(
    login: Any, personas: Any, registry: Any
) -> None:
    person = _person(personas, registry)
    page = login("street_officer").get(f"/programs/entrepreneurs/{person.pk}/").content.decode()
    assert "110105********002X" in page and ID_A not in page
    assert "查看完整号码" not in page  # the district officer may not unmask
    refused = login("street_officer").post(
        f"/programs/entrepreneurs/{person.pk}/unmask/", {"field": "id_number"}
    )
    assert ID_A not in refused.content.decode()
    officer = login("loan_officer")
    shown = officer.post(
        f"/programs/entrepreneurs/{person.pk}/unmask/",
        {"field": "id_number", "reason": "核对贷款材料"},
    )
    assert ID_A in shown.content.decode()
    entry = AuditEntry.objects.get(action="entrepreneurs.person.unmask")
    assert entry.actor_name == "loan_officer" and entry.after == {
        "field": "id_number",
        "reason": "核对贷款材料",
    }


@pytest.mark.parametrize("username", ["reporter_wendeng", "outsider", "entrepreneur"])
def test_people_outside_the_district_get_404(
    login: Any, personas: Any, registry: Any, username: str
) -> None:
    person = _person(personas, registry)
    assert login(username).get(f"/programs/entrepreneurs/{person.pk}/").status_code == 404


def test_entrepreneur_sees_and_updates_own_profile(
    login: Any, personas: Any, registry: Any
) -> None:
    own = services.register_person(
        name="演示创业者",
        id_number=ID_B,
        district=registry["huancui"],
        actor=personas["entrepreneur"],
        user=personas["entrepreneur"],
    )
    client = login("entrepreneur")
    assert "演示创业者" in client.get("/programs/entrepreneurs/me/").content.decode()
    client.post("/programs/entrepreneurs/me/", {"phone": "13700001111"})
    own.refresh_from_db()
    assert own.phone_masked == "137****1111"
    other = _person(personas, registry)
    assert client.get(f"/programs/entrepreneurs/{other.pk}/").status_code == 404


def test_api_registers_searches_masks_and_unmasks_with_audit(personas: Any, registry: Any) -> None:
    from rest_framework.test import APIClient

    officer = APIClient()
    officer.force_authenticate(personas["street_officer"])
    created = officer.post(
        "/api/v1/persons/",
        {"name": "王某一", "id_number": ID_A, "district": "371002", "phone": "13912345678"},
        format="json",
    )
    assert created.status_code == 201 and ID_A not in created.content.decode()
    assert created.json()["id_masked"] == "110105********002X"
    bad = officer.post(
        "/api/v1/persons/",
        {"name": "李", "id_number": "110105194912310021", "district": "371002"},
        format="json",
    )
    assert bad.status_code == 400 and "校验位" in bad.content.decode()
    found = officer.get("/api/v1/persons/", {"q": ID_A}).json()
    assert found["count"] == 1 and ID_A not in str(found)
    pk = created.json()["id"]
    assert (
        officer.post(
            f"/api/v1/persons/{pk}/unmask/", {"field": "id_number"}, format="json"
        ).status_code
        == 400
    )
    unmasker = APIClient()
    unmasker.force_authenticate(personas["loan_officer"])
    shown = unmasker.post(
        f"/api/v1/persons/{pk}/unmask/", {"field": "id_number", "reason": "核对"}, format="json"
    )
    assert shown.json() == {"value": ID_A} and "no-store" in shown["Cache-Control"]
    outsider = APIClient()
    outsider.force_authenticate(personas["reporter_wendeng"])
    assert outsider.get(f"/api/v1/persons/{pk}/").status_code == 404
    support = officer.post(
        "/api/v1/support-records/",
        {"person": pk, "support_type": "training", "date": "2025-06-10"},
        format="json",
    )
    assert support.status_code == 201 and support.json()["org_unit"] == "371002"


def _first(person: Person) -> tuple[dt.date, int] | None:
    """When and where the person is counted in 扶持创业, as the registry's pages read it."""
    p = Person.objects.with_first_support().get(pk=person.pk)
    if p.first_supported_on is None:
        assert p.first_support_district_id is None and person.first_support() is None
        return None
    record = person.first_support()
    assert record is not None and (record.date, record.org_unit_id) == (
        p.first_supported_on,
        p.first_support_district_id,
    )
    return p.first_supported_on, p.first_support_district_id


def _supported() -> dict[tuple[str, int, int], int]:
    return {
        (f.org_unit.code, f.year, f.month): int(f.value)
        for f in Fact.objects.filter(indicator__name="扶持创业")
    }


def test_bulk_supports_count_each_person_once_across_departments(
    personas: Any, registry: Any
) -> None:
    a, b = _person(personas, registry), _person(personas, registry, ID_B)
    huancui, wendeng = registry["huancui"], registry["wendeng"]
    district_rsj, city_rsj = (
        Department.objects.get(code="371002-rsj"),
        Department.objects.get(code="rsj"),
    )
    early = DAY - dt.timedelta(days=5)
    done = services.record_supports_bulk(
        [
            services.NewSupport(a.pk, huancui.pk, district_rsj.pk, DAY, amount=5000),
            services.NewSupport(a.pk, wendeng.pk, city_rsj.pk, early),  # earlier: counts here
            services.NewSupport(b.pk, wendeng.pk, city_rsj.pk, DAY),  # same day: first given
            services.NewSupport(b.pk, huancui.pk, district_rsj.pk, DAY),
        ],
        support_type=registry["types"]["subsidy"],
        actor=personas["loan_officer"],
        source="test",
        refresh=False,
    )
    assert done.count == 4 and Person.objects.get(pk=a.pk).supports.count() == 2
    assert done.cells == {(wendeng.pk, 2025, 6)}
    assert _supported() == {}  # nothing refreshed yet: the caller refreshes once, at the end
    services.refresh_supported(done.cells)
    assert _supported() == {("371003", 2025, 6): 2, ("371000", 2025, 6): 2}
    assert _first(a) == (early, wendeng.pk)
    assert _first(b) == (DAY, wendeng.pk)
    # The bulk path leaves auditing to its caller (one entry per import).
    assert not AuditEntry.objects.filter(action="entrepreneurs.support.record").exists()


def test_bulk_support_moves_the_count_only_when_it_comes_first(
    personas: Any, registry: Any
) -> None:
    person = _person(personas, registry)
    huancui, wendeng = registry["huancui"], registry["wendeng"]
    rsj = Department.objects.get(code="rsj")
    record = services.record_support(
        person=person,
        support_type=registry["types"]["training"],
        date=DAY,
        actor=personas["street_officer"],
    )
    assert record.pk and record.first and _first(person) == (DAY, huancui.pk)
    assert AuditEntry.objects.filter(action="entrepreneurs.support.record").count() == 1
    assert _supported() == {("371002", 2025, 6): 1, ("371000", 2025, 6): 1}
    training = registry["types"]["training"]
    officer = personas["loan_officer"]
    later = services.NewSupport(person.pk, wendeng.pk, rsj.pk, DAY + dt.timedelta(days=10))
    same_day = services.NewSupport(person.pk, wendeng.pk, rsj.pk, DAY)
    done = services.record_supports_bulk(
        [later, same_day], support_type=training, actor=officer, source="test"
    )
    assert done.cells == set()  # the support on record came first: nothing moves
    march = services.NewSupport(person.pk, wendeng.pk, rsj.pk, dt.date(2025, 3, 2))
    done = services.record_supports_bulk([march], support_type=training, actor=officer)
    assert done.cells == {(huancui.pk, 2025, 6), (wendeng.pk, 2025, 3)}
    assert _supported() == {("371003", 2025, 3): 1, ("371000", 2025, 3): 1}
    assert _first(person) == (dt.date(2025, 3, 2), wendeng.pk)
    record.refresh_from_db()
    assert not record.first and person.supports.filter(first=True).count() == 1


def test_bulk_supports_are_all_or_nothing(
    personas: Any, registry: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chuangye.monitoring import facts

    person = _person(personas, registry)
    services.record_support(
        person=person,
        support_type=registry["types"]["training"],
        date=DAY,
        actor=personas["street_officer"],
    )
    before = (_supported(), _first(person))

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("refresh failed")

    monkeypatch.setattr(facts, "refresh_metric", broken)
    rsj = Department.objects.get(code="rsj")
    earlier = services.NewSupport(person.pk, registry["wendeng"].pk, rsj.pk, dt.date(2025, 1, 5))
    with pytest.raises(RuntimeError):
        services.record_supports_bulk(
            [earlier], support_type=registry["types"]["mentor"], actor=personas["loan_officer"]
        )
    monkeypatch.undo()
    assert person.supports.count() == 1
    assert (_supported(), _first(person)) == before


def test_deleting_the_counted_support_counts_the_next_one(personas: Any, registry: Any) -> None:
    person = _person(personas, registry)
    rsj = Department.objects.get(code="rsj")
    officer = personas["loan_officer"]
    june = services.record_support(
        person=person,
        support_type=registry["types"]["training"],
        date=DAY,
        actor=personas["street_officer"],
    )
    august = services.record_support(
        person=person,
        support_type=registry["types"]["mentor"],
        date=dt.date(2025, 8, 1),
        actor=officer,
        department=rsj,
        venture=None,
    )
    assert june.first and not august.first
    assert _supported() == {("371002", 2025, 6): 1, ("371000", 2025, 6): 1}
    services.delete_support(june, actor=officer, reason="重复登记")
    assert _first(person) == (dt.date(2025, 8, 1), registry["huancui"].pk)
    assert _supported() == {("371002", 2025, 8): 1, ("371000", 2025, 8): 1}  # June: none
    august.refresh_from_db()
    services.delete_support(august, actor=officer, reason="登记错误")
    assert _first(person) is None and _supported() == {}


@pytest.mark.parametrize("driver_dumps", [False, True], ids=["text-written", "driver-dumped"])
def test_bulk_rows_are_stored_exactly_as_given(
    personas: Any, registry: Any, monkeypatch: pytest.MonkeyPatch, driver_dumps: bool
) -> None:
    """``insert_rows`` writes COPY's text format itself on PostgreSQL (psycopg's dumpers where
    a type has no text form there): every value comes back as it went in."""
    from decimal import Decimal

    from chuangye.programs.entrepreneurs.models import SupportRecord

    if driver_dumps:
        monkeypatch.setattr(services, "_copy_text", lambda f: None)
    person = _person(personas, registry)
    unit, rsj = registry["huancui"], Department.objects.get(code="rsj")
    at = dt.datetime(2025, 6, 10, 8, 30, 15, 123456, tzinfo=dt.UTC)
    notes = ["制表\t换行\n回车\r反斜杠\\N\\t", "", "引号'\"，逗号, 表情😀", "\\."]
    amounts = [Decimal("150000.00"), None, Decimal("0.01"), Decimal("12345678.90")]
    n = services.insert_rows(
        SupportRecord,
        ("person_id", "department_id", "org_unit_id", "date", "amount", "note", "first"),
        [
            (person.pk, rsj.pk, unit.pk, DAY + dt.timedelta(days=i), amount, note, i == 0)
            for i, (amount, note) in enumerate(zip(amounts, notes, strict=True))
        ],
        same={"support_type_id": registry["types"]["training"].pk, "created_at": at},
    )
    assert n == 4
    stored = list(
        SupportRecord.objects.filter(person=person)
        .order_by("date")
        .values_list("note", "amount", "date", "first", "created_at", "source", "venture_id")
    )
    assert stored == [
        (note, amount, DAY + dt.timedelta(days=i), i == 0, at, "", None)
        for i, (amount, note) in enumerate(zip(amounts, notes, strict=True))
    ]
