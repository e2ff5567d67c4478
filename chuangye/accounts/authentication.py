"""API token authentication with expiry (``TOKEN_TTL_HOURS``), in one statement per request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import Field
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token

from chuangye.accounts.access import remember_access
from chuangye.accounts.models import Department, Membership, User

Converter = Callable[[Any, Any, Any], Any]


@dataclass(frozen=True)
class _Statement:
    """The token's holder and their active memberships, as one SQL statement for a database."""

    sql: str
    user_fields: list[Field[Any, Any]]
    # Per column of the token's ``created`` and then the user's: the database's and the
    # field's own conversions of a raw value, as the ORM applies them when it reads a row.
    converters: list[tuple[Any, list[Converter]]]


_statements: dict[str, _Statement] = {}


def _converters(field: Field[Any, Any], connection: Any) -> tuple[Any, list[Converter]]:
    col = field.get_col(field.model._meta.db_table)
    return col, [*connection.ops.get_db_converters(col), *col.get_db_converters(connection)]


def _statement(alias: str) -> _Statement:
    """Built once per database: the token, its user and one row per active membership.

    The ORM would take two queries (the token with its user, then the memberships) and more
    time composing them than the database takes to answer: this is every API request's
    first read.
    """
    found = _statements.get(alias)
    if found is not None:
        return found
    connection = connections[alias]
    q = connection.ops.quote_name

    def col(model: Any, name: str = "id") -> str:
        field = model._meta.get_field(name)
        return str(q(field.column))

    user_fields = list(User._meta.concrete_fields)
    created = Token._meta.get_field("created")
    columns = [
        f"t.{col(Token, 'created')}",
        *(f"u.{q(str(f.column))}" for f in user_fields),
        *(f"m.{col(Membership, name)}" for name in ("role", "org_unit", "department")),
        f"d.{col(Department, 'level')}",
        f"d.{col(Department, 'org_unit')}",
    ]
    sql = (
        f"SELECT {', '.join(columns)} "  # noqa: S608 - names from model meta, values bound
        f"FROM {q(Token._meta.db_table)} t "
        f"JOIN {q(User._meta.db_table)} u ON u.{col(User)} = t.{col(Token, 'user')} "
        f"LEFT JOIN {q(Membership._meta.db_table)} m "
        f"ON m.{col(Membership, 'user')} = u.{col(User)} AND m.{col(Membership, 'active')} = %s "
        f"LEFT JOIN {q(Department._meta.db_table)} d "
        f"ON d.{col(Department)} = m.{col(Membership, 'department')} "
        f"WHERE t.{col(Token, 'key')} = %s"
    )
    built = _Statement(
        sql,
        user_fields,
        [_converters(f, connection) for f in (created, *user_fields)],
    )
    _statements[alias] = built
    return built


def _convert(
    values: tuple[Any, ...], converters: list[tuple[Any, list[Converter]]], connection: Any
) -> list[Any]:
    out = []
    for value, (col, funcs) in zip(values, converters, strict=True):
        for func in funcs:
            value = func(value, col, connection)
        out.append(value)
    return out


def token_holder(key: str) -> tuple[Any, Any] | None:
    """(user, token) of ``key`` with the user's Access already kept on it, or None."""
    alias = Token.objects.db
    statement = _statement(alias)
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, [True, key])
        rows = cursor.fetchall()
    if not rows:
        return None
    width = 1 + len(statement.user_fields)
    created, *user_values = _convert(rows[0][:width], statement.converters, connection)
    user = User.from_db(alias, [f.attname for f in statement.user_fields], user_values)
    token = Token.from_db(alias, ["key", "user_id", "created"], [key, user.pk, created])
    token.user = user
    if user.is_active:
        remember_access(user, (row[width:] for row in rows if row[width] is not None))
    return user, token


class ExpiringTokenAuthentication(TokenAuthentication):
    """DRF's token authentication, refusing tokens older than the TTL (sign in again for one).

    The token, its user and the user's memberships (what every scoped read needs next) come
    from one statement.
    """

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        from chuangye.accounts.services import token_expired

        found = token_holder(key)
        if found is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        user, token = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        if token_expired(token):
            raise exceptions.AuthenticationFailed(_("令牌已过期，请重新获取。"))
        return user, token
