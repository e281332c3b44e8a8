from __future__ import annotations

import re
import zoneinfo

from django.utils import timezone, translation

from .context import bind_context, new_request_id

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def client_ip(request) -> str | None:
    # REMOTE_ADDR is the peer; behind a load balancer the deployment sets
    # TRUST_X_FORWARDED_FOR so the first hop of X-Forwarded-For is used instead.
    from django.conf import settings

    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:45]
    return request.META.get("REMOTE_ADDR")


class HealthCheckMiddleware:
    """Answers /healthz and /readyz before host validation and redirects.

    A load balancer probes with its own address as Host and often with HEAD; neither
    should turn a healthy machine into a 400 or 405.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in {"/healthz", "/readyz"} and request.method in {"GET", "HEAD"}:
            from .views.shell import health_response

            return health_response(ready=request.path == "/readyz", head=request.method == "HEAD")
        return self.get_response(request)


class RequestContextMiddleware:
    """Gives every request an id (kept from X-Request-ID when well formed) and an IP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _REQUEST_ID_RE.match(incoming) else new_request_id()
        with bind_context(request_id=request_id, ip=client_ip(request)) as ctx:
            request.request_id = ctx.request_id
            response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


def activate_user_preferences(request, user) -> None:
    """The user's time zone, and language unless the browser chose one with the switcher.

    Called by the middleware for sessions and again by the API once a token has
    identified the user (token authentication happens after the middleware).
    """
    if user is None or not user.is_authenticated:
        return
    if user.time_zone:
        try:
            timezone.activate(zoneinfo.ZoneInfo(user.time_zone))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
    if user.language and "django_language" not in request.COOKIES:
        translation.activate(user.language)
        request.LANGUAGE_CODE = translation.get_language()


class UserPreferencesMiddleware:
    """Activates the signed-in user's time zone and, unless chosen otherwise, language."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        activate_user_preferences(request, getattr(request, "user", None))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
