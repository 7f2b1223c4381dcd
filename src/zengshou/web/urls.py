"""URL patterns of the pages. Every pattern with an object in it is checked by tests/web/test_scope.py."""

from __future__ import annotations

from django.urls import path

from zengshou.web import alert_views, batch_views, io_views, mapping_views, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("households/", views.households, name="households"),
    path("households/<str:household_id>/", views.household, name="household"),
    path("households/<str:household_id>/visits/new/", views.visit_new, name="visit_new"),
    path("visits/<int:visit_id>/photo/", views.visit_photo, name="visit_photo"),
    path("alerts/", alert_views.alerts, name="alerts"),
    path("alerts/list/", alert_views.alert_list, name="alert_list"),
    path("alerts/households/<str:household_id>/", alert_views.clue, name="clue"),
    path("alerts/households/<str:household_id>/verify/", alert_views.clue_verify, name="clue_verify"),
    path("alerts/households/<str:household_id>/include/", alert_views.clue_include, name="clue_include"),
    path("alerts/households/<str:household_id>/dismiss/", alert_views.clue_dismiss, name="clue_dismiss"),
    path("alerts/<int:alert_id>/", alert_views.alert, name="alert"),
    path("alerts/<int:alert_id>/verify/", alert_views.alert_verify, name="alert_verify"),
    path("alerts/<int:alert_id>/include/", alert_views.alert_include, name="alert_include"),
    path("alerts/<int:alert_id>/dismiss/", alert_views.alert_dismiss, name="alert_dismiss"),
    path("monitoring/", views.monitoring, name="monitoring"),
    path(
        "monitoring/<int:object_id>/eliminate/", alert_views.monitoring_eliminate, name="monitoring_eliminate"
    ),
    path("imports/", io_views.imports, name="imports"),
    path("imports/template/", io_views.import_template, name="import_template"),
    path("imports/mapping/", mapping_views.mapping, name="mapping"),
    path("imports/<int:job_id>/", io_views.import_job, name="import_job"),
    path("imports/<int:job_id>/status/", io_views.import_job_status, name="import_job_status"),
    path("imports/<int:job_id>/confirm/", io_views.import_job_confirm, name="import_job_confirm"),
    path("exports/", io_views.export, name="export"),
    path("audit/", views.audit, name="audit"),
    path("batch/", batch_views.batch_page, name="batch"),
    path("batch/<int:run_id>/", batch_views.batch_run, name="batch_run"),
    path("batch/<int:run_id>/status/", batch_views.batch_run_status, name="batch_run_status"),
]
