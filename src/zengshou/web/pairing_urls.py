"""URLs of the pairing pages; the project mounts them with ``path("pairing/", include(...))``."""

from django.urls import path

from zengshou.web import pairing_views as views

app_name = "pairing"

urlpatterns = [
    path("", views.proposal, name="proposal"),
    path("mine/", views.mine, name="mine"),
]
