from django.urls import path

from .views import activity_complete_view, activity_pages

app_name = "activities"
urlpatterns = [
    path("activities/<int:pk>/complete/", activity_complete_view, name="activity_complete"),
    *activity_pages.urls(),
]
