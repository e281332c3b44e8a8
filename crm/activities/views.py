from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.translation import gettext as _

from crm.core.errors import ConflictError, PermissionDeniedError, ServiceError
from crm.core.views.generic import RecordPages
from crm.core.visibility import can_access, get_visible_or_404

from . import services
from .filtersets import ActivityFilterSet
from .forms import SHOWN_FOR, ActivityForm, CompleteTaskForm
from .models import Activity
from .quicklog import activity_log
from .tables import ActivityTable

DETAIL_FIELDS = [
    "kind",
    "subject",
    "occurred_at",
    "due_at",
    "done",
    "done_at",
    "priority",
    "remind_minutes_before",
    "direction",
    "duration_minutes",
    "outcome",
    "end_at",
    "place",
    "company",
    "contact",
    "deal",
    "lead",
    "owner",
    "created_at",
    "updated_at",
]
TASK_ONLY = ("done", "done_at")


class ActivityPages(RecordPages):
    def detail_fields_for(self, obj) -> list[str]:
        """Only the fields of the activity's kind; the details (body) have a panel of their own."""
        names = [name for name in self.detail_fields if name not in TASK_ONLY or obj.is_task]
        names = [name for name in names if name not in SHOWN_FOR or obj.kind in SHOWN_FOR[name]]
        model_fields = {f.name for f in Activity._meta.get_fields()}
        return [name for name in names if name in model_fields]


activity_pages = ActivityPages(
    model=Activity,
    filterset=ActivityFilterSet,
    table=ActivityTable,
    form=ActivityForm,
    create=activity_log,
    update=services.activity_update,
    delete=services.activity_delete,
    detail_fields=DETAIL_FIELDS,
    detail_template="activities/activity_detail.html",
    form_template="activities/activity_form.html",
    slug="activities",
)


@login_required
def activity_complete_view(request, pk: int):
    """Mark a task done, with the follow-up task if one is given."""
    if not request.user.has_perm("activities.change_activity"):
        raise PermissionDenied
    task = get_visible_or_404(request.user, Activity, pk=pk)
    if not can_access(request.user, task, "write"):
        raise PermissionDenied
    if not task.is_task or task.done:
        messages.info(
            request, _("This task is already done.") if task.is_task else _("Only a task can be marked done.")
        )
        return HttpResponseRedirect(task.get_absolute_url())
    form = CompleteTaskForm(request.POST or None, initial={"version": task.version})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                _done, follow_up = services.activity_complete(
                    activity=task,
                    actor=request.user,
                    follow_up=form.follow_up(),
                    expected_version=form.cleaned_data.get("version"),
                )
            except ConflictError as exc:
                form.add_error(None, str(exc.message))
                status = 409
            except PermissionDeniedError:
                raise PermissionDenied from None
            except ServiceError as exc:
                for name, found in exc.fields.items():
                    target = {"follow_up.subject": "follow_up_subject", "follow_up.due_at": "follow_up_due"}.get(name)
                    for message in found:
                        form.add_error(target, message)
                if not exc.fields:
                    form.add_error(None, str(exc.message))
            else:
                messages.success(request, _("%(name)s is done.") % {"name": task})
                target = follow_up or task
                return HttpResponseRedirect(target.get_absolute_url())
    return render(request, "activities/activity_complete.html", {"form": form, "object": task}, status=status)
