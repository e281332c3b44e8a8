"""One machine, no other server: SQLite under var/, filesystem queue, file cache.

The secret key is generated once and kept in var/secret_key unless SECRET_KEY is set.
"""

import os
import secrets
from pathlib import Path

_var = Path(os.environ.get("CRM_VAR_DIR") or Path(__file__).resolve().parent.parent.parent / "var")
if not os.environ.get("SECRET_KEY"):
    _var.mkdir(parents=True, exist_ok=True)
    _key_file = _var / "secret_key"
    if not _key_file.exists():
        _key_file.write_text(secrets.token_urlsafe(50))
        _key_file.chmod(0o600)
    os.environ["SECRET_KEY"] = _key_file.read_text().strip()

from .base import *  # noqa: E402,F403

if EMBEDDED:  # noqa: F405
    # The filesystem queue's folders must exist before the first task is sent.
    for _sub in ("out", "processed", "control"):
        (VAR_DIR / "queue" / _sub).mkdir(parents=True, exist_ok=True)  # noqa: F405
