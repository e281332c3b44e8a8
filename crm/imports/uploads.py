"""Refusing an oversized upload before it is read: the Content-Length first, then an
upload handler that stops counting bytes past IMPORT_MAX_BYTES (for uploads sent
without a length, or lying about it)."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload, TemporaryFileUploadHandler


def declared_too_large(request) -> bool:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    # The form fields around the file take a few hundred bytes.
    return length > settings.IMPORT_MAX_BYTES + 64 * 1024


class SizeLimitHandler(FileUploadHandler):
    """First in the chain: counts each file's bytes and stops the upload past the limit."""

    def __init__(self, request=None):
        super().__init__(request)
        self.received = 0
        self.too_large = False

    def new_file(self, *args, **kwargs):
        self.received = 0
        return super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > settings.IMPORT_MAX_BYTES:
            self.too_large = True
            raise StopUpload(connection_reset=False)
        return raw_data

    def file_complete(self, file_size):
        return None


def use_limited_handlers(request) -> SizeLimitHandler:
    """Call before anything reads request.POST or request.FILES."""
    limiter = SizeLimitHandler(request)
    request.upload_handlers = [limiter, TemporaryFileUploadHandler(request)]
    return limiter
