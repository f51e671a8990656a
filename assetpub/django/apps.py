"""The AppConfig of `assetpub.django`."""

from __future__ import annotations

from django.apps import AppConfig


class AssetPubConfig(AppConfig):
    name = "assetpub.django"
    # the default label would be "django", which reads as Django's own
    label = "assetpub"
    verbose_name = "assetpub"

    def ready(self) -> None:
        from . import checks, resolver  # noqa: F401  (registers the check and the settings signal)
