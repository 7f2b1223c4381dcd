"""URLs of the assessment pages; the project mounts them with ``path("assess/", include(...))``."""

from django.urls import path

from zengshou.web import assess_views as views

app_name = "assess"

urlpatterns = [
    path("", views.quarter, name="quarter"),
    path("report/", views.report, name="report"),
    path("targets/", views.targets, name="targets"),
]
