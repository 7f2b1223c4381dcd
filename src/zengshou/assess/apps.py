from django.apps import AppConfig


class AssessConfig(AppConfig):
    name = "zengshou.assess"
    label = "assess"
    verbose_name = "季度分析与考核"
