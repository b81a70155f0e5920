from django.apps import AppConfig


class DrpConfig(AppConfig):
    name = "api.drp"
    label = "drp"
    verbose_name = "Data Rights Protocol (authorised agents)"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()  # status callbacks to agents as the workflow changes their requests
