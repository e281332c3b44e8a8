from django.urls import path

from . import views
from .api.views import CalendarFeedView

app_name = "agenda"
urlpatterns = [
    # Not on the router: one resource per user, read, made and turned off at one address.
    path("api/v1/calendar/feed/", CalendarFeedView.as_view(), name="calendar_feed_api"),
    path("my-day/", views.my_day, name="my_day"),
    path("my-day/tasks/<int:pk>/done/", views.task_done, name="task_done"),
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/events/<int:pk>/move/", views.event_move, name="event_move"),
    path("calendar/feed/new/", views.feed_new, name="feed_new"),
    path("calendar/feed/off/", views.feed_off, name="feed_off"),
    path("calendar/feed/<str:key>.ics", views.feed_ics, name="feed"),
]
