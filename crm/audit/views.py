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
    _mark_undoable_merges(request.user, page.object_list)
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


def _mark_undoable_merges(user, entries) -> None:
    """Give each merge on the page that this user may still undo its ``undo_url``."""
    from crm.core.merge import is_merge_entry, may_undo_merge, merge_undo_blocker
    from crm.core.views.merge import merge_undo_url

    for entry in entries:
        entry.undo_url = None
        if is_merge_entry(entry) and may_undo_merge(user, entry) and merge_undo_blocker(entry) is None:
            entry.undo_url = merge_undo_url(entry)
