from django.urls import path

from .views import company_pages, contact_pages, tier_recompute, tier_settings_page

app_name = "contacts"

urlpatterns = [
    *company_pages.urls(),
    *contact_pages.urls(),
    path("tiers/", tier_settings_page, name="tier_settings"),
    path("tiers/recompute/", tier_recompute, name="tier_recompute"),
]
