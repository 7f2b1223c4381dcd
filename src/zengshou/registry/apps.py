from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "zengshou.registry"
    verbose_name = "农户信息库"
