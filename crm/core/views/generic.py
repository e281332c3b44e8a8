"""Generic pages for a record type, declared once per model.

    contact_pages = RecordPages(model=Contact, filterset=ContactFilterSet, table=ContactTable,
                                form=ContactForm, create=contact_create, update=contact_update)
    urlpatterns = contact_pages.urls()

gives list (filter, sort, columns, saved filters, capped pagination, bulk actions,
CSV export), detail with history, create, edit with optimistic locking, delete to
the recycle bin. HTMX requests get the fragment, full requests the page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from crm.audit.services import Action, audit_record

from .. import services as core_services
from ..customfields import custom_fields_for, display_value
from ..errors import ConflictError, PermissionDeniedError, ServiceError
from ..exports import FILE_CHUNK_BYTES, XLSX_CONTENT_TYPE, stream_csv, xlsx_file
from ..exports import FORMATS as EXPORT_FORMATS
from ..jobs import job_enqueue
from ..pagination import PAGE_SIZES, paginate, parse_int
from ..segments import segments_visible_to
from ..timeline import key_figures_for, quick_actions_for, related_panels_for, timeline_for
from ..visibility import can_access, get_visible_or_404, visible_to

BULK_LIMIT = 10_000
TIMELINE_LIMIT = 100


def is_htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


def safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


_pages_by_model: dict[str, RecordPages] = {}


def pages_for(model) -> RecordPages | None:
    """The pages declared for a model (the API's export uses their table and filters)."""
    return _pages_by_model.get(model._meta.label_lower)


@dataclass
class RecordPages:
    model: type
    filterset: type
    table: type
    form: type
    create: Callable | None = None
    update: Callable | None = None
    delete: Callable | None = None
    detail_fields: list[str] = field(default_factory=list)
    detail_template: str = "core/record_detail.html"
    form_template: str = "core/record_form.html"
    # Whether a record may be edited at all in its present state (a sent quote, say);
    # the detail page offers "Edit" only then. The service still decides on save.
    editable: Callable | None = None
    # Fields a bulk edit may set on many records at once (besides custom fields).
    bulk_fields: list[str] = field(default_factory=list)
    slug: str = ""  # the URL segment, e.g. "companies"; default: model name + "s"

    def __post_init__(self) -> None:
        _pages_by_model[self.opts.label_lower] = self

    # Names ---------------------------------------------------------------------
    @property
    def opts(self):
        return self.model._meta

    @property
    def app(self) -> str:
        return self.opts.app_label

    @property
    def name(self) -> str:
        return self.opts.model_name

    def url(self, action: str, *args) -> str:
        return reverse(f"{self.app}:{self.name}_{action}", args=args)

    def perm(self, action: str) -> str:
        return f"{self.app}.{action}_{self.name}"

    @property
    def list_name(self) -> str:
        return f"{self.app}.{self.name}"

    def detail_fields_for(self, obj) -> list[str]:
        """The fields the detail page shows for ``obj`` (a subclass may choose per record)."""
        return self.detail_fields

    def urls(self) -> list:
        n = self.name
        s = self.slug or f"{n}s"
        wrap = login_required
        return [
            path(f"{s}/", wrap(self.list_view), name=f"{n}_list"),
            path(f"{s}/new/", wrap(self.edit_view), name=f"{n}_add"),
            path(f"{s}/export/", wrap(self.export_view), name=f"{n}_export"),
            path(f"{s}/bulk/", wrap(require_POST(self.bulk_view)), name=f"{n}_bulk"),
            path(f"{s}/bulk-edit/", wrap(require_POST(self.bulk_edit_view)), name=f"{n}_bulk_edit"),
            path(f"{s}/merge/", wrap(self.merge_view), name=f"{n}_merge"),
            path(f"{s}/merge/undo/", wrap(require_POST(self.merge_undo_view)), name=f"{n}_merge_undo"),
            path(f"{s}/columns/", wrap(require_POST(self.columns_view)), name=f"{n}_columns"),
            path(f"{s}/<int:pk>/", wrap(self.detail_view), name=f"{n}_detail"),
            path(f"{s}/<int:pk>/edit/", wrap(self.edit_view), name=f"{n}_edit"),
            path(f"{s}/<int:pk>/delete/", wrap(self.delete_view), name=f"{n}_delete"),
            path(f"{s}/<int:pk>/history/", wrap(self.history_view), name=f"{n}_history"),
        ]

    def _require(self, request, action: str) -> None:
        if not request.user.has_perm(self.perm(action)):
            raise PermissionDenied

    # Services ------------------------------------------------------------------
    def _create(self, **kwargs):
        if self.create:
            return self.create(**kwargs)
        return core_services.record_create(model=self.model, **kwargs)

    def _update(self, **kwargs):
        if self.update:
            return self.update(**kwargs)
        return core_services.record_update(**kwargs)

    def _delete(self, **kwargs):
        if self.delete:
            return self.delete(**kwargs)
        return core_services.record_delete(**kwargs)

    # Reads ---------------------------------------------------------------------
    def filtered(self, request):
        base = visible_to(request.user, self.model)
        fs = self.filterset(request.GET or None, queryset=base, request=request)
        qs = fs.qs if fs.is_bound and fs.is_valid() else base
        return fs, qs

    def _chosen_columns(self, request) -> list[str] | None:
        if request.GET.get("columns"):
            return request.GET.get("columns").split(",")
        return (request.user.preferences or {}).get(f"columns:{self.list_name}")

    def _saved_filters(self, request):
        return segments_visible_to(request.user, list_name=self.list_name)

    def list_view(self, request):
        self._require(request, "view")
        fs, qs = self.filtered(request)
        table = self.table(self._chosen_columns(request))
        qs, sort = table.order_queryset(qs, request.GET.get("sort"))
        per_page = parse_int(request.GET.get("per_page"), 50)
        page = paginate(table.prepare(qs), page=request.GET.get("page"), per_page=per_page)
        params = request.GET.copy()
        params.pop("page", None)
        sort_params = params.copy()
        sort_params.pop("sort", None)
        filter_params = params.copy()
        for key in ("sort", "per_page", "columns"):
            filter_params.pop(key, None)
        rows = [{"record": obj, "cells": [(c, c.value(obj)) for c in table.visible]} for obj in page.object_list]
        context = {
            "pages": self,
            "opts": self.opts,
            "filterset": fs,
            "table": table,
            "rows": rows,
            "page": page,
            "sort": sort,
            "query": params.urlencode(),
            "sort_query": sort_params.urlencode(),
            "filter_query": filter_params.urlencode(),
            "page_sizes": PAGE_SIZES,
            "saved_filters": self._saved_filters(request),
            "list_name": self.list_name,
            "can_add": request.user.has_perm(self.perm("add")),
            "can_export": request.user.has_perm(self.perm("export")),
            "can_delete": request.user.has_perm(self.perm("delete")),
            "can_change": request.user.has_perm(self.perm("change")),
            "bulk_edit": bool(self.bulk_fields),
            "users": get_user_model().objects.filter(is_active=True).order_by("username"),
        }
        template = (
            "core/_list_results.html"
            if is_htmx(request) and request.headers.get("HX-Target") == "list-results"
            else "core/record_list.html"
        )
        return render(request, template, context)

    def detail_view(self, request, pk: int):
        self._require(request, "view")
        obj = get_visible_or_404(request.user, self.model, pk=pk)
        fields = []
        for name in self.detail_fields_for(obj):
            model_field = self.opts.get_field(name)
            value = getattr(obj, name)
            if getattr(model_field, "choices", None):
                value = getattr(obj, f"get_{name}_display")()
            elif isinstance(value, bool):
                value = _("Yes") if value else _("No")
            fields.append((model_field.verbose_name, value, name))
        custom = [
            (cf.label, display_value((obj.custom_fields or {}).get(cf.name))) for cf in custom_fields_for(self.model)
        ]
        context = {
            "pages": self,
            "opts": self.opts,
            "object": obj,
            "fields": fields,
            "custom": custom,
            "tags": list(obj.tags.all()),
            "figures": key_figures_for(obj, request.user),
            "panels": related_panels_for(obj, request.user),
            "quick_actions": quick_actions_for(obj, request.user),
            "can_edit": request.user.has_perm(self.perm("change"))
            and can_access(request.user, obj, "write")
            and (self.editable is None or self.editable(obj)),
            "can_delete": request.user.has_perm(self.perm("delete")) and can_access(request.user, obj, "write"),
        }
        return render(request, self.detail_template, context)

    def history_view(self, request, pk: int):
        self._require(request, "view")
        obj = get_visible_or_404(request.user, self.model, pk=pk)
        items = timeline_for(obj, request.user, limit=TIMELINE_LIMIT)
        return render(request, "core/_timeline.html", {"items": items, "object": obj, "limit": TIMELINE_LIMIT})

    # Writes --------------------------------------------------------------------
    def edit_view(self, request, pk: int | None = None):
        creating = pk is None
        self._require(request, "add" if creating else "change")
        obj = None
        if not creating:
            obj = get_visible_or_404(request.user, self.model, pk=pk)
            if not can_access(request.user, obj, "write"):
                raise PermissionDenied
        # A new record may start from a link (a company's "Add a contact"): the query
        # string fills the form's fields, which validate as always when it is sent.
        initial = {k: v for k, v in request.GET.items() if creating and k in self.form.base_fields}
        form = self.form(request.POST or None, instance=obj, user=request.user, initial=initial)
        conflict = None
        status = 200
        if request.method == "POST":
            if form.is_valid():
                kwargs = form.service_kwargs()
                try:
                    if creating:
                        saved = self._create(actor=request.user, **kwargs)
                        messages.success(request, _("%(name)s was created.") % {"name": saved})
                    else:
                        saved = self._update(
                            instance=obj,
                            actor=request.user,
                            expected_version=form.cleaned_data.get("version"),
                            **kwargs,
                        )
                        messages.success(request, _("Your changes to %(name)s were saved.") % {"name": saved})
                    return HttpResponseRedirect(saved.get_absolute_url())
                except ConflictError as exc:
                    conflict = self.model._default_manager.filter(pk=obj.pk).first()
                    form.add_error(None, str(exc.message))
                    status = 409
                except PermissionDeniedError:
                    raise PermissionDenied from None
                except ServiceError as exc:
                    form.add_service_error(exc)
                    status = 400
            else:
                status = 400
        context = {"pages": self, "opts": self.opts, "form": form, "object": obj, "conflict": conflict}
        if conflict is not None:
            context["conflict_fields"] = [
                (self.opts.get_field(n).verbose_name, getattr(conflict, n)) for n in form._meta.fields
            ]
        return render(request, self.form_template, context, status=status)

    def delete_view(self, request, pk: int):
        self._require(request, "delete")
        obj = get_visible_or_404(request.user, self.model, pk=pk)
        if not can_access(request.user, obj, "write"):
            raise PermissionDenied
        if request.method == "POST":
            self._delete(instance=obj, actor=request.user)
            messages.success(request, _("%(name)s was moved to the recycle bin.") % {"name": obj})
            return HttpResponseRedirect(self.url("list"))
        return render(request, "core/record_confirm_delete.html", {"pages": self, "opts": self.opts, "object": obj})

    def _bulk_selection(self, request):
        """The records a bulk action works on: the ticked ids, or every record the list's
        filters match (select_all); None (with a message) past BULK_LIMIT."""
        if request.POST.get("select_all") == "1":
            _fs, qs = self.filtered(request)
        else:
            ids = [i for i in request.POST.getlist("ids") if i.isdigit()]
            qs = visible_to(request.user, self.model).filter(pk__in=ids)
        qs = qs.order_by("pk")
        if qs[: BULK_LIMIT + 1].count() > BULK_LIMIT:
            messages.error(request, _("At most %(limit)s records at once; narrow the filter.") % {"limit": BULK_LIMIT})
            return None
        return qs

    def _bulk_done(self, request, done: int, skipped: list) -> None:
        messages.success(
            request, ngettext("%(done)s record updated.", "%(done)s records updated.", done) % {"done": done}
        )
        if skipped:
            messages.warning(
                request,
                ngettext(
                    "%(skipped)s record was skipped: you may not change it.",
                    "%(skipped)s records were skipped: you may not change them.",
                    len(skipped),
                )
                % {"skipped": len(skipped)},
            )

    def bulk_view(self, request):
        action = request.POST.get("action", "")
        back = safe_next(request, self.url("list"))
        qs = self._bulk_selection(request)
        if qs is None:
            return HttpResponseRedirect(back)
        actor = request.user
        if action == "delete":
            self._require(request, "delete")

            def apply(obj):
                self._delete(instance=obj, actor=actor)

        elif action == "owner":
            self._require(request, "change")
            owner = (
                get_user_model()
                .objects.filter(is_active=True, pk=parse_int(request.POST.get("owner"), 0, minimum=0))
                .first()
            )
            if owner is None:
                messages.error(request, _("Choose an owner."))
                return HttpResponseRedirect(back)

            def apply(obj):
                self._update(instance=obj, actor=actor, data={"owner": owner})

        elif action == "tag":
            self._require(request, "change")
            tag = (request.POST.get("tag") or "").strip()
            if not tag:
                messages.error(request, _("Enter a tag."))
                return HttpResponseRedirect(back)
            qs = qs.prefetch_related("tags")

            def apply(obj):
                self._update(instance=obj, actor=actor, data={}, tags=[t.name for t in obj.tags.all()] + [tag])

        else:
            messages.error(request, _("Choose an action."))
            return HttpResponseRedirect(back)
        try:
            done, skipped = core_services.records_bulk_apply(queryset=qs, actor=actor, apply=apply)
        except PermissionDeniedError:
            raise PermissionDenied from None
        except ServiceError as exc:
            messages.error(request, str(exc.message))
            return HttpResponseRedirect(back)
        self._bulk_done(request, done, skipped)
        return HttpResponseRedirect(back)

    def bulk_edit_view(self, request):
        """Set the same values on many records: the fields ticked on the form, the rest
        left as each record has them. All or nothing, through the update service."""
        from ..forms import BulkEditForm

        self._require(request, "change")
        back = safe_next(request, self.url("list"))
        qs = self._bulk_selection(request)
        if qs is None:
            return HttpResponseRedirect(back)
        applying = request.POST.get("apply") == "1"
        form = BulkEditForm(request.POST if applying else None, pages=self, user=request.user)
        status = 200
        if applying:
            if form.is_valid():
                data, custom = form.changes()
                try:
                    done, skipped = core_services.records_bulk_apply(
                        queryset=qs,
                        actor=request.user,
                        apply=lambda obj: self._update(
                            instance=obj, actor=request.user, data=data, custom_fields=custom or None
                        ),
                    )
                except PermissionDeniedError:
                    raise PermissionDenied from None
                except ServiceError as exc:
                    form.add_service_error(exc)
                    if exc.fields:  # which record refused, above the field's own message
                        form.add_error(None, str(exc.message))
                else:
                    self._bulk_done(request, done, skipped)
                    return HttpResponseRedirect(back)
            status = 400
        context = {
            "pages": self,
            "opts": self.opts,
            "form": form,
            "count": qs.count(),
            "ids": request.POST.getlist("ids"),
            "select_all": request.POST.get("select_all") == "1",
            "next": back,
            "action": request.get_full_path(),
        }
        return render(request, "core/record_bulk_edit.html", context, status=status)

    def merge_view(self, request):
        """Merge the records in ``?ids=1,2,3`` into one: choose the survivor and each value."""
        from .merge import merge_page

        return merge_page(self, request)

    def merge_undo_view(self, request):
        from .merge import merge_undo

        return merge_undo(self, request)

    def columns_view(self, request):
        from crm.accounts.services import user_set_preferences

        table = self.table()
        allowed = {c.name for c in table.all_columns}
        chosen = [c for c in request.POST.getlist("columns") if c in allowed]
        user_set_preferences(user=request.user, key=f"columns:{self.list_name}", value=chosen)
        return HttpResponseRedirect(safe_next(request, self.url("list")))

    def export_view(self, request):
        self._require(request, "export")
        fmt = (request.GET.get("format") or "csv").lower()
        if fmt not in EXPORT_FORMATS:
            return HttpResponseBadRequest(_("Unknown export format."))
        return self.export(request, fmt)

    def export_source(self, *, user, params):
        """The header and the rows of an export: what ``user`` sees of the list with
        ``params`` (its filters and sort), every column. Used by the download and by
        the background job alike."""
        _fs, qs = self.filtered(SimpleNamespace(user=user, GET=params))
        table = self.table()
        qs, _sort = table.order_queryset(qs, params.get("sort"))
        header = ["id"] + [str(c.label) for c in table.all_columns]
        return header, qs, table

    def export_filename(self, fmt: str) -> str:
        return f"{self.slug or self.name + 's'}.{fmt}"

    def export(self, request, fmt: str, *, api: bool = False):
        """The list as the user sees it (visibility, filters, sort), every column, as a
        CSV or XLSX download; audited. Shared by the export page and the API; the
        caller checks the export permission. An XLSX of more than
        EXPORT_BACKGROUND_ROWS rows is built by a job instead (the page goes to the
        job, the API answers 202 with its address)."""
        header, qs, table = self.export_source(user=request.user, params=request.GET)
        count = qs.count()
        params = request.GET.copy()
        params.pop("format", None)
        audit_record(
            action=Action.EXPORT,
            actor=request.user,
            object_repr=f"{self.opts.verbose_name_plural} ({count})",
            extra={"record_type": self.list_name, "rows": count, "filters": params.urlencode(), "format": fmt},
        )
        filename = self.export_filename(fmt)
        if fmt == "xlsx" and count > settings.EXPORT_BACKGROUND_ROWS:
            from ..tasks import export_file_job

            job = job_enqueue(
                kind="export_file",
                task=export_file_job,
                user=request.user,
                params={"list_name": self.list_name, "query": params.urlencode(), "format": fmt, "rows": count},
            )
            if api:
                return JsonResponse(
                    {
                        "job": str(job.pk),
                        "status_url": request.build_absolute_uri(reverse("job-detail", args=[job.pk])),
                        "download_url": request.build_absolute_uri(reverse("job-download", args=[job.pk])),
                    },
                    status=202,
                )
            status_url = reverse("core:job_detail", args=[job.pk])
            messages.info(
                request,
                ngettext(
                    "%(count)s row is being written to a file in the background. You may leave this page: "
                    "the download waits under Background jobs.",
                    "%(count)s rows are being written to a file in the background. You may leave this page: "
                    "the download waits under Background jobs.",
                    count,
                )
                % {"count": f"{count:,}"},
            )
            return HttpResponseRedirect(status_url)
        rows = table.export_rows(qs)
        if fmt == "xlsx":
            file = xlsx_file(header, rows, sheet_name=capfirst(self.opts.verbose_name_plural))
            response = FileResponse(file, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
            response.block_size = FILE_CHUNK_BYTES
            return response
        response = StreamingHttpResponse(stream_csv(header, rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
