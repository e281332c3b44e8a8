import factory

from crm.contacts.models import Company, Contact


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"华信科技 {n} 有限公司")
    phone = "+8621555000"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    name = factory.Sequence(lambda n: f"张伟 Zhang {n}")
    email = factory.Sequence(lambda n: f"zhang{n}@example.com")
