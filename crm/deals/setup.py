"""Administrators set up pipelines and their stages here, without code. Every
change goes through the services in services.py and is audited."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.core.errors import PermissionDeniedError, ServiceError

from . import services
from .forms import PipelineForm, StageForm
from .models import Deal, Pipeline, Stage


def _admin_only(request) -> None:
    if not request.user.is_crm_admin:
        raise PermissionDenied


def _form_error(form, exc: ServiceError) -> None:
    placed = False
    for name, errors in exc.fields.items():
        for error in errors:
            form.add_error(name if name in form.fields else None, error)
            placed = True
    if not placed:
        form.add_error(None, str(exc.message))


@login_required
def pipeline_list(request):
    _admin_only(request)
    pipelines = Pipeline.objects.annotate(
        stage_count=Count("stages", distinct=True),
    ).order_by("position", "id")
    open_counts = dict(Deal.objects.filter(status="open").order_by().values_list("pipeline_id").annotate(n=Count("pk")))
    rows = [{"pipeline": p, "open_deals": open_counts.get(p.pk, 0)} for p in pipelines]
    return render(request, "deals/pipeline_list.html", {"rows": rows})


@login_required
def pipeline_edit(request, pk: int | None = None):
    _admin_only(request)
    pipeline = get_object_or_404(Pipeline, pk=pk) if pk else None
    form = PipelineForm(request.POST or None, instance=pipeline)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = {k: form.cleaned_data[k] for k in ("name_en", "name_zh", "active", "stale_after_days")}
            if form.cleaned_data.get("is_default") and not (pipeline and pipeline.is_default):
                data["is_default"] = True
            try:
                if pipeline is None:
                    saved = services.pipeline_create(actor=request.user, data=data)
                    messages.success(request, _("%(name)s was created.") % {"name": saved})
                else:
                    saved = services.pipeline_update(pipeline=pipeline, actor=request.user, data=data)
                    messages.success(request, _("Your changes to %(name)s were saved.") % {"name": saved})
                return HttpResponseRedirect(reverse("deals:pipeline_edit", args=[saved.pk]))
            except PermissionDeniedError:
                raise PermissionDenied from None
            except ServiceError as exc:
                _form_error(form, exc)
        status = 400
    stages = []
    if pipeline is not None:
        counts = dict(
            Deal.all_objects.filter(pipeline=pipeline).order_by().values_list("stage_id").annotate(n=Count("pk"))
        )
        binned = dict(
            Deal.all_objects.filter(pipeline=pipeline, deleted_at__isnull=False)
            .order_by()
            .values_list("stage_id")
            .annotate(n=Count("pk"))
        )
        for stage in Stage.objects.filter(pipeline=pipeline).order_by("position", "id"):
            stages.append({"stage": stage, "deals": counts.get(stage.pk, 0), "binned": binned.get(stage.pk, 0)})
    context = {"form": form, "pipeline": pipeline, "stages": stages}
    return render(request, "deals/pipeline_form.html", context, status=status)


@login_required
@require_POST
def pipeline_make_default(request, pk: int):
    _admin_only(request)
    pipeline = get_object_or_404(Pipeline, pk=pk)
    try:
        services.pipeline_set_default(pipeline=pipeline, actor=request.user)
        messages.success(request, _("%(name)s is now the default pipeline.") % {"name": pipeline})
    except ServiceError as exc:
        messages.error(request, " ".join(str(e) for v in exc.fields.values() for e in v) or str(exc.message))
    return HttpResponseRedirect(reverse("deals:pipeline_list"))


@login_required
@require_POST
def stages_reorder(request, pk: int):
    """Move one stage up or down (buttons, so it works on a phone and without a mouse)."""
    _admin_only(request)
    pipeline = get_object_or_404(Pipeline, pk=pk)
    ids = list(Stage.objects.filter(pipeline=pipeline).order_by("position", "id").values_list("pk", flat=True))
    try:
        stage_id = int(request.POST.get("stage", ""))
        i = ids.index(stage_id)
    except ValueError:
        messages.error(request, _("Select a valid choice. That choice is not one of the available choices."))
        return HttpResponseRedirect(reverse("deals:pipeline_edit", args=[pk]))
    j = i - 1 if request.POST.get("direction") == "up" else i + 1
    if 0 <= j < len(ids):
        ids[i], ids[j] = ids[j], ids[i]
        services.stages_reorder(pipeline=pipeline, actor=request.user, stage_ids=ids)
        messages.success(request, _("The order of the stages was saved."))
    return HttpResponseRedirect(reverse("deals:pipeline_edit", args=[pk]))


@login_required
def stage_edit(request, pk: int | None = None, stage_pk: int | None = None):
    _admin_only(request)
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=stage_pk) if stage_pk else None
    pipeline = stage.pipeline if stage else get_object_or_404(Pipeline, pk=pk)
    form = StageForm(request.POST or None, instance=stage)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = {k: form.cleaned_data[k] for k in StageForm.Meta.fields}
            try:
                if stage is None:
                    saved = services.stage_create(actor=request.user, pipeline=pipeline, data=data)
                    messages.success(request, _("%(name)s was created.") % {"name": saved})
                else:
                    saved = services.stage_update(stage=stage, actor=request.user, data=data)
                    messages.success(request, _("Your changes to %(name)s were saved.") % {"name": saved})
                return HttpResponseRedirect(reverse("deals:pipeline_edit", args=[pipeline.pk]))
            except PermissionDeniedError:
                raise PermissionDenied from None
            except ServiceError as exc:
                _form_error(form, exc)
        status = 400
    context = {"form": form, "stage": stage, "pipeline": pipeline}
    return render(request, "deals/stage_form.html", context, status=status)


@login_required
@require_POST
def stage_delete(request, stage_pk: int):
    _admin_only(request)
    stage = get_object_or_404(Stage, pk=stage_pk)
    pipeline_id = stage.pipeline_id
    try:
        services.stage_delete(stage=stage, actor=request.user)
        messages.success(request, _("The stage %(name)s was deleted.") % {"name": stage})
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    return HttpResponseRedirect(reverse("deals:pipeline_edit", args=[pipeline_id]))
