from django.apps import AppConfig


class SchemesConfig(AppConfig):
    name = "peercircle.schemes"
    verbose_name = "Schemes"
