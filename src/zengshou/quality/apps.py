from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "zengshou.quality"
    label = "quality"
    verbose_name = "数据质量核查"
