import factory
from django.utils import timezone

from crm.activities.models import Activity, ActivityKind
from crm.activities.services import activity_search_text
from crm.contacts.tests.factories import CompanyFactory


class ActivityFactory(factory.django.DjangoModelFactory):
    """A note on a new company of the same owner unless given other links. (Written
    directly, not through the services; the search text is computed as they would.)"""

    class Meta:
        model = Activity

    kind = ActivityKind.NOTE
    subject = factory.Sequence(lambda n: f"回访客户 Follow-up {n}")
    body = "电话沟通了续约事宜。"
    occurred_at = factory.LazyFunction(timezone.now)
    company = factory.LazyAttribute(lambda o: CompanyFactory(owner=o.owner))
    search_text = factory.LazyAttribute(
        lambda o: activity_search_text(
            subject=o.subject, place=getattr(o, "place", ""), outcome=getattr(o, "outcome", "")
        )
    )
