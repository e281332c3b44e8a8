from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from crm.core.pagination import paginate, parse_int

from .models import AuditEntry
from .selectors import audit_search


@login_required
def audit_log(request):
    """The whole log, searchable by record, user, IP or request id. Administrators only."""
    if not request.user.is_crm_admin:
        raise PermissionDenied
    query = request.GET.get("q", "")[:200].strip()
    action = request.GET.get("action", "")
    if action not in AuditEntry.Action.values:
        action = ""
    qs = audit_search(query=query, action=action)
    page = paginate(qs, page=request.GET.get("page"), per_page=parse_int(request.GET.get("per_page"), 50))
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "audit/log.html",
        {
            "page": page,
            "query": query,
            "action": action,
            "actions": AuditEntry.Action.choices,
            "params": params.urlencode(),
        },
    )
