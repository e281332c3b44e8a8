"""Typed errors raised by services.

HTML views turn them into form errors and messages; the API turns them into
``{"error": {"code", "message", "fields"}}`` with the status given here.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class ServiceError(Exception):
    status = 400
    code = "invalid"
    default_message = _("The request could not be processed.")

    def __init__(self, message=None, *, fields: dict[str, list[str]] | None = None, code=None):
        self.message = message if message is not None else self.default_message
        self.fields = fields or {}
        if code:
            self.code = code
        super().__init__(str(self.message))


class ValidationFailed(ServiceError):
    status = 400
    code = "validation_failed"
    default_message = _("Some fields are not valid.")


class PermissionDeniedError(ServiceError):
    status = 403
    code = "permission_denied"
    default_message = _("You do not have permission to do this.")


class NotFoundError(ServiceError):
    status = 404
    code = "not_found"
    default_message = _("Not found.")


class ConflictError(ServiceError):
    status = 409
    code = "conflict"
    default_message = _(
        "Someone else changed this record while you were editing it. "
        "Your changes were not saved; review the current values and apply them again."
    )


class UnprocessableError(ServiceError):
    status = 422
    code = "unprocessable"
