from django.apps import AppConfig


class RotationsConfig(AppConfig):
    name = "peercircle.rotations"
    verbose_name = "Peer rotations"
