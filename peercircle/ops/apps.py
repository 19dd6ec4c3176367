from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "peercircle.ops"
    verbose_name = "Operations"
