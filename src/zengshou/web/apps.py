from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "zengshou.web"
    label = "web"
    verbose_name = "网页与权限"
    default_auto_field = "django.db.models.BigAutoField"
