"""Leads through a real browser: a visitor submits the hosted web form, then a rep
qualifies the lead and converts it (linking the existing company, creating the
contact and a deal). Desktop and 360 px, English and Chinese."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .browsing import CJK, PHONE

pytestmark = pytest.mark.e2e


@pytest.fixture
def web_form(crm):
    from crm.deals.models import Pipeline, Stage
    from crm.leads.tests.factories import WebFormFactory

    # Browser tests flush the tables, the default pipeline of the migrations included.
    if not Pipeline.objects.exists():
        pipeline = Pipeline.objects.create(name_en="New business", name_zh="新业务", is_default=True)
        Stage.objects.create(pipeline=pipeline, name_en="Qualification", name_zh="需求确认", probability=10)
        Stage.objects.create(pipeline=pipeline, name_en="Won", name_zh="赢单", probability=100, kind="won", position=9)

    rep = crm.users["rep"]
    return WebFormFactory(
        name="Website",
        title_en="Talk to our sales team",
        title_zh="联系我们的销售团队",
        team=rep.team,  # round-robin over East: the rep comes first
        campaign="Spring expo",
        fields=[
            {"name": "name", "label_en": "Your name", "label_zh": "您的姓名", "required": True},
            {"name": "company_name", "label_en": "Company", "label_zh": "公司名称", "required": False},
            {"name": "email", "label_en": "E-mail", "label_zh": "电子邮箱", "required": True},
            {"name": "phone", "label_en": "Mobile", "label_zh": "手机号码", "required": False},
            {"name": "description", "label_en": "How can we help?", "label_zh": "需求描述", "required": False},
        ],
    )


def test_a_visitor_submits_the_hosted_form(new_tab, crm, web_form):
    from crm.leads.models import Lead

    path = f"/leads/f/{web_form.key}/"
    desktop = new_tab()
    desktop.open(path)
    expect(desktop.page.locator(".brand")).to_have_text("Talk to our sales team")
    expect(desktop.page.locator("label[for=wf-name]")).to_contain_text("Your name")
    expect(desktop.page.locator("#wf-hp")).not_to_be_in_viewport()
    desktop.screenshot("leads-webform-desktop-en")

    phone = new_tab(PHONE)
    page = phone.page
    phone.open(path + "?lang=zh-hans")
    assert page.get_attribute("html", "lang") == "zh-Hans"
    expect(page.locator(".brand")).to_have_text("联系我们的销售团队")
    expect(page.locator("label[for=wf-email]")).to_contain_text("电子邮箱")
    phone.assert_fits_width()
    phone.screenshot("leads-webform-phone-zh")

    # A mistake is shown next to the field, in Chinese, and nothing is saved.
    page.fill("#wf-name", "孙丽")
    page.fill("#wf-email", "not-an-address")
    phone.watch.expect_status(400, r"/leads/f/")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    phone.settle()
    phone.assert_clean("invalid submission")
    expect(page.locator(".field:has(#wf-email) .errorlist")).to_contain_text("不是有效的邮箱地址")
    assert page.input_value("#wf-name") == "孙丽"
    assert not Lead.objects.filter(name="孙丽").exists()

    page.fill("#wf-email", "Sun.Li@Acme-Robotics.cn")
    page.fill("#wf-company_name", "Acme Robotics Co., Ltd.")
    page.fill("#wf-phone", "139 1234 5678")
    page.fill("#wf-description", "想了解机器人报价")
    with page.expect_navigation():
        page.click("form button[type=submit]")
    phone.settle()
    phone.assert_clean("submission")
    expect(page.locator("#webform-result")).to_contain_text("谢谢")
    phone.assert_fits_width()
    phone.screenshot("leads-webform-thanks-phone-zh")

    lead = Lead.objects.get(name="孙丽")
    assert lead.owner == crm.users["rep"], "the first member of the form's team gets the lead"
    assert (lead.email, lead.phone, lead.source, lead.campaign) == (
        "sun.li@acme-robotics.cn",
        "+8613912345678",
        "web_form",
        "Spring expo",
    )


def test_a_rep_converts_the_lead(new_tab, crm, web_form):
    from crm.contacts.models import Contact
    from crm.deals.models import Deal
    from crm.leads.services import webform_submit

    lead = webform_submit(
        form=web_form,
        values={"name": "孙丽", "email": "sun.li@acme-robotics.cn", "company_name": "Acme Robotics Co., Ltd."},
    )
    rep = crm.users["rep"]
    assert lead.owner == rep
    tab = new_tab()
    page = tab.page
    tab.login(rep.username, crm.password)
    tab.open("/leads/leads/")
    expect(page.locator("#list-results tbody")).to_contain_text("孙丽")
    with page.expect_navigation():
        page.locator("#list-results a", has_text="孙丽").click()
    tab.settle()
    expect(page.locator("#lead-actions")).to_contain_text("Qualify the lead to convert it.")

    # Qualify it.
    with page.expect_navigation():
        page.click("#lead-actions a:has-text('Change status')")
    tab.settle()
    page.select_option("#id_status", "qualified")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    tab.settle()
    tab.assert_clean("qualify")
    expect(page.locator("#lead-actions .badge")).to_have_text("Qualified")

    with page.expect_navigation():
        page.click("#lead-actions a:has-text('Convert lead')")
    tab.settle()
    tab.assert_clean("convert page")
    acme = crm.companies[0]
    # The existing company is found although the lead wrote "Co., Ltd." after its name.
    expect(page.locator("#convert-company .convert-candidates")).to_contain_text("Acme Robotics")
    expect(page.locator("#convert-company .convert-candidates")).to_contain_text("Same name")
    expect(page.locator("#convert-company .convert-candidates")).not_to_contain_text("Acme Hidden Holdings")
    assert page.is_checked("#convert-company input[value=link]")
    expect(page.locator("#id_company")).to_have_value(str(acme.pk))
    page.check("#convert-contact input[value=create]")
    page.fill("#id_deal_name", "Acme 机器人试点 Pilot")
    page.fill("#id_deal_amount", "88000")
    tab.screenshot("leads-convert-desktop-en")
    with page.expect_navigation():
        page.click("#convert-form button[type=submit]")
    tab.settle()
    tab.assert_clean("convert")

    lead.refresh_from_db()
    assert lead.status == "converted" and lead.converted_company == acme
    contact = Contact.objects.get(pk=lead.converted_contact_id)
    deal = Deal.objects.get(pk=lead.converted_deal_id)
    assert (contact.name, contact.email, contact.company) == ("孙丽", "sun.li@acme-robotics.cn", acme)
    assert (deal.name, str(deal.amount), deal.company, deal.owner) == ("Acme 机器人试点 Pilot", "88000.00", acme, rep)
    assert list(deal.contacts.all()) == [contact]
    expect(page.locator(".messages .success")).to_contain_text("孙丽")
    actions = page.locator("#lead-actions")
    expect(actions.get_by_role("link", name="Acme Robotics")).to_be_visible()
    expect(actions.get_by_role("link", name="孙丽")).to_be_visible()
    expect(actions.get_by_role("link", name="Acme 机器人试点 Pilot")).to_be_visible()
    tab.screenshot("leads-converted-desktop-en")

    # The same pages in Chinese on a phone.
    tab.switch_language("zh-hans")
    tab.resize(PHONE)
    assert CJK.search(page.inner_text("#lead-actions"))
    expect(page.locator("#lead-actions .badge")).to_have_text("已转化")
    tab.assert_fits_width()
    tab.screenshot("leads-converted-phone-zh")
    tab.open("/leads/leads/")
    tab.assert_fits_width()
    tab.screenshot("leads-list-phone-zh")
    tab.switch_language("en")


def test_convert_page_on_a_phone_in_chinese(new_tab, crm, web_form):
    from crm.leads.models import LeadStatus
    from crm.leads.services import lead_set_status, webform_submit

    rep = crm.users["rep"]
    lead = webform_submit(form=web_form, values={"name": "钱进", "email": "qian@huaxin.cn", "company_name": "华信科技"})
    lead_set_status(lead=lead, actor=rep, status=LeadStatus.QUALIFIED)
    tab = new_tab(PHONE)
    page = tab.page
    tab.login(rep.username, crm.password)
    tab.switch_language("zh-hans")
    tab.open(f"/leads/leads/{lead.pk}/convert/")
    # 华信科技有限公司 belongs to the rep's teammate: the rep sees it, as "same name".
    expect(page.locator("#convert-company .convert-candidates")).to_contain_text("华信科技有限公司")
    expect(page.locator("#convert-company .convert-candidates")).to_contain_text("名称相同")
    assert CJK.search(page.inner_text("main h1"))
    tab.assert_fits_width()
    tab.screenshot("leads-convert-phone-zh")
    tab.switch_language("en")


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_an_administrator_builds_a_web_form(new_tab, crm, web_form, viewport):
    from crm.leads.models import WebForm

    admin = crm.users["admin"]
    tab = new_tab(viewport)
    page = tab.page
    tab.login(admin.username, crm.password)
    if viewport:
        tab.switch_language("zh-hans")
    tab.open("/leads/forms/")
    with page.expect_navigation():
        page.click("main .page-head a.btn.primary")
    tab.settle()
    page.fill("#id_name", "Expo 展会")
    page.fill("#id_title_zh", "展会登记")
    page.check("#id_f_title_on")
    page.fill("#id_f_title_label_zh", "职位")
    page.select_option("#id_owner", str(crm.users["rep"].pk))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    tab.settle()
    tab.assert_clean("save the web form")
    form = WebForm.objects.get(name="Expo 展会")
    assert [f["name"] for f in form.fields] == ["name", "company_name", "title", "email", "phone"]
    # Labels left empty take the field's name in each language, whatever the editor's language.
    assert (form.fields[1]["label_en"], form.fields[1]["label_zh"]) == ("Company name", "公司名称")
    assert form.fields[2]["label_zh"] == "职位"
    snippet = page.input_value("#snippet-zh")
    assert f"/leads/f/{form.key}/?lang=zh-hans" in snippet and 'name="website_url"' in snippet
    expect(page.locator("#webform-embed")).to_contain_text(f"/leads/f/{form.key}/")
    name = "phone-zh" if viewport else "desktop-en"
    tab.assert_fits_width()
    tab.screenshot(f"leads-webform-editor-{name}")
    tab.open("/leads/assignment/")
    tab.assert_fits_width()
    tab.screenshot(f"leads-assignment-{name}")


def test_every_leads_page_renders_cleanly_in_both_languages(new_tab, crm, web_form):
    """The leads pages get the tour every main page gets (tests/e2e/test_pages.py):
    both languages, a heading, no console or HTTP errors, nothing wider than a phone."""
    from crm.leads.models import AssignmentRule, LeadStatus
    from crm.leads.services import lead_set_status, webform_submit

    from .test_pages import visit_all

    admin = crm.users["admin"]
    lead = webform_submit(form=web_form, values={"name": "吴昊", "email": "wu@acme.cn", "company_name": "Acme"})
    qualified = webform_submit(form=web_form, values={"name": "郑爽", "email": "zheng@globex.cn"})
    lead_set_status(lead=qualified, actor=admin, status=LeadStatus.QUALIFIED)
    rule = AssignmentRule.objects.create(name="华东 East", region="华东", team=crm.users["rep"].team)
    pages = [
        ("leads-list", "/leads/leads/"),
        ("lead-form", "/leads/leads/new/"),
        ("lead-detail", f"/leads/leads/{lead.pk}/"),
        ("lead-edit", f"/leads/leads/{lead.pk}/edit/"),
        ("lead-status", f"/leads/leads/{lead.pk}/status/"),
        ("lead-convert", f"/leads/leads/{qualified.pk}/convert/"),
        ("webforms", "/leads/forms/"),
        ("webform-form", "/leads/forms/new/"),
        ("webform-edit", f"/leads/forms/{web_form.pk}/"),
        ("assignment", "/leads/assignment/"),
        ("assignment-rule", f"/leads/assignment/{rule.pk}/"),
    ]
    tab = new_tab()
    tab.login(admin.username, crm.password)
    visit_all(tab, pages, language="en", photograph="admin")
    tab.switch_language("zh-hans")
    visit_all(tab, pages, language="zh-hans", photograph="admin")
    tab.switch_language("en")
