"""The main flows through a real browser: language switching, creating a contact,
the top-bar search and two people editing the same record."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .browsing import CJK, PHONE

pytestmark = pytest.mark.e2e


def test_language_switch_translates_the_shell_and_is_remembered(new_tab, crm):
    rep = crm.users["rep"]
    tab = new_tab()
    tab.login(rep.username, crm.password)
    tab.open("/customers/contacts/")
    assert tab.page.get_attribute("html", "lang") == "en"
    english_sidebar = tab.page.inner_text("#sidebar")
    assert not CJK.search(english_sidebar)

    tab.switch_language("zh-hans")
    assert tab.page.url.endswith("/customers/contacts/"), "the switcher should come back to the same page"
    expect(tab.page.locator(".lang-switch button[value='zh-hans']")).to_have_attribute("aria-pressed", "true")
    chinese_sidebar = tab.page.inner_text("#sidebar")
    assert CJK.search(chinese_sidebar), chinese_sidebar
    assert chinese_sidebar != english_sidebar
    assert CJK.search(tab.page.inner_text("main h1"))
    assert CJK.search(tab.page.get_attribute(".search-box input", "placeholder"))

    # The choice follows the user: saved on the profile, used at the next sign-in elsewhere.
    rep.refresh_from_db()
    assert rep.language == "zh-hans"
    other = new_tab()
    other.login(rep.username, crm.password)
    assert other.page.get_attribute("html", "lang") == "zh-Hans"
    assert CJK.search(other.page.inner_text("#sidebar"))

    tab.switch_language("en")
    assert not CJK.search(tab.page.inner_text("#sidebar"))
    rep.refresh_from_db()
    assert rep.language == "en"


def test_create_a_contact_through_the_form(new_tab, crm):
    from crm.contacts.models import Contact

    rep = crm.users["rep"]
    tab = new_tab()
    page = tab.page
    tab.login(rep.username, crm.password)
    tab.open("/customers/contacts/")
    with page.expect_navigation():
        page.click("main .page-head a.btn.primary")
    tab.settle()
    assert page.url.endswith("/customers/contacts/new/")
    tab.assert_clean()

    # A contact without a name is refused, and the form says why.
    tab.watch.expect_status(400, r"/customers/contacts/new/$")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    tab.settle()
    tab.assert_clean("empty contact form")
    expect(page.locator(".field:has(#id_name) .errorlist")).to_be_visible()
    assert not Contact.objects.filter(owner=rep, title="Buyer").exists()

    page.fill("#id_name", "李雷 Li Lei")
    page.fill("#id_title", "Buyer")
    # The company is picked by typing part of its name, not from a list of every company.
    page.fill(".field:has(#id_company) [data-picker-text]", "acme")
    option = page.locator(".field:has(#id_company) [data-pick-id]", has_text="Acme Robotics")
    expect(option).to_be_visible()
    option.click()
    expect(page.locator("#id_company")).to_have_value(str(crm.companies[0].pk))
    page.fill("#id_email", "li.lei@example.com")
    page.fill("#id_tags", "vip, 上海")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    tab.settle()
    tab.assert_clean("saving the new contact")

    contact = Contact.objects.get(name="李雷 Li Lei")
    assert page.url.endswith(f"/customers/contacts/{contact.pk}/")
    assert contact.owner == rep, "a new record belongs to its creator"
    assert contact.company == crm.companies[0]
    assert sorted(t.name for t in contact.tags.all()) == ["vip", "上海"]
    expect(page.locator("main h1")).to_have_text("李雷 Li Lei")
    expect(page.locator(".messages .success")).to_contain_text("李雷 Li Lei")
    expect(page.locator("dl.props a", has_text="Acme Robotics")).to_be_visible()
    expect(page.locator("#history .history li strong")).to_have_count(1)  # the creation

    tab.open("/customers/contacts/?q=Li+Lei")
    expect(page.locator("#list-results tbody tr")).to_have_count(1)
    expect(page.locator("#list-results tbody")).to_contain_text("li.lei@example.com")


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_top_bar_search_shows_visible_matches_as_you_type(new_tab, crm, viewport):
    rep = crm.users["rep"]
    tab = new_tab(viewport)
    page = tab.page
    tab.login(rep.username, crm.password)
    box = page.locator(".search-box input[name=q]")
    dropdown = page.locator("#search-dropdown")

    box.fill("Acme")
    expect(dropdown.get_by_role("link", name="Acme Robotics")).to_be_visible()
    tab.settle()
    tab.assert_clean("search dropdown")
    # Another team's company matches the words but is not the rep's to see.
    expect(dropdown).not_to_contain_text("Acme Hidden Holdings")
    if viewport:
        tab.assert_fits_width()
        tab.screenshot("phone-en-search-dropdown", full_page=False)

    box.fill("王芳")
    expect(dropdown.get_by_role("link", name="王芳")).to_be_visible()
    expect(dropdown).not_to_contain_text("Acme Robotics")
    tab.settle()

    box.fill("zzz-nothing-like-this")
    expect(dropdown).to_contain_text("No matches")
    tab.settle()

    box.fill("Acme")
    link = dropdown.get_by_role("link", name="Acme Robotics")
    expect(link).to_be_visible()
    tab.settle()
    with page.expect_navigation():
        link.click()
    tab.settle()
    assert page.url.endswith(crm.companies[0].get_absolute_url())
    expect(page.locator("main h1")).to_have_text("Acme Robotics")

    # Enter runs the full search page.
    box.fill("Acme")
    with page.expect_navigation(url=re.compile(r"/search/\?q=Acme$")):
        box.press("Enter")
    tab.settle()
    expect(page.locator("main").get_by_role("link", name="Acme Robotics")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Acme Hidden Holdings")
    tab.assert_clean("full search page")


def test_stale_edit_shows_the_newer_values_and_keeps_mine(new_tab, crm):
    from crm.contacts.models import Contact

    rep, manager = crm.users["rep"], crm.users["manager"]
    contact = crm.own_contacts["rep"]
    edit_path = f"/customers/contacts/{contact.pk}/edit/"

    mine = new_tab()
    mine.login(rep.username, crm.password)
    mine.open(edit_path)
    mine.page.fill("#id_title", "Head of IT")

    # Meanwhile the manager saves a change to the same contact.
    theirs = new_tab()
    theirs.login(manager.username, crm.password)
    theirs.open(edit_path)
    theirs.page.fill("#id_title", "VP Sales")
    with theirs.page.expect_navigation():
        theirs.page.click("main form button[type=submit]")
    theirs.settle()
    theirs.assert_clean("the manager's save")
    contact.refresh_from_db()
    assert contact.title == "VP Sales"

    # My save is refused with 409; the page shows their values and keeps mine in the form.
    mine.watch.expect_status(409, re.escape(edit_path) + "$")
    with mine.page.expect_navigation():
        mine.page.click("main form button[type=submit]")
    mine.settle()
    mine.assert_clean("the stale save")
    expect(mine.page.locator("#conflict")).to_contain_text("VP Sales")
    expect(mine.page.locator(".messages .error")).to_be_visible()
    assert mine.page.input_value("#id_title") == "Head of IT"
    contact.refresh_from_db()
    assert contact.title == "VP Sales", "a stale save must not overwrite"

    # Having seen their values, I save again on purpose: now mine win.
    with mine.page.expect_navigation():
        mine.page.click("main form button[type=submit]")
    mine.settle()
    mine.assert_clean("the deliberate overwrite")
    assert mine.page.url.endswith(contact.get_absolute_url())
    expect(mine.page.locator("dl.props")).to_contain_text("Head of IT")
    assert Contact.objects.get(pk=contact.pk).title == "Head of IT"


def test_delete_to_the_recycle_bin_and_restore(new_tab, crm):
    from crm.contacts.models import Contact

    rep = crm.users["rep"]
    contact = crm.own_contacts["rep"]
    tab = new_tab()
    page = tab.page
    tab.login(rep.username, crm.password)
    tab.open(contact.get_absolute_url())
    with page.expect_navigation():
        page.click("main .page-head a.btn.danger")
    tab.settle()
    with page.expect_navigation(url=re.compile(r"/customers/contacts/$")):
        page.click("main form button[type=submit]")
    tab.settle()
    tab.assert_clean("deleting")
    expect(page.locator("#list-results")).not_to_contain_text(contact.name)
    assert not Contact.objects.filter(pk=contact.pk).exists()

    tab.open("/recycle-bin/")
    row = page.locator("tr", has_text=contact.name)
    expect(row).to_be_visible()
    with page.expect_navigation():
        row.get_by_role("button", name="Restore").click()
    tab.settle()
    tab.assert_clean("restoring")
    expect(page.locator(".messages .success")).to_contain_text(contact.name)
    expect(page.locator("tr", has_text=contact.name)).to_have_count(0)
    assert Contact.objects.filter(pk=contact.pk).exists()


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_merge_two_contacts_and_undo(new_tab, crm, viewport):
    from crm.contacts.models import Contact

    rep = crm.users["rep"]
    keep = crm.contacts[0]  # Alice Chen, CTO
    dup = crm.own_contacts["rep"]
    tab = new_tab(viewport)
    page = tab.page
    tab.login(rep.username, crm.password)
    tab.open("/customers/contacts/")
    for record in (keep, dup):
        page.locator("#list-results tr", has_text=record.name).locator("input[name=ids]").check()
    with page.expect_navigation(url=re.compile(r"/customers/contacts/merge/\?ids=")):
        page.get_by_role("button", name="Merge…").click()
    tab.settle()
    tab.assert_clean("opening the merge page")
    tab.assert_fits_width()
    tab.screenshot(f"merge-{'phone' if viewport else 'desktop'}")
    expect(page.locator("input[name=survivor]:checked")).to_have_count(1)
    page.locator(f"input[name=survivor][value='{keep.pk}']").check()
    page.locator(f"input[name='field:name'][value='{dup.pk}']").check()
    page.locator(f"input[name='field:title'][value='{keep.pk}']").check()
    with page.expect_navigation(url=re.compile(rf"/customers/contacts/{keep.pk}/$")):
        page.get_by_role("button", name="Merge", exact=True).click()
    tab.settle()
    tab.assert_clean("merging")
    expect(page.locator(".messages .success")).to_contain_text("merged into")
    expect(page.locator("main h1")).to_have_text(dup.name)
    merged = Contact.objects.get(pk=keep.pk)
    assert (merged.name, merged.title) == (dup.name, "CTO")
    assert not Contact.objects.filter(pk=dup.pk).exists()

    with page.expect_navigation():
        page.locator(".messages").get_by_role("button", name="Undo").click()
    tab.settle()
    tab.assert_clean("undoing the merge")
    expect(page.locator(".messages .success")).to_contain_text("The merge was undone")
    expect(page.locator("main h1")).to_have_text(keep.name)
    assert Contact.objects.filter(pk=dup.pk).exists()
    assert Contact.objects.get(pk=keep.pk).name == keep.name
