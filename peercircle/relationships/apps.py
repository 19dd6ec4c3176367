from django.apps import AppConfig


class RelationshipsConfig(AppConfig):
    name = "peercircle.relationships"
    verbose_name = "Relationships"
