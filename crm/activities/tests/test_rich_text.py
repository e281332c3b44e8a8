"""A note's body is rich text, sanitised on every write; other kinds are plain text."""

import pytest

from crm.activities.models import Activity, sanitize_html
from crm.activities.services import activity_create, activity_update
from crm.contacts.tests.factories import CompanyFactory

pytestmark = pytest.mark.django_db

HOSTILE = [
    ("<p>Hi<script>alert(1)</script></p>", "<p>Hi</p>"),
    ('<img src="x" onerror="alert(1)">ok', "ok"),
    ('<a href="javascript:alert(1)">x</a>', '<a rel="noopener noreferrer nofollow">x</a>'),
    ('<svg onload="alert(1)"><circle/></svg>text', "text"),
    ('<p style="position:fixed" onclick="steal()">p</p>', "<p>p</p>"),
    ('<a href="https://example.com" onmouseover="x()" target="_top">ok</a>', None),
    ("<iframe src=//evil></iframe><style>*{}</style><b>b</b>", "<b>b</b>"),
    ('<a href="JaVaScRiPt:alert(1)">y</a>', '<a rel="noopener noreferrer nofollow">y</a>'),
]


@pytest.mark.parametrize(("dirty", "clean"), HOSTILE)
def test_hostile_html_is_cleaned_on_write(users, dirty, clean):
    company = CompanyFactory(owner=users.owner)
    note = activity_create(actor=users.owner, data={"kind": "note", "subject": "n", "body": dirty, "company": company})
    stored = Activity.objects.get(pk=note.pk).body
    for bad in ("script", "onerror", "onload", "onclick", "onmouseover", "javascript:", "style", "iframe", "svg"):
        assert bad not in stored.lower()
    if clean is not None:
        assert stored == clean
    assert str(note.body_html) == sanitize_html(stored)


def test_allowed_markup_is_kept(users):
    company = CompanyFactory(owner=users.owner)
    body = (
        "<h3>会议纪要</h3><p><strong>结论</strong>：<em>继续</em> <u>跟进</u><br>下周</p>"
        "<ul><li>报价</li></ul><ol><li>合同</li></ol><blockquote>客户原话</blockquote><h4>附</h4>"
        '<a href="mailto:wang@example.com">邮件</a> <a href="https://example.com/x?a=1">链接</a>'
    )
    note = activity_create(actor=users.owner, data={"kind": "note", "subject": "n", "body": body, "company": company})
    for piece in (
        "<h3>会议纪要</h3>",
        "<strong>结论</strong>",
        "<em>继续</em>",
        "<u>跟进</u>",
        "<br>",
        "<li>报价</li>",
        "<ol>",
        "<blockquote>客户原话</blockquote>",
        "<h4>附</h4>",
        'href="mailto:wang@example.com"',
        'href="https://example.com/x?a=1"',
    ):
        assert piece in note.body, piece


def test_updates_are_sanitised_too_and_kinds_change(users):
    company = CompanyFactory(owner=users.owner)
    note = activity_create(actor=users.owner, data={"kind": "note", "subject": "n", "body": "ok", "company": company})
    note = activity_update(instance=note, actor=users.owner, data={"body": "<b onclick=x>b</b><script>1</script>"})
    assert note.body == "<b>b</b>"
    call = activity_create(
        actor=users.owner, data={"kind": "call", "subject": "c", "body": "<script>x</script>", "company": company}
    )
    assert call.body == "<script>x</script>"  # plain text, escaped when shown
    assert str(call.body_html) == "<p>&lt;script&gt;x&lt;/script&gt;</p>"
    note = activity_update(instance=call, actor=users.owner, data={"kind": "note"})
    assert "script" not in note.body


def test_body_html_of_plain_text(users):
    call = Activity(kind="call", body="第一行\n第二行 <b>")
    assert str(call.body_html) == "<p>第一行<br>第二行 &lt;b&gt;</p>"
    note = Activity(kind="note", body="typed\nwithout markup & such")
    assert str(note.body_html) == "typed<br>\nwithout markup &amp; such"
    # A row written around the services (a bulk import) is cleaned when shown.
    raw = Activity(kind="note", body='<img src=x onerror="alert(1)"><p>x</p>')
    assert str(raw.body_html) == "<p>x</p>"
