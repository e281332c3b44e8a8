from django.urls import path

from . import setup_views
from .views import product_lookup, product_pages

app_name = "products"
urlpatterns = [
    path("products/lookup/", product_lookup, name="product_lookup"),
    *setup_views.urlpatterns,
    *product_pages.urls(),
]
