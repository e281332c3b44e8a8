from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.contacts.models import Contact
from crm.core.forms import ServiceErrorsMixin
from crm.core.visibility import visible_to
from crm.core.widgets import PickerLabelsMixin, RecordPicker

from .models import EmailTemplate
from .selectors import templates_visible_to


class EmailTemplateForm(ServiceErrorsMixin, forms.ModelForm):
    class Meta:
        model = EmailTemplate
        fields = EmailTemplate.EDITABLE_FIELDS
        widgets = {"body": forms.Textarea(attrs={"rows": 14, "class": "mono-text"})}


class ContactPickForm(PickerLabelsMixin, forms.Form):
    """Choose a contact the user may see (for a preview)."""

    contact = forms.ModelChoiceField(label=_("Contact"), queryset=Contact.objects.none(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = visible_to(user, Contact).select_related("company")
        self.fields["contact"].widget = RecordPicker("contacts.contact")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (empty when none)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ComposeForm(PickerLabelsMixin, ServiceErrorsMixin, forms.Form):
    contact = forms.ModelChoiceField(label=_("To"), queryset=Contact.objects.none())
    template = forms.ModelChoiceField(
        label=_("Template"), queryset=EmailTemplate.objects.none(), required=False, empty_label=_("No template")
    )
    cc = forms.CharField(
        label=_("Cc"), required=False, max_length=2000, help_text=_("E-mail addresses, separated by commas.")
    )
    subject = forms.CharField(label=_("Subject"), max_length=400)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 14}), max_length=100_000)
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("Up to 20 MB in all. Choose them when you send: a preview does not keep them."),
    )

    def __init__(self, *args, user, deal=None, **kwargs):
        super().__init__(*args, **kwargs)
        contacts = visible_to(user, Contact).exclude(email="").select_related("company")
        if deal is not None:
            # From a deal: the people on it, as a short list.
            self.fields["contact"].queryset = contacts.filter(deal_roles__deal=deal).order_by("name", "pk")
            self.fields["contact"].empty_label = None
        else:
            self.fields["contact"].queryset = contacts
            self.fields["contact"].widget = RecordPicker("contacts.contact")
        self.fields["template"].queryset = templates_visible_to(user).filter(active=True).order_by("language", "name")
        self.fields["template"].label_from_instance = lambda t: f"{t.name} ({t.get_language_display()})"
