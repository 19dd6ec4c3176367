from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "peercircle.people"
    verbose_name = "People"
