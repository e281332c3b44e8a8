from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm.core.forms import RecordForm
from crm.core.visibility import visible_to
from crm.core.widgets import RecordPicker

from .models import Quote, QuoteSettings

PICKERS = {"deal": "deals.deal", "company": "contacts.company", "contact": "contacts.contact"}


class QuoteForm(RecordForm):
    """The quote's header; the lines come from the line editor (views.quote_edit)."""

    class Meta:
        model = Quote
        fields = Quote.EDITABLE_FIELDS
        widgets = {
            "valid_until": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "terms": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, label in PICKERS.items():
            field = self.fields[name]
            field.queryset = visible_to(self.user, field.queryset.model)
            field.widget = RecordPicker(label)
        self.fields["currency"].widget.attrs.update({"maxlength": "3", "style": "text-transform:uppercase"})


class QuoteSettingsForm(forms.ModelForm):
    class Meta:
        model = QuoteSettings
        fields = (
            "max_discount_without_approval",
            "default_validity_days",
            "default_terms",
            "company_name",
            "company_name_zh",
            "address",
            "address_zh",
            "tax_id",
            "phone",
            "email",
            "bank_details",
            "logo",
        )
        widgets = {
            "address": forms.Textarea(attrs={"rows": 3}),
            "address_zh": forms.Textarea(attrs={"rows": 3}),
            "bank_details": forms.Textarea(attrs={"rows": 3}),
            "default_terms": forms.Textarea(attrs={"rows": 4}),
        }

    def clean_logo(self):
        """PNG or JPEG only, within the size limit, and really an image of that type."""
        logo = self.cleaned_data.get("logo")
        if not logo or (not hasattr(logo, "content_type") and not hasattr(logo, "size")):
            return logo
        if getattr(logo, "_committed", True) and not hasattr(logo, "content_type"):
            return logo  # the stored file, unchanged
        if logo.size > settings.QUOTE_LOGO_MAX_BYTES:
            raise ValidationError(
                _("The logo may be at most %(kb)d KB.") % {"kb": settings.QUOTE_LOGO_MAX_BYTES // 1024}
            )
        from PIL import Image

        try:
            logo.seek(0)
            image = Image.open(logo)
            image.verify()
            kind = image.format
        except Exception:
            raise ValidationError(_("Upload a PNG or JPEG image.")) from None
        finally:
            logo.seek(0)
        if kind not in {"PNG", "JPEG"}:
            raise ValidationError(_("Upload a PNG or JPEG image."))
        ext = "png" if kind == "PNG" else "jpg"
        logo.name = f"logo.{ext}"
        return logo
