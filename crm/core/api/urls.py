from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView

from .router import router

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-docs"),
    path("v1/", include(router.urls)),
]
