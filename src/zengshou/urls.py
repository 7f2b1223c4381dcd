"""URL root: the admin, the web app's pages (issue 6), its JSON API, and its own static files."""

from django.contrib import admin
from django.urls import include, path, re_path

from zengshou.web.api import api
from zengshou.web.health import health
from zengshou.web.static import serve_static
from zengshou.web.views import admin_login

urlpatterns = [
    # Before the admin's own: its sign-in goes through the web app's throttled sign-in page.
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("health/", health, name="health"),
    re_path(r"^static/(?P<path>.+)$", serve_static),
    path("toolbox/", include("zengshou.toolbox.urls")),
    path("assess/", include("zengshou.assess.urls")),
    path("pairing/", include("zengshou.pairing.urls")),
    path("", include("zengshou.web.urls")),
]

handler400 = "zengshou.web.errors.bad_request"
handler403 = "zengshou.web.errors.forbidden"
handler404 = "zengshou.web.errors.not_found"
handler500 = "zengshou.web.errors.server_error"
