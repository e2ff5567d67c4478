import pytest

from chuangye.core import audit
from chuangye.core.context import current_ip
from chuangye.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_record_chains_each_entry_to_the_previous() -> None:
    first = audit.record("test.one", actor=None, object_type="x", object_id="1", after={"a": 1})
    second = audit.record("test.two", actor=None, object_type="x", object_id="1", after={"a": 2})
    assert second.prev_hash == first.hash
    assert audit.verify_chain() == []


def test_record_keeps_the_client_ip_of_the_request() -> None:
    token = current_ip.set("10.1.2.3")
    try:
        entry = audit.record("test.ip", actor=None)
    finally:
        current_ip.reset(token)
    assert AuditEntry.objects.get(pk=entry.pk).ip == "10.1.2.3"


def test_entries_cannot_be_changed_or_deleted_through_the_model() -> None:
    entry = audit.record("test.lock", actor=None)
    entry.action = "test.changed"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.lock"


def test_verify_chain_detects_a_row_edited_behind_the_model() -> None:
    audit.record("test.a", actor=None, after={"v": 1})
    target = audit.record("test.b", actor=None, after={"v": 2})
    audit.record("test.c", actor=None, after={"v": 3})
    AuditEntry.objects.filter(pk=target.pk).update(after={"v": 999})
    assert audit.verify_chain() == [target.pk]
