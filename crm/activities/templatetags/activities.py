from django import template
from django.utils.html import linebreaks

register = template.Library()


@register.filter
def activity_body(activity):
    """The activity's details for a page: a note's sanitised rich text as HTML (cleaned
    on every write by the services), any other kind's plain text escaped with its line
    breaks kept."""
    html = getattr(activity, "body_html", None)
    if html is not None:
        return html
    return linebreaks(activity.body or "", autoescape=True)
