"""URL root: the admin, the web app's pages, its JSON API, and its own static files."""

from django.contrib import admin
from django.urls import include, path, re_path

from zengshou.web.api import api
from zengshou.web.health import health
from zengshou.web.procedure_views import report, report_done, report_lookup
from zengshou.web.static import serve_static
from zengshou.web.views import admin_login

urlpatterns = [
    # Before the admin's own: its sign-in goes through the web app's throttled sign-in page.
    path("admin/login/", admin_login, name="admin_login"),
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("health/", health, name="health"),
    re_path(r"^static/(?P<path>.+)$", serve_static),
    path("toolbox/", include("zengshou.web.toolbox_urls")),
    path("assess/", include("zengshou.web.assess_urls")),
    path("pairing/", include("zengshou.web.pairing_urls")),
    path("quality/", include("zengshou.web.quality_urls")),
    path("procedure/", include("zengshou.web.procedure_urls")),
    # 农户自主申报: public, no sign-in (monitoring procedure).
    path("report/", report, name="report"),
    path("report/done/", report_done, name="report_done"),
    path("report/lookup/", report_lookup, name="report_lookup"),
    path("", include("zengshou.web.urls")),
]

handler400 = "zengshou.web.errors.bad_request"
handler403 = "zengshou.web.errors.forbidden"
handler404 = "zengshou.web.errors.not_found"
handler500 = "zengshou.web.errors.server_error"
