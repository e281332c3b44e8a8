from django.urls import path

from . import views

app_name = "forecasts"
urlpatterns = [
    path("", views.forecast_page, name="forecast"),
    path("funnel/", views.funnel_page, name="funnel"),
    path("history/", views.history_page, name="history"),
    path("history/snapshot/", views.snapshot_take, name="snapshot_take"),
    path("quotas/", views.quota_grid, name="quotas"),
    path("settings/", views.threshold_update, name="threshold_update"),
]
