import factory

from crm.leads.models import Lead, WebForm
from crm.leads.services import lead_search_text


class LeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Lead

    name = factory.Sequence(lambda n: f"陈静 Chen {n}")
    company_name = factory.Sequence(lambda n: f"远航物流 {n} 有限公司")
    email = factory.Sequence(lambda n: f"chen{n}@example.com")
    phone = ""
    title = ""
    # What the services would store, so searches find factory-made records.
    search_text = factory.LazyAttribute(
        lambda o: lead_search_text(
            name=o.name, company_name=o.company_name, title=o.title, email=o.email, phone=o.phone
        )
    )


class WebFormFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebForm

    name = factory.Sequence(lambda n: f"Contact us {n}")
    fields = factory.LazyFunction(
        lambda: [
            {"name": "name", "label_en": "Your name", "label_zh": "您的姓名", "required": True},
            {"name": "company_name", "label_en": "Company", "label_zh": "公司", "required": False},
            {"name": "email", "label_en": "E-mail", "label_zh": "电子邮箱", "required": False},
            {"name": "phone", "label_en": "Phone", "label_zh": "电话", "required": False},
        ]
    )
    thank_you_en = "Thanks, we will call you."
    thank_you_zh = "谢谢，我们会联系您。"
