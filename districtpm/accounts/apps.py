from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "districtpm.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from districtpm.accounts.access import access_from_assignments
        from districtpm.core.scoping import provide_access

        provide_access(access_from_assignments)
