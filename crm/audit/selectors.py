from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from .models import AuditEntry


def audit_for_record(*, instance) -> QuerySet[AuditEntry]:
    ct = ContentType.objects.get_for_model(instance, for_concrete_model=True)
    return AuditEntry.objects.filter(content_type=ct, object_id=str(instance.pk)).select_related("actor")


def audit_search(*, query: str = "", action: str = "", actor_id: int | None = None) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.select_related("actor", "content_type")
    if query:
        condition = Q(object_repr__icontains=query) | Q(actor_name__icontains=query) | Q(request_id=query)
        if _looks_like_ip(query):
            condition |= Q(ip=query)
        qs = qs.filter(condition)
    if action:
        qs = qs.filter(action=action)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    return qs


def _looks_like_ip(value: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
