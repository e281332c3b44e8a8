from django.db import migrations


def add_index(apps, schema_editor):
    """PostgreSQL only: the top-bar search matches a part of the title (icontains, which
    is UPPER(title) LIKE UPPER('%…%')); a trigram index on that expression serves it."""
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS orders_title_trgm_idx ON orders_order USING gin (UPPER(title) gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP INDEX IF EXISTS orders_title_trgm_idx")


class Migration(migrations.Migration):
    dependencies = [("orders", "0002_instalment_overdue_index")]

    operations = [migrations.RunPython(add_index, drop_index)]
