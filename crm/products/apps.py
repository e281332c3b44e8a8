from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

RECORD_GRANTS = {
    "sales_manager": ["view", "add", "change", "delete", "export"],
    "sales_rep": ["view"],
    "service_agent": ["view"],
    "marketing": ["view", "export"],
}
# Everyone who quotes must see the whole catalog, whoever entered a product: the built-in
# roles read products with scope "all" (given once, like the grants; an administrator
# may narrow it in the role editor and it is not given back).
CATALOG_SCOPE_ROLES = ("sales_manager", "sales_rep", "service_agent", "marketing")
CATALOG_SCOPE_MARK = "scope:products.product"


def seed_catalog_scope(**kwargs) -> None:
    from crm.accounts.models import Role, RoleScope, Scope

    for role in Role.objects.filter(key__in=CATALOG_SCOPE_ROLES, is_builtin=True):
        if CATALOG_SCOPE_MARK in role.seeded_permissions:
            continue
        RoleScope.objects.get_or_create(
            role=role,
            record_type="products.product",
            defaults={"read_scope": Scope.ALL, "write_scope": role.default_write_scope},
        )
        role.seeded_permissions = sorted({*role.seeded_permissions, CATALOG_SCOPE_MARK})
        role.save(update_fields=["seeded_permissions"])


class ProductsConfig(AppConfig):
    name = "crm.products"
    label = "products"
    verbose_name = _("Products")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from crm.core.api.router import router
        from crm.core.registry import NavItem, register_nav, register_record_type

        from .api.views import PriceListViewSet, ProductCategoryViewSet, ProductViewSet, VolumeDiscountViewSet
        from .models import Product
        from .selectors import products_search

        register_record_type(
            Product,
            search_fields=("search_text",),
            search=products_search,
            icon="box",
            list_url_name="products:product_list",
            grants=RECORD_GRANTS,
        )
        post_migrate.connect(seed_catalog_scope, sender=self)
        router.register("products", ProductViewSet, basename="product")
        router.register("product-categories", ProductCategoryViewSet, basename="productcategory")
        router.register("price-lists", PriceListViewSet, basename="pricelist")
        router.register("volume-discounts", VolumeDiscountViewSet, basename="volumediscount")
        register_nav(
            NavItem(
                label=_("Products"),
                url_name="products:product_list",
                icon="box",
                permission="products.view_product",
                order=70,
                match_prefix="/catalog/products/",
            )
        )
        register_nav(
            NavItem(
                label=_("Price lists and discounts"),
                url_name="products:setup_home",
                icon="tag",
                section="admin",
                admin_only=True,
                order=246,
                match_prefix="/catalog/products/setup/",
            )
        )
