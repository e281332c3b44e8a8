from django import forms
from django.utils.translation import gettext_lazy as _

from crm.core.forms import RecordForm
from crm.core.widgets import RecordPicker

from .models import Company, Contact

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ListField(forms.CharField):
    """Several values, one per line (commas also separate); the services check each."""

    widget = forms.Textarea(attrs={"rows": 2})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return "\n".join(str(v) for v in value)
        return value

    def to_python(self, value):
        text = super().to_python(value) or ""
        return [item.strip() for item in text.replace(",", "\n").replace(";", "\n").splitlines() if item.strip()]


class DuplicateWarningMixin:
    """A new record that looks like an existing one is not saved at once: the form
    shows the likely matches (crm.duplicates) and a "Save anyway" button."""

    duplicates: list = []

    def clean(self):
        cleaned = super().clean()
        self.duplicates = []
        if not self.instance.pk and not self.errors and not self.data.get("save_anyway"):
            from crm.duplicates import selectors as duplicate_selectors

            self.duplicates = duplicate_selectors.matches_for(user=self.user, model=self._meta.model, data=cleaned)
            if self.duplicates:
                raise forms.ValidationError(duplicate_selectors.duplicate_message(self._meta.model), code="duplicate")
        return cleaned


class CompanyForm(DuplicateWarningMixin, RecordForm):
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")

    class Meta:
        model = Company
        fields = Company.EDITABLE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from crm.core.visibility import visible_to

        # Only companies the user can see; the services refuse a cycle (a company under
        # one of its own subsidiaries).
        parents = visible_to(self.user, Company).order_by("name")
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents
        self.fields["parent"].widget = RecordPicker("contacts.company")


class ContactForm(DuplicateWarningMixin, RecordForm):
    phones = ListField(label=_("Other phones"), required=False, help_text=_("One per line."))
    emails = ListField(label=_("Other e-mails"), required=False, help_text=_("One per line."))

    class Meta:
        model = Contact
        fields = Contact.EDITABLE_FIELDS
        widgets = {"birthday": DATE_INPUT, "consent_date": DATE_INPUT}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from crm.core.visibility import visible_to

        # Only companies the user can see (and not in the recycle bin) can be chosen;
        # a forged id is refused as an invalid choice.
        self.fields["company"].queryset = visible_to(self.user, Company).order_by("name")
        self.fields["company"].widget = RecordPicker("contacts.company")
