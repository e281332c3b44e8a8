from django import forms

from crm.core.forms import RecordForm

from .models import Product


class ProductForm(RecordForm):
    class Meta:
        model = Product
        fields = Product.EDITABLE_FIELDS
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("list_price", "cost"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "0.0001", "min": "0"})
        self.fields["tax_rate"].widget.attrs.update({"inputmode": "decimal", "step": "0.01", "min": "0", "max": "100"})
        self.fields["currency"].widget.attrs.update({"maxlength": "3", "style": "text-transform:uppercase"})
