"""Every role signs in through the real form and opens every main page, in English
and in Simplified Chinese, without a console error, an uncaught exception or a
response >= 400. The administrator's tour is also photographed at desktop and
phone widths (test-artifacts/screenshots/), and at phone width no page may be
wider than the screen.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .browsing import CJK, DESKTOP, PHONE

pytestmark = pytest.mark.e2e

ROLES = ["admin", "manager", "rep", "service_agent", "marketing"]
ADMIN_PAGES = {"/accounts/users/", "/accounts/teams/", "/accounts/roles/", "/custom-fields/", "/audit/"}
EVERYONE_PAGES = {"/", "/customers/companies/", "/customers/contacts/", "/recycle-bin/", "/jobs/"}


def sidebar_links(tab) -> list[str]:
    return tab.page.eval_on_selector_all("#sidebar a", "links => links.map(a => a.getAttribute('href'))")


def tour(crm, role: str, sidebar: list[str]) -> list[tuple[str, str]]:
    """(screenshot name, path) of the pages this role can reach, sidebar first."""
    from crm.accounts.models import Role

    company, contact = crm.companies[0], crm.contacts[0]
    named = {
        "/": "dashboard",
        "/customers/companies/": "company-list",
        "/customers/contacts/": "contact-list",
        "/recycle-bin/": "recycle-bin",
        "/jobs/": "jobs",
        "/accounts/users/": "users",
        "/accounts/teams/": "teams",
        "/accounts/roles/": "roles",
        "/custom-fields/": "custom-fields",
        "/audit/": "audit-log",
        "/api/docs/": "api-docs",
    }
    # The API reference is the same Redoc page for everyone; the administrator's tour covers it.
    pages = [
        (named.get(path, path.strip("/").replace("/", "-")), path)
        for path in sidebar
        if role == "admin" or path != "/api/docs/"
    ]
    pages += [
        ("company-detail", company.get_absolute_url()),
        ("contact-detail", contact.get_absolute_url()),
        ("contact-form", "/customers/contacts/new/"),
        ("contact-edit", f"/customers/contacts/{crm.own_contacts[role].pk}/edit/"),
        ("profile", "/accounts/profile/"),
        ("search", "/search/?q=Acme"),
    ]
    if role == "admin":
        sales_rep = Role.objects.get(key="sales_rep")
        pages += [("role-edit", f"/accounts/roles/{sales_rep.pk}/"), ("user-form", "/accounts/users/new/")]
    return pages


def visit_all(tab, pages, *, language: str, photograph: str | None = None) -> None:
    """Open each page; with photograph="<who>", also shoot it at desktop and phone width
    (resizing the loaded page) and check that nothing overflows the phone screen."""
    html_lang = "zh-Hans" if language == "zh-hans" else "en"
    lang = "zh" if language == "zh-hans" else "en"
    for name, path in pages:
        tab.open(path)
        if path != "/api/docs/":  # the API reference is a Redoc page, outside the CRM shell
            assert tab.page.get_attribute("html", "lang") == html_lang, path
            assert tab.page.locator("main h1").first.inner_text().strip(), f"{path} has no heading"
        if photograph:
            # Redoc's page is many screens long; its first screen says enough.
            full_page = path != "/api/docs/"
            tab.screenshot(f"desktop-{photograph}-{lang}-{name}", full_page=full_page)
            tab.resize(PHONE)
            tab.assert_fits_width()
            tab.screenshot(f"phone-{photograph}-{lang}-{name}", full_page=full_page)
            tab.resize(DESKTOP)
            tab.assert_clean(f"{path} resized")


def run_tour(tab, crm, role: str, *, photograph: bool = False) -> None:
    tab.login(crm.users[role].username, crm.password)
    sidebar = sidebar_links(tab)
    assert set(sidebar) >= EVERYONE_PAGES, sidebar
    if role == "admin":
        assert set(sidebar) >= ADMIN_PAGES, sidebar
    else:
        assert not ADMIN_PAGES & set(sidebar), f"{role} sees administration links: {sidebar}"
    pages = tour(crm, role, sidebar)
    shots = role if photograph else None

    visit_all(tab, pages, language="en", photograph=shots)

    tab.open("/")
    tab.switch_language("zh-hans")
    assert CJK.search(tab.page.inner_text("#sidebar")), "the sidebar is not translated"
    visit_all(tab, pages, language="zh-hans", photograph=shots)

    tab.open("/")
    tab.switch_language("en")
    assert not CJK.search(tab.page.inner_text("#sidebar"))


@pytest.mark.parametrize("role", ROLES)
def test_every_main_page_renders_cleanly_in_both_languages(new_tab, crm, role):
    tab = new_tab(DESKTOP)
    run_tour(tab, crm, role, photograph=role == "admin")


def test_phone_layout_and_menus(new_tab, crm):
    tab = new_tab(PHONE)
    page = tab.page
    tab.login(crm.users["rep"].username, crm.password)
    for path in ["/", "/customers/companies/", crm.companies[0].get_absolute_url(), "/customers/contacts/new/"]:
        tab.open(path)
        tab.assert_fits_width()

    # The sidebar and the account menu open over the page on a phone.
    tab.open("/")
    expect(page.locator("#sidebar")).not_to_be_in_viewport()
    page.click("[data-toggle-sidebar]")
    page.wait_for_function("document.getElementById('sidebar').getBoundingClientRect().left === 0")
    expect(page.locator("#sidebar").get_by_role("link", name="Contacts")).to_be_visible()
    tab.screenshot("phone-rep-en-sidebar-open", full_page=False)
    page.click("[data-toggle-sidebar]")
    expect(page.locator("#sidebar")).not_to_be_in_viewport()
    page.click("details.menu > summary[aria-label]")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    tab.screenshot("phone-rep-en-account-menu", full_page=False)
    tab.assert_clean("phone menus")


@pytest.mark.parametrize(("width", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)], ids=["desktop", "phone"])
def test_login_page_in_both_languages(new_tab, crm, width, viewport):
    tab = new_tab(viewport)
    tab.open("/accounts/login/")
    tab.assert_fits_width()
    tab.screenshot(f"{width}-en-login")

    tab.page.fill("#id_username", crm.users["rep"].username)
    tab.page.fill("#id_password", "not the password")
    with tab.page.expect_navigation():
        tab.page.click("form:not(.lang-switch) button[type=submit]")
    tab.settle()
    tab.assert_clean("failed sign-in")
    assert tab.page.locator(".messages .error").is_visible()
    assert tab.page.input_value("#id_username") == crm.users["rep"].username
    tab.screenshot(f"{width}-en-login-error")

    tab.open("/accounts/login/")
    tab.switch_language("zh-hans")
    assert CJK.search(tab.page.inner_text("h1")), "the sign-in heading is not translated"
    tab.assert_fits_width()
    tab.screenshot(f"{width}-zh-login")
