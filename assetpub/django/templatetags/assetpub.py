"""`{% load assetpub %}`: asset_url, asset_tag, asset_integrity, asset_preload, asset_importmap.

    {% asset_tag "css/app.css" %}
    {% asset_tag "js/app.js" defer=True data_turbo_track="reload" %}
    <img src="{% asset_url 'img/logo.png' %}" alt="">
    {% asset_url "img/logo.png" as logo %}
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe

from ..resolver import get_resolver

register = template.Library()


@register.simple_tag
def asset_url(name: str) -> str:
    """The fingerprinted URL (autoescaped on output like any string)."""
    return get_resolver().url(name)


@register.simple_tag
def asset_integrity(name: str) -> str:
    return get_resolver().integrity(name) or ""


@register.simple_tag
def asset_tag(name: str, **attrs: Any) -> SafeString:
    return mark_safe(str(get_resolver().tag(name, **attrs)))  # the resolver escaped every attribute


@register.simple_tag
def asset_preload(name: str, **attrs: Any) -> SafeString:
    return mark_safe(str(get_resolver().preload(name, **attrs)))


@register.simple_tag
def asset_importmap(**attrs: Any) -> SafeString:
    return mark_safe(str(get_resolver().importmap(**attrs)))
