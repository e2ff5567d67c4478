"""Separated system, security and audit administrators (三员分立) in the back office."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django_otp.plugins.otp_totp.models import TOTPDevice

from chuangye.accounts import lockout
from chuangye.accounts.models import User
from chuangye.core import audit
from chuangye.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _action(client: Any, name: str, users: list[Any]) -> Any:
    return client.post(
        "/admin/accounts/user/",
        {"action": name, "_selected_action": [u.pk for u in users], "index": 0},
    )


def test_groups_carry_the_permissions_of_each_administrator() -> None:
    def perms(name: str) -> set[str]:
        group = Group.objects.get(name=name)
        return set(group.permissions.values_list("codename", flat=True))

    assert {"change_user", "add_membership", "change_department"} <= perms("系统管理员")
    assert not any("auditentry" in p for p in perms("系统管理员"))
    assert {"unlock_login", "reset_password", "view_securityauditentry"} <= perms("安全管理员")
    assert "change_user" not in perms("安全管理员")
    assert perms("审计管理员") == {"view_auditentry"}


def test_system_administrator_manages_users_but_cannot_read_the_audit_log(
    personas: Any, verified: Any
) -> None:
    client = verified("sysadmin")
    sysadmin = personas["sysadmin"]
    assert not sysadmin.is_staff and sysadmin.has_perm("accounts.change_user")
    assert client.get("/admin/").status_code == 200
    reporter = personas["reporter_huancui"]
    page = client.get(f"/admin/accounts/user/{reporter.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="display_name"' in html and 'name="is_superuser"' not in html
    assert client.get("/admin/core/auditentry/").status_code == 403
    assert client.get("/admin/accounts/securityauditentry/").status_code == 403
    assert client.get("/audit/").status_code == 404
    assert client.get("/api/v1/audit-entries/").json()["count"] == 0
    # No widening of powers: administrator roles are not grantable, administrators not editable.
    form = client.get("/admin/accounts/membership/add/").content.decode()
    assert 'value="reporter"' in form
    for role in ["auditor", "security_admin", "sys_admin", "admin"]:
        assert f'value="{role}"' not in form
    admin_user = personas["admin"]
    posted = client.post(f"/admin/accounts/user/{admin_user.pk}/change/", {"username": "x"})
    assert posted.status_code == 403
    assert client.get(f"/admin/accounts/user/{reporter.pk}/password/").status_code == 403


def test_auditor_reads_the_audit_log_but_cannot_change_users(personas: Any, verified: Any) -> None:
    client = verified("auditor")
    assert client.get("/admin/core/auditentry/").status_code == 200
    assert client.get("/audit/").status_code == 200
    reporter = personas["reporter_huancui"]
    assert client.get("/admin/accounts/user/").status_code == 403
    response = client.post(
        f"/admin/accounts/user/{reporter.pk}/change/",
        {"username": reporter.username, "display_name": "改过的名字"},
    )
    assert response.status_code == 403
    reporter.refresh_from_db()
    assert reporter.display_name == "演示·环翠区填报员"


def test_nobody_edits_or_deletes_audit_entries(personas: Any, verified: Any) -> None:
    entry = audit.record("test.entry", actor=None, after={"v": 1})
    client = verified("admin")
    assert client.get(f"/admin/core/auditentry/{entry.pk}/change/").status_code == 200
    changed = client.post(f"/admin/core/auditentry/{entry.pk}/change/", {"action": "x"})
    assert changed.status_code == 403
    assert client.post(f"/admin/core/auditentry/{entry.pk}/delete/").status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).action == "test.entry"


def test_security_administrator_sees_sign_in_records_only(personas: Any, verified: Any) -> None:
    audit.record("plans.measure.update", actor=None, object_repr="不属于安全审计")
    audit.record("accounts.login.failed", actor=None, object_repr="登录失败记录")
    client = verified("secadmin")
    page = client.get("/admin/accounts/securityauditentry/").content.decode()
    assert "登录失败记录" in page and "不属于安全审计" not in page
    assert client.get("/admin/core/auditentry/").status_code == 403
    assert client.get("/audit/").status_code == 404
    reporter = personas["reporter_huancui"]
    assert client.get("/admin/accounts/user/").status_code == 200
    changed = client.post(
        f"/admin/accounts/user/{reporter.pk}/change/",
        {"username": reporter.username, "display_name": "改过的名字"},
    )
    assert changed.status_code == 403


def test_security_administrator_unlocks_resets_2fa_and_passwords(
    personas: Any, verified: Any
) -> None:
    client = verified("secadmin")
    reporter = personas["reporter_huancui"]
    for i in range(5):
        lockout.register_failure("reporter_huancui", f"10.9.0.{i}")
    assert lockout.user_locked_until("reporter_huancui") is not None

    _action(client, "unlock_login", [reporter])
    assert lockout.user_locked_until("reporter_huancui") is None
    assert AuditEntry.objects.filter(action="accounts.lockout.unlock").exists()

    _action(client, "reset_second_factor", [reporter])
    assert not TOTPDevice.objects.filter(user=reporter).exists()

    response = _action(client, "reset_password", [reporter])
    assert response.status_code == 200
    rows = response.context["rows"]
    temporary = rows[0][1]
    reporter.refresh_from_db()
    assert reporter.check_password(temporary) and reporter.password_changed_at is None
    assert AuditEntry.objects.filter(action="accounts.password.reset").exists()
    assert temporary not in str(list(AuditEntry.objects.values_list("after", flat=True)))

    # Administrators are a superuser's to reset: the security administrator is refused.
    admin_user = personas["admin"]
    _action(client, "reset_password", [admin_user])
    admin_user.refresh_from_db()
    assert admin_user.password_changed_at is not None
    assert TOTPDevice.objects.filter(user=admin_user).exists()


def test_a_user_the_system_administrator_creates_must_change_the_password(
    personas: Any, verified: Any
) -> None:
    client = verified("sysadmin")
    response = client.post(
        "/admin/accounts/user/add/",
        {
            "username": "newhire",
            "password1": "Start-Passw0rd#",
            "password2": "Start-Passw0rd#",
            "usable_password": "true",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    newhire = User.objects.get(username="newhire")
    assert newhire.password_changed_at is None and not newhire.is_staff
    assert AuditEntry.objects.filter(action="admin.accounts.user.create").exists()


def test_back_office_signs_out_and_changes_passwords_through_the_platform(
    personas: Any, verified: Any
) -> None:
    client = verified("sysadmin")
    assert client.get("/admin/password_change/")["Location"] == "/account/password/"
    response = client.post("/admin/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert AuditEntry.objects.filter(action="accounts.logout").exists()
    assert "_auth_user_id" not in client.session
