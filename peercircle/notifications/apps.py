from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "peercircle.notifications"
    verbose_name = "Notifications"
