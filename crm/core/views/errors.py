"""Error pages in the user's language; API paths get the JSON error shape instead."""

from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _api(request) -> bool:
    return request.path.startswith("/api/")


def _respond(request, status: int, code: str, message: str):
    if _api(request):
        return JsonResponse({"error": {"code": code, "message": message, "fields": {}}}, status=status)
    return render(request, "error.html", {"status": status, "message": message}, status=status)


def bad_request(request, exception=None):
    return _respond(request, 400, "bad_request", _("The request could not be understood."))


def permission_denied(request, exception=None):
    return _respond(request, 403, "permission_denied", _("You do not have permission to do this."))


def page_not_found(request, exception=None):
    return _respond(request, 404, "not_found", _("This page does not exist, or you may not see it."))


def server_error(request):
    return _respond(request, 500, "server_error", _("Something went wrong on our side. It has been logged."))
