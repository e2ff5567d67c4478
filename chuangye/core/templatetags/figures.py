"""Numbers as a reader in a Chinese office expects them: 5.28亿元, 1.53万人, 2,345."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template

register = template.Library()


@register.filter
def fig(value: Any, unit: str = "") -> str:
    """Format a figure with its unit, scaling 元 to 万元/亿元 and large counts to 万."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        return str(value)
    if unit == "元":
        if abs(number) >= 100_000_000:
            return f"{number / 100_000_000:,.2f}亿元"
        if abs(number) >= 10_000:
            return f"{number / 10_000:,.2f}万元"
        return f"{number:,.2f}元"
    if unit == "%":
        return f"{number:.2f}%"
    if number == number.to_integral_value():
        return f"{int(number):,}{unit}"
    return f"{number:,.2f}{unit}"
