from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "peercircle.records"
    verbose_name = "Meeting records"
