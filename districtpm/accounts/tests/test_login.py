"""Signing in: passwords, throttling after repeated failures, sessions and CSRF."""

from __future__ import annotations

import os
import subprocess
import sys

from django.test import Client
from django.urls import reverse

from districtpm.conftest import PASSWORD


def test_sign_in_and_out(world):
    client = Client()
    response = client.post(reverse("login"), {"username": "principal.a", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert "Aspen Elementary" in client.get("/").content.decode()
    client.post(reverse("logout"))
    assert client.get("/").status_code == 302


def test_wrong_password_says_so(world):
    response = Client().post(reverse("login"), {"username": "principal.a", "password": "nope"})
    assert response.status_code == 200
    assert "did not match" in response.content.decode()


def test_repeated_failures_lock_the_account(world, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "principal.a", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "principal.a", "password": PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.content.decode()
    assert client.get("/").status_code == 302  # still signed out
    # Another account from the same address is not locked.
    other = client.post(reverse("login"), {"username": "principal.b", "password": PASSWORD})
    assert other.status_code == 302


def test_login_form_requires_csrf(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "principal.a", "password": PASSWORD})
    assert response.status_code == 403


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "SECRET_KEY")
    }
    return subprocess.run(
        [sys.executable, "-m", "districtpm.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deploy_check(tmp_path):
    result = _check_deploy(
        {
            "DISTRICTPM_ENV": "production",
            "DISTRICTPM_VAR": str(tmp_path),
            "SECRET_KEY": "x" * 20 + "-production-secret-key-for-the-check-0123456789",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    result = _check_deploy({"DISTRICTPM_ENV": "production", "DISTRICTPM_VAR": str(tmp_path)})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_is_off_unless_asked():
    from django.conf import settings

    assert settings.DEBUG is False
