from crm.core.views.generic import RecordPages

from . import services
from .filtersets import ActivityFilterSet
from .forms import ActivityForm
from .models import Activity
from .tables import ActivityTable

activity_pages = RecordPages(
    model=Activity,
    filterset=ActivityFilterSet,
    table=ActivityTable,
    form=ActivityForm,
    create=services.activity_create,
    update=services.activity_update,
    delete=services.activity_delete,
    detail_fields=[
        "kind",
        "subject",
        "body",
        "occurred_at",
        "due_at",
        "done",
        "done_at",
        "priority",
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
    ],
    slug="activities",
)
