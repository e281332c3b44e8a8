from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from crm.core.forms import RecordForm
from crm.core.visibility import visible_to
from crm.core.widgets import RecordPicker

from .models import Order, PaymentKind, PaymentMethod

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DECIMAL = {"inputmode": "decimal"}


class OrderForm(RecordForm):
    class Meta:
        model = Order
        fields = Order.EDITABLE_FIELDS
        widgets = {
            "order_date": DATE_INPUT,
            "notes": forms.Textarea(attrs={"rows": 3}),
            "currency": forms.TextInput(attrs={"maxlength": 3, "autocapitalize": "characters", "size": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from crm.contacts.models import Company, Contact
        from crm.deals.models import Deal
        from crm.quotes.models import Quote

        pickers = {
            "company": (Company, "contacts.company"),
            "contact": (Contact, "contacts.contact"),
            "deal": (Deal, "deals.deal"),
            "quote": (Quote, "quotes.quote"),
        }
        for name, (model, record_type) in pickers.items():
            self.fields[name].queryset = visible_to(self.user, model)
            self.fields[name].widget = RecordPicker(record_type)
        self.fields["quote"].help_text = _("A new order made from a quote takes its lines.")
        if self.instance.pk and not self.instance.is_draft:
            for name in list(self.fields):
                if name in Order.EDITABLE_FIELDS and name not in Order.EDITABLE_AFTER_DRAFT:
                    del self.fields[name]
        elif self.instance.pk:
            del self.fields["quote"]


class LineForm(forms.Form):
    product = forms.ModelChoiceField(queryset=None, required=False, label=_("Product"))
    description = forms.CharField(label=_("Description"), max_length=500, required=False)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=14, decimal_places=3, required=False)
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False)
    unit_price = forms.DecimalField(label=_("Unit price"), max_digits=19, decimal_places=4, required=False)
    discount_percent = forms.DecimalField(label=_("Discount %"), max_digits=5, decimal_places=2, required=False)
    tax_rate = forms.DecimalField(label=_("Tax rate %"), max_digits=5, decimal_places=2, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        from crm.products.models import Product

        self.fields["product"].queryset = visible_to(user, Product)
        self.fields["product"].widget = RecordPicker("products.product")
        for name in ("quantity", "unit_price", "discount_percent", "tax_rate"):
            self.fields[name].widget.attrs.update(DECIMAL)

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not any(data.get(k) not in (None, "") for k in ("product", "description", "quantity", "unit_price"))

    def line(self) -> dict:
        data = self.cleaned_data
        return {
            "product": data.get("product").pk if data.get("product") else None,
            "description": data.get("description") or "",
            "quantity": data.get("quantity") if data.get("quantity") is not None else 1,
            "unit": data.get("unit") or "",
            "unit_price": data.get("unit_price"),
            "discount_percent": data.get("discount_percent") or 0,
            "tax_rate": data.get("tax_rate"),
        }


class BaseLineFormSet(forms.BaseFormSet):
    def __init__(self, *args, user=None, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "user": self.user}

    def lines(self) -> list[dict]:
        return [
            form.line()
            for form in self.forms
            if form.is_valid() and not form.is_blank and not (self.can_delete and self._should_delete_form(form))
        ]


LineFormSet = forms.formset_factory(LineForm, formset=BaseLineFormSet, extra=3, can_delete=True, max_num=500)


class InstalmentForm(forms.Form):
    id = forms.IntegerField(widget=forms.HiddenInput, required=False)
    label = forms.CharField(label=pgettext_lazy("instalment", "Label"), max_length=100, required=False)
    due_date = forms.DateField(label=_("Due date"), widget=DATE_INPUT, required=False)
    amount = forms.DecimalField(label=_("Amount"), max_digits=19, decimal_places=4, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs.update(DECIMAL)

    @property
    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return data.get("due_date") is None and data.get("amount") is None and not data.get("label")


class BaseInstalmentFormSet(forms.BaseFormSet):
    def instalments(self) -> list[dict]:
        rows = []
        for form in self.forms:
            if not form.is_valid() or form.is_blank or (self.can_delete and self._should_delete_form(form)):
                continue
            data = form.cleaned_data
            rows.append(
                {
                    "id": data.get("id"),
                    "label": data.get("label") or "",
                    "due_date": data.get("due_date"),
                    "amount": data.get("amount"),
                }
            )
        return rows


InstalmentFormSet = forms.formset_factory(
    InstalmentForm, formset=BaseInstalmentFormSet, extra=2, can_delete=True, max_num=60
)


class PaymentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=PaymentKind.choices, initial=PaymentKind.PAYMENT)
    amount = forms.DecimalField(label=_("Amount"), max_digits=19, decimal_places=4)
    paid_at = forms.DateField(label=_("Paid on"), widget=DATE_INPUT, initial=timezone.localdate)
    method = forms.ChoiceField(label=_("Method"), choices=PaymentMethod.choices, initial=PaymentMethod.BANK_TRANSFER)
    instalment = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Instalment"), empty_label=_("Oldest due first")
    )
    reference = forms.CharField(label=_("Reference"), max_length=100, required=False)

    def __init__(self, *args, order=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs.update({**DECIMAL, "min": "0"})
        self.fields["instalment"].queryset = order.instalments.order_by("due_date", "sequence") if order else None
        self.fields["instalment"].label_from_instance = lambda i: f"{i} · {i.due_date:%Y-%m-%d}"


class TransitionForm(forms.Form):
    to_status = forms.CharField(max_length=20)
    version = forms.IntegerField(required=False)
