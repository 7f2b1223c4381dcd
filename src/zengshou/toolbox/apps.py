from django.apps import AppConfig


class ToolboxConfig(AppConfig):
    name = "zengshou.toolbox"
    label = "toolbox"
    verbose_name = "帮扶政策工具箱"
