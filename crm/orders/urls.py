from django.contrib.auth.decorators import login_required
from django.urls import path

from . import views
from .views import order_pages

app_name = "orders"
urlpatterns = [
    path("receivables/", login_required(views.receivables), name="receivables"),
    path("orders/<int:pk>/transition/", views.order_transition, name="order_transition"),
    path("orders/<int:pk>/lines/", views.order_lines, name="order_lines"),
    path("orders/<int:pk>/plan/", views.order_plan, name="order_plan"),
    path("orders/<int:pk>/payments/", views.payment_add, name="payment_add"),
    path("orders/<int:pk>/payments/<int:payment_pk>/delete/", views.payment_delete, name="payment_delete"),
    *order_pages.urls(),
]
