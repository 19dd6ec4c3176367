from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "peercircle.organisations"
    verbose_name = "Organisations"
