"""deal_create: defaults, validation and what it records (lead conversion calls it)."""

import decimal

import pytest

from crm.audit.models import AuditEntry
from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.core.errors import PermissionDeniedError, ValidationFailed
from crm.deals.models import Deal, DealStageChange
from crm.deals.selectors import pipeline_default
from crm.deals.services import deal_create

from .factories import PipelineFactory, default_pipeline, stage

pytestmark = pytest.mark.django_db


def test_defaults_to_the_default_pipeline_and_its_first_open_stage(users):
    deal = deal_create(actor=users.owner, data={"name": "新项目 New project"})
    pipeline = pipeline_default()
    assert pipeline.name_en == "New business" and pipeline.name_zh == "新业务"
    assert deal.pipeline == pipeline and deal.stage.name_en == "Qualification"
    assert deal.status == "open" and deal.owner == users.owner and deal.amount == 0
    assert deal.stage_changed_at is not None and deal.closed_at is None
    change = DealStageChange.objects.get(deal=deal)
    assert change.from_stage is None and change.to_stage == deal.stage and change.changed_by == users.owner
    entry = AuditEntry.objects.get(object_id=str(deal.pk), action="create")
    assert {"field": "name", "old": None, "new": "新项目 New project"} in entry.changes


def test_migration_made_both_pipelines_with_their_stages():
    names = {
        p.name_en: [(s.name_en, s.name_zh, s.probability, s.kind) for s in p.stages.order_by("position")]
        for p in pipeline_default().__class__.objects.all()
    }
    assert names["New business"] == [
        ("Qualification", "资格确认", 10, "open"),
        ("Needs analysis", "需求分析", 25, "open"),
        ("Proposal", "方案报价", 50, "open"),
        ("Negotiation", "商务谈判", 75, "open"),
        ("Won", "赢单", 100, "won"),
        ("Lost", "输单", 0, "lost"),
    ]
    assert [kind for *_rest, kind in names["Renewals"]] == ["open", "open", "won", "lost"]


def test_amount_currency_and_text_are_normalised(users):
    deal = deal_create(
        actor=users.owner,
        data={"name": "  Ｃloud   deal ", "amount": "1,234.5", "currency": "usd", "next_step": " call  back "},
    )
    assert deal.amount == decimal.Decimal("1234.50") and deal.currency == "USD"
    assert deal.next_step == "call back"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"currency": "RMB1"}, "currency"),
        ({"currency": "元"}, "currency"),
        ({"stage": 987654}, "stage"),
        ({"pipeline": "x"}, "pipeline"),
        ({"status": "won"}, "status"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(users, data, field):
    with pytest.raises(ValidationFailed) as caught:
        deal_create(actor=users.owner, data={"name": "Deal", **data})
    assert field in caught.value.fields
    assert not Deal.all_objects.exists() and not DealStageChange.objects.exists()


def test_stage_of_another_pipeline_is_refused(users):
    other = PipelineFactory()
    with pytest.raises(ValidationFailed) as caught:
        deal_create(
            actor=users.owner, data={"name": "x", "pipeline": default_pipeline(), "stage": stage(pipeline=other)}
        )
    assert caught.value.fields["stage"] == ["This stage belongs to another pipeline."]


def test_a_stage_alone_picks_its_pipeline(users):
    other = PipelineFactory()
    deal = deal_create(actor=users.owner, data={"name": "x", "stage": stage(pipeline=other).pk})
    assert deal.pipeline == other


def test_creating_a_closed_deal_needs_the_reason(users):
    won = stage("won")
    with pytest.raises(ValidationFailed) as caught:
        deal_create(actor=users.owner, data={"name": "x", "stage": won})
    assert "close_reason" in caught.value.fields
    deal = deal_create(actor=users.owner, data={"name": "x", "stage": won, "close_reason": "签约 Signed"})
    assert deal.status == "won" and deal.closed_at is not None and deal.close_reason == "签约 Signed"


def test_links_must_be_visible_to_the_actor(users):
    hidden_company = CompanyFactory(owner=users.outsider)
    with pytest.raises(ValidationFailed) as caught:
        deal_create(actor=users.owner, data={"name": "x", "company": hidden_company})
    assert "company" in caught.value.fields
    hidden_contact = ContactFactory(owner=users.outsider)
    with pytest.raises(ValidationFailed) as caught:
        deal_create(actor=users.owner, data={"name": "x"}, contacts=[(hidden_contact, "user")])
    assert "contacts" in caught.value.fields
    assert not Deal.all_objects.exists()


def test_contacts_with_roles(users):
    buyer = ContactFactory(owner=users.owner)
    engineer = ContactFactory(owner=users.teammate)
    deal = deal_create(
        actor=users.owner,
        data={"name": "x"},
        contacts=[(buyer, "economic_buyer"), (engineer, "technical"), (buyer, "economic_buyer")],
    )
    assert sorted(deal.deal_contacts.values_list("contact_id", "role")) == sorted(
        [(buyer.pk, "economic_buyer"), (engineer.pk, "technical")]
    )
    with pytest.raises(ValidationFailed):
        deal_create(actor=users.owner, data={"name": "y"}, contacts=[(buyer, "boss")])


def test_needs_the_add_permission(users):
    from crm.core.testing.factories import UserFactory

    nobody = UserFactory(role=None)
    with pytest.raises(PermissionDeniedError):
        deal_create(actor=nobody, data={"name": "x"})


def test_the_system_may_create_without_an_actor():
    deal = deal_create(actor=None, data={"name": "Imported 导入"})
    assert deal.owner is None and deal.stage_changes.get().changed_by is None


def test_the_form_needs_only_a_name(users, client_for):
    from django.urls import reverse

    client = client_for(users.owner)
    response = client.post(reverse("deals:deal_add"), {"name": "表单商机 Form deal", "currency": "CNY", "amount": "0"})
    assert response.status_code == 302, response.content.decode()[:2000]
    deal = Deal.objects.get(name="表单商机 Form deal")
    assert deal.stage == stage() and deal.owner == users.owner
    refused = client.post(
        reverse("deals:deal_add"),
        {"name": "Closed at once", "currency": "CNY", "amount": "5", "stage": stage("won").pk},
    )
    assert refused.status_code == 400 and "Give the reason the deal was won or lost." in refused.content.decode()
    negative = client.post(reverse("deals:deal_add"), {"name": "Bad", "currency": "CNY", "amount": "-3"})
    assert negative.status_code == 400 and "The amount cannot be negative." in negative.content.decode()
    currency = client.post(reverse("deals:deal_add"), {"name": "Bad", "currency": "R1", "amount": "3"})
    assert currency.status_code == 400
    assert "Enter a three-letter ISO currency code such as CNY or USD." in currency.content.decode()
    assert not Deal.objects.filter(name__in=["Closed at once", "Bad"]).exists()
