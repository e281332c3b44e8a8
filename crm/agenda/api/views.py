"""My day, the calendar and the feed link over the REST API. The same selectors and
services as the pages, so the sections, the visibility and the move rules match."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from crm.activities.models import Activity
from crm.core.api.viewsets import IF_MATCH
from crm.core.errors import PermissionDeniedError
from crm.core.middleware import activate_user_preferences
from crm.core.visibility import get_visible_or_404

from .. import selectors, services
from ..models import CalendarFeed

USER = OpenApiParameter(
    "user", OpenApiTypes.INT, OpenApiParameter.QUERY, description="Show this person (someone whose activities you see)."
)
TEAM = OpenApiParameter(
    "team",
    OpenApiTypes.BOOL,
    OpenApiParameter.QUERY,
    description="`1`: everyone whose activities you see (for managers). Default: yourself.",
)
UNTOUCHED = OpenApiParameter(
    "untouched_days",
    OpenApiTypes.INT,
    OpenApiParameter.QUERY,
    description="Leads untouched for this many days (1–365). Default: your saved choice, else 7.",
)
START = OpenApiParameter(
    "start", OpenApiTypes.DATE, OpenApiParameter.QUERY, required=True, description="First day (your time zone)."
)
END = OpenApiParameter(
    "end",
    OpenApiTypes.DATE,
    OpenApiParameter.QUERY,
    required=True,
    description="The day after the last one; at most 62 days after `start`.",
)


class ViewActivitiesMixin:
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        activate_user_preferences(request, request.user)
        if not request.user.has_perm("activities.view_activity"):
            raise PermissionDeniedError()


def _who(request):
    return selectors.resolve_who(
        request.user, member=request.query_params.get("user"), team=request.query_params.get("team")
    )


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class RecordLinkSerializer(serializers.Serializer):
    type = serializers.CharField(help_text="`deals.deal`, `leads.lead`, `contacts.contact` or `contacts.company`.")
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()


class AgendaItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="`meeting` or `task`.")
    subject = serializers.CharField()
    start = serializers.DateTimeField(help_text="A meeting's start, a task's due time.")
    end = serializers.DateTimeField(allow_null=True, help_text="A meeting's end.")
    done = serializers.BooleanField()
    priority = serializers.CharField()
    place = serializers.CharField()
    owner = PersonSerializer(allow_null=True)
    record = RecordLinkSerializer(allow_null=True, help_text="The deal, lead, contact or company it is about.")
    version = serializers.IntegerField()
    can_move = serializers.BooleanField(help_text="Whether you may move it.")
    url = serializers.CharField(help_text="The activity's page.")
    api_url = serializers.CharField()


class LeadRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    company_name = serializers.CharField()
    status = serializers.CharField()
    last_activity_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    owner = PersonSerializer(allow_null=True)
    url = serializers.CharField()


class DealRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    next_step = serializers.CharField()
    next_step_date = serializers.DateField()
    amount = serializers.DecimalField(max_digits=20, decimal_places=2, coerce_to_string=True)
    currency = serializers.CharField()
    company = serializers.CharField(allow_null=True)
    owner = PersonSerializer(allow_null=True)
    url = serializers.CharField()


def _section_serializer(name, row_serializer):
    return type(
        name,
        (serializers.Serializer,),
        {
            "count": serializers.IntegerField(),
            "items": row_serializer(many=True, help_text=f"At most {selectors.SECTION_ROWS}."),
            "see_all": serializers.CharField(allow_null=True, help_text="The page listing all of them."),
            "__module__": __name__,
        },
    )


ActivitySectionSerializer = _section_serializer("AgendaActivitySection", AgendaItemSerializer)
LeadSectionSerializer = _section_serializer("AgendaLeadSection", LeadRowSerializer)
DealSectionSerializer = _section_serializer("AgendaDealSection", DealRowSerializer)


class WhoSerializer(serializers.Serializer):
    mode = serializers.CharField(help_text="`me`, `team` or `member`.")
    user = PersonSerializer(allow_null=True, help_text="The person shown (none for a team).")
    people = PersonSerializer(many=True, help_text="Everyone you may switch to.")


class MyDaySerializer(serializers.Serializer):
    date = serializers.DateField(help_text="Today in your time zone.")
    who = WhoSerializer()
    untouched_days = serializers.IntegerField()
    overdue = ActivitySectionSerializer()
    today = ActivitySectionSerializer()
    upcoming = ActivitySectionSerializer()
    untouched_leads = LeadSectionSerializer()
    next_steps = DealSectionSerializer()


def _person(user):
    return {"id": user.pk, "name": str(user)} if user is not None else None


def item_data(request, activity: Activity, writable) -> dict:
    record = selectors.record_of(activity)
    return {
        "id": activity.pk,
        "kind": activity.kind,
        "subject": activity.subject,
        "start": selectors.event_start(activity) or activity.occurred_at,
        "end": selectors.event_end(activity),
        "done": activity.done,
        "priority": activity.priority,
        "place": activity.place,
        "owner": _person(activity.owner),
        "record": (
            {
                "type": record._meta.label_lower,
                "id": record.pk,
                "name": str(record),
                "url": record.get_absolute_url(),
            }
            if record is not None
            else None
        ),
        "version": activity.version,
        "can_move": selectors.can_change(activity, writable),
        "url": activity.get_absolute_url(),
        "api_url": reverse("activity-detail", args=[activity.pk]),
    }


def _lead_data(lead) -> dict:
    return {
        "id": lead.pk,
        "name": lead.name,
        "company_name": lead.company_name,
        "status": lead.status,
        "last_activity_at": lead.last_activity_at,
        "created_at": lead.created_at,
        "owner": _person(lead.owner),
        "url": lead.get_absolute_url(),
    }


def _deal_data(deal) -> dict:
    return {
        "id": deal.pk,
        "name": deal.name,
        "next_step": deal.next_step,
        "next_step_date": deal.next_step_date,
        "amount": deal.amount,
        "currency": deal.currency,
        "company": str(deal.company) if deal.company_id else None,
        "owner": _person(deal.owner),
        "url": deal.get_absolute_url(),
    }


class MyDayViewSet(ViewActivitiesMixin, viewsets.ViewSet):
    @extend_schema(parameters=[USER, TEAM, UNTOUCHED], responses=MyDaySerializer)
    def list(self, request):
        """My day: overdue tasks, today's tasks and meetings, the next 7 days, untouched
        open leads and open deals whose next step date has passed, each with a count and
        at most 20 rows, in your time zone. Managers pass `team=1` or `user=<id>`."""
        from ..views import see_all_url

        who = _who(request)
        days = selectors.parse_untouched_days(request.query_params.get("untouched_days"), request.user)
        sections = selectors.my_day(
            who, untouched_days=days, urls=lambda key, **bounds: see_all_url(key, who=who, **bounds)
        )
        writable = selectors.writable_owner_ids(request.user)
        rows = {"untouched_leads": _lead_data, "next_steps": _deal_data}
        data = {
            "date": timezone.localdate(),
            "who": {
                "mode": who.mode,
                "user": _person(who.single_owner),
                "people": [_person(p) for p in who.people],
            },
            "untouched_days": days,
        }
        for section in sections:
            build = rows.get(section.key) or (lambda a: item_data(request, a, writable))
            data[section.key] = {
                "count": section.count,
                "items": [build(row) for row in section.rows],
                "see_all": section.see_all,
            }
        return Response(MyDaySerializer(data).data)


class CalendarEventsSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    capped = serializers.BooleanField(help_text=f"More than {selectors.CALENDAR_MAX_EVENTS} items: narrow the range.")
    results = AgendaItemSerializer(many=True)


class EventMoveSerializer(serializers.Serializer):
    start = serializers.DateTimeField(required=False, help_text="The new start (a meeting keeps its duration).")
    date = serializers.DateField(required=False, help_text="Or the new day: it keeps its time of day.")
    version = serializers.IntegerField(required=False, help_text="The version you saw (or `If-Match`).")


class CalendarEventViewSet(ViewActivitiesMixin, viewsets.ViewSet):
    @extend_schema(parameters=[START, END, USER, TEAM], responses=CalendarEventsSerializer)
    def list(self, request):
        """The meetings (yours and those you attend) and tasks (by due time, done or not)
        from `start` to `end` (at most 62 days), or your team's or one member's."""
        start, end = selectors.parse_range(request.query_params.get("start"), request.query_params.get("end"))
        who = _who(request)
        events, capped = selectors.calendar_events(who, start, end)
        writable = selectors.writable_owner_ids(request.user)
        data = {
            "start": start,
            "end": end,
            "capped": capped,
            "results": [item_data(request, e, writable) for e in events],
        }
        return Response(CalendarEventsSerializer(data).data)

    @extend_schema(
        request=EventMoveSerializer,
        responses=AgendaItemSerializer,
        parameters=[IF_MATCH, OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH)],
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move a meeting or an open task: a new `start`, or a new `date` keeping the time
        of day. A stale version gets 409, someone else's item you may not change 403."""
        activity = get_visible_or_404(request.user, Activity, pk=pk)
        body = EventMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        version = body.validated_data.get("version")
        match = (request.headers.get("If-Match") or "").strip('"W/ ')
        if version is None and match.isdigit():
            version = int(match)
        moved = services.event_move(
            activity=activity,
            actor=request.user,
            start=body.validated_data.get("start"),
            day=body.validated_data.get("date"),
            expected_version=version,
        )
        moved = Activity.objects.select_related(*selectors.ACTIVITY_RELATED).get(pk=moved.pk)
        response = Response(
            AgendaItemSerializer(item_data(request, moved, selectors.writable_owner_ids(request.user))).data
        )
        response["ETag"] = f'"{moved.version}"'
        return response


class FeedSerializer(serializers.Serializer):
    active = serializers.BooleanField()
    prefix = serializers.CharField(allow_null=True, help_text="The start of the link's key, to recognise it.")
    created_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True, help_text="When a calendar last read it.")
    url = serializers.CharField(allow_null=True, help_text="The link: only in the answer that made it.")


def _feed_data(feed, url=None) -> dict:
    return {
        "active": feed is not None,
        "prefix": feed.prefix if feed else None,
        "created_at": feed.created_at if feed else None,
        "last_used_at": feed.last_used_at if feed else None,
        "url": url,
    }


class CalendarFeedView(ViewActivitiesMixin, APIView):
    """Your private calendar link (an iCalendar feed of your meetings and open tasks)."""

    @extend_schema(responses=FeedSerializer, operation_id="calendar_feed_retrieve")
    def get(self, request):
        """Whether your link is on. The link itself is shown only when it is made."""
        return Response(FeedSerializer(_feed_data(CalendarFeed.objects.filter(user=request.user).first())).data)

    @extend_schema(request=None, responses={201: FeedSerializer}, operation_id="calendar_feed_create")
    def post(self, request):
        """Make a new link; the previous one stops working. The answer holds the link."""
        feed, key = services.feed_create(user=request.user)
        url = request.build_absolute_uri(reverse("agenda:feed", args=[key]))
        return Response(FeedSerializer(_feed_data(feed, url)).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, operation_id="calendar_feed_destroy")
    def delete(self, request):
        """Turn the link off."""
        services.feed_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
