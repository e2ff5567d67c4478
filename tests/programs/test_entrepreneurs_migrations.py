"""The move of a person's first support onto the support record, on existing data."""

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("entrepreneurs", "0004_ledger_references")]
AFTER = [("entrepreneurs", "0005_first_support_record")]


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_each_persons_earliest_support_becomes_the_counted_one() -> None:
    apps = _migrate(BEFORE)
    OrgUnit = apps.get_model("accounts", "OrgUnit")
    Department = apps.get_model("accounts", "Department")
    Person = apps.get_model("entrepreneurs", "Person")
    SupportType = apps.get_model("entrepreneurs", "SupportType")
    SupportRecord = apps.get_model("entrepreneurs", "SupportRecord")
    east = OrgUnit.objects.create(code="379901", name="东区", short_name="东区", kind="county")
    west = OrgUnit.objects.create(code="379902", name="西区", short_name="西区", kind="county")
    dept = Department.objects.create(code="t-rsj", name="人社局", level="county", org_unit=east)
    kind = SupportType.objects.create(code="t-subsidy", name="补贴")

    def person(n: int, first: tuple[dt.date, Any] | None) -> Any:
        return Person.objects.create(
            name=f"迁移{n}",
            id_cipher="x",
            id_hash=f"hash{n}",
            id_masked=f"37****{n}",
            gender="M",
            birth_date=dt.date(1990, 1, 1),
            district=east,
            first_supported_on=first[0] if first else None,
            first_support_district=first[1] if first else None,
        )

    def support(p: Any, day: dt.date, unit: Any) -> int:
        record = SupportRecord.objects.create(
            person=p, support_type=kind, department=dept, org_unit=unit, date=day
        )
        return int(record.pk)

    march, june = dt.date(2025, 3, 1), dt.date(2025, 6, 1)
    a = person(1, (march, west))  # two supports: the earlier one counts
    support(a, june, east)
    a_first = support(a, march, west)
    b = person(2, (june, east))  # two on the same day: the one recorded first counts
    b_first = support(b, june, east)
    support(b, june, west)
    person(3, None)  # never supported

    apps = _migrate(AFTER)
    SupportRecord = apps.get_model("entrepreneurs", "SupportRecord")
    assert set(SupportRecord.objects.filter(first=True).values_list("pk", flat=True)) == {
        a_first,
        b_first,
    }
    assert SupportRecord.objects.filter(first=False).count() == 2
    # And back: the person's columns are filled again from the marked records.
    apps = _migrate(BEFORE)
    Person = apps.get_model("entrepreneurs", "Person")
    assert sorted(
        Person.objects.filter(name__startswith="迁移").values_list(
            "name", "first_supported_on", "first_support_district__code"
        )
    ) == [("迁移1", march, "379902"), ("迁移2", june, "379901"), ("迁移3", None, None)]
    _migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
