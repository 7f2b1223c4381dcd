from django.apps import AppConfig


class BatchConfig(AppConfig):
    name = "zengshou.batch"
    label = "batch"
    verbose_name = "批处理"
    default_auto_field = "django.db.models.BigAutoField"
