"""Writes for duplicate pairs: storing a scan's result, a reviewer's decision, the
state after a merge."""

from __future__ import annotations

import json

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.core.context import current_context
from crm.core.errors import PermissionDeniedError, ValidationFailed
from crm.core.visibility import can_access, visible_to

from . import engine, scan
from .models import DuplicatePair, PairStatus

# Pairs stored for review: a reviewer may lower the page's minimum score to this.
STORE_MIN_SCORE = 70
BATCH = 5000


def kind_of(model) -> str | None:
    return {"contacts.contact": engine.CONTACT, "contacts.company": engine.COMPANY}.get(model._meta.label_lower)


def pairs_store(*, kind: str, found: list[tuple[int, int, int, list[dict]]]) -> dict:
    """Bring the stored pairs of ``kind`` in line with a scan's result.

    New pairs are added as open; open pairs get the new score and reasons; open pairs
    the scan no longer finds (a record changed or was deleted) are removed. Pairs a
    person marked "not a duplicate", and merged pairs, are kept as they are: such a
    pair is never proposed again."""
    existing: dict[tuple[int, int], tuple[int, str, int, list]] = {
        (a, b): (pk, status, score, reasons)
        for pk, a, b, status, score, reasons in DuplicatePair.objects.filter(kind=kind)
        .order_by()
        .values_list("pk", "a_id", "b_id", "status", "score", "reasons")
        .iterator(chunk_size=BATCH)
    }
    now = timezone.now()
    new, changed, seen = [], [], set()
    counts = {"new": 0, "updated": 0, "removed": 0}

    def flush(force: bool = False) -> None:
        if new and (force or len(new) >= BATCH):
            _insert(new)
            counts["new"] += len(new)
            new.clear()
        if changed and (force or len(changed) >= BATCH):
            DuplicatePair.objects.bulk_update(changed, ["score", "reasons", "scanned_at"], batch_size=BATCH)
            counts["updated"] += len(changed)
            changed.clear()

    with transaction.atomic():
        for a, b, score, reasons in found:
            if a > b:
                a, b = b, a
            seen.add((a, b))
            known = existing.get((a, b))
            if known is None:
                new.append(DuplicatePair(kind=kind, a_id=a, b_id=b, score=score, reasons=reasons))
            elif known[1] == PairStatus.OPEN and (known[2] != score or known[3] != reasons):
                changed.append(DuplicatePair(pk=known[0], score=score, reasons=reasons, scanned_at=now))
            flush()
        flush(force=True)
        stale = [known[0] for key, known in existing.items() if key not in seen and known[1] == PairStatus.OPEN]
        for start in range(0, len(stale), BATCH):
            DuplicatePair.objects.filter(pk__in=stale[start : start + BATCH]).delete()
        counts["removed"] = len(stale)
    return counts


def _insert(pairs: list[DuplicatePair]) -> None:
    """Add new pairs: COPY on PostgreSQL (a scan of a million contacts adds a quarter
    of a million pairs), else bulk inserts. A pair another scan added meanwhile is
    skipped."""
    if connection.vendor == "postgresql":
        now = timezone.now()
        table = DuplicatePair._meta.db_table
        columns = "kind, a_id, b_id, score, reasons, status, found_at, scanned_at"
        try:
            with (
                transaction.atomic(),
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
            ):
                for p in pairs:
                    copy.write_row((p.kind, p.a_id, p.b_id, p.score, json.dumps(p.reasons), p.status, now, now))
            return
        except IntegrityError:
            pass
    DuplicatePair.objects.bulk_create(pairs, batch_size=BATCH, ignore_conflicts=True)


def duplicates_scan(*, kind: str, progress=None) -> dict:
    """Scan all records of ``kind`` and store the pairs for review."""
    if kind not in engine.KINDS:
        raise ValidationFailed(fields={"type": [_("Choose companies or contacts.")]})
    stats = scan.ScanStats()
    found = scan.find_pairs(kind, min_score=STORE_MIN_SCORE, progress=progress, stats=stats)
    stored = pairs_store(kind=kind, found=found)
    return {**stats.as_dict(), **stored}


def _pair_records(pair: DuplicatePair, user):
    model = scan.model_for(pair.kind)
    records = {r.pk: r for r in visible_to(user, model).filter(pk__in=[pair.a_id, pair.b_id])}
    return records.get(pair.a_id), records.get(pair.b_id)


def pair_mark_not_duplicate(*, pair: DuplicatePair, actor) -> DuplicatePair:
    """Remember that the two records are different: the pair is not proposed again.

    The reviewer must be allowed to change both records (whoever could merge them)."""
    a, b = _pair_records(pair, actor)
    if a is None or b is None:
        from crm.core.errors import NotFoundError

        raise NotFoundError()
    if not (can_access(actor, a, "write") and can_access(actor, b, "write")):
        raise PermissionDeniedError(_("You may only decide about records you can change."))
    with transaction.atomic():
        locked = DuplicatePair.objects.select_for_update().get(pk=pair.pk)
        if locked.status == PairStatus.MERGED:
            raise ValidationFailed(_("These records have already been merged."))
        locked.status = PairStatus.NOT_DUPLICATE
        locked.reviewed_by = actor
        locked.reviewed_at = timezone.now()
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "scanned_at"])
    return locked


def pair_reopen(*, pair: DuplicatePair, actor) -> DuplicatePair:
    """Undo a "not a duplicate" decision."""
    a, b = _pair_records(pair, actor)
    if a is None or b is None:
        from crm.core.errors import NotFoundError

        raise NotFoundError()
    if not (can_access(actor, a, "write") and can_access(actor, b, "write")):
        raise PermissionDeniedError(_("You may only decide about records you can change."))
    DuplicatePair.objects.filter(pk=pair.pk, status=PairStatus.NOT_DUPLICATE).update(
        status=PairStatus.OPEN, reviewed_by=actor, reviewed_at=timezone.now()
    )
    pair.refresh_from_db()
    return pair


def pairs_after_merge(survivor) -> None:
    """Merge hook (after a merge and after its undo): a pair of the survivor and a
    record now in the recycle bin is merged; a merged pair whose records are both
    back (the merge was undone) is open again."""
    kind = kind_of(type(survivor))
    if kind is None:
        return
    model = type(survivor)
    pairs = list(
        DuplicatePair.objects.filter(kind=kind, status__in=[PairStatus.OPEN, PairStatus.MERGED]).filter(
            models_q(survivor.pk)
        )
    )
    if not pairs:
        return
    others = {p.b_id if p.a_id == survivor.pk else p.a_id for p in pairs}
    gone = set(model.all_objects.filter(pk__in=others, deleted_at__isnull=False).values_list("pk", flat=True))
    ctx = current_context()
    now = timezone.now()
    for pair in pairs:
        other = pair.b_id if pair.a_id == survivor.pk else pair.a_id
        if other in gone and pair.status == PairStatus.OPEN:
            DuplicatePair.objects.filter(pk=pair.pk).update(
                status=PairStatus.MERGED, reviewed_at=now, reviewed_by_id=ctx.actor_id if ctx else None
            )
        elif other not in gone and pair.status == PairStatus.MERGED:
            DuplicatePair.objects.filter(pk=pair.pk).update(status=PairStatus.OPEN, reviewed_at=now)


def models_q(pk: int):
    from django.db.models import Q

    return Q(a_id=pk) | Q(b_id=pk)
