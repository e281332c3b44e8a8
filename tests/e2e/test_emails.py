"""E-mail through a real browser: from a contact's page a rep sends an e-mail with a
Chinese template (preselected by the contact's preferred language), previews it, sends
it and finds it on the contact's timeline and the activity's page. Desktop in English,
360 px in Chinese; the template editor and the logging address page too."""

from __future__ import annotations

import pytest
from django.core import mail
from playwright.sync_api import expect

from .browsing import PHONE

pytestmark = pytest.mark.e2e


@pytest.fixture
def mail_setup(crm, settings):
    from crm.contacts.models import Contact
    from crm.emails.demo import seed_email_templates

    settings.DEFAULT_FROM_EMAIL = "CRM <crm@crm.example.com>"
    settings.INBOUND_EMAIL_DOMAIN = "in.crm.example.com"
    seed_email_templates(owner=crm.users["admin"])
    wang = crm.contacts[1]  # 王芳 at 华信科技有限公司, the rep's teammate's
    Contact.objects.filter(pk=wang.pk).update(
        email="wangfang@huaxin.example.cn", preferred_language="zh-hans", title="采购经理"
    )
    rep = crm.users["rep"]
    rep.full_name, rep.email, rep.phone = "Rita Rep", "rita@crm.example.com", "+86 138 0013 8000"
    rep.save()
    wang.refresh_from_db()
    return wang


def test_send_an_email_with_a_chinese_template(new_tab, crm, mail_setup):
    from crm.activities.models import Activity
    from crm.emails.models import EmailMessage, EmailTemplate

    wang = mail_setup
    rep = crm.users["rep"]
    chinese = EmailTemplate.objects.get(name="初次联系")
    tab = new_tab()
    page = tab.page
    tab.login(rep.username, crm.password)
    tab.open(wang.get_absolute_url())
    with page.expect_navigation():
        page.click(".page-head .actions a:has-text('Send e-mail')")
    tab.settle()
    # The contact prefers Chinese: the Chinese template is chosen and filled in.
    assert page.input_value("#id_template") == str(chinese.pk)
    assert page.input_value("#id_subject") == chinese.subject
    expect(page.locator(".merge-fields")).to_contain_text("{{ contact.first_name }}")
    page.fill("#id_body", page.input_value("#id_body") + "\n\n附：<b>产品目录</b>")
    with page.expect_navigation():
        page.click("button[value=preview]")
    tab.settle()
    preview = page.locator("#preview")
    expect(preview).to_contain_text("尊敬的王芳：")
    expect(preview).to_contain_text("华信科技有限公司您好")
    expect(preview).to_contain_text("附：<b>产品目录</b>")  # plain text, not markup
    expect(preview).to_contain_text("Rita Rep")
    assert not mail.outbox
    tab.screenshot("emails-compose-desktop-en")
    with page.expect_navigation():
        page.click("button[value=send]")
    tab.settle()
    tab.assert_clean("send the e-mail")
    assert page.url.endswith(wang.get_absolute_url())
    expect(page.locator(".messages")).to_contain_text("The e-mail to 王芳 was sent.")
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.subject == "华信科技有限公司您好：我们的简要介绍"
    assert sent.to == ["王芳 <wangfang@huaxin.example.cn>"] and sent.reply_to == ["Rita Rep <rita@crm.example.com>"]
    assert sent.from_email == "Rita Rep <crm@crm.example.com>"
    message = EmailMessage.objects.get()
    activity = message.activity
    assert activity.kind == "email" and activity.contact == wang and activity.company == wang.company
    expect(page.locator("#history")).to_contain_text("我们的简要介绍")
    tab.screenshot("emails-contact-timeline-desktop-en")

    # The timeline entry leads to the activity, which shows the message's addresses.
    with page.expect_navigation():
        page.click(f"#history a[href='{activity.get_absolute_url()}']")
    tab.settle()
    email_panel = page.locator(".panel:has(h2:has-text('E-mail'))")
    panel_text = email_panel.inner_text().replace("\u200b", "")  # wrap points for phones
    assert "To: 王芳 <wangfang@huaxin.example.cn>" in panel_text
    assert "Message ID: " + message.message_id in panel_text
    tab.screenshot("emails-activity-desktop-en")
    with page.expect_navigation():
        page.click(f"a[href='{message.get_absolute_url()}']")
    tab.settle()
    expect(page.locator("dl.props")).to_contain_text("wangfang@huaxin.example.cn")
    expect(page.locator("dl.props")).to_contain_text(message.message_id)
    expect(page.locator(".email-body")).to_contain_text("附：<b>产品目录</b>")
    tab.screenshot("emails-detail-desktop-en")

    # 360 px in Chinese: the same flow reads and fits.
    phone = new_tab(PHONE)
    page = phone.page
    phone.login(rep.username, crm.password)
    phone.open(wang.get_absolute_url())
    phone.switch_language("zh-hans")
    expect(page.locator(".page-head .actions")).to_contain_text("发送邮件")
    with page.expect_navigation():
        page.click(".page-head .actions a:has-text('发送邮件')")
    phone.settle()
    expect(page.locator("h1")).to_contain_text("发送邮件")
    assert page.input_value("#id_template") == str(chinese.pk)
    # Choosing another template replaces the text (nothing typed yet, so no question).
    follow_up = EmailTemplate.objects.get(name="报价跟进")
    page.select_option("#id_template", str(follow_up.pk))
    assert page.input_value("#id_subject") == follow_up.subject
    page.fill("#id_subject", "样品寄送安排")
    page.fill("#id_body", "{{ contact.last_name }}经理您好：\n\n样品已于今天寄出。\n\n{{ user.name }}")
    phone.assert_fits_width()
    phone.screenshot("emails-compose-phone-zh")
    with page.expect_navigation():
        page.click("button[value=preview]")
    phone.settle()
    expect(page.locator("#preview")).to_contain_text("王经理您好：")
    phone.assert_fits_width()
    phone.screenshot("emails-preview-phone-zh")
    with page.expect_navigation():
        page.click("button[value=send]")
    phone.settle()
    expect(page.locator(".messages")).to_contain_text("已向王芳发送邮件。")
    expect(page.locator("#history")).to_contain_text("样品寄送安排")
    phone.assert_fits_width()
    phone.screenshot("emails-contact-timeline-phone-zh")
    assert len(mail.outbox) == 2 and mail.outbox[1].body.startswith("王经理您好：\n\n样品已于今天寄出。")
    assert Activity.objects.filter(kind="email", contact=wang).count() == 2
    second = EmailMessage.objects.order_by("-pk").first()
    phone.open(second.activity.get_absolute_url())
    expect(page.locator(".panel:has(h2:has-text('邮件'))")).to_contain_text("发件人: Rita Rep")
    assert second.message_id in page.locator(".panel:has(h2:has-text('邮件'))").inner_text().replace("\u200b", "")
    phone.assert_fits_width()
    phone.screenshot("emails-activity-phone-zh")
    phone.open(second.get_absolute_url())
    expect(page.locator("dl.props")).to_contain_text("发件人")
    phone.assert_fits_width()
    phone.screenshot("emails-detail-phone-zh")
    phone.switch_language("en")


def test_templates_and_logging_address_pages(new_tab, crm, mail_setup):
    from crm.emails.models import EmailTemplate, LoggingAddress

    rep = crm.users["rep"]
    tab = new_tab()
    page = tab.page
    tab.login(rep.username, crm.password)
    tab.open("/emails/templates/")
    expect(page.locator("table.list")).to_contain_text("初次联系")
    with page.expect_navigation():
        page.click("a:has-text('New template')")
    tab.settle()
    page.fill("#id_name", "Meeting recap")
    page.fill("#id_subject", "Our meeting, {{ contact.first_name }}")
    page.fill("#id_body", "Hi {{ contact.nickname }},\n\nThanks.")
    with page.expect_navigation():
        tab.watch.expect_status(400, "/emails/templates/new/")
        page.click("form button[type=submit]:has-text('Save')")
    tab.settle()
    expect(page.locator(".errorlist")).to_contain_text("Unknown merge field: {{ contact.nickname }}")
    assert page.input_value("#id_subject") == "Our meeting, {{ contact.first_name }}"
    tab.screenshot("emails-template-form-desktop-en")
    page.fill("#id_body", "Hi {{ contact.first_name }},\n\nThanks.\n{{ user.name }}")
    with page.expect_navigation():
        page.click("form button[type=submit]:has-text('Save')")
    tab.settle()
    tab.assert_clean("save the template")
    template = EmailTemplate.objects.get(name="Meeting recap")
    assert template.owner == rep and template.body == "Hi {{ contact.first_name }},\n\nThanks.\n{{ user.name }}"
    tab.screenshot("emails-template-list-desktop-en")
    tab.open(f"/emails/templates/{template.pk}/preview/?contact={crm.contacts[0].pk}")
    expect(page.locator(".email-preview")).to_contain_text("Hi Alice,")
    tab.screenshot("emails-template-preview-desktop-en")

    tab.open("/emails/logging-address/")
    with page.expect_navigation():
        page.click("form button:has-text('Make my address')")
    tab.settle()
    address = page.inner_text("#logging-address")
    assert address.startswith("log+") and address.endswith("@in.crm.example.com")
    assert LoggingAddress.objects.get(user=rep).prefix == address[4:10]
    tab.screenshot("emails-logging-address-desktop-en")

    phone = new_tab(PHONE)
    page = phone.page
    phone.login(rep.username, crm.password)
    phone.open("/emails/templates/")
    phone.switch_language("zh-hans")
    expect(page.locator("h1")).to_contain_text("邮件模板")
    phone.assert_fits_width()
    phone.screenshot("emails-template-list-phone-zh")
    phone.open(f"/emails/templates/{template.pk}/edit/")
    expect(page.locator(".merge-fields")).to_contain_text("联系人的名")
    phone.assert_fits_width()
    phone.screenshot("emails-template-form-phone-zh")
    phone.open("/emails/logging-address/")
    expect(page.locator("main")).to_contain_text("log+" + address[4:10])
    phone.assert_fits_width()
    phone.screenshot("emails-logging-address-phone-zh")
    phone.switch_language("en")
