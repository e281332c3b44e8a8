"""Browser tests: one headless Chromium per run, a fresh context per test.

Every page a test opens is watched: a console error, an uncaught exception, a
failed request, a request to another site or a response with status >= 400 fails
the test, unless the test says it expects that exact response (a 409 on a stale
edit, say). Screenshots land in test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pytest

from .browsing import CHROMIUM, CHROMIUM_ARGS, DESKTOP, Browse, watched_page

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses
# to run inside one unless told it is safe (the live server is another thread).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (make browser-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def new_tab(browser, live_server, transactional_db):
    """new_tab(viewport=DESKTOP) -> a watched tab in its own context (own cookies)."""
    contexts = []
    tabs = []

    def make(viewport: dict | None = None) -> Browse:
        # Reduced motion: charts and the sliding sidebar draw their final state at once.
        context = browser.new_context(
            viewport=viewport or DESKTOP, locale="en-US", timezone_id="Asia/Shanghai", reduced_motion="reduce"
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        tab = watched_page(context, live_server.url)
        tabs.append(tab)
        return tab

    yield make
    try:
        for tab in tabs:
            problems = tab.watch.take_problems()
            assert not problems, "left over on " + tab.page.url + ":\n  " + "\n  ".join(problems)
    finally:
        for context in contexts:
            context.close()


@dataclass
class Crm:
    users: dict
    password: str
    companies: list
    contacts: list
    own_contacts: dict


@pytest.fixture
def crm(transactional_db) -> Crm:
    """One user per built-in role, plus a few companies and contacts with owners on the sales team."""
    from crm.contacts.services import company_update, contact_create
    from crm.contacts.tests.factories import CompanyFactory, ContactFactory
    from crm.core.services import record_delete
    from crm.core.testing.factories import PASSWORD, UserFactory, role
    from crm.core.testing.users import make_standing_users

    standing = make_standing_users()
    service = UserFactory(username="agent", full_name="Agent Smith", role=role("service_agent"))
    marketing = UserFactory(username="marketer", full_name="Mia Marketing", role=role("marketing"))
    users = {
        "admin": standing.admin,
        "manager": standing.manager,
        "rep": standing.owner,
        "service_agent": service,
        "marketing": marketing,
    }
    companies = [
        CompanyFactory(name="Acme Robotics", owner=standing.owner, industry="Manufacturing"),
        CompanyFactory(name="华信科技有限公司", owner=standing.teammate),
        CompanyFactory(name="Globex Trading", owner=standing.manager),
        CompanyFactory(name="Acme Hidden Holdings", owner=standing.outsider),  # another team's
    ]
    contacts = [
        ContactFactory(name="Alice Chen", company=companies[0], owner=standing.owner, title="CTO"),
        ContactFactory(name="王芳", company=companies[1], owner=standing.teammate),
        ContactFactory(name="Bob Stone", company=companies[2], owner=standing.manager),
    ]
    # Through the services, so the history, the dashboard and the recycle bin have something to show.
    rep = standing.owner
    company_update(
        instance=companies[0],
        actor=rep,
        data={"website": "https://acme.example.com", "address": "上海市浦东新区世纪大道 100 号 Century Avenue"},
        tags=["key account", "制造业"],
    )
    gone = contact_create(actor=rep, data={"name": "Former Buyer", "company": companies[0]})
    record_delete(instance=gone, actor=rep)
    # Everyone may change records they own: each user gets one to open the edit form on.
    own_contacts = {
        key: ContactFactory(name=f"Own contact of {user.username}", company=companies[0], owner=user)
        for key, user in users.items()
    }
    return Crm(users=users, password=PASSWORD, companies=companies, contacts=contacts, own_contacts=own_contacts)
