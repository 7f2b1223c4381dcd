from django.apps import AppConfig


class TiersConfig(AppConfig):
    name = "zengshou.tiers"
    label = "tiers"
    verbose_name = "分层分类结果"
