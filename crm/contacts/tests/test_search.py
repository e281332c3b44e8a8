"""Search by name, pinyin (full, spaced, initials), phone in any format, e-mail and
credit code, on the list pages, the API and the global search; always within what
the user may see."""

import pytest
from django.db import connection
from django.urls import reverse

from crm.audit.models import AuditEntry
from crm.contacts import services
from crm.contacts.models import Contact
from crm.contacts.text import contact_search_text
from crm.core.text import search_query
from crm.core.views.shell import search_results

pytestmark = pytest.mark.django_db


@pytest.fixture
def zhang(users):
    return services.contact_create(
        actor=users.owner,
        data={
            "name": "张伟",
            "title": "采购经理",
            "email": "Zhang.Wei@Example.com",
            "phone": "+86 138-0013-8000",
            "phones": ["010 6552 9988"],
            "emails": ["zw@huaxin.cn"],
        },
    )


@pytest.fixture
def other(users):
    return services.contact_create(actor=users.owner, data={"name": "李娜", "phone": "13912345678"})


def api_ids(api, query, path="/api/v1/contacts/"):
    return {row["id"] for row in api.get(path, {"q": query}).json()["results"]}


def test_search_text_holds_every_form():
    text = contact_search_text(name="张伟", email="a@b.cn", phone="+8613800138000")
    # Chinese characters are stored as u + code point, so that short Chinese queries use the index.
    assert text.split() == ["u5f20u4f1f", "zhangwei", "zhang", "wei", "zw", "a@b.cn", "8613800138000", "13800138000"]


@pytest.mark.parametrize(("query", "found"), [("张", True), ("伟", True), ("张伟", True), ("王", False)])
def test_one_and_two_character_chinese_queries(users, api_for, zhang, other, query, found):
    assert (zhang.pk in api_ids(api_for(users.owner), query)) is found


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("zhang.wei@example.com", True),
        ("Zhang.Wei@Example", True),
        ("zhang.wei@example.org", False),
        ("zw@huaxin.cn", True),
    ],
)
def test_e_mail_addresses_whole_or_in_part(users, zhang, other, query, found):
    hits = {h.pk for g in search_results(users.owner, query, typos=False) for h in g["hits"]}
    assert (zhang.pk in hits) is found


@pytest.mark.parametrize(("query", "found"), [("zw", True), ("zh", True), ("we", True), ("ei", False), ("13", True)])
def test_one_or_two_letters_match_the_start_of_a_word(users, api_for, zhang, other, query, found):
    assert (zhang.pk in api_ids(api_for(users.owner), query)) is found


@pytest.mark.parametrize(
    "query",
    ["张伟", "zhangwei", "ZhangWei", "zhang wei", "zw", "Ｚｈａｎｇ", "采购", "caigou"],
)
def test_by_name_pinyin_and_initials(users, api_for, zhang, other, query):
    assert api_ids(api_for(users.owner), query) == {zhang.pk}


@pytest.mark.parametrize(
    "query",
    ["138 0013 8000", "13800138000", "+86 138-0013-8000", "0086 138 0013 8000", "１３８００１３８０００", "0013 8000"],
)
def test_by_phone_in_any_format(users, api_for, zhang, other, query):
    assert search_query(query).isdigit()
    assert api_ids(api_for(users.owner), query) == {zhang.pk}


@pytest.mark.parametrize("query", ["010-6552 9988", "65529988", "+86 10 6552 9988"])
def test_by_an_extra_landline(users, api_for, zhang, other, query):
    assert api_ids(api_for(users.owner), query) == {zhang.pk}


@pytest.mark.parametrize("query", ["zhang.wei@example.com", "ZHANG.WEI@EXAMPLE", "zw@huaxin"])
def test_by_email(users, api_for, zhang, other, query):
    assert api_ids(api_for(users.owner), query) == {zhang.pk}


def test_companies_by_pinyin_code_and_phone(users, api_for):
    company = services.company_create(
        actor=users.owner,
        data={"name": "福州华信科技有限公司", "registration_number": "91350100M000100Y43", "phone": "0591-8765 4321"},
    )
    services.company_create(actor=users.owner, data={"name": "Acme Ltd"})
    api = api_for(users.owner)
    for query in ["华信", "huaxin", "fzhxkjyxgs", "91350100m000100y43", "0591 87654321", "+86 591 8765 4321"]:
        assert api_ids(api, query, "/api/v1/companies/") == {company.pk}, query


def test_list_page_and_global_search_use_the_same_rules(users, client_for, zhang, other):
    html = client_for(users.owner).get(reverse("contacts:contact_list"), {"q": "zw"}).content.decode()
    assert zhang.get_absolute_url() in html and other.get_absolute_url() not in html
    groups = search_results(users.owner, "138-0013-8000")
    assert [hit.pk for group in groups for hit in group["hits"]] == [zhang.pk]
    page = client_for(users.owner).get(reverse("core:search"), {"q": "zhang wei"}).content.decode()
    assert zhang.get_absolute_url() in page


def test_search_respects_visibility(users, api_for, client_for, zhang):
    hidden = services.contact_create(actor=users.outsider, data={"name": "张伟", "phone": "13800138000"})
    for query in ["zhangwei", "13800138000"]:
        assert api_ids(api_for(users.owner), query) == {zhang.pk}
        assert api_ids(api_for(users.outsider), query) == {hidden.pk}
        assert [h.pk for g in search_results(users.owner, query) for h in g["hits"]] == [zhang.pk]
        assert [h.pk for g in search_results(users.outsider, query) for h in g["hits"]] == [hidden.pk]
    page = client_for(users.outsider).get(reverse("contacts:contact_list"), {"q": "zw"}).content.decode()
    assert hidden.get_absolute_url() in page and zhang.get_absolute_url() not in page


def test_search_text_follows_updates(users, api_for, zhang):
    services.contact_update(instance=zhang, actor=users.owner, data={"name": "王强", "phone": "13700137000"})
    api = api_for(users.owner)
    assert api_ids(api, "wangqiang") == {zhang.pk}
    assert api_ids(api, "13700137000") == {zhang.pk}
    assert api_ids(api, "zhangwei") == set()
    assert api_ids(api, "13800138000") == set()
    # The search text is derived data: the audit log records the fields, not it.
    changed = [c["field"] for entry in AuditEntry.objects.filter(object_id=str(zhang.pk)) for c in entry.changes]
    assert "name" in changed and "search_text" not in changed


@pytest.mark.skipif(connection.vendor != "postgresql", reason="typo tolerance needs pg_trgm (PostgreSQL)")
def test_a_typo_still_finds_the_record_on_postgresql(users, api_for, zhang, other):
    api = api_for(users.owner)
    assert api_ids(api, "zhangwie") == {zhang.pk}
    assert [h.pk for g in search_results(users.owner, "zhangwie") for h in g["hits"]] == [zhang.pk]
    assert api_ids(api, "xyzqwv") == set()
    # Search as you type (the dropdown, a record picker) does not retry for typos.
    assert search_results(users.owner, "zhangwie", typos=False) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index exists on PostgreSQL only")
def test_trigram_indexes_exist_on_postgresql():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE %s", ["%search_trgm_idx"])
        names = {row[0] for row in cursor.fetchall()}
    assert names == {"company_search_trgm_idx", "contact_search_trgm_idx"}


def test_search_as_you_type_reads_a_bounded_number_of_matches(users, client_for, monkeypatch):
    from crm.core.views import shell

    monkeypatch.setattr(shell, "SEARCH_PROBE", 3)
    made = [services.contact_create(actor=users.owner, data={"name": f"王芳 {i}"}) for i in range(5)]
    hits = shell.first_matches(Contact.objects.filter(search_text__contains=search_query("王芳")), limit=2)
    assert len(hits) == 2 and {h.pk for h in hits} <= {c.pk for c in made}
    # Within what was read, the most recently changed come first.
    assert hits[0].updated_at >= hits[1].updated_at
    html = client_for(users.owner).get(reverse("contacts:contact_list") + "?q=王芳").content.decode()
    assert all(c.get_absolute_url() in html for c in made)  # the list itself is not bounded
