"""The whole-database scan: blocking, then scoring the candidate pairs.

1. **Blocking.** The rows are streamed (``values_list(...).iterator()``, never model
   instances) and each record's blocking keys are computed (engine.py). Only a 64-bit
   code per (key, record) is kept: the key's 32-bit hash and the record id, in one
   ``array('Q')`` per kind of key, so a million contacts take a few tens of
   megabytes. Each array is sorted; records sharing a hash form a block, and every
   pair inside a block of at most ``MAX_BLOCK`` records is a candidate (bigger blocks
   are a common value and are skipped). A hash collision only adds a candidate that
   the scoring rejects.
2. **Scoring.** The records that appear in a candidate pair are read again (in
   batches of ids) and reduced to their features; every candidate pair is scored
   with rapidfuzz. Pairs at ``min_score`` or above are the result.

Memory is the key codes plus the features of the records that have a candidate, not
the whole table.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from . import engine

STREAM_CHUNK = 5000
ID_BATCH = 2000
_MASK = 0xFFFFFFFF

ROW_FIELDS = {
    engine.CONTACT: ("id", "name", "email", "phone", "emails", "phones", "company_id"),
    engine.COMPANY: ("id", "name", "registration_number", "email", "phone", "website", "region", "address"),
}
FEATURES = {engine.CONTACT: engine.contact_features, engine.COMPANY: engine.company_features}


def model_for(kind: str):
    from crm.contacts.models import Company, Contact

    return {engine.CONTACT: Contact, engine.COMPANY: Company}[kind]


@dataclass
class ScanStats:
    records: int = 0
    keys: int = 0
    blocks: int = 0
    skipped_blocks: int = 0
    candidates: int = 0
    pairs: int = 0
    seconds_blocking: float = 0.0
    seconds_scoring: float = 0.0
    extra: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "records": self.records,
            "keys": self.keys,
            "blocks": self.blocks,
            "skipped_blocks": self.skipped_blocks,
            "candidates": self.candidates,
            "pairs": self.pairs,
            "seconds_blocking": round(self.seconds_blocking, 2),
            "seconds_scoring": round(self.seconds_scoring, 2),
        }


Progress = Callable[[int, int | None, str | None], None]


def _queryset(kind: str):
    # The recycle bin is left out: a deleted record is not proposed for merging.
    return model_for(kind).objects.order_by()


def stream_rows(kind: str, queryset=None) -> Iterator[tuple]:
    qs = queryset if queryset is not None else _queryset(kind)
    yield from qs.values_list(*ROW_FIELDS[kind]).iterator(chunk_size=STREAM_CHUNK)


def features_of(kind: str, row: tuple) -> engine.Features:
    return FEATURES[kind](*row)


def _pairs_of_blocks(codes: array, stats: ScanStats, out: array, max_block: int) -> None:
    """Sort one kind of key's codes and append every pair within each block to ``out``."""
    ordered = sorted(codes)
    n = len(ordered)
    i = 0
    while i < n:
        key = ordered[i] >> 32
        j = i + 1
        while j < n and ordered[j] >> 32 == key:
            j += 1
        size = j - i
        if size > 1:
            if size > max_block:
                stats.skipped_blocks += 1
            else:
                stats.blocks += 1
                ids = sorted({code & _MASK for code in ordered[i:j]})
                for x in range(len(ids)):
                    high = ids[x] << 32
                    for y in range(x + 1, len(ids)):
                        out.append(high | ids[y])
        i = j


def candidate_pairs(
    kind: str,
    rows: Iterable[tuple],
    *,
    max_block: int = engine.MAX_BLOCK,
    stats: ScanStats | None = None,
    progress: Progress | None = None,
    total: int | None = None,
) -> array:
    """The candidate pairs as sorted, distinct codes ``a << 32 | b`` (a < b)."""
    stats = stats or ScanStats()
    keys_of = engine.KEYS[kind]
    make = FEATURES[kind]
    by_kind: dict[str, array] = {}
    for row in rows:
        stats.records += 1
        pk = row[0]
        for key in keys_of(make(*row)):
            codes = by_kind.get(key[0])
            if codes is None:
                codes = by_kind[key[0]] = array("Q")
            codes.append(((hash(key) & _MASK) << 32) | pk)
            stats.keys += 1
        if progress and stats.records % 10_000 == 0:
            progress(stats.records, total, None)
    pairs = array("Q")
    for prefix in sorted(by_kind):
        _pairs_of_blocks(by_kind.pop(prefix), stats, pairs, max_block)
    distinct = array("Q")
    last = -1
    for code in sorted(pairs):
        if code != last:
            distinct.append(code)
            last = code
    stats.candidates = len(distinct)
    return distinct


def _features_for(kind: str, ids: list[int], queryset=None) -> dict[int, engine.Features]:
    qs = queryset if queryset is not None else _queryset(kind)
    found: dict[int, engine.Features] = {}
    if len(ids) > 20 * ID_BATCH:
        # Many records: one more sequential read is cheaper than thousands of id lookups.
        wanted = set(ids)
        for row in stream_rows(kind, qs):
            if row[0] in wanted:
                found[row[0]] = features_of(kind, row)
        return found
    for start in range(0, len(ids), ID_BATCH):
        batch = ids[start : start + ID_BATCH]
        for row in qs.filter(pk__in=batch).values_list(*ROW_FIELDS[kind]):
            found[row[0]] = features_of(kind, row)
    return found


def score_candidates(
    kind: str, codes: array, features: dict[int, engine.Features], *, min_score: int
) -> Iterator[tuple[int, int, int, list[dict]]]:
    scorer = engine.SCORERS[kind]
    for code in codes:
        a, b = features.get(code >> 32), features.get(code & _MASK)
        if a is None or b is None:
            continue
        score, reasons = scorer(a, b)
        if score >= min_score:
            yield a.pk, b.pk, score, reasons


def find_pairs(
    kind: str,
    *,
    min_score: int = engine.DEFAULT_MIN_SCORE,
    queryset=None,
    progress: Progress | None = None,
    stats: ScanStats | None = None,
) -> list[tuple[int, int, int, list[dict]]]:
    """Every pair of records of ``kind`` scoring ``min_score`` or more, best first:
    (id_a, id_b, score, reasons) with id_a < id_b."""
    stats = stats if stats is not None else ScanStats()
    started = time.monotonic()
    total = None
    if progress:
        total = (queryset if queryset is not None else _queryset(kind)).count()
        progress(0, total, None)
    codes = candidate_pairs(kind, stream_rows(kind, queryset), stats=stats, progress=progress, total=total)
    stats.seconds_blocking = time.monotonic() - started
    started = time.monotonic()
    ids = sorted({code >> 32 for code in codes} | {code & _MASK for code in codes})
    features = _features_for(kind, ids, queryset)
    pairs = list(score_candidates(kind, codes, features, min_score=min_score))
    del features
    pairs.sort(key=lambda p: (-p[2], p[0], p[1]))
    stats.pairs = len(pairs)
    stats.seconds_scoring = time.monotonic() - started
    if progress:
        progress(stats.records, total, None)
    return pairs
