"""My day, the calendar and the private feed. Thin: parse, call one selector or
service, render. HTMX requests get the fragment, full requests the page."""

from __future__ import annotations

import calendar as pycalendar
import datetime
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from crm.accounts.services import user_set_preferences
from crm.activities.models import Activity, ActivityKind
from crm.activities.services import activity_complete
from crm.core.errors import ConflictError, ServiceError, ValidationFailed
from crm.core.views.generic import is_htmx
from crm.core.visibility import get_visible_or_404

from . import ics, selectors, services
from .models import CalendarFeed


def _require_view(request) -> None:
    if not request.user.has_perm("activities.view_activity"):
        raise PermissionDenied


def _message(exc: ServiceError) -> str:
    fields = {k: [str(m) for m in v] for k, v in (exc.fields or {}).items()}
    return " ".join(m for v in fields.values() for m in v) or str(exc.message)


def _who(request):
    """Whose activities: ``who`` (me, team or a user id, from the page's select) or the
    API's ``user`` and ``team``."""
    member, team = request.GET.get("user"), request.GET.get("team")
    chosen = request.GET.get("who")
    if chosen == "team":
        team = "1"
    elif chosen and chosen != "me":
        member = chosen
    try:
        return selectors.resolve_who(request.user, member=member, team=team)
    except ValidationFailed:
        raise Http404 from None


class RecordUrls:
    """Detail-page addresses, reversed once per record type and request rather than once
    per row (a My day page shows up to a hundred rows)."""

    def __init__(self):
        self.patterns: dict[type, str] = {}

    def __call__(self, obj) -> str:
        model = type(obj)
        if model not in self.patterns:
            opts = model._meta
            pattern = reverse(f"{opts.app_label}:{opts.model_name}_detail", args=[0])
            self.patterns[model] = pattern.replace("/0/", "/{pk}/")
        return self.patterns[model].replace("{pk}", str(obj.pk))


# My day ---------------------------------------------------------------------------------
def see_all_url(key: str, *, who, today: datetime.date, untouched_days: int) -> str | None:
    """The list page that shows all of a section, filtered the same way."""
    owner = who.single_owner
    params: dict = {}
    if owner is not None:
        params["owner"] = owner.pk
    if key == "overdue":
        url = reverse("activities:activity_list")
        params |= {"kind": "task", "done": "false", "due_before": (today - datetime.timedelta(days=1)).isoformat()}
    elif key == "today":
        url = reverse("agenda:calendar")
        params = {"view": "week", "date": today.isoformat()}
        if who.query:
            params |= dict(p.split("=") for p in who.query.split("&"))
    elif key == "upcoming":
        url = reverse("activities:activity_list")
        params |= {
            "kind": "task",
            "done": "false",
            "due_after": (today + datetime.timedelta(days=1)).isoformat(),
            "due_before": (today + datetime.timedelta(days=selectors.UPCOMING_DAYS)).isoformat(),
        }
    elif key == "untouched_leads":
        url = reverse("leads:lead_list")
        params |= {"inactive_days": untouched_days}
    elif key == "next_steps":
        url = reverse("deals:stale_deals")
    else:
        return None
    return url + ("?" + urlencode(params) if params else "")


def my_day_context(request, who, untouched_days: int) -> dict:
    def urls(key, **bounds):
        return see_all_url(key, who=who, **bounds)

    sections = selectors.my_day(who, untouched_days=untouched_days, urls=urls)
    writable = selectors.writable_owner_ids(request.user)
    link = RecordUrls()
    done_pattern = reverse("agenda:task_done", args=[0]).replace("/0/", "/{pk}/")
    for section in sections:
        for row in section.rows:
            row.url = link(row)
            if isinstance(row, Activity):
                row.can_complete = (
                    row.kind == ActivityKind.TASK and not row.done and (writable is None or row.owner_id in writable)
                )
                row.done_url = done_pattern.replace("{pk}", str(row.pk))
                row.record = selectors.record_of(row)
                row.record_url = link(row.record) if row.record is not None else ""
    return {
        "who": who,
        "sections": {s.key: s for s in sections},
        "section_list": sections,
        "untouched_days": untouched_days,
        "today": timezone.localdate(),
        "now": timezone.now(),
    }


@login_required
@require_GET
def my_day(request):
    _require_view(request)
    who = _who(request)
    raw = request.GET.get("untouched_days")
    error = None
    try:
        days = selectors.parse_untouched_days(raw, request.user)
    except ValidationFailed as exc:
        error = _message(exc)
        days = selectors.parse_untouched_days(None, request.user)
    else:
        if raw and days != (request.user.preferences or {}).get(selectors.UNTOUCHED_PREFERENCE):
            user_set_preferences(user=request.user, key=selectors.UNTOUCHED_PREFERENCE, value=days)
    context = my_day_context(request, who, days)
    context["error"] = error
    template = "agenda/_my_day_sections.html" if is_htmx(request) else "agenda/my_day.html"
    return render(request, template, context, status=400 if error else 200)


def _parse_follow_up_due(raw: str):
    if not raw:
        return None
    try:
        value = datetime.datetime.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed(fields={"follow_up.due_at": [_("Enter a valid date and time.")]}) from None
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    return value


@login_required
@require_POST
def task_done(request, pk: int):
    """The "done" button of My day: activity_complete, with the follow-up task when a
    subject for it was given; answers with the sections again."""
    _require_view(request)
    who = _who(request)
    days = selectors.parse_untouched_days(None, request.user)
    status, error, notice = 200, None, None
    try:
        task = get_visible_or_404(request.user, Activity, pk=pk)
        if not request.user.has_perm("activities.change_activity"):
            raise PermissionDenied
        follow_up = None
        subject = (request.POST.get("follow_up_subject") or "").strip()
        if subject:
            follow_up = {"subject": subject}
            due = _parse_follow_up_due(request.POST.get("follow_up_due") or "")
            if due is not None:
                follow_up["due_at"] = due
        version = request.POST.get("version")
        activity_complete(
            activity=task,
            actor=request.user,
            follow_up=follow_up,
            expected_version=int(version) if version and version.isdigit() else None,
        )
        notice = _("“%(subject)s” is done.") % {"subject": task.subject}
        if follow_up:
            notice += " " + _("Follow-up task created.")
    except Http404:
        status, error = 404, _("This task no longer exists.")
    except PermissionDenied:
        status, error = 403, _("You may not change this task.")
    except ServiceError as exc:
        status, error = exc.status, _message(exc)
    if not is_htmx(request):
        return redirect(reverse("agenda:my_day") + ("?" + who.query if who.query else ""))
    context = my_day_context(request, who, days)
    context.update(error=error, notice=notice)
    return render(request, "agenda/_my_day_sections.html", context, status=status)


# Calendar -------------------------------------------------------------------------------
VIEWS = ("week", "month")


def calendar_range(
    view: str, anchor: datetime.date
) -> tuple[datetime.date, datetime.date, datetime.date, datetime.date]:
    """(first day shown, first day after, previous anchor, next anchor). Weeks start on
    Monday; a month shows whole weeks."""
    if view == "month":
        first = anchor.replace(day=1)
        last = anchor.replace(day=pycalendar.monthrange(anchor.year, anchor.month)[1])
        start = first - datetime.timedelta(days=first.weekday())
        end = last + datetime.timedelta(days=7 - last.weekday())
        prev = (first - datetime.timedelta(days=1)).replace(day=1)
        nxt = last + datetime.timedelta(days=1)
        return start, end, prev, nxt
    start = anchor - datetime.timedelta(days=anchor.weekday())
    return (
        start,
        start + datetime.timedelta(days=7),
        anchor - datetime.timedelta(days=7),
        anchor + datetime.timedelta(days=7),
    )


def _calendar_query(view, day, who) -> str:
    params = {"view": view, "date": day.isoformat()}
    if who.query:
        params |= dict(p.split("=") for p in who.query.split("&"))
    return urlencode(params)


def calendar_context(request, who, view: str, anchor: datetime.date) -> dict:
    start, end, prev, nxt = calendar_range(view, anchor)
    events, capped = selectors.calendar_events(who, start, end)
    writable = selectors.writable_owner_ids(request.user)
    by_day: dict[datetime.date, list] = {}
    move_url = reverse("agenda:event_move", args=[0]).replace("/0/", "/{pk}/")
    for event in events:
        event.start = selectors.event_start(event)
        event.end = selectors.event_end(event)
        event.movable = selectors.can_change(event, writable)
        event.move_url = move_url.replace("{pk}", str(event.pk))
        event.record = selectors.record_of(event)
        by_day.setdefault(timezone.localdate(event.start), []).append(event)
    today = timezone.localdate()
    days = []
    current = start
    while current < end:
        days.append(
            {
                "date": current,
                "events": by_day.get(current, []),
                "today": current == today,
                "outside": view == "month" and current.month != anchor.month,
            }
        )
        current += datetime.timedelta(days=1)
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
    base = reverse("agenda:calendar")
    return {
        "who": who,
        "view": view,
        "anchor": anchor,
        "start": start,
        "last_day": end - datetime.timedelta(days=1),
        "weeks": weeks,
        "days": days,
        "capped": capped,
        "event_count": len(events),
        "weekday_names": [d["date"] for d in days[:7]],
        "prev_url": base + "?" + _calendar_query(view, prev, who),
        "next_url": base + "?" + _calendar_query(view, nxt, who),
        "today_url": base + "?" + _calendar_query(view, today, who),
        "week_url": base + "?" + _calendar_query("week", anchor, who),
        "month_url": base + "?" + _calendar_query("month", anchor, who),
        "calendar_query": _calendar_query(view, anchor, who),
    }


def _feed_context(request, new_key: str | None = None) -> dict:
    feed = CalendarFeed.objects.filter(user=request.user).first()
    context = {"feed": feed, "feed_url": None, "feed_webcal": None}
    if new_key:
        url = request.build_absolute_uri(reverse("agenda:feed", args=[new_key]))
        context["feed_url"] = url
        context["feed_webcal"] = "webcal://" + url.split("://", 1)[1]
    return context


@login_required
@require_GET
def calendar_page(request):
    _require_view(request)
    who = _who(request)
    view = request.GET.get("view") if request.GET.get("view") in VIEWS else "week"
    try:
        anchor = selectors.parse_day(request.GET.get("date"), default=timezone.localdate())
    except ValidationFailed:
        anchor = timezone.localdate()
    context = calendar_context(request, who, view, anchor)
    if is_htmx(request) and request.headers.get("HX-Target") == "calendar":
        return render(request, "agenda/_calendar.html", context)
    context |= _feed_context(request)
    return render(request, "agenda/calendar.html", context)


def _json_error(exc: ServiceError) -> JsonResponse:
    fields = {k: [str(m) for m in v] for k, v in (exc.fields or {}).items()}
    return JsonResponse({"error": {"code": exc.code, "message": _message(exc), "fields": fields}}, status=exc.status)


@login_required
@require_POST
def event_move(request, pk: int):
    """Drop an item on another day (or pick a date on a phone): it keeps its time of
    day. Answered in JSON for the calendar's script."""
    _require_view(request)
    try:
        activity = get_visible_or_404(request.user, Activity, pk=pk)
    except Http404:
        return JsonResponse({"error": {"code": "not_found", "message": _("Not found."), "fields": {}}}, status=404)
    version = request.POST.get("version") or ""
    try:
        if not version.isdigit():
            raise ValidationFailed(fields={"version": [_("The page is out of date: reload it and try again.")]})
        day = selectors.parse_day(request.POST.get("date"))
        moved = services.event_move(activity=activity, actor=request.user, day=day, expected_version=int(version))
    except ConflictError:
        message = _("Someone else changed this item meanwhile. Reload the calendar and try again.")
        return JsonResponse({"error": {"code": "conflict", "message": message, "fields": {}}}, status=409)
    except ServiceError as exc:
        return _json_error(exc)
    start = selectors.event_start(moved)
    return JsonResponse(
        {
            "ok": True,
            "id": moved.pk,
            "version": moved.version,
            "date": timezone.localdate(start).isoformat(),
            "start": start.isoformat(),
            "message": _("“%(subject)s” moved to %(day)s.")
            % {"subject": moved.subject, "day": timezone.localdate(start).isoformat()},
        }
    )


# Feed -----------------------------------------------------------------------------------
@login_required
@require_POST
def feed_new(request):
    _require_view(request)
    _feed, key = services.feed_create(user=request.user)
    context = _feed_context(request, key)
    if is_htmx(request):
        return render(request, "agenda/_feed_panel.html", context)
    who = _who(request)
    page = calendar_context(request, who, "week", timezone.localdate())
    return render(request, "agenda/calendar.html", page | context)


@login_required
@require_POST
def feed_off(request):
    _require_view(request)
    services.feed_revoke(user=request.user)
    if is_htmx(request):
        return render(request, "agenda/_feed_panel.html", _feed_context(request))
    return redirect("agenda:calendar")


@require_GET
def feed_ics(request, key: str):
    """The feed itself: no session, the key in the address is the credential. An
    unknown or revoked key is 404. Calendars poll it: ETag and Last-Modified let them
    get a 304 for the price of one aggregate query."""
    feed = services.feed_for_key(key)
    if feed is None:
        raise Http404
    user = feed.user
    etag, last = ics.feed_fingerprint(user)
    response = get_conditional_response(request, etag=etag, last_modified=last.timestamp() if last else None)
    if response is None:
        body = ics.build_feed(user, host=request.get_host().split(":")[0], base_url=request.build_absolute_uri("/"))
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="crm.ics"'
    response["ETag"] = etag
    if last:
        response["Last-Modified"] = http_date(last.timestamp())
    response["Cache-Control"] = "private, no-cache"
    response["Referrer-Policy"] = "no-referrer"
    services.feed_touch(feed=feed)
    return response
