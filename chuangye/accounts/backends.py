"""Authentication backend: a user's active administrator roles bring their group's permissions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

from chuangye.accounts.choices import ROLE_GROUPS


class RoleBackend(ModelBackend):
    """Django's backend, plus the permissions of the groups named by the user's active roles.

    Membership rows are where roles live (and are audited); the groups of migration 0003 say
    what each administrator role may do, so granting the role is all it takes.
    """

    def _get_group_permissions(self, user_obj: Any) -> QuerySet[Permission]:
        roles = user_obj.memberships.filter(active=True, role__in=list(ROLE_GROUPS)).values_list(
            "role", flat=True
        )
        names = [ROLE_GROUPS[role] for role in roles]
        return Permission.objects.filter(
            Q(group__in=user_obj.groups.all()) | Q(group__name__in=names)
        ).distinct()
