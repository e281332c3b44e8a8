"""The pipelines a new installation starts with; administrators change them later."""

from django.db import migrations

PIPELINES = [
    (
        "New business",
        "新业务",
        True,
        [
            ("Qualification", "资格确认", 10, "open"),
            ("Needs analysis", "需求分析", 25, "open"),
            ("Proposal", "方案报价", 50, "open"),
            ("Negotiation", "商务谈判", 75, "open"),
            ("Won", "赢单", 100, "won"),
            ("Lost", "输单", 0, "lost"),
        ],
    ),
    (
        "Renewals",
        "续约",
        False,
        [
            ("Renewal due", "待续约", 30, "open"),
            ("Renewal negotiation", "续约洽谈", 70, "open"),
            ("Renewed", "已续约", 100, "won"),
            ("Churned", "已流失", 0, "lost"),
        ],
    ),
]


def create_pipelines(apps, schema_editor):
    Pipeline = apps.get_model("deals", "Pipeline")
    Stage = apps.get_model("deals", "Stage")
    if Pipeline.objects.exists():
        return
    for position, (name_en, name_zh, is_default, stages) in enumerate(PIPELINES):
        pipeline = Pipeline.objects.create(name_en=name_en, name_zh=name_zh, is_default=is_default, position=position)
        Stage.objects.bulk_create(
            Stage(pipeline=pipeline, name_en=s_en, name_zh=s_zh, probability=prob, kind=kind, position=i)
            for i, (s_en, s_zh, prob, kind) in enumerate(stages)
        )


def remove_pipelines(apps, schema_editor):
    Pipeline = apps.get_model("deals", "Pipeline")
    Deal = apps.get_model("deals", "Deal")
    names = [p[0] for p in PIPELINES]
    Pipeline.objects.filter(name_en__in=names).exclude(pk__in=Deal.objects.values("pipeline_id")).delete()


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_initial")]

    operations = [migrations.RunPython(create_pipelines, remove_pipelines)]
