from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "zengshou.web"
    label = "web"
    verbose_name = "网页与权限"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Audit events recorded below a view (a refused object) learn the request's path and address."""
        from django.core.signals import request_finished, request_started

        from zengshou.registry.audit import forget_request, remember_request

        request_started.connect(remember_request, dispatch_uid="zengshou.audit.remember_request")
        request_finished.connect(forget_request, dispatch_uid="zengshou.audit.forget_request")
