from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "districtpm.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from districtpm.accounts import rules  # noqa: F401  (registers the scoping rules)
