from django.db import migrations, models


def fill_search_text(apps, schema_editor):
    """Existing deals get the search text the services now write."""
    from crm.core.text import build_search_text

    Deal = apps.get_model("deals", "Deal")
    batch = []
    for pk, name in Deal.objects.values_list("pk", "name").iterator(chunk_size=2000):
        batch.append(Deal(pk=pk, search_text=build_search_text(names=[name])))
        if len(batch) >= 2000:
            Deal.objects.bulk_update(batch, ["search_text"])
            batch = []
    if batch:
        Deal.objects.bulk_update(batch, ["search_text"])


def add_trigram_index(apps, schema_editor):
    """PostgreSQL only: a pg_trgm GIN index serves the substring search on search_text."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS deal_text_trgm_idx ON deals_deal USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS deal_text_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("deals", "0006_forecast_cover_indexes")]

    operations = [
        migrations.AddField(
            model_name="deal",
            name="search_text",
            field=models.TextField(blank=True, default="", editable=False, verbose_name="search text"),
        ),
        migrations.RunPython(fill_search_text, migrations.RunPython.noop),
        migrations.RunPython(add_trigram_index, drop_trigram_index),
    ]
