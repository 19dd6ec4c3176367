from django.apps import AppConfig


class ConcernsConfig(AppConfig):
    name = "peercircle.concerns"
    verbose_name = "Concerns"
