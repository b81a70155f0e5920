from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "api"
    label = "api"
    verbose_name = "API"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dsr.outbox import webhooks

        from . import (
            receivers,  # noqa: F401  (connects the status callbacks to the workflow's signal)
            services,
        )

        # A client's callbacks go where the client is now: a revoked one's are never posted.
        webhooks.register_receiver_resolver(services.CALLBACK_REF_PREFIX, services.client_callback_receiver)
