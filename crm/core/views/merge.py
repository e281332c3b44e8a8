"""The merge page and the undo action behind ``RecordPages.merge_view`` and
``RecordPages.merge_undo_view``: generic for every record type."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from crm.audit.models import AuditEntry

from ..customfields import custom_fields_for, display_value
from ..errors import PermissionDeniedError, ServiceError
from ..merge import MERGE_LIMIT, is_merge_entry, mergeable_fields, records_merge, records_merge_undo
from ..visibility import can_access, visible_to


def parse_ids(raw_values: list[str]) -> list[int]:
    """Ids from ``?ids=1,2,3`` (or repeated ``ids``), in the order given, without repeats."""
    ids: list[int] = []
    for raw in raw_values:
        for part in str(raw).split(","):
            part = part.strip()
            if part.isdigit() and int(part) not in ids:
                ids.append(int(part))
    return ids


def _display(obj, field) -> str:
    value = getattr(obj, field.name)
    if getattr(field, "choices", None):
        value = getattr(obj, f"get_{field.name}_display")()
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _rows(pages, records: list, survivor) -> list[dict]:
    """One row per field the user chooses: label, the values side by side, the default."""
    rows = []
    ordered = [survivor] + [r for r in records if r.pk != survivor.pk]
    for field in mergeable_fields(pages.model):
        values = [(r.pk, _display(r, field)) for r in records]
        if len({v for _pk, v in values}) <= 1:
            continue  # nothing to choose: every record holds the same value
        default = next((r.pk for r in ordered if _display(r, field) != ""), survivor.pk)
        rows.append({"name": field.name, "label": field.verbose_name, "values": values, "default": default})
    for cf in custom_fields_for(pages.model):
        values = [(r.pk, display_value((r.custom_fields or {}).get(cf.name))) for r in records]
        if len({v for _pk, v in values}) <= 1:
            continue
        default = next(
            (r.pk for r in ordered if display_value((r.custom_fields or {}).get(cf.name)) != ""), survivor.pk
        )
        rows.append({"name": f"custom_fields.{cf.name}", "label": cf.label, "values": values, "default": default})
    return rows


def _related_counts(pages, records: list) -> list[tuple[str, list[int]]]:
    """How many records of each related type point at each record (recycle bin included)."""
    counts = []
    for rel in pages.model._meta.related_objects:
        if rel.many_to_many or rel.related_model is pages.model:
            continue
        manager = rel.related_model._base_manager
        per_record = [manager.filter(**{rel.field.attname: r.pk}).count() for r in records]
        if any(per_record):
            counts.append((str(rel.related_model._meta.verbose_name_plural), per_record))
    return counts


def merge_page(pages, request):
    pages._require(request, "change")
    back = pages.url("list")
    ids = parse_ids(request.POST.getlist("ids") if request.method == "POST" else request.GET.getlist("ids"))
    if request.method == "POST" and "survivor" not in request.POST:
        # Sent from the list's bulk form: show the page for the chosen records.
        if len(ids) < 2:
            messages.error(request, _("Select at least two records to merge."))
            return HttpResponseRedirect(back)
        return HttpResponseRedirect(pages.url("merge") + "?" + urlencode({"ids": ",".join(map(str, ids))}))
    if len(ids) < 2:
        messages.error(request, _("Select at least two records to merge."))
        return HttpResponseRedirect(back)
    if len(ids) > MERGE_LIMIT:
        messages.error(request, _("At most %(limit)s records can be merged at once.") % {"limit": MERGE_LIMIT})
        return HttpResponseRedirect(back)
    found = {obj.pk: obj for obj in visible_to(request.user, pages.model).filter(pk__in=ids).prefetch_related("tags")}
    if len(found) != len(ids):
        raise Http404
    records = [found[pk] for pk in ids]
    if not all(can_access(request.user, obj, "write") for obj in records):
        raise PermissionDenied

    status = 200
    survivor_raw = request.POST.get("survivor") or request.GET.get("survivor") or ""
    survivor = found.get(int(survivor_raw)) if survivor_raw.isdigit() else None
    survivor = survivor or records[0]
    rows = _rows(pages, records, survivor)
    if request.method == "POST":
        choices = {}
        for row in rows:
            raw = request.POST.get(f"field:{row['name']}", "")
            if raw.isdigit():
                choices[row["name"]] = int(raw)
        others = [obj for obj in records if obj.pk != survivor.pk]
        try:
            merged = records_merge(survivor=survivor, others=others, field_choices=choices, actor=request.user)
        except PermissionDeniedError:
            raise PermissionDenied from None
        except ServiceError as exc:
            messages.error(request, str(exc.message))
            for name, errors in exc.fields.items():
                messages.error(request, f"{name}: {' '.join(errors)}")
            status = 400
        else:
            undo_url = pages.url("merge_undo")
            messages.success(
                request,
                format_html(
                    '{} <form method="post" action="{}" class="inline-form">'
                    '<input type="hidden" name="csrfmiddlewaretoken" value="{}">'
                    '<input type="hidden" name="entry" value="{}">'
                    '<button class="btn small" type="submit">{}</button></form>',
                    _("%(count)s records were merged into %(name)s.") % {"count": len(records), "name": merged},
                    undo_url,
                    get_token(request),
                    merged.merge_entry.pk,
                    _("Undo"),
                ),
            )
            return HttpResponseRedirect(merged.get_absolute_url())
    context = {
        "pages": pages,
        "opts": pages.opts,
        "records": records,
        "survivor": survivor,
        "rows": rows,
        "tags": [(r.pk, ", ".join(t.name for t in r.tags.all())) for r in records],
        "related": _related_counts(pages, records),
        "ids": ",".join(str(r.pk) for r in records),
    }
    return render(request, "core/record_merge.html", context, status=status)


def merge_undo(pages, request):
    pages._require(request, "change")
    raw = request.POST.get("entry", "")
    ct = ContentType.objects.get_for_model(pages.model, for_concrete_model=True)
    entry = (
        AuditEntry.objects.filter(pk=int(raw), content_type=ct, action=AuditEntry.Action.MERGE).first()
        if raw.isdigit()
        else None
    )
    if entry is None or not is_merge_entry(entry):
        raise Http404
    if not visible_to(request.user, pages.model).filter(pk=entry.object_id).exists():
        raise Http404
    from .generic import safe_next

    back = safe_next(request, reverse(f"{pages.app}:{pages.name}_detail", args=[entry.object_id]))
    try:
        records_merge_undo(entry=entry, actor=request.user)
    except PermissionDeniedError:
        raise PermissionDenied from None
    except ServiceError as exc:
        messages.error(request, str(exc.message))
        return HttpResponseRedirect(back)
    messages.success(request, _("The merge was undone: the merged records are back."))
    return HttpResponseRedirect(back)


def merge_undo_url(entry: AuditEntry) -> str | None:
    """The page URL that undoes this merge, for record types that have pages."""
    model = entry.content_type.model_class() if entry.content_type_id else None
    if model is None:
        return None
    try:
        return reverse(f"{model._meta.app_label}:{model._meta.model_name}_merge_undo")
    except NoReverseMatch:
        return None
