"""Template filters for money on the statement, summary and trend pages (integer cents in)."""

from django import template

from payouts.statements import usd

register = template.Library()


@register.filter
def dollars(cents) -> str:
    """12345 -> "$123.45", -5 -> "-$0.05"; empty for None."""
    if cents is None or cents == "":
        return ""
    text = usd(int(cents))
    return f"-${text[1:]}" if text.startswith("-") else f"${text}"


@register.filter
def account_amount(amounts: dict, kind: str) -> int | str:
    """An entry's amount on one account, or "" when it did not touch it."""
    return amounts.get(kind, "")
