from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from crm.accounts.models import Role, Team

PASSWORD = "pass-Word-2026"  # noqa: S105 - test users only


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Faker("name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = factory.LazyFunction(lambda: Role.objects.get(key="sales_rep"))
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def role(key: str) -> Role:
    return Role.objects.get(key=key)
