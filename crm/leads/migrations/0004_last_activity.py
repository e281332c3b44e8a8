from django.conf import settings
from django.db import migrations, models
from django.db.models import Max, OuterRef, Q, Subquery


def fill_last_activity(apps, schema_editor):
    """Leads already logged with: their last activity that counts as contact (a call,
    meeting, note or e-mail, or a task once done)."""
    Lead = apps.get_model("leads", "Lead")
    Activity = apps.get_model("activities", "Activity")
    last = (
        Activity.objects.filter(lead=OuterRef("pk"), deleted_at__isnull=True)
        .filter(~Q(kind="task") | Q(done=True))
        .values("lead")
        .annotate(at=Max("occurred_at"))
        .values("at")
    )
    Lead.objects.filter(activities__isnull=False).distinct().update(last_activity_at=Subquery(last))


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0009_last_activity"),
        ("core", "0002_segments"),
        ("deals", "0006_forecast_cover_indexes"),
        ("leads", "0003_lead_submitted_ip"),
        ("activities", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="lead",
            name="last_activity_at",
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name="last activity"),
        ),
        migrations.AddIndex(
            model_name="lead",
            index=models.Index(fields=["owner", "last_activity_at"], name="lead_owner_activity_idx"),
        ),
        migrations.RunPython(fill_last_activity, migrations.RunPython.noop),
    ]
