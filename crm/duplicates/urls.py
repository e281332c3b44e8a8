from django.urls import path

from . import views

app_name = "duplicates"

urlpatterns = [
    path("", views.review, name="review"),
    path("scan/", views.start_scan, name="scan"),
    path("<int:pk>/not-duplicate/", views.not_duplicate, name="not_duplicate"),
    path("<int:pk>/reopen/", views.reopen, name="reopen"),
]
