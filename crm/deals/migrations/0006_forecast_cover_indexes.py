"""Covering indexes for the funnel of the forecasts app (PostgreSQL only: INCLUDE).

The funnel of a quarter joins the stage changes into its stages with their deals;
with these both sides are read from the indexes alone (measured by
bench/forecasts.py: pages read per call from about 40,000 to 5,400, see
docs/performance.md). SQLite has no INCLUDE and reads the tables.
"""

from django.db import migrations

INDEXES = {
    "stagechange_funnel_cover_idx": (
        "CREATE INDEX IF NOT EXISTS stagechange_funnel_cover_idx "
        "ON deals_dealstagechange (to_stage_id, changed_at) INCLUDE (deal_id)"
    ),
    "deal_funnel_cover_idx": (
        "CREATE INDEX IF NOT EXISTS deal_funnel_cover_idx "
        "ON deals_deal (id) INCLUDE (pipeline_id, owner_id, deleted_at, amount, currency)"
    ),
}


def add_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in INDEXES.values():
            schema_editor.execute(statement)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for name in INDEXES:
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("deals", "0005_board_totals_and_stale_indexes")]

    operations = [migrations.RunPython(add_indexes, drop_indexes)]
