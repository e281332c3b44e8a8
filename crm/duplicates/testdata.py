"""A generated test set with known duplicates, for the precision/recall test and the
benchmark (bench/duplicates.py). Pure Python, no database.

Every *entity* (a person or a company) gets one record, and some get one or two more
copies with the mistakes real data has: typos, first and last name swapped, hanzi
written as pinyin, missing values, phones in another format, e-mails in another case,
another legal form of the company name. The true pairs are the pairs of records of
the same entity. Distinct entities often share a common name (张伟 at two companies),
a company's domain or a word of the company name, which the matcher must not take
for duplicates.

A copy keeps at least one thing that identifies the entity besides its name (an
e-mail, a phone, the company of a person, a company's registration number, phone,
e-mail or website, or the name itself for a company): two records with nothing in
common but a frequent name are not recognisable as one person by anyone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

SURNAMES = [
    ("张", "zhang"), ("王", "wang"), ("李", "li"), ("刘", "liu"), ("陈", "chen"), ("杨", "yang"),
    ("黄", "huang"), ("赵", "zhao"), ("吴", "wu"), ("周", "zhou"), ("徐", "xu"), ("孙", "sun"),
    ("马", "ma"), ("朱", "zhu"), ("胡", "hu"), ("郭", "guo"), ("何", "he"), ("林", "lin"),
    ("罗", "luo"), ("高", "gao"), ("郑", "zheng"), ("梁", "liang"), ("谢", "xie"), ("宋", "song"),
    ("唐", "tang"), ("许", "xu"), ("韩", "han"), ("冯", "feng"), ("邓", "deng"), ("曹", "cao"),
]  # fmt: skip
GIVEN = [
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"), ("艳", "yan"),
    ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"), ("超", "chao"), ("霞", "xia"),
    ("平", "ping"), ("刚", "gang"), ("秀英", "xiu ying"), ("建华", "jian hua"), ("志强", "zhi qiang"),
    ("海燕", "hai yan"), ("晓东", "xiao dong"), ("国庆", "guo qing"), ("丽娟", "li juan"),
    ("文博", "wen bo"), ("子涵", "zi han"), ("欣怡", "xin yi"), ("宇轩", "yu xuan"), ("思远", "si yuan"),
]  # fmt: skip
# Characters read the same, as a pinyin input method offers them.
HOMOPHONES = {
    "伟": "玮",
    "芳": "方",
    "静": "婧",
    "丽": "莉",
    "军": "君",
    "杰": "洁",
    "明": "铭",
    "平": "萍",
    "华": "化",
}
FIRST_LATIN = ["Anna", "David", "Michael", "Laura", "Peter", "Sophie", "Thomas", "Julia", "Mark", "Emma", "Lukas"]
LAST_LATIN = ["Schmidt", "Miller", "Johnson", "Weber", "Fischer", "Brown", "Wagner", "Becker", "Hoffmann", "Klein"]
CITIES = ["北京", "上海", "深圳", "杭州", "广州", "成都", "南京", "苏州", "武汉", "西安"]
CORES = [
    "华信", "鼎盛", "远航", "金桥", "博雅", "瑞丰", "恒通", "天成", "宏达", "新源", "佳禾", "锦程",
    "蓝海", "星辰", "同创", "安泰", "中科", "汇通", "嘉华", "明德", "泰和", "长城", "云帆", "启明",
]  # fmt: skip
INDUSTRIES = ["科技", "贸易", "物流", "电子", "医疗", "软件", "机械", "食品", "传媒", "咨询"]
SUFFIXES_ZH = ["有限公司", "股份有限公司", "集团有限公司", ""]
LATIN_CORES = ["Acme", "Northwind", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Hooli", "Vandelay", "Tyrell"]
LATIN_INDUSTRIES = ["Robotics", "Trading", "Logistics", "Software", "Foods", "Medical", "Media", "Systems"]
SUFFIXES_LATIN = ["Co., Ltd.", "Ltd", "Inc.", "GmbH", ""]
FREE_DOMAINS = ["qq.com", "163.com", "126.com", "gmail.com", "outlook.com"]
REGIONS = ["华东", "华北", "华南", "西南", "East China", "North China"]


@dataclass
class TestSet:
    rows: list[tuple] = field(default_factory=list)
    truth: set[tuple[int, int]] = field(default_factory=set)

    def add_cluster(self, ids: list[int]) -> None:
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                self.truth.add((min(a, b), max(a, b)))


def precision_recall(found: set[tuple[int, int]], truth: set[tuple[int, int]]) -> tuple[float, float]:
    hits = len(found & truth)
    precision = hits / len(found) if found else 1.0
    recall = hits / len(truth) if truth else 1.0
    return precision, recall


# Mistakes -------------------------------------------------------------------------
def _typo(rng: random.Random, text: str) -> str:
    letters = [i for i, ch in enumerate(text) if ch.isalpha()]
    if len(letters) < 4:
        return text
    i = rng.choice(letters[1:])
    op = rng.randrange(3)
    if op == 0:  # drop a letter
        return text[:i] + text[i + 1 :]
    if op == 1 and i + 1 < len(text) and text[i + 1].isalpha():  # swap two letters
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + rng.choice("aeiounrst") + text[i + 1 :]


def _phone_format(rng: random.Random, national: str) -> str:
    style = rng.randrange(5)
    if style == 0:
        return f"+86{national}"
    if style == 1:
        return f"+86 {national[:3]} {national[3:7]} {national[7:]}"
    if style == 2:
        return f"{national[:3]}-{national[3:7]}-{national[7:]}"
    if style == 3:
        return f"0086{national}"
    return national


def _case(rng: random.Random, email: str) -> str:
    local, _, domain = email.partition("@")
    return rng.choice([email.upper(), local.capitalize() + "@" + domain, local.title() + "@" + domain.upper()])


# Contacts -------------------------------------------------------------------------
def _person(rng: random.Random, n: int, companies: list[int], domains: dict[int, str]):
    if rng.random() < 0.85:
        (s_h, s_p), (g_h, g_p) = rng.choice(SURNAMES), rng.choice(GIVEN)
        hanzi, pinyin = s_h + g_h, (s_p, g_p)
        local_base = s_p + g_p.replace(" ", "")
    else:
        first, last = rng.choice(FIRST_LATIN), rng.choice(LAST_LATIN)
        hanzi, pinyin = None, (last.lower(), first.lower())
        local_base = f"{first}.{last}".lower()
    company = rng.choice(companies) if companies and rng.random() < 0.7 else None
    email = ""
    if rng.random() < 0.85:
        domain = domains.get(company) if company and rng.random() < 0.6 else rng.choice(FREE_DOMAINS)
        email = f"{local_base}{n}@{domain or rng.choice(FREE_DOMAINS)}"
    phone = f"1{rng.choice('3456789')}{n % 10**9:09d}" if rng.random() < 0.8 else ""
    if not (email or phone or company):
        phone = f"1{rng.choice('3456789')}{n % 10**9:09d}"
    return {"hanzi": hanzi, "pinyin": pinyin, "company": company, "email": email, "phone": phone, "first": None}


def _person_name(p: dict) -> str:
    if p["hanzi"]:
        return p["hanzi"]
    last, first = p["pinyin"]
    return f"{first.title()} {last.title()}"


def _person_copy(rng: random.Random, p: dict) -> dict:
    name = _person_name(p)
    email, phone, company = p["email"], p["phone"], p["company"]
    changes = rng.sample(["name", "order", "pinyin", "missing", "phone_format", "email_case"], k=rng.randint(1, 3))
    if "pinyin" in changes and p["hanzi"]:
        last, first = p["pinyin"]
        name = rng.choice(
            [f"{last.title()} {first.title()}", f"{first.title()} {last.title()}", f"{last.upper()} {first}"]
        )
    elif "order" in changes and not p["hanzi"]:
        last, first = p["pinyin"]
        name = rng.choice([f"{last.title()} {first.title()}", f"{last.title()}, {first.title()}"])
    if "name" in changes:
        if p["hanzi"] and name == p["hanzi"]:
            swapped = [HOMOPHONES.get(ch, ch) for ch in name]
            name = "".join(swapped) if swapped != list(name) else name + rng.choice(["", " "])
        else:
            name = _typo(rng, name)
    if "missing" in changes:
        present = [k for k, v in (("email", email), ("phone", phone), ("company", company)) if v]
        if len(present) > 1:
            drop = rng.choice(present)
            email = "" if drop == "email" else email
            phone = "" if drop == "phone" else phone
            company = None if drop == "company" else company
    if "phone_format" in changes and phone:
        phone = _phone_format(rng, phone)
    if "email_case" in changes and email:
        email = _case(rng, email)
    return {"name": name, "email": email, "phone": phone, "company": company}


def contact_test_set(n: int, *, seed: int = 2026, companies: list[int] | None = None, dup_rate: float = 0.2):
    """``n`` people as contact rows (id, name, email, phone, emails, phones, company_id)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    companies = companies if companies is not None else list(range(1, max(2, n // 15) + 1))
    domains = {c: f"corp{c}.cn" for c in companies}
    out = TestSet()
    next_id = 1
    for i in range(n):
        p = _person(rng, i + 1, companies, domains)
        ids = [next_id]
        out.rows.append(
            (
                next_id,
                _person_name(p),
                p["email"],
                _phone_format(rng, p["phone"]) if p["phone"] else "",
                [],
                [],
                p["company"],
            )
        )
        next_id += 1
        if rng.random() < dup_rate:
            for _ in range(2 if rng.random() < 0.15 else 1):
                c = _person_copy(rng, p)
                out.rows.append((next_id, c["name"], c["email"], c["phone"], [], [], c["company"]))
                ids.append(next_id)
                next_id += 1
            out.add_cluster(ids)
    rng.shuffle(out.rows)
    return out


# Companies ------------------------------------------------------------------------
def _uscc(rng: random.Random) -> str:
    from crm.core.text import USCC_ALPHABET, uscc_check_char

    first = (
        "91"
        + "".join(rng.choice("0123456789") for _ in range(6))
        + "".join(rng.choice(USCC_ALPHABET) for _ in range(9))
    )
    return first + uscc_check_char(first)


def company_test_set(n: int, *, seed: int = 2026, dup_rate: float = 0.2):
    """``n`` companies as rows (id, name, registration_number, email, phone, website, region, address)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    out = TestSet()
    seen: set[str] = set()
    next_id = 1
    made = attempts = 0
    while made < n and attempts < n * 20:
        attempts += 1
        latin = rng.random() < 0.2
        if latin:
            core = f"{rng.choice(LATIN_CORES)} {rng.choice(LATIN_INDUSTRIES)}"
            if rng.random() < 0.5:
                core = f"{core} {rng.choice(['Shanghai', 'Asia', 'China', 'Beijing', 'Pacific'])}"
            name = f"{core} {rng.choice(SUFFIXES_LATIN)}".strip()
        else:
            second = rng.choice(CORES) if rng.random() < 0.6 else ""
            core = rng.choice(CITIES) + rng.choice(CORES) + second + rng.choice(INDUSTRIES)
            if rng.random() < 0.3:
                core += rng.choice(["发展", "实业", "技术", "国际"])
            name = core + rng.choice(SUFFIXES_ZH)
        if core.lower() in seen:
            continue
        seen.add(core.lower())
        made += 1
        domain = f"c{made}.com.cn"
        base = {
            "name": name,
            "code": _uscc(rng) if rng.random() < 0.6 else "",
            "email": f"info@{domain}" if rng.random() < 0.6 else "",
            "phone": f"10{made % 10**8:08d}" if rng.random() < 0.7 else "",
            "website": f"https://www.{domain}" if rng.random() < 0.5 else "",
            "region": rng.choice(REGIONS) if rng.random() < 0.7 else "",
            "address": f"{rng.choice(CITIES)}{rng.choice(['中关村', '张江', '南山', '滨江'])}路{made % 500}号"
            if rng.random() < 0.5
            else "",
        }
        ids = [next_id]
        out.rows.append(
            (
                next_id,
                base["name"],
                base["code"],
                base["email"],
                base["phone"] and "+86" + base["phone"],
                base["website"],
                base["region"],
                base["address"],
            )
        )
        next_id += 1
        if rng.random() < dup_rate:
            c = dict(base)
            changes = rng.sample(["suffix", "typo", "missing", "phone_format", "case"], k=rng.randint(1, 3))
            if "suffix" in changes or latin:
                c["name"] = core + (rng.choice(SUFFIXES_LATIN) if latin else rng.choice(SUFFIXES_ZH))
                if latin:
                    c["name"] = f"{core} {rng.choice(SUFFIXES_LATIN)}".strip()
            if "typo" in changes and (c["code"] or c["phone"] or c["email"] or c["website"]):
                if latin:
                    c["name"] = _typo(rng, c["name"])
                else:
                    chars = list(c["name"])
                    i = rng.randrange(2, max(3, len(core) - 1))
                    chars[i] = rng.choice("华鑫信达盛通源")
                    c["name"] = "".join(chars)
            if "missing" in changes:
                for key in rng.sample(["code", "email", "website", "region", "address"], k=2):
                    c[key] = ""
            if "phone_format" in changes and c["phone"]:
                c["phone"] = "0" + c["phone"][:2] + " " + c["phone"][2:6] + " " + c["phone"][6:]
            elif c["phone"]:
                c["phone"] = "+86" + c["phone"]
            if "case" in changes:
                c["name"] = c["name"].upper() if latin else c["name"].replace(c["name"][:2], c["name"][:2] + "市", 1)
                c["email"] = c["email"].upper()
            out.rows.append(
                (next_id, c["name"], c["code"], c["email"], c["phone"], c["website"], c["region"], c["address"])
            )
            out.add_cluster([ids[0], next_id])
            next_id += 1
    rng.shuffle(out.rows)
    return out


def evaluate(kind: str, test_set: TestSet, min_score: int) -> dict:
    """Run the scan's blocking and scoring over the rows in memory."""
    from . import scan

    stats = scan.ScanStats()
    codes = scan.candidate_pairs(kind, test_set.rows, stats=stats)
    features = {row[0]: scan.features_of(kind, row) for row in test_set.rows}
    found = {(a, b) for a, b, _s, _r in scan.score_candidates(kind, codes, features, min_score=min_score)}
    precision, recall = precision_recall(found, test_set.truth)
    return {
        "records": len(test_set.rows),
        "true_pairs": len(test_set.truth),
        "candidates": stats.candidates,
        "found": len(found),
        "precision": precision,
        "recall": recall,
        "false_positives": sorted(found - test_set.truth),
        "missed": sorted(test_set.truth - found),
    }
