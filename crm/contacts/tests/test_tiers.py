"""Value tiers: RFM scores and A/B/C/D from purchases, thresholds as admin settings,
recomputed by a job, with the history of every change of tier."""

import datetime
import decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from crm.audit.models import AuditEntry
from crm.contacts import services
from crm.contacts.models import Company, Contact, TierChange, TierSettings
from crm.contacts.tests.factories import CompanyFactory, ContactFactory
from crm.contacts.tiers import (
    Purchases,
    Thresholds,
    register_purchase_source,
    score,
    score_at_least,
    score_recency,
    tier_of,
    tier_settings,
    tiers_recompute,
    unregister_purchase_source,
)
from crm.core.errors import PermissionDeniedError, ValidationFailed
from crm.core.models import Job

D = decimal.Decimal
NOW = datetime.datetime(2026, 12, 1, 12, 0, tzinfo=datetime.UTC)
DEFAULT = Thresholds(
    recency_days=(30, 90, 180, 365),
    frequency_counts=(2, 3, 5, 10),
    monetary_amounts=(D(10000), D(50000), D(200000), D(1000000)),
    tier_a_min=13,
    tier_b_min=10,
    tier_c_min=7,
)


# The scoring ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "expected"), [(0, 5), (30, 5), (31, 4), (90, 4), (91, 3), (180, 3), (181, 2), (365, 2), (366, 1)]
)
def test_recency_score_at_each_threshold(days, expected):
    assert score_recency(days, DEFAULT.recency_days) == expected


@pytest.mark.parametrize(("count", "expected"), [(0, 1), (1, 1), (2, 2), (3, 3), (4, 3), (5, 4), (10, 5), (99, 5)])
def test_frequency_score_counts_thresholds_reached(count, expected):
    assert score_at_least(count, DEFAULT.frequency_counts) == expected


@pytest.mark.parametrize(
    ("total", "tier"), [(15, "A"), (13, "A"), (12, "B"), (10, "B"), (9, "C"), (7, "C"), (6, "D"), (3, "D")]
)
def test_tier_from_total_score(total, tier):
    assert tier_of(total, DEFAULT) == tier


def test_a_customer_who_never_bought_has_no_tier():
    assert score(Purchases(), DEFAULT, now=NOW) is None


def test_a_frequent_recent_big_buyer_is_tier_a():
    result = score(Purchases(NOW - datetime.timedelta(days=3), 12, D("2500000"), D("9000000")), DEFAULT, now=NOW)
    assert (result.recency, result.frequency, result.monetary, result.tier) == (5, 5, 5, "A")
    assert result.rfm == "555"


@given(
    days=st.integers(min_value=0, max_value=5000),
    count=st.integers(min_value=0, max_value=500),
    amount=st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
    more_days=st.integers(min_value=0, max_value=500),
    more_count=st.integers(min_value=0, max_value=50),
)
def test_scores_stay_in_range_and_never_fall_for_a_better_customer(days, count, amount, more_days, more_count):
    base = score(Purchases(NOW - datetime.timedelta(days=days), count, amount, amount), DEFAULT, now=NOW)
    better = score(
        Purchases(NOW - datetime.timedelta(days=max(0, days - more_days)), count + more_count, amount * 2, amount),
        DEFAULT,
        now=NOW,
    )
    for s in (base, better):
        assert all(1 <= part <= 5 for part in (s.recency, s.frequency, s.monetary))
        assert s.tier in {"A", "B", "C", "D"}
    assert better.total >= base.total
    assert better.tier <= base.tier  # "A" < "B": a better customer is never in a lower tier


# Recomputation from the purchase sources -------------------------------------------------


class FakeOrders:
    """Stands in for the orders app: rows as a purchase source yields them."""

    def __init__(self):
        self.rows = {Company: [], Contact: []}

    def __call__(self, model, since):
        for pk, when, amount in self.rows[model]:
            in_window = when >= since
            yield pk, when, 1 if in_window else 0, amount if in_window else D(0), amount

    def buy(self, record, *, days_ago: int, amount):
        self.rows[type(record)].append((record.pk, NOW - datetime.timedelta(days=days_ago), D(amount)))


@pytest.fixture
def orders():
    source = FakeOrders()
    register_purchase_source(source)
    yield source
    unregister_purchase_source(source)


pytestmark = pytest.mark.django_db


def test_recompute_rates_buyers_and_leaves_others_unrated(users, orders):
    big = CompanyFactory(owner=users.owner)
    small = CompanyFactory(owner=users.owner)
    never = CompanyFactory(owner=users.owner)
    person = ContactFactory(owner=users.owner)
    for days in (2, 20, 40, 60, 100, 150, 200, 250, 300, 330):
        orders.buy(big, days_ago=days, amount="150000")
    orders.buy(small, days_ago=400, amount="800")
    orders.buy(person, days_ago=10, amount="12000")
    result = tiers_recompute(now=NOW)
    assert result["company"] == {"customers": 2, "changed": 2, "tier_changes": 2}
    big.refresh_from_db()
    small.refresh_from_db()
    never.refresh_from_db()
    person.refresh_from_db()
    assert (big.tier, big.rfm, big.lifetime_value) == ("A", "555", D("1500000.00"))
    assert big.last_purchase_at == NOW - datetime.timedelta(days=2)
    assert (small.tier, small.rfm, small.lifetime_value) == ("D", "111", D("800.00"))
    assert (never.tier, never.rfm, never.lifetime_value) == ("", "", D("0.00"))
    assert (person.tier, person.rfm) == ("C", "512")
    assert TierChange.objects.filter(object_id=big.pk, new_tier="A", old_tier="").exists()


def test_recompute_twice_changes_nothing_the_second_time(users, orders):
    company = CompanyFactory(owner=users.owner)
    orders.buy(company, days_ago=5, amount="60000")
    tiers_recompute(now=NOW)
    version = Company.objects.get(pk=company.pk).version
    again = tiers_recompute(now=NOW)
    assert again["company"]["changed"] == 0 and again["company"]["tier_changes"] == 0
    assert TierChange.objects.count() == 1
    # A system value: the record's version (its users' edits) is not touched.
    assert Company.objects.get(pk=company.pk).version == version


def test_history_keeps_each_move_and_a_customer_who_stops_buying_drops(users, orders):
    company = CompanyFactory(owner=users.owner)
    for days in (1, 10, 20):
        orders.buy(company, days_ago=days, amount="100000")
    tiers_recompute(now=NOW)
    assert Company.objects.get(pk=company.pk).tier == "B"
    # A year and a half later, with no new purchase, the purchases are out of the window.
    later = NOW + datetime.timedelta(days=540)
    tiers_recompute(now=later)
    company.refresh_from_db()
    assert (company.tier, company.rfm) == ("D", "111")
    assert company.lifetime_value == D("300000.00")
    moves = list(
        TierChange.objects.filter(object_id=company.pk).order_by("changed_at").values_list("old_tier", "new_tier")
    )
    assert moves == [("", "B"), ("B", "D")]
    orders.rows[Company].clear()
    tiers_recompute(now=later)
    company.refresh_from_db()
    assert (company.tier, company.lifetime_value, company.last_purchase_at) == ("", D("0.00"), None)
    assert TierChange.objects.filter(object_id=company.pk).count() == 3


def test_thresholds_come_from_the_settings(users, orders):
    company = CompanyFactory(owner=users.owner)
    orders.buy(company, days_ago=5, amount="5000")
    tiers_recompute(now=NOW)
    assert Company.objects.get(pk=company.pk).rfm == "511"
    services.tier_settings_update(actor=users.admin, data={"monetary_amounts": ["100", "1000", "2000", "4000"]})
    tiers_recompute(now=NOW)
    assert Company.objects.get(pk=company.pk).rfm == "515"


def test_a_user_edit_does_not_overwrite_the_tier(users, orders):
    company = CompanyFactory(owner=users.owner, name="Before")
    stale_copy = Company.objects.get(pk=company.pk)
    orders.buy(company, days_ago=1, amount="2000000")
    tiers_recompute(now=NOW)
    services.company_update(instance=stale_copy, actor=users.owner, data={"name": "After"})
    company.refresh_from_db()
    assert company.name == "After" and company.tier != ""


# Settings ---------------------------------------------------------------------------------


def test_settings_start_with_the_defaults():
    settings = tier_settings()
    assert settings.recency_days == [30, 90, 180, 365]
    assert Thresholds.of(settings) == DEFAULT


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"recency_days": [30, 20, 180, 365]}, "recency_days"),
        ({"recency_days": "30, 90, 180"}, "recency_days"),
        ({"frequency_counts": ["a", 2, 3, 4]}, "frequency_counts"),
        ({"monetary_amounts": [-1, 2, 3, 4]}, "monetary_amounts"),
        ({"window_days": 0}, "window_days"),
        ({"tier_a_min": 16}, "tier_a_min"),
        ({"tier_a_min": 9, "tier_b_min": 10}, "tier_b_min"),
    ],
)
def test_bad_thresholds_are_refused_and_nothing_is_saved(users, data, field):
    before = tier_settings()
    with pytest.raises(ValidationFailed) as caught:
        services.tier_settings_update(actor=users.admin, data=data)
    assert field in caught.value.fields
    after = TierSettings.objects.get(pk=1)
    assert (after.recency_days, after.tier_a_min, after.window_days) == (
        before.recency_days,
        before.tier_a_min,
        before.window_days,
    )


def test_only_administrators_change_thresholds_and_it_is_audited(users):
    with pytest.raises(PermissionDeniedError):
        services.tier_settings_update(actor=users.manager, data={"window_days": 180})
    services.tier_settings_update(actor=users.admin, data={"window_days": 180, "recency_days": "7, 30, 60, 120"})
    entry = AuditEntry.objects.filter(action="update", object_repr__icontains="tier").latest("created_at")
    assert {c["field"] for c in entry.changes} == {"window_days", "recency_days"}
    assert tier_settings().recency_days == [7, 30, 60, 120]


# Pages -------------------------------------------------------------------------------------


def test_settings_page_is_for_administrators(users, client_for):
    assert client_for(users.owner).get(reverse("contacts:tier_settings")).status_code == 403
    response = client_for(users.admin).get(reverse("contacts:tier_settings"))
    assert response.status_code == 200
    assert 'value="30, 90, 180, 365"' in response.content.decode()


def test_settings_page_shows_errors_and_saves(users, client_for):
    client = client_for(users.admin)
    form = {
        "window_days": "365",
        "recency_days": "30, 90, 180, 365",
        "frequency_counts": "2, 3, 5, 10",
        "monetary_amounts": "10000, 50000, 200000, 1000000",
        "tier_a_min": "13",
        "tier_b_min": "10",
        "tier_c_min": "7",
    }
    bad = client.post(reverse("contacts:tier_settings"), {**form, "frequency_counts": "5, 3, 2, 1"})
    assert bad.status_code == 400
    assert "Each number must be larger than the one before." in bad.content.decode()
    good = client.post(reverse("contacts:tier_settings"), {**form, "frequency_counts": "1, 4, 6, 12"})
    assert good.status_code == 302
    assert tier_settings().frequency_counts == [1, 4, 6, 12]


def test_recompute_button_runs_a_job(users, client_for, orders, django_capture_on_commit_callbacks):
    company = CompanyFactory(owner=users.owner)
    orders.buy(company, days_ago=1, amount="10")
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(users.admin).post(reverse("contacts:tier_recompute"))
    job = Job.objects.get(kind="tiers_recompute")
    assert response.status_code == 302 and response["Location"] == reverse("core:job_detail", args=[job.pk])
    assert job.status == Job.Status.SUCCEEDED and job.result["company"]["changed"] == 1
    assert Company.objects.get(pk=company.pk).tier == "C"
    assert client_for(users.owner).post(reverse("contacts:tier_recompute")).status_code == 403


def test_the_360_page_shows_tier_value_and_history(users, client_for, orders):
    company = CompanyFactory(owner=users.owner)
    orders.buy(company, days_ago=1, amount="2500000")
    tiers_recompute(now=timezone.now())
    response = client_for(users.owner).get(reverse("contacts:company_detail", args=[company.pk]))
    figures = {str(f.label): f.value for f in response.context["figures"]}
    assert figures["Tier"] == "B (RFM 515)"
    assert figures["Lifetime value (CNY)"] == D("2500000.00")
    html = response.content.decode()
    assert "2,500,000.00" in html
    timeline = client_for(users.owner).get(reverse("contacts:company_history", args=[company.pk])).content.decode()
    assert "Tier changed: not rated → Tier B (RFM 515)" in timeline


def test_lists_filter_by_tier(users, client_for, api_for, orders):
    rated = CompanyFactory(owner=users.owner, name="Rated Co")
    CompanyFactory(owner=users.owner, name="Unrated Co")
    orders.buy(rated, days_ago=1, amount="1")
    tiers_recompute(now=NOW)
    html = client_for(users.owner).get(reverse("contacts:company_list") + "?tier=D&tier=C").content.decode()
    assert "Rated Co" in html and "Unrated Co" not in html
    assert "Rated Co" not in client_for(users.owner).get(reverse("contacts:company_list") + "?tier=A").content.decode()
    data = api_for(users.owner).get("/api/v1/companies/?tier=C").json()
    assert [row["name"] for row in data["results"]] == ["Rated Co"]
    assert data["results"][0]["tier"] == "C" and data["results"][0]["rfm_recency"] == 5


# API -----------------------------------------------------------------------------------------


def test_api_thresholds_counts_and_recompute(users, api_for, orders, django_capture_on_commit_callbacks):
    api = api_for(users.admin)
    assert api.get("/api/v1/tiers/settings/").json()["frequency_counts"] == [2, 3, 5, 10]
    bad = api.patch("/api/v1/tiers/settings/", {"frequency_counts": [3, 2, 1, 0]}, format="json")
    assert bad.status_code == 400 and "frequency_counts" in bad.json()["error"]["fields"]
    wrong_type = api.patch("/api/v1/tiers/settings/", {"window_days": "soon"}, format="json")
    assert wrong_type.status_code == 400 and "window_days" in wrong_type.json()["error"]["fields"]
    ok = api.patch("/api/v1/tiers/settings/", {"monetary_amounts": ["1", "2", "3", "4.50"]}, format="json")
    assert ok.status_code == 200 and ok.json()["monetary_amounts"] == ["1.00", "2.00", "3.00", "4.50"]
    company = CompanyFactory(owner=users.owner)
    orders.buy(company, days_ago=1, amount="100")
    with django_capture_on_commit_callbacks(execute=True):
        started = api.post("/api/v1/tiers/recompute/")
    assert started.status_code == 202
    assert Job.objects.get(pk=started.json()["job"]).status == Job.Status.SUCCEEDED
    assert api.get("/api/v1/tiers/").json()["company"] == {"A": 0, "B": 1, "C": 0, "D": 0}
    history = api.get(f"/api/v1/companies/{company.pk}/tier-history/").json()
    assert [(h["old_tier"], h["new_tier"], h["rfm"]) for h in history] == [("", "B", "515")]


def test_api_tiers_are_for_administrators_and_tier_fields_are_read_only(users, api_for):
    rep = api_for(users.owner)
    for response in (
        rep.get("/api/v1/tiers/"),
        rep.get("/api/v1/tiers/settings/"),
        rep.patch("/api/v1/tiers/settings/", {"window_days": 10}, format="json"),
        rep.post("/api/v1/tiers/recompute/"),
    ):
        assert response.status_code == 403 and response.json()["error"]["code"] == "permission_denied"
    company = CompanyFactory(owner=users.owner)
    response = rep.patch(f"/api/v1/companies/{company.pk}/", {"tier": "A", "lifetime_value": "9"}, format="json")
    assert response.status_code == 200
    company.refresh_from_db()
    assert (company.tier, company.lifetime_value) == ("", D("0.00"))
    hidden = CompanyFactory(owner=users.outsider)
    assert rep.get(f"/api/v1/companies/{hidden.pk}/tier-history/").status_code == 404
