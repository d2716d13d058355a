"""Small display helpers for the hub's templates."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()


@register.filter
def tokens(value: int | None) -> str:
    """128000 -> "128k", 131072 -> "128k", 2000000 -> "2M", 32760 -> "32,760", None -> "—"."""
    if value is None:
        return "—"
    for unit, suffix in ((1_000_000, "M"), (1_048_576, "M"), (1_000, "k"), (1_024, "k")):
        if value >= unit and value % unit == 0:
            return f"{value // unit}{suffix}"
    return f"{value:,}"


@register.filter
def thousands(value: int | None) -> str:
    return "—" if value is None else f"{value:,}"


@register.filter
def usd(value: Decimal | None) -> str:
    """Prices per million tokens: "$2.50", "$0.075", "free"."""
    if value is None:
        return "—"
    if value == 0:
        return "free"
    whole, _, decimals = f"{value:.4f}".rstrip("0").partition(".")
    return f"${whole}.{decimals.ljust(2, '0')}"


@register.filter
def cap(value: int | None, unlimited: str = "unlimited") -> str:
    return unlimited if value is None else f"{value:,}"
