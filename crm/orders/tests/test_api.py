"""The orders API: nested lines, status moves, plan, payments, receivables."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.contacts.tests.factories import CompanyFactory
from crm.orders.models import Order, OrderStatus

from .factories import make_order, plan

pytestmark = pytest.mark.django_db


def test_create_with_nested_lines_computes_the_totals(users, api_for):
    company = CompanyFactory(owner=users.owner)
    body = {
        "title": "API order",
        "company": company.pk,
        "currency": "KWD",
        "lines": [{"description": "Licence", "quantity": "3", "unit_price": "1.2345", "tax_rate": "5"}],
        "total": "1.000",
        "number": "SO-1-1",
    }
    response = api_for(users.owner).post(reverse("order-list"), body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["number"].startswith("SO-") and data["status"] == "draft"
    assert data["lines"][0]["gross"] == "3.7040" and data["total"] == "3.8890"
    bad = api_for(users.owner).post(
        reverse("order-list"),
        {**body, "lines": [{"description": "x", "quantity": "-1", "unit_price": "1"}]},
        format="json",
    )
    assert bad.status_code == 400 and "lines.0.quantity" in bad.json()["error"]["fields"]
    assert Order.objects.count() == 1


def test_transition_endpoint_and_forbidden_moves(users, api_for):
    order = make_order(owner=users.owner)
    api = api_for(users.owner)
    url = reverse("order-transition", args=[order.pk])
    refused = api.post(url, {"status": "completed"}, format="json")
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "transition_not_allowed"
    stale = api.post(url, {"status": "confirmed"}, format="json", HTTP_IF_MATCH='"7"')
    assert stale.status_code == 409
    done = api.post(url, {"status": "confirmed"}, format="json", HTTP_IF_MATCH=f'"{order.version}"')
    assert done.status_code == 200 and done.json()["status"] == "confirmed"
    assert len(done.json()["instalments"]) == 1
    lines = api.patch(reverse("order-detail", args=[order.pk]), {"lines": []}, format="json")
    assert lines.status_code == 422
    assert api_for(users.outsider).post(url, {"status": "shipped"}, format="json").status_code == 404
    assert api.post(reverse("order-transition", args=[98765]), {"status": "shipped"}, format="json").status_code == 404
    assert api.post(url, {"status": "nope"}, format="json").status_code == 400


def test_payments_and_plan_through_the_api(users, api_for):
    order = make_order(owner=users.owner, status=OrderStatus.CONFIRMED)
    api = api_for(users.owner)
    due = (timezone.localdate() + datetime.timedelta(days=5)).isoformat()
    bad_plan = api.put(
        reverse("order-plan", args=[order.pk]), {"instalments": [{"due_date": due, "amount": "1"}]}, format="json"
    )
    assert bad_plan.status_code == 400 and "instalments" in bad_plan.json()["error"]["fields"]
    good_plan = api.put(
        reverse("order-plan", args=[order.pk]),
        {
            "instalments": [
                {"due_date": due, "amount": "2063.18", "label": "Deposit"},
                {"due_date": due, "amount": "10000"},
            ]
        },
        format="json",
    )
    assert good_plan.status_code == 200 and len(good_plan.json()["instalments"]) == 2
    url = reverse("order-payments", args=[order.pk])
    over = api.post(url, {"amount": "12063.19", "method": "alipay"}, format="json")
    assert over.status_code == 400
    assert "12,063.18 CNY" in over.json()["error"]["fields"]["amount"][0]
    paid = api.post(url, {"amount": "100.50", "method": "wechat_pay", "reference": "WX-1"}, format="json")
    assert paid.status_code == 201, paid.json()
    assert api.get(url).json()[0]["amount"] == "100.5000"
    detail = api.get(reverse("order-detail", args=[order.pk])).json()
    assert detail["paid_total"] == "100.5000" and detail["outstanding"] == "11962.6800"
    forged = api.post(url, {"amount": "1", "instalment": 99999}, format="json")
    assert forged.status_code == 400
    delete = api.delete(reverse("order-payment-delete", args=[order.pk, paid.json()["id"]]))
    assert delete.status_code == 204
    assert api.delete(reverse("order-payment-delete", args=[order.pk, 99999])).status_code == 404
    assert api_for(users.teammate).post(url, {"amount": "1"}, format="json").status_code == 403


def test_receivables_endpoints(users, api_for):
    plan(make_order(owner=users.owner, status=OrderStatus.CONFIRMED), (-10, "63.18"), (-70, "12000"))
    plan(make_order(owner=users.outsider, status=OrderStatus.CONFIRMED), (-10, "12063.18"))
    aging = api_for(users.owner).get(reverse("receivables-aging")).json()
    assert aging["rows"] == [
        {
            "currency": "CNY",
            "instalments": 2,
            "d0_30": "63.18",
            "d31_60": "0.00",
            "d61_90": "12000.00",
            "d90_plus": "0.00",
            "overdue": "12063.18",
        }
    ]
    by_owner = api_for(users.admin).get(reverse("receivables-aging"), {"by": "owner"}).json()["rows"]
    assert {row["owner_username"] for row in by_owner} == {users.owner.username, users.outsider.username}
    overdue = api_for(users.owner).get(reverse("receivables-overdue")).json()
    assert [row["days_overdue"] for row in overdue["results"]] == [70, 10]
    assert api_for(users.owner).get(reverse("receivables-overdue"), {"owner": users.outsider.pk}).json()["count"] == 0
    owed = api_for(users.owner).get(reverse("receivables-outstanding")).json()
    assert owed == [
        {
            "currency": "CNY",
            "owner_id": users.owner.pk,
            "owner_username": users.owner.username,
            "owner_full_name": users.owner.full_name,
            "orders": 1,
            "outstanding": "12063.18",
        }
    ]
