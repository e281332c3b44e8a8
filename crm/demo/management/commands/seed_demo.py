"""Load a realistic, bilingual demo data set.

    python manage.py seed_demo --size small|medium|large [--if-empty] [--seed N]

small = 1,000 contacts, medium = 100,000, large = 1,000,000, with companies, users
and teams in proportion. Rows go in with bulk inserts in batches, so the large size
takes minutes. With --if-empty nothing happens when users already exist, which is
how `make run` loads the data on the first start only.
"""

from __future__ import annotations

import datetime
import random
import time

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from crm.accounts.models import Role, Team
from crm.accounts.roles import ensure_builtin_roles
from crm.activities.demo import seed_activities
from crm.contacts.models import Company, CompanySize, CompanySource, Contact
from crm.contacts.text import company_search_text, contact_search_text
from crm.core.models import CustomField, Tag
from crm.core.services import database_optimize
from crm.core.text import uscc_check_char
from crm.deals.demo import seed_deals
from crm.duplicates.demo import seed_duplicates
from crm.emails.demo import seed_email_templates
from crm.forecasts.demo import seed_forecasts
from crm.leads.demo import seed_leads
from crm.notifications.demo import seed_notifications
from crm.orders.demo import seed_orders
from crm.products.demo import seed_products

from ... import data as words

SIZES = {"small": 1_000, "medium": 100_000, "large": 1_000_000}
DEMO_PASSWORD = "demo1234"  # noqa: S105 - printed for the demo logins on purpose
# (user name, full name, role key, team name, is the team's manager)
DEMO_USERS = [
    ("admin", "系统管理员 Admin", "administrator", None, False),
    ("manager", "王静 Wang Jing", "sales_manager", "销售部 Sales", True),
    ("rep", "张伟 Zhang Wei", "sales_rep", "华东团队 East", False),
    ("rep2", "Emily Chen", "sales_rep", "华东团队 East", False),
    ("rep3", "李娜 Li Na", "sales_rep", "华北团队 North", False),
    ("agent", "刘敏 Liu Min", "service_agent", "客户服务 Service", True),
    ("marketer", "Sophie Martin", "marketing", "市场部 Marketing", True),
]
TEAMS = [
    ("销售部 Sales", None),
    ("华东团队 East", "销售部 Sales"),
    ("华北团队 North", "销售部 Sales"),
    ("华南团队 South", "销售部 Sales"),
    ("客户服务 Service", None),
    ("市场部 Marketing", None),
]
BATCH = 5_000
MAIL_DOMAINS = ["163.com", "qq.com", "gmail.com", "outlook.com", "example.cn"]
SIZES_WEIGHTED = (
    [CompanySize.XS] * 3 + [CompanySize.S] * 4 + [CompanySize.M] * 3 + [CompanySize.L] * 2 + [CompanySize.XL]
)
SOURCES = [c.value for c in CompanySource]


def demo_logins() -> list[tuple[str, str, str]]:
    """(user name, password, role) of the demo users that exist."""
    User = get_user_model()
    existing = set(User.objects.filter(username__in=[u[0] for u in DEMO_USERS]).values_list("username", flat=True))
    roles = {r.key: str(r) for r in Role.objects.all()}
    return [(u[0], DEMO_PASSWORD, roles.get(u[2], u[2])) for u in DEMO_USERS if u[0] in existing]


class Generator:
    def __init__(self, seed: int):
        self.rnd = random.Random(seed)

    def person(self) -> tuple[str, str]:
        """A name and the local part of an e-mail address for it."""
        r = self.rnd
        if r.random() < 0.75:
            surname, s_py = r.choice(words.SURNAMES)
            given, g_py = r.choice(words.GIVEN)
            return surname + given, f"{g_py}.{s_py}"
        first, last = r.choice(words.FIRST_EN), r.choice(words.LAST_EN)
        return f"{first} {last}", f"{first}.{last}".lower()

    def phone(self) -> str:
        return f"+86{self.rnd.choice(words.MOBILE_PREFIXES)}{self.rnd.randrange(10**8):08d}"

    def company(self, n: int) -> dict:
        r = self.rnd
        if r.random() < 0.7:
            city, city_py = r.choice(words.CITIES_ZH)
            word, word_py = r.choice(words.WORDS_ZH)
            trade_zh, _trade_en, trade_key = r.choice(words.TRADES_ZH)
            name = f"{city}{word}{trade_zh}有限公司"
            domain = f"{word_py}{trade_key}-{city_py}.com.cn"
            address = f"{city}市{r.choice(words.STREETS_ZH)}{r.randint(1, 999)}号"
            region = words.CITY_REGIONS.get(city, "")
        else:
            word = r.choice(words.WORDS_EN)
            _zh, trade_en, trade_key = r.choice(words.TRADES_ZH)
            name = f"{word} {trade_en} {r.choice(words.SUFFIX_EN)}"
            domain = f"{word.lower()}-{trade_key}.com"
            address = f"{r.randint(1, 999)} {r.choice(words.LAST_EN)} Street"
            region = r.choice(words.REGIONS_EN)
        if n >= 2000:
            name = f"{name} ({n})"
            domain = f"{n}.{domain}"
        row = {
            "name": name,
            "industry": r.choice(words.INDUSTRIES)[0 if r.random() < 0.7 else 1],
            "phone": f"+86{r.choice(['10', '21', '20', '755', '571'])}{r.randrange(2 * 10**7, 10**8)}",
            "email": f"info@{domain}",
            "website": f"https://www.{domain}",
            "address": address,
            "region": region,
            "registration_number": self.credit_code() if r.random() < 0.6 else "",
            "size": r.choice(SIZES_WEIGHTED) if r.random() < 0.8 else "",
            "source": r.choice(SOURCES) if r.random() < 0.7 else "",
        }
        row["search_text"] = company_search_text(
            name=row["name"], registration_number=row["registration_number"], email=row["email"], phone=row["phone"]
        )
        return row

    def credit_code(self) -> str:
        """A unified social credit code with a correct check character."""
        alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
        first17 = "91" + "".join(self.rnd.choice(alphabet) for _ in range(15))
        return first17 + uscc_check_char(first17)

    def contact_extras(self, name: str, local: str, n: int, now: datetime.datetime) -> dict:
        """Other phones and e-mails, birthday, language and consent for one contact."""
        r = self.rnd
        chinese = "\u4e00" <= name[:1] <= "\u9fff"
        extras: dict = {
            "phones": [self.phone()] if r.random() < 0.2 else [],
            "emails": [f"{local}{n}@{r.choice(MAIL_DOMAINS)}"] if r.random() < 0.1 else [],
            "birthday": datetime.date(r.randint(1960, 2002), r.randint(1, 12), r.randint(1, 28))
            if r.random() < 0.4
            else None,
            "preferred_language": ("zh-hans" if chinese else "en") if r.random() < 0.8 else "",
        }
        if r.random() < 0.35:
            extras["marketing_consent"] = r.random() < 0.85  # some gave consent, then withdrew it
            extras["consent_date"] = (now - datetime.timedelta(days=r.randrange(700))).date()
            extras["consent_source"] = r.choice(words.CONSENT_SOURCES)
        return extras

    def created_at(self, now: datetime.datetime) -> datetime.datetime:
        # Weighted toward recent weeks, so the dashboard's weekly chart has a shape.
        days = int(self.rnd.triangular(0, 730, 0))
        return now - datetime.timedelta(days=days, seconds=self.rnd.randrange(86400))


class Command(BaseCommand):
    help = "Load a realistic bilingual demo data set (small, medium or large)."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=sorted(SIZES), default="small")
        parser.add_argument("--if-empty", action="store_true", help="Do nothing if any user exists.")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, size, if_empty, seed, **options):
        User = get_user_model()
        if if_empty and User.objects.exists():
            self.stdout.write("Demo data: already loaded, skipped.")
            return
        if Contact.all_objects.exists():
            raise CommandError("There are contacts already; seed_demo fills an empty database only.")
        started = time.monotonic()
        gen = Generator(seed)
        contacts_total = SIZES[size]
        users = self.make_users(gen, contacts_total)
        owners = [u.pk for u in users if u.role.key in {"sales_rep", "sales_manager"}]
        self.make_custom_fields()
        tags = [Tag.objects.get_or_create(name=name)[0] for name in words.TAGS]
        companies = self.make_companies(gen, max(50, contacts_total // 5), owners, tags)
        self.make_contacts(gen, contacts_total, owners, companies, tags)
        if contacts_total <= 100_000:  # the scan of a million contacts is a job of its own
            seed_duplicates(seed=seed)
        seed_deals(total=contacts_total // 2, owners=owners, seed=seed, progress=self._progress)
        seed_leads(total=contacts_total // 5, owners=owners, seed=seed, progress=self._progress)
        seed_forecasts(owners=owners, seed=seed)
        seed_activities(total=contacts_total * 2, owners=owners, seed=seed, progress=self._progress)
        admin_id = next((u.pk for u in users if u.role.key == "administrator"), None)
        seed_products(owner_id=admin_id, seed=seed, progress=self._progress)
        seed_orders(total=max(50, contacts_total // 3), owners=owners, seed=seed, progress=self._progress)
        seed_email_templates(owner=next((u for u in users if u.pk == admin_id), None), seed=seed)
        seed_notifications(user_ids=[u.pk for u in users], seed=seed)
        database_optimize()
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ({size}): {len(users)} users, {len(companies):,} companies, {contacts_total:,} contacts "
                f"in {elapsed:.1f} s."
            )
        )

    def make_users(self, gen: Generator, contacts_total: int) -> list:
        ensure_builtin_roles()
        User = get_user_model()
        roles = {r.key: r for r in Role.objects.all()}
        teams: dict[str, Team] = {}
        for name, parent in TEAMS:
            teams[name] = Team.objects.get_or_create(name=name, defaults={"parent": teams.get(parent)})[0]
        users = []
        for username, full_name, role_key, team_name, manages in DEMO_USERS:
            user = User(
                username=username,
                full_name=full_name,
                email=f"{username}@demo.example.com",
                role=roles[role_key],
                team=teams.get(team_name),
                is_superuser=False,
                language="zh-hans" if any("\u4e00" <= ch <= "\u9fff" for ch in full_name[:1]) else "en",
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            if manages and team_name:
                Team.objects.filter(pk=teams[team_name].pk).update(manager=user)
            users.append(user)
        # Bigger data sets get more reps so each owns a realistic book of customers.
        extra_reps = max(0, contacts_total // 20_000 - 3)
        team_names = ["华东团队 East", "华北团队 North", "华南团队 South"]
        for i in range(extra_reps):
            name, local = gen.person()
            user = User(
                username=f"rep{i + 4}",
                full_name=name,
                email=f"{local}{i}@demo.example.com",
                role=roles["sales_rep"],
                team=teams[team_names[i % 3]],
                password="!",  # noqa: S106 - an unusable password hash
            )
            users.append(user)
        if extra_reps:
            User.objects.bulk_create(users[len(DEMO_USERS) :])
            users = list(User.objects.select_related("role").order_by("pk"))
        return users

    def make_custom_fields(self) -> None:
        ct_company = ContentType.objects.get_for_model(Company)
        ct_contact = ContentType.objects.get_for_model(Contact)
        CustomField.objects.get_or_create(
            content_type=ct_company,
            name="customer_level",
            defaults={
                "label_en": "Customer level",
                "label_zh": "客户级别",
                "field_type": "choice",
                "choices": ["战略 Strategic", "重要 Key", "普通 Standard"],
                "order": 1,
            },
        )
        CustomField.objects.get_or_create(
            content_type=ct_contact,
            name="wechat",
            defaults={"label_en": "WeChat ID", "label_zh": "微信号", "field_type": "text", "order": 1},
        )

    def _tag_rows(self, through, fk: str, ids: list[int], tags, rnd) -> list:
        rows = []
        for pk in ids:
            if rnd.random() < 0.15:
                rows.append(through(**{f"{fk}_id": pk, "tag_id": rnd.choice(tags).pk}))
        return rows

    def make_companies(self, gen: Generator, total: int, owners: list[int], tags) -> list[int]:
        now = timezone.now()
        levels = ["战略 Strategic", "重要 Key", "普通 Standard"]
        # Groups: about 3% of the companies are subsidiaries of one made earlier.
        parents: list[int] = []
        for start in range(0, total, BATCH):
            batch = []
            for n in range(start, min(total, start + BATCH)):
                created = gen.created_at(now)
                batch.append(
                    Company(
                        **gen.company(n),
                        parent_id=gen.rnd.choice(parents) if parents and gen.rnd.random() < 0.03 else None,
                        owner_id=gen.rnd.choice(owners),
                        created_at=created,
                        updated_at=created,
                        custom_fields={"customer_level": gen.rnd.choice(levels)} if gen.rnd.random() < 0.4 else {},
                    )
                )
            with transaction.atomic():
                made = Company.objects.bulk_create(batch)
                ids = (
                    [c.pk for c in made]
                    if made[0].pk
                    else list(Company.objects.order_by("-pk").values_list("pk", flat=True)[: len(batch)])
                )
                Company.tags.through.objects.bulk_create(
                    self._tag_rows(Company.tags.through, "company", ids, tags, gen.rnd)
                )
            if len(parents) < 2000:
                parents.extend(ids[: 2000 - len(parents)])
            self._progress("companies", min(total, start + BATCH), total)
        return list(Company.objects.values_list("pk", flat=True))

    def make_contacts(self, gen: Generator, total: int, owners: list[int], companies: list[int], tags) -> None:
        now = timezone.now()
        titles = words.TITLES
        for start in range(0, total, BATCH):
            batch = []
            for n in range(start, min(total, start + BATCH)):
                name, local = gen.person()
                created = gen.created_at(now)
                title = gen.rnd.choice(titles)[0 if gen.rnd.random() < 0.7 else 1]
                email = f"{local}{n}@{gen.rnd.choice(MAIL_DOMAINS)}"
                phone = gen.phone()
                extras = gen.contact_extras(name, local, n, now)
                batch.append(
                    Contact(
                        name=name,
                        title=title,
                        company_id=gen.rnd.choice(companies) if gen.rnd.random() < 0.85 else None,
                        email=email,
                        phone=phone,
                        **extras,
                        search_text=contact_search_text(
                            name=name,
                            title=title,
                            email=email,
                            emails=extras["emails"],
                            phone=phone,
                            phones=extras["phones"],
                        ),
                        owner_id=gen.rnd.choice(owners),
                        created_at=created,
                        updated_at=created,
                        custom_fields={"wechat": f"wx_{local.replace('.', '_')}{n % 1000}"}
                        if gen.rnd.random() < 0.3
                        else {},
                    )
                )
            with transaction.atomic():
                made = Contact.objects.bulk_create(batch)
                ids = (
                    [c.pk for c in made]
                    if made[0].pk
                    else list(Contact.objects.order_by("-pk").values_list("pk", flat=True)[: len(batch)])
                )
                Contact.tags.through.objects.bulk_create(
                    self._tag_rows(Contact.tags.through, "contact", ids, tags, gen.rnd)
                )
            self._progress("contacts", min(total, start + BATCH), total)

    def _progress(self, what: str, done: int, total: int) -> None:
        if total >= 50_000 and (done % 50_000 == 0 or done == total):
            self.stdout.write(f"  {what}: {done:,} / {total:,}")
