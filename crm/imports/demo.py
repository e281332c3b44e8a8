"""Demo data: a finished import in the history, run through the real import path.

The demo's history page should show what an import looks like (counts, refused rows
to download, undo), so the seed uploads a small generated CSV in GBK, maps it with the
suggested mapping and runs it as the given user, exactly as the wizard would.
"""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "晓东", "海燕"]
LATIN = ["Anna Schmidt", "Peter Chen", "Laura Kim", "Tom Walker", "Sofia Rossi", "Lucas Martin"]
TITLES = ["采购经理", "销售总监", "工程师", "Buyer", "CTO", ""]
MOBILE_PREFIXES = ["130", "135", "136", "137", "138", "139", "150", "151", "158", "186", "188"]


def demo_import_file(*, rows: int, seed: int = 2026) -> bytes:
    """A contacts CSV in GBK with Chinese headers, mixed phone formats, and a few bad rows."""
    rnd = random.Random(seed)  # noqa: S311 - demo data, not secrets
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["姓名", "手机", "邮箱", "职位", "生日", "标签"])
    for i in range(rows):
        name = rnd.choice(SURNAMES) + rnd.choice(GIVEN) if rnd.random() < 0.7 else rnd.choice(LATIN)
        digits = f"{rnd.choice(MOBILE_PREFIXES)}{rnd.randint(0, 99_999_999):08d}"
        phone = rnd.choice([digits, f"{digits[:3]} {digits[3:7]} {digits[7:]}", f"+86-{digits}"])
        email = f"demo.import{i}@example.com"
        birthday = f"{rnd.randint(1965, 2000)}年{rnd.randint(1, 12)}月{rnd.randint(1, 28)}日"
        if i % 25 == 7:  # a few rows a person would have to fix
            phone, email = "12345", "not-an-email"
        writer.writerow([name, phone, email, rnd.choice(TITLES), birthday, "导入 import"])
    return buffer.getvalue().encode("gbk")


def seed_imports(
    *, actor, rows: int = 200, seed: int = 2026, progress: Callable[[str, int, int], None] | None = None
) -> int:
    """One finished contacts import of ``rows`` rows by ``actor`` (a user who may add
    contacts). Returns the number of contacts it created."""
    from .models import ImportRun
    from .services import import_configure, import_create, import_execute

    data = demo_import_file(rows=rows, seed=seed)
    run = import_create(
        actor=actor, record_type="contacts", name="展会名单 trade fair.csv", chunks=[data], size=len(data)
    )
    import_configure(run=run, actor=actor, mapping=run.mapping, match_rule="upsert", match_on="email")
    ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.QUEUED)
    run.refresh_from_db()

    def report(done, total=None, message=None):
        if progress is not None:
            progress("imports", done, total or rows)

    run = import_execute(run=run, progress=report)
    return run.created_count
