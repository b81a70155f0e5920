from django.apps import AppConfig


class DsrConfig(AppConfig):
    name = "dsr"
    verbose_name = "Data-subject requests"

    def ready(self) -> None:
        from .security import staff  # noqa: F401  (logging out ends every session of the user)
