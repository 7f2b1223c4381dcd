"""URLs of the quality pages; the project mounts them with ``path("quality/", include(...))``."""

from django.urls import path

from zengshou.web import quality_views as views

app_name = "quality"

urlpatterns = [
    path("", views.report, name="report"),
    path("report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("exemptions/", views.exemptions, name="exemptions"),
]
