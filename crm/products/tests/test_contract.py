"""Products pass the shared record contract (with ownership scopes: the catalog-wide
read scope seeded for the built-in roles is removed here, as an administrator may)."""

import pytest

from crm.accounts.models import RoleScope
from crm.core.testing.contract import RecordContract
from crm.products.models import Product
from crm.products.views import product_pages

from .factories import ProductFactory


class TestProductContract(RecordContract):
    model = Product
    pages = product_pages

    @pytest.fixture(autouse=True)
    def _owner_scopes(self, users):
        from django.contrib.auth.models import Permission

        from crm.accounts.models import Role

        RoleScope.objects.filter(record_type="products.product").delete()
        # The contract has sales reps create and edit their own records.
        rep = Role.objects.get(key="sales_rep")
        rep.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="products", codename__in=["add_product", "change_product", "delete_product"]
            )
        )
        for user in (users.owner, users.teammate, users.outsider, users.manager, users.admin):
            user.__dict__.pop("_crm_scope_cache", None)
            user.__dict__.pop("_perm_cache", None)
            user.__dict__.pop("_role_perm_cache", None)

    def make(self, owner, **kwargs):
        return ProductFactory(owner=owner, **kwargs)

    def valid_data(self):
        # No SKU: the contract creates the same data twice (page, API); each gets the next number.
        return {
            "name": "Huawei Cloud ECS",
            "name_zh": "华为云服务器",
            "unit": "台",
            "list_price": "1999.00",
            "currency": "CNY",
            "tax_rate": "13.00",
            "kind": "product",
        }
