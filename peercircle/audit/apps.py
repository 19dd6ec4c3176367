from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "peercircle.audit"
    verbose_name = "Audit trail"
