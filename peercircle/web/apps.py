from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "peercircle.web"
    verbose_name = "Web pages"
