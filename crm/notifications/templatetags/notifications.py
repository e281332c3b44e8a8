from django import template
from django.db import DatabaseError

from ..selectors import BELL_CAP, bell_label, unread_count

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context, oob: bool = False):
    """The bell in the top bar with the unread count (one indexed query)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    try:
        count = unread_count(user=user, cap=BELL_CAP)
    except DatabaseError:
        # The error page of a failing database must still render: no count then.
        count = 0
    return {"show": True, "count": count, "label": bell_label(count), "oob": oob}
