from django.apps import AppConfig


class MonitorConfig(AppConfig):
    name = "zengshou.monitor"
    label = "monitor"
    verbose_name = "监测预警"
