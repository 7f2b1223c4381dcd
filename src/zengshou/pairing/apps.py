from django.apps import AppConfig


class PairingConfig(AppConfig):
    name = "zengshou.pairing"
    label = "pairing"
    verbose_name = "干部结对帮扶"
