"""Every write to accounts: reference data, users and memberships."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from chuangye.accounts import lockout, twofactor
from chuangye.accounts.choices import DepartmentLevel, Role
from chuangye.accounts.models import Department, Membership, OrgUnit, User
from chuangye.accounts.passwords import temporary_password
from chuangye.accounts.reference import DEPARTMENTS, ORG_UNITS
from chuangye.core import audit

#: District counterparts of the city departments that districts staff (e.g. 环翠区人社局).
DISTRICT_COUNTERPARTS: tuple[tuple[str, str], ...] = (
    ("rsj", "人社局"),
    ("scjgj", "市场监管局"),
    ("gxj", "工信局"),
    ("czj", "财政局"),
)


@transaction.atomic
def ensure_reference_data(*, actor: Any = None) -> tuple[int, int]:
    """Create or update the org units and departments of the city; return (units, departments)."""
    units: dict[str, OrgUnit] = {}
    for order, ref in enumerate(ORG_UNITS):
        unit, _ = OrgUnit.objects.update_or_create(
            code=ref.code,
            defaults={
                "name": ref.name,
                "short_name": ref.short_name,
                "kind": ref.kind,
                "parent": units.get(ref.parent) if ref.parent else None,
                "order": order,
            },
        )
        units[ref.code] = unit
    city = next(u for u in units.values() if u.parent_id is None)
    count = 0
    city_departments: dict[str, Department] = {}
    for order, dref in enumerate(DEPARTMENTS):
        dept, _ = Department.objects.update_or_create(
            code=dref.code,
            defaults={
                "name": dref.name,
                "aliases": list(dref.aliases),
                "level": DepartmentLevel.CITY,
                "org_unit": city,
                "order": order,
            },
        )
        city_departments[dref.code] = dept
        count += 1
    for unit in units.values():
        if unit.parent_id is None:
            continue
        for order, (code, suffix) in enumerate(DISTRICT_COUNTERPARTS):
            Department.objects.update_or_create(
                code=f"{unit.code}-{code}",
                defaults={
                    "name": f"{unit.short_name}{suffix}",
                    "aliases": [f"{unit.name}{suffix}"],
                    "level": DepartmentLevel.DISTRICT,
                    "org_unit": unit,
                    "counterpart": city_departments[code],
                    "order": order,
                },
            )
            count += 1
    audit.record(
        "accounts.reference.ensure",
        actor=actor,
        object_type="accounts.reference",
        object_repr="行政区划与部门名录",
        after={"org_units": len(units), "departments": count},
    )
    return len(units), count


@transaction.atomic
def create_user(
    username: str,
    *,
    actor: Any,
    password: str | None,
    display_name: str = "",
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Create an account (an unusable password when ``password`` is None)."""
    user = User(
        username=username,
        display_name=display_name,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    audit.record(
        "accounts.user.create",
        actor=actor,
        obj=user,
        after={"username": username, "is_staff": is_staff, "is_superuser": is_superuser},
    )
    return user


@transaction.atomic
def grant_role(
    user: User,
    role: str,
    *,
    actor: Any,
    department: Department | None = None,
    org_unit: OrgUnit | None = None,
) -> Membership:
    """Give ``user`` a role in a department or an org unit (idempotent)."""
    if department is None and org_unit is None:
        raise ValueError("a membership needs a department or an org unit")
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    membership, created = Membership.objects.get_or_create(
        user=user, role=role, department=department, org_unit=org_unit
    )
    if created:
        audit.record(
            "accounts.membership.grant",
            actor=actor,
            obj=membership,
            after={
                "user": user.username,
                "role": role,
                "department": department.code if department else None,
                "org_unit": org_unit.code if org_unit else None,
            },
        )
    return membership


@transaction.atomic
def grant_permission(user: User, perm: str, *, actor: Any) -> None:
    """Give a user one Django permission (``app_label.codename``), e.g. to unmask personal data."""
    from django.contrib.auth.models import Permission

    app_label, codename = perm.split(".", 1)
    permission = Permission.objects.get(content_type__app_label=app_label, codename=codename)
    if user.user_permissions.filter(pk=permission.pk).exists():
        return
    user.user_permissions.add(permission)
    audit.record("accounts.permission.grant", actor=actor, obj=user, after={"permission": perm})


# --- sign-in, passwords, second factor and API tokens ----------------------------------------

#: Audit action prefixes a security administrator reads (``SecurityAuditEntry``).
SECURITY_AUDIT_PREFIXES: tuple[str, ...] = (
    "accounts.login.",
    "accounts.logout",
    "accounts.otp.",
    "accounts.password.",
    "accounts.lockout.",
    "accounts.token.",
)


def _user_named(username: str) -> User | None:
    return User.objects.filter(username=username).first() if username else None


@transaction.atomic
def record_login_failure(username: str, *, locked: bool, channel: str = "web") -> None:
    """Audit a failed sign-in (and the lock it triggered). The attempted name is kept, no secret."""
    user = _user_named(username)
    name = username[:150]
    details = {"username": name, "channel": channel}
    kwargs: dict[str, Any] = (
        {"obj": user} if user else {"object_type": "accounts.user", "object_repr": name}
    )
    audit.record("accounts.login.failed", actor=None, after=details, **kwargs)
    if locked:
        audit.record(
            "accounts.login.locked", actor=None, after={**details, "reason": "threshold"}, **kwargs
        )


@transaction.atomic
def record_login_refused(username: str, *, channel: str = "web") -> None:
    """Audit an attempt refused because the username or the client IP is locked."""
    user = _user_named(username)
    name = username[:150]
    kwargs: dict[str, Any] = (
        {"obj": user} if user else {"object_type": "accounts.user", "object_repr": name}
    )
    audit.record(
        "accounts.login.locked",
        actor=None,
        after={"username": name, "channel": channel, "reason": "refused"},
        **kwargs,
    )


@transaction.atomic
def record_login_success(user: User, *, channel: str = "web") -> None:
    audit.record("accounts.login.success", actor=None, obj=user, after={"channel": channel})


@transaction.atomic
def record_logout(user: User) -> None:
    audit.record("accounts.logout", actor=user, obj=user)


@transaction.atomic
def change_password(user: User, new_password: str, *, actor: Any) -> None:
    """Set a new password chosen by its holder; their API tokens stop working."""
    user.set_password(new_password)
    user.save(update_fields=["password", "password_changed_at"])
    Token.objects.filter(user=user).delete()
    audit.record("accounts.password.change", actor=actor, obj=user)


@transaction.atomic
def reset_password(user: User, *, actor: Any) -> str:
    """Give ``user`` a temporary password they must change at next sign-in; return it once."""
    password = temporary_password()
    user.set_password(password)
    user.password_changed_at = None
    user.save(update_fields=["password", "password_changed_at"])
    Token.objects.filter(user=user).delete()
    audit.record("accounts.password.reset", actor=actor, obj=user)
    return password


@transaction.atomic
def record_password_set_by_admin(user: User, *, actor: Any) -> None:
    """Audit a password an administrator typed in the back office (the form saved it)."""
    audit.record("accounts.password.reset", actor=actor, obj=user, after={"via": "admin"})


@transaction.atomic
def unlock_login(*, actor: Any, user: User | None = None, ip: str = "") -> None:
    """Lift a sign-in lock on a user and/or a client IP."""
    lockout.unlock(username=user.username if user else "", ip=ip)
    audit.record(
        "accounts.lockout.unlock",
        actor=actor,
        obj=user,
        object_type="" if user else "accounts.lockout",
        object_repr="" if user else ip,
        after={"username": user.username if user else None, "ip": ip or None},
    )


@transaction.atomic
def start_enrolment(user: User) -> Any:
    """Return the user's unconfirmed authenticator, creating one with a fresh secret."""
    device = twofactor.pending_device(user)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=twofactor.TOTP_NAME, confirmed=False)
    return device


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=twofactor.RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(twofactor.RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


@transaction.atomic
def confirm_enrolment(user: User, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the authenticator with a code it shows; return 10 new recovery codes, or None."""
    if device.user_id != user.pk or device.confirmed:
        return None
    code = "".join(code.split())
    if not (len(code) == 6 and code.isdigit() and device.verify_token(code)):
        return None
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_recovery_codes(user)
    audit.record("accounts.otp.enrol", actor=user, obj=user)
    return codes


@transaction.atomic
def regenerate_recovery_codes(user: User, *, actor: Any) -> list[str]:
    """Replace the user's recovery codes (the old ones stop working)."""
    codes = _new_recovery_codes(user)
    audit.record("accounts.otp.recovery_codes", actor=actor, obj=user)
    return codes


@transaction.atomic
def install_totp_device(user: User, key_hex: str, *, actor: Any) -> Any:
    """Give ``user`` a confirmed authenticator with a known key (demo personas only)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is not None:
        return device
    device = TOTPDevice.objects.create(
        user=user, name=twofactor.TOTP_NAME, key=key_hex, confirmed=True
    )
    audit.record("accounts.otp.enrol", actor=actor, obj=user, after={"demo": True})
    return device


@transaction.atomic
def reset_second_factor(user: User, *, actor: Any) -> None:
    """Remove the user's authenticator and recovery codes; they enrol again at next sign-in."""
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    audit.record("accounts.otp.reset", actor=actor, obj=user)


@transaction.atomic
def record_otp_result(
    user: User, *, ok: bool, recovery: bool = False, locked: bool = False
) -> None:
    if ok:
        action = "accounts.otp.recovery_used" if recovery else "accounts.otp.verify"
        audit.record(action, actor=user, obj=user)
        return
    audit.record("accounts.otp.failed", actor=user, obj=user)
    if locked:
        audit.record(
            "accounts.login.locked",
            actor=None,
            obj=user,
            after={"username": user.username, "channel": "otp", "reason": "threshold"},
        )


def token_expired(token: Any) -> bool:
    """Tokens live ``TOKEN_TTL_HOURS`` from issue (0 switches expiry off)."""
    hours = float(getattr(settings, "TOKEN_TTL_HOURS", 12))
    return hours > 0 and token.created <= timezone.now() - dt.timedelta(hours=hours)


@transaction.atomic
def issue_token(user: User) -> Any:
    """Return the user's API token, replacing one that has expired."""
    token = Token.objects.filter(user=user).first()
    if token is not None and token_expired(token):
        token.delete()
        token = None
    if token is None:
        token = Token.objects.create(user=user)
    record_login_success(user, channel="api")
    return token


@transaction.atomic
def revoke_token(user: User, *, actor: Any) -> int:
    """Delete the user's API token; return how many were deleted."""
    deleted, _ = Token.objects.filter(user=user).delete()
    audit.record("accounts.token.revoke", actor=actor, obj=user, after={"deleted": deleted})
    return deleted


def token_expires_at(token: Any) -> dt.datetime | None:
    hours = float(getattr(settings, "TOKEN_TTL_HOURS", 12))
    return token.created + dt.timedelta(hours=hours) if hours > 0 else None
