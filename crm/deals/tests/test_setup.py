"""Administrators set up pipelines and stages without code: pages, API, audit, refusals."""

import pytest
from django.urls import reverse

from crm.audit.models import AuditEntry
from crm.core.errors import PermissionDeniedError, UnprocessableError, ValidationFailed
from crm.core.services import record_delete
from crm.deals.models import Pipeline, Stage
from crm.deals.selectors import pipeline_default
from crm.deals.services import (
    pipeline_create,
    pipeline_set_default,
    pipeline_update,
    stage_delete,
    stage_update,
    stages_reorder,
)

from .factories import DealFactory, PipelineFactory, default_pipeline, stage

pytestmark = pytest.mark.django_db


def test_create_rename_default_and_deactivate(users):
    pipeline = pipeline_create(actor=users.admin, data={"name_en": "Partners", "name_zh": "渠道"})
    assert [s.kind for s in pipeline.stages.order_by("position")] == ["open", "won", "lost"]
    assert AuditEntry.objects.filter(object_id=str(pipeline.pk), action="create").exists()
    pipeline = pipeline_update(pipeline=pipeline, actor=users.admin, data={"name_zh": "渠道合作"})
    assert pipeline.name_zh == "渠道合作"
    old = default_pipeline()
    pipeline_set_default(pipeline=pipeline, actor=users.admin)
    assert pipeline_default() == pipeline and not Pipeline.objects.get(pk=old.pk).is_default
    with pytest.raises(ValidationFailed):
        pipeline_update(pipeline=pipeline, actor=users.admin, data={"active": False})
    pipeline_update(pipeline=old, actor=users.admin, data={"active": False})
    with pytest.raises(ValidationFailed):
        pipeline_set_default(pipeline=old, actor=users.admin)
    for who in (users.manager, users.owner):
        with pytest.raises(PermissionDeniedError):
            pipeline_create(actor=who, data={"name_en": "Mine"})


def test_a_stage_with_deals_cannot_be_deleted_even_from_the_recycle_bin(users):
    proposal = stage(index=2)
    deal = DealFactory(owner=users.owner, stage=proposal)
    record_delete(instance=deal, actor=users.owner)
    with pytest.raises(UnprocessableError) as caught:
        stage_delete(stage=proposal, actor=users.admin)
    assert "1 deal sits in the stage “Proposal” (the recycle bin included)" in str(caught.value.message)
    assert Stage.objects.filter(pk=proposal.pk).exists()
    with pytest.raises(ValidationFailed):
        stage_update(stage=proposal, actor=users.admin, data={"kind": "won"})
    empty = stage(index=1)
    stage_delete(stage=empty, actor=users.admin)
    assert not Stage.objects.filter(pk=empty.pk).exists()
    assert AuditEntry.objects.filter(object_id=str(empty.pk), action="delete").exists()


def test_the_last_open_stage_stays(users):
    pipeline = PipelineFactory()
    opens = list(pipeline.stages.filter(kind="open").order_by("position"))
    stage_delete(stage=opens[0], actor=users.admin)
    with pytest.raises(UnprocessableError):
        stage_delete(stage=opens[1], actor=users.admin)


def test_reorder(users):
    pipeline = default_pipeline()
    ids = list(pipeline.stages.order_by("position").values_list("pk", flat=True))
    new = [ids[1], ids[0], *ids[2:]]
    stages_reorder(pipeline=pipeline, actor=users.admin, stage_ids=new)
    assert list(pipeline.stages.order_by("position").values_list("pk", flat=True)) == new
    with pytest.raises(ValidationFailed):
        stages_reorder(pipeline=pipeline, actor=users.admin, stage_ids=ids[:-1])
    with pytest.raises(ValidationFailed):
        stages_reorder(pipeline=pipeline, actor=users.admin, stage_ids=[*ids[:-1], ids[0]])


def test_pages(users, client_for):
    admin = client_for(users.admin)
    assert client_for(users.manager).get(reverse("deals:pipeline_list")).status_code == 403
    response = admin.post(
        reverse("deals:pipeline_add"), {"name_en": "Partners", "name_zh": "渠道", "active": "on", "stale_after_days": 7}
    )
    pipeline = Pipeline.objects.get(name_en="Partners")
    assert response.status_code == 302 and pipeline.stale_after_days == 7
    bad = admin.post(reverse("deals:pipeline_edit", args=[pipeline.pk]), {"name_en": "", "stale_after_days": 0})
    assert bad.status_code == 400
    response = admin.post(
        reverse("deals:stage_add", args=[pipeline.pk]),
        {"name_en": "Demo", "name_zh": "演示", "probability": 40, "kind": "open"},
    )
    assert response.status_code == 302
    demo = pipeline.stages.get(name_en="Demo")
    assert demo.position == 3
    admin.post(reverse("deals:stages_reorder", args=[pipeline.pk]), {"stage": demo.pk, "direction": "up"})
    assert list(pipeline.stages.order_by("position").values_list("name_en", flat=True)) == [
        "Open",
        "Won",
        "Demo",
        "Lost",
    ]
    too_likely = admin.post(
        reverse("deals:stage_edit", args=[demo.pk]), {"name_en": "Demo", "probability": 120, "kind": "open"}
    )
    assert too_likely.status_code == 400
    DealFactory(owner=users.owner, pipeline=pipeline, stage=demo)
    response = admin.post(reverse("deals:stage_delete", args=[demo.pk]), follow=True)
    assert "1 deal sits in the stage “Demo”" in response.content.decode()
    admin.post(reverse("deals:pipeline_default", args=[pipeline.pk]))
    assert pipeline_default() == pipeline
    edit = admin.get(reverse("deals:pipeline_edit", args=[pipeline.pk])).content.decode()
    assert "演示" in edit and "Demo" in edit


def test_api(users, api_for):
    admin = api_for(users.admin)
    listed = api_for(users.owner).get(reverse("pipeline-list")).json()
    assert [p["name_en"] for p in listed] == ["New business", "Renewals"]
    assert [s["name_en"] for s in listed[0]["stages"]][:2] == ["Qualification", "Needs analysis"]
    assert api_for(users.owner).post(reverse("pipeline-list"), {"name_en": "x"}, format="json").status_code == 403
    created = admin.post(reverse("pipeline-list"), {"name_en": "Partners", "name_zh": "渠道"}, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    assert len(created.json()["stages"]) == 3
    stage_ids = [s["id"] for s in created.json()["stages"]]
    reordered = admin.post(reverse("pipeline-reorder", args=[pk]), {"stages": stage_ids[::-1]}, format="json")
    assert [s["id"] for s in reordered.json()["stages"]] == stage_ids[::-1]
    made = admin.post(reverse("stage-list"), {"pipeline": pk, "name_en": "Pilot", "probability": 60}, format="json")
    assert made.status_code == 201, made.json()
    assert (
        admin.patch(reverse("stage-detail", args=[made.json()["id"]]), {"probability": 65}, format="json").json()[
            "probability"
        ]
        == 65
    )
    DealFactory(owner=users.owner, pipeline=Pipeline.objects.get(pk=pk), stage=Stage.objects.get(pk=made.json()["id"]))
    refused = admin.delete(reverse("stage-detail", args=[made.json()["id"]]))
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "stage_in_use"
    assert admin.patch(reverse("pipeline-detail", args=[pk]), {"is_default": True}, format="json").json()["is_default"]
    assert admin.delete(reverse("pipeline-detail", args=[pk])).status_code == 400
    assert admin.get(reverse("pipeline-detail", args=[987654])).status_code == 404
