from django.apps import AppConfig


class LayoutsConfig(AppConfig):
    name = "zengshou.layouts"
    label = "layouts"
    verbose_name = "列映射"
