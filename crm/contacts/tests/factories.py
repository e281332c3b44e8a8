import factory

from crm.contacts.models import Company, Contact
from crm.contacts.text import company_search_text, contact_search_text


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"华信科技 {n} 有限公司")
    phone = "+862155500000"
    # What the services would store, so searches find factory-made records.
    search_text = factory.LazyAttribute(
        lambda o: company_search_text(
            name=o.name, registration_number=o.registration_number, email=o.email, phone=o.phone
        )
    )
    registration_number = ""
    email = ""


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    name = factory.Sequence(lambda n: f"张伟 Zhang {n}")
    email = factory.Sequence(lambda n: f"zhang{n}@example.com")
    title = ""
    phone = ""
    phones = factory.LazyFunction(list)
    emails = factory.LazyFunction(list)
    search_text = factory.LazyAttribute(
        lambda o: contact_search_text(
            name=o.name, title=o.title, email=o.email, emails=o.emails, phone=o.phone, phones=o.phones
        )
    )
