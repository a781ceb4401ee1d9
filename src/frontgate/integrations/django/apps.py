"""The Django app: ``INSTALLED_APPS = [..., "frontgate.integrations.django"]``.

>>> FrontgateConfig.label
'frontgate'
"""

from __future__ import annotations

from django.apps import AppConfig


class FrontgateConfig(AppConfig):
    """Registers frontgate's system checks (``manage.py check``)."""

    name = "frontgate.integrations.django"
    label = "frontgate"
    verbose_name = "frontgate (CloudFront signed URLs)"
    default = True

    def ready(self) -> None:
        from django.core import checks

        from .checks import check_configuration

        checks.register(check_configuration, "frontgate")
