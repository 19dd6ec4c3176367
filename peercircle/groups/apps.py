from django.apps import AppConfig


class GroupsConfig(AppConfig):
    name = "peercircle.groups"
    label = "groups"
    verbose_name = "Groups"
