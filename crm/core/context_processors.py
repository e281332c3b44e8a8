from django.conf import settings
from django.urls import NoReverseMatch, reverse

from .registry import nav_items


def shell(request):
    user = getattr(request, "user", None)
    items = []
    if user is not None and user.is_authenticated:
        path = request.path
        for item in nav_items():
            if item.admin_only and not user.is_crm_admin:
                continue
            if item.permission and not user.has_perm(item.permission):
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            active = path == url if url == "/" else path.startswith(url)
            items.append(
                {"label": item.label, "url": url, "icon": item.icon, "section": item.section, "active": active}
            )
    return {"nav": items, "DEFAULT_CURRENCY": settings.DEFAULT_CURRENCY}
