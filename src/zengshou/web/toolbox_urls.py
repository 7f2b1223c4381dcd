"""URLs of the toolbox pages; the project mounts them with ``path("toolbox/", include(...))``."""

from django.urls import path

from zengshou.web import toolbox_views as views

app_name = "toolbox"

urlpatterns = [
    path("", views.county_list, name="counties"),
    path("county/<str:code>/", views.county, name="county"),
    path("whatif/", views.whatif, name="whatif"),
    path("household/<str:household_id>/", views.household, name="household"),
]
