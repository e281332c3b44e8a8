from django.db import migrations

BATCH = 2000


def fill_search_text(apps, schema_editor):
    """The search text of the activities written before it existed (subject, place,
    call outcome), in batches so a large table does not sit in memory."""
    from crm.core.text import build_search_text

    Activity = apps.get_model("activities", "Activity")
    rows = Activity._base_manager.order_by("pk").values_list("pk", "subject", "place", "outcome")
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last)[:BATCH])
        if not batch:
            break
        updates = []
        for pk, subject, place, outcome in batch:
            updates.append(Activity(pk=pk, search_text=build_search_text(names=[subject, place], others=[outcome])))
        Activity._base_manager.bulk_update(updates, ["search_text"], batch_size=500)
        last = batch[-1][0]


def add_trigram_index(apps, schema_editor):
    """PostgreSQL only: a pg_trgm GIN index serves the substring search on search_text,
    as for leads (not named "…search_trgm_idx": the contacts app counts those)."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS activity_text_trgm_idx ON activities_activity USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS activity_text_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("activities", "0002_reminders_attendees_search")]

    operations = [
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
        migrations.RunPython(add_trigram_index, drop_trigram_index),
    ]
