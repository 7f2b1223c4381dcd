"""URL patterns of the monitoring procedure (监测程序) pages, under /procedure/."""

from __future__ import annotations

from django.urls import path

from zengshou.web import procedure_views as v

app_name = "procedure"

urlpatterns = [
    path("", v.queue, name="queue"),
    path("new/", v.new_clue, name="new_clue"),
    path("notices/", v.notices, name="notices"),
    path("qr/", v.qr_codes, name="qr"),
    path("cases/<int:case_id>/", v.case, name="case"),
    path("cases/<int:case_id>/<str:action>/", v.case_step, name="case_step"),
    path("alerts/<str:household_id>/", v.take_alerts, name="take_alerts"),
    path("objects/<int:object_id>/", v.monitoring_object, name="object"),
    path("objects/<int:object_id>/<str:action>/", v.object_action, name="object_action"),
]
