"""The demo data set: realistic, bilingual, fast, loaded once."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from crm.contacts.models import Company, Contact
from crm.demo.management.commands.seed_demo import DEMO_USERS, demo_logins

pytestmark = pytest.mark.django_db
CJK = re.compile(r"[\u4e00-\u9fff]")


def test_small_size_is_realistic_and_bilingual():
    call_command("seed_demo", size="small")
    assert Contact.objects.count() == 1000 + 30  # and 30 likely duplicates, for the review page
    assert Company.objects.count() == 200 + 10
    names = list(Contact.objects.values_list("name", flat=True))
    chinese = sum(1 for n in names if CJK.search(n))
    assert 500 < chinese < 950  # mostly Chinese names, some English ones
    assert all(
        re.fullmatch(r"\+861\d{10}", p) for p in Contact.objects.exclude(phone="").values_list("phone", flat=True)
    )
    assert all(
        re.fullmatch(r"[a-z.]+\d+@[a-z0-9.]+", e)
        for e in Contact.objects.exclude(email="").values_list("email", flat=True)
    )
    assert Company.objects.filter(name__endswith="有限公司").exists()
    assert Company.objects.exclude(name__regex=r"[\u4e00-\u9fff]").exists()
    assert Contact.objects.filter(tags__isnull=False).exists()
    assert Contact.objects.exclude(custom_fields={}).exists()
    assert not Contact.objects.filter(owner__isnull=True).exists()


def test_one_demo_login_per_role_and_everyone_can_sign_in(client):
    call_command("seed_demo", size="small")
    logins = demo_logins()
    assert {role for _u, _p, role in logins} >= {
        "Administrator",
        "Sales manager",
        "Sales rep",
        "Service agent",
        "Marketing",
    }
    for username, password, _role in logins:
        assert client.login(username=username, password=password), username
    assert get_user_model().objects.filter(username__in=[u[0] for u in DEMO_USERS]).count() == len(DEMO_USERS)


def test_if_empty_loads_only_once_and_refuses_a_filled_database():
    call_command("seed_demo", size="small", if_empty=True)
    call_command("seed_demo", size="small", if_empty=True)
    assert Contact.objects.count() == 1000 + 30  # and 30 likely duplicates, for the review page
    with pytest.raises(CommandError):
        call_command("seed_demo", size="small")


def test_same_seed_same_data():
    call_command("seed_demo", size="small", seed=7)
    first = list(Contact.objects.order_by("pk").values_list("name", "email")[:50])
    # Empty the database as seed_demo wants it: every app's records (pipelines and
    # their stages stay, as the deals app's migration made them), then the users.
    from django.apps import apps

    from crm.deals.models import Pipeline, Stage

    for label in (
        "duplicates",
        "notifications",
        "emails",
        "orders",
        "quotes",
        "products",
        "activities",
        "forecasts",
        "leads",
        "deals",
    ):
        for model in reversed(list(apps.get_app_config(label).get_models())):
            if model not in (Pipeline, Stage):
                model._base_manager.all().delete()
    Contact.all_objects.all().delete()
    Company.all_objects.all().delete()
    get_user_model().objects.all().delete()
    call_command("seed_demo", size="small", seed=7)
    assert list(Contact.objects.order_by("pk").values_list("name", "email")[:50]) == first
