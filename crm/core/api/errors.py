"""One error shape for the whole API: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from crm.core.errors import ServiceError


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors":
                name = prefix or "__all__"
            for k, v in _flatten(value, name).items():
                fields.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        for i, item in enumerate(detail):
            if isinstance(item, dict):
                for k, v in _flatten(item, f"{prefix}[{i}]").items():
                    fields.setdefault(k, []).extend(v)
            else:
                fields.setdefault(prefix or "__all__", []).append(str(item))
    else:
        fields.setdefault(prefix or "__all__", []).append(str(detail))
    return fields


def error_response(status_code: int, code: str, message: str, fields=None, headers=None) -> Response:
    return Response(
        {"error": {"code": code, "message": message, "fields": fields or {}}}, status=status_code, headers=headers
    )


def exception_handler(exc, context):
    if isinstance(exc, ServiceError):
        return error_response(exc.status, exc.code, str(exc.message), exc.fields)
    if isinstance(exc, Http404):
        return error_response(404, "not_found", _("Not found."))
    if isinstance(exc, PermissionDenied):
        return error_response(403, "permission_denied", _("You do not have permission to do this."))
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        return error_response(400, "validation_failed", _("Some fields are not valid."), _flatten(exc.detail))
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.Throttled):
        code = "rate_limited"
        if exc.wait:
            message = _("Too many requests. Try again in %(seconds)s seconds.") % {"seconds": int(exc.wait + 0.999)}
        else:
            message = _("Too many requests. Try again later.")
    else:
        detail = exc.detail if hasattr(exc, "detail") else str(exc)
        message = str(detail) if not isinstance(detail, dict | list) else _("The request failed.")
    headers = {k: v for k, v in response.headers.items() if k in {"Retry-After", "WWW-Authenticate", "Allow"}}
    return error_response(response.status_code or status.HTTP_400_BAD_REQUEST, code, message, headers=headers)
