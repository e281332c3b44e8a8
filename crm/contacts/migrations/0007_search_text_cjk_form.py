"""Chinese characters in the stored search text are written as u + four hex digits, so
that the trigram index serves one- and two-character Chinese queries (crm.core.text)."""

import re

from django.db import migrations

BATCH = 2000
_ENCODED = re.compile(r"u([0-9a-f]{4})")


def _rewrite(model, convert) -> None:
    last = 0
    while True:
        rows = list(
            model._base_manager.filter(pk__gt=last).order_by("pk").values_list("pk", "search_text")[:BATCH]
        )
        if not rows:
            return
        last = rows[-1][0]
        changed = [model(pk=pk, search_text=convert(text)) for pk, text in rows if convert(text) != text]
        model._base_manager.bulk_update(changed, ["search_text"], batch_size=500)


def encode(apps, schema_editor):
    from crm.core.text import cjk_search_form

    for name in ("Company", "Contact"):
        _rewrite(apps.get_model("contacts", name), cjk_search_form)


def decode(apps, schema_editor):
    def back(text: str) -> str:
        return _ENCODED.sub(
            lambda m: chr(int(m.group(1), 16)) if 0x3400 <= int(m.group(1), 16) <= 0xFAFF else m.group(0), text
        )

    for name in ("Company", "Contact"):
        _rewrite(apps.get_model("contacts", name), back)


class Migration(migrations.Migration):
    dependencies = [("contacts", "0006_search_recent_first")]

    operations = [migrations.RunPython(encode, decode)]
