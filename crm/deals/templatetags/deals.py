from django import template

from ..selectors import duration_text
from ..tables import money as money_text

register = template.Library()


@register.filter
def duration(seconds) -> str:
    return duration_text(seconds)


@register.filter
def money(value) -> str:
    return money_text(value)
