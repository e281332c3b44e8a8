from django import forms
from django.utils.translation import gettext_lazy as _

from crm.core.forms import RecordForm

from .models import Company, Contact


class CompanyForm(RecordForm):
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = Company
        fields = ("name", "registration_number", "industry", "phone", "email", "website", "address", "owner")


class ContactForm(RecordForm):
    class Meta:
        model = Contact
        fields = ("name", "title", "company", "email", "phone", "owner")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from crm.core.visibility import visible_to

        # Only companies the user can see (and not in the recycle bin) can be chosen;
        # a forged id is refused as an invalid choice.
        self.fields["company"].queryset = visible_to(self.user, Company).order_by("name")
