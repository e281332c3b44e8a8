"""The profile page: language and time zone, applied on the next request; no self-promotion."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client, RequestFactory
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils import timezone, translation

from crm.accounts import services
from crm.accounts.models import Role, Team
from crm.audit.models import AuditEntry
from crm.core.errors import PermissionDeniedError, ValidationFailed
from crm.core.middleware import UserPreferencesMiddleware

PROFILE = reverse("accounts:profile")


def profile_data(user, **changes) -> dict:
    data = {
        "full_name": user.full_name,
        "email": user.email,
        "phone": user.phone,
        "language": user.language,
        "time_zone": user.time_zone,
    }
    data.update(changes)
    return data


class ActiveDuringRender:
    """Records the language and time zone active while a request renders its templates."""

    def __init__(self):
        self.seen: list[tuple[str, str]] = []

    def __enter__(self):
        template_rendered.connect(self._record)
        return self

    def __exit__(self, *exc):
        template_rendered.disconnect(self._record)

    def _record(self, sender, **kwargs):
        self.seen.append((translation.get_language(), timezone.get_current_timezone_name()))

    @property
    def last(self) -> tuple[str, str]:
        assert self.seen, "no template was rendered"
        return self.seen[-1]


def test_profile_page_shows_the_users_values(users, client_for):
    users.owner.time_zone = "Europe/Berlin"
    users.owner.save()
    response = client_for(users.owner).get(PROFILE)
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["time_zone"] == "Europe/Berlin"
    assert form.initial["email"] == users.owner.email


def test_profile_edit_saves_language_and_time_zone_and_audits(users, client_for):
    client = client_for(users.owner)
    response = client.post(
        PROFILE, profile_data(users.owner, language="zh-hans", time_zone="America/New_York", full_name="王芳")
    )
    assert response.status_code == 302
    assert response["Location"] == PROFILE
    users.owner.refresh_from_db()
    assert (users.owner.language, users.owner.time_zone, users.owner.full_name) == (
        "zh-hans",
        "America/New_York",
        "王芳",
    )
    assert response.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"
    entry = AuditEntry.objects.get(action="update", object_id=str(users.owner.pk))
    changed = {c["field"]: (c["old"], c["new"]) for c in entry.changes}
    assert changed["language"] == ("", "zh-hans")
    assert changed["time_zone"] == ("", "America/New_York")
    assert "email" not in changed  # unchanged fields are not logged


@pytest.mark.parametrize("bad", ["Mars/Base", "Asia/Shanghai; DROP", "UTC+8"])
def test_profile_refuses_an_unknown_time_zone(users, client_for, bad):
    response = client_for(users.owner).post(PROFILE, profile_data(users.owner, time_zone=bad))
    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    users.owner.refresh_from_db()
    assert users.owner.time_zone == ""


def test_profile_refuses_an_unknown_language(users, client_for):
    response = client_for(users.owner).post(PROFILE, profile_data(users.owner, language="fr"))
    assert response.status_code == 200
    assert "language" in response.context["form"].errors
    users.owner.refresh_from_db()
    assert users.owner.language == ""


def test_service_refuses_an_unknown_time_zone(users):
    with pytest.raises(ValidationFailed) as caught:
        services.user_update(actor=users.owner, user=users.owner, data={"time_zone": "Mars/Base"})
    assert "time_zone" in caught.value.fields


def test_language_and_time_zone_apply_on_the_next_request(users, client_for):
    client = client_for(users.owner)
    with ActiveDuringRender() as before:
        client.get(reverse("core:dashboard"))
    assert before.last == ("en", django_settings.TIME_ZONE)

    client.post(PROFILE, profile_data(users.owner, language="zh-hans", time_zone="America/New_York"))

    with ActiveDuringRender() as after:
        response = client.get(reverse("core:dashboard"))
    assert after.last == ("zh-hans", "America/New_York")
    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-Hans">' in response.content.decode()
    # Nothing leaks into code running after the request.
    assert timezone.get_current_timezone_name() == django_settings.TIME_ZONE


def test_preferences_apply_in_a_new_session_without_a_language_cookie(users):
    users.teammate.language = "zh-hans"
    users.teammate.time_zone = "Europe/London"
    users.teammate.save()
    client = Client()
    client.force_login(users.teammate)
    with ActiveDuringRender() as seen:
        client.get(reverse("core:dashboard"))
    assert seen.last == ("zh-hans", "Europe/London")


def test_a_language_cookie_chosen_since_wins_over_the_profile(users):
    users.teammate.language = "zh-hans"
    users.teammate.save()
    client = Client()
    client.force_login(users.teammate)
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
    with ActiveDuringRender() as seen:
        client.get(reverse("core:dashboard"))
    assert seen.last[0] == "en"


def test_user_without_preferences_gets_the_company_defaults(users):
    client = Client()
    client.force_login(users.outsider)
    with ActiveDuringRender() as seen:
        client.get(reverse("core:dashboard"))
    assert seen.last == (django_settings.LANGUAGE_CODE, django_settings.TIME_ZONE)


def test_middleware_activates_the_zone_only_during_the_request(users):
    users.owner.time_zone = "Asia/Tokyo"
    users.owner.language = "zh-hans"
    seen = {}

    def view(request):
        seen["tz"] = timezone.get_current_timezone_name()
        seen["lang"] = translation.get_language()
        return None

    request = RequestFactory().get("/")
    request.user = users.owner
    with translation.override("en"):
        UserPreferencesMiddleware(view)(request)
    assert seen == {"tz": "Asia/Tokyo", "lang": "zh-hans"}
    assert request.LANGUAGE_CODE == "zh-hans"
    assert timezone.get_current_timezone_name() == django_settings.TIME_ZONE


def test_middleware_ignores_a_stored_zone_that_no_longer_exists(users):
    users.owner.time_zone = "Mars/Base"  # as if written before validation existed
    seen = {}

    def view(request):
        seen["tz"] = timezone.get_current_timezone_name()

    request = RequestFactory().get("/")
    request.user = users.owner
    UserPreferencesMiddleware(view)(request)
    assert seen["tz"] == django_settings.TIME_ZONE


# No changing one's own role or team ------------------------------------------------


def test_non_admin_cannot_change_own_role_or_team(users):
    admin_role = Role.objects.get(key="administrator")
    other_team = Team.objects.get(name="Elsewhere")
    for data in ({"role": admin_role}, {"team": other_team}, {"is_active": True}, {"is_superuser": True}):
        with pytest.raises(PermissionDeniedError):
            services.user_update(actor=users.owner, user=users.owner, data=data)
    users.owner.refresh_from_db()
    assert users.owner.role.key == "sales_rep"
    assert users.owner.team.name == "East"
    assert not users.owner.is_superuser


def test_non_admin_cannot_edit_another_user(users):
    with pytest.raises(PermissionDeniedError):
        services.user_update(actor=users.owner, user=users.teammate, data={"full_name": "Hijacked"})
    users.teammate.refresh_from_db()
    assert users.teammate.full_name != "Hijacked"


def test_profile_post_ignores_role_and_team(users, client_for):
    admin_role = Role.objects.get(key="administrator")
    response = client_for(users.owner).post(
        PROFILE, {**profile_data(users.owner), "role": admin_role.pk, "team": "", "is_superuser": "on"}
    )
    assert response.status_code == 302
    users.owner.refresh_from_db()
    assert users.owner.role.key == "sales_rep"
    assert users.owner.team.name == "East"
    assert not users.owner.is_superuser
    assert not AuditEntry.objects.filter(action="permission", object_id=str(users.owner.pk)).exists()


def test_admin_changes_role_and_team_with_a_permission_audit_row(users):
    manager_role = Role.objects.get(key="sales_manager")
    sales = Team.objects.get(name="Sales")
    services.user_update(actor=users.admin, user=users.owner, data={"role": manager_role, "team": sales})
    users.owner.refresh_from_db()
    assert users.owner.role == manager_role and users.owner.team == sales
    entry = AuditEntry.objects.get(action="permission", object_id=str(users.owner.pk))
    assert {c["field"] for c in entry.changes} == {"role", "team"}
    assert entry.actor == users.admin


def test_admin_cannot_deactivate_themself(users):
    with pytest.raises(ValidationFailed):
        services.user_update(actor=users.admin, user=users.admin, data={"is_active": False})
    users.admin.refresh_from_db()
    assert users.admin.is_active
