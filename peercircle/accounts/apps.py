from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "peercircle.accounts"
    verbose_name = "Accounts"
