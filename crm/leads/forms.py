from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from crm.accounts.models import Team
from crm.core.forms import RecordForm
from crm.core.widgets import RecordPicker

from .models import AssignmentRule, Lead, LeadStatus, WebForm
from .services import SETTABLE_STATUSES, WEB_FORM_FIELDS

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LeadForm(RecordForm):
    class Meta:
        model = Lead
        fields = Lead.EDITABLE_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].help_text = _("Leave empty to let the assignment rules choose.")


class LeadStatusForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[(value, label) for value, label in LeadStatus.choices if value in SETTABLE_STATUSES]
    )
    reason = forms.CharField(label=_("Disqualification reason"), required=False, max_length=300)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class LeadConvertForm(forms.Form):
    """Link or create a company and a contact, and optionally open a deal."""

    company_action = forms.ChoiceField(
        label=_("Company"),
        widget=forms.RadioSelect,
        choices=[
            ("link", _("Link to an existing company")),
            ("create", _("Create a company")),
            ("none", _("No company")),
        ],
    )
    company = forms.ModelChoiceField(label=_("Existing company"), queryset=None, required=False)
    company_name = forms.CharField(label=_("New company name"), max_length=200, required=False)
    company_registration_number = forms.CharField(
        label=_("Registration number of the new company"), max_length=40, required=False
    )
    contact_action = forms.ChoiceField(
        label=_("Contact"),
        widget=forms.RadioSelect,
        choices=[
            ("link", _("Link to an existing contact")),
            ("create", _("Create a contact")),
            ("none", _("No contact")),
        ],
    )
    contact = forms.ModelChoiceField(label=_("Existing contact"), queryset=None, required=False)
    create_deal = forms.BooleanField(label=_("Create a deal"), required=False, initial=True)
    deal_name = forms.CharField(label=_("Deal name"), max_length=200, required=False)
    deal_amount = forms.DecimalField(label=_("Amount"), required=False, min_value=0, max_digits=18, decimal_places=2)
    deal_pipeline = forms.ModelChoiceField(label=_("Pipeline"), queryset=None, required=False)
    deal_close_date = forms.DateField(label=_("Expected close date"), required=False, widget=DATE_INPUT)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user=None, lead=None, **kwargs):
        super().__init__(*args, **kwargs)
        from crm.contacts.models import Company, Contact
        from crm.core.visibility import visible_to
        from crm.deals.selectors import pipelines_active

        self.user = user
        self.fields["company"].queryset = visible_to(user, Company)
        self.fields["company"].widget = RecordPicker("contacts.company")
        self.fields["contact"].queryset = visible_to(user, Contact)
        self.fields["contact"].widget = RecordPicker("contacts.contact")
        self.fields["deal_pipeline"].queryset = pipelines_active()
        self.fields["deal_pipeline"].empty_label = _("Default pipeline")

    def clean(self):
        data = super().clean()
        if data.get("company_action") == "link" and not data.get("company"):
            self.add_error("company", _("Choose the company to link to."))
        if data.get("company_action") == "create" and not (data.get("company_name") or "").strip():
            self.add_error("company_name", _("This field is required."))
        if data.get("contact_action") == "link" and not data.get("contact"):
            self.add_error("contact", _("Choose the contact to link to."))
        return data

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        company = None
        if data["company_action"] == "link":
            company = data["company"]
        elif data["company_action"] == "create":
            company = {
                "name": data["company_name"],
                "registration_number": data.get("company_registration_number") or "",
            }
        contact = None
        if data["contact_action"] == "link":
            contact = data["contact"]
        elif data["contact_action"] == "create":
            contact = {}
        deal = None
        if data.get("create_deal"):
            deal = {
                "name": data.get("deal_name") or "",
                "amount": data.get("deal_amount"),
                "pipeline": data.get("deal_pipeline"),
                "expected_close_date": data.get("deal_close_date"),
            }
        return {"company": company, "contact": contact, "deal_data": deal, "expected_version": data.get("version")}


def _active_users():
    return get_user_model().objects.filter(is_active=True).order_by("username")


class AssignmentRuleForm(forms.ModelForm):
    class Meta:
        model = AssignmentRule
        fields = ("name", "position", "active", "region", "source", "user", "team")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = _active_users()
        self.fields["team"].queryset = Team.objects.order_by("name")
        self.fields["source"].help_text = _("Leave empty to match every source.")


class WebFormForm(forms.ModelForm):
    """The form's settings plus, per allowed lead field: shown, required, labels."""

    class Meta:
        model = WebForm
        fields = (
            "name",
            "title_en",
            "title_zh",
            "thank_you_en",
            "thank_you_zh",
            "owner",
            "team",
            "source",
            "campaign",
            "tag",
            "active",
        )
        widgets = {
            "thank_you_en": forms.Textarea(attrs={"rows": 2}),
            "thank_you_zh": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _active_users()
        self.fields["owner"].help_text = _("New leads go to this user; else round-robin over the team; else the rules.")
        self.fields["team"].queryset = Team.objects.order_by("name")
        current = {spec["name"]: spec for spec in (self.instance.fields if self.instance.pk else [])}
        if not self.instance.pk:
            current = {n: {"name": n, "required": n == "name"} for n in ("name", "company_name", "email", "phone")}
        self.field_rows = []
        for name in WEB_FORM_FIELDS:
            spec = current.get(name, {})
            verbose = Lead._meta.get_field(name).verbose_name
            on = forms.BooleanField(label=_("Show"), required=False, initial=name in current or name == "name")
            required = forms.BooleanField(label=_("Required"), required=False, initial=bool(spec.get("required")))
            label_en = forms.CharField(
                label=_("Label (English)"), required=False, max_length=100, initial=spec.get("label_en", "")
            )
            label_zh = forms.CharField(
                label=_("Label (Chinese)"), required=False, max_length=100, initial=spec.get("label_zh", "")
            )
            if name == "name":
                on.disabled = True
                required.disabled = True
                on.initial = required.initial = True
            prefix = f"f_{name}"
            self.fields[f"{prefix}_on"] = on
            self.fields[f"{prefix}_required"] = required
            self.fields[f"{prefix}_label_en"] = label_en
            self.fields[f"{prefix}_label_zh"] = label_zh
            self.field_rows.append(
                {
                    "name": name,
                    "verbose": verbose,
                    "on": self[f"{prefix}_on"],
                    "required": self[f"{prefix}_required"],
                    "label_en": self[f"{prefix}_label_en"],
                    "label_zh": self[f"{prefix}_label_zh"],
                }
            )

    @property
    def settings_fields(self):
        return [self[name] for name in self._meta.fields]

    def service_data(self) -> dict:
        data = {name: self.cleaned_data.get(name) for name in self._meta.fields}
        fields = []
        for name in WEB_FORM_FIELDS:
            prefix = f"f_{name}"
            if name == "name" or self.cleaned_data.get(f"{prefix}_on"):
                fields.append(
                    {
                        "name": name,
                        "required": name == "name" or bool(self.cleaned_data.get(f"{prefix}_required")),
                        "label_en": self.cleaned_data.get(f"{prefix}_label_en") or "",
                        "label_zh": self.cleaned_data.get(f"{prefix}_label_zh") or "",
                    }
                )
        data["fields"] = fields
        return data
