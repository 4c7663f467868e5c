"""Settings from defaults, BUILDATOM_* environment variables and overrides."""

from __future__ import annotations

import pytest

from buildatom.config import DEFAULTS, Settings


def test_settings_defaults_match_contract() -> None:
    settings = Settings.from_mapping(DEFAULTS)

    assert settings.mongodb_uri == "mongodb://127.0.0.1:27017"
    assert settings.mongodb_database == "buildatom"
    assert settings.s3_endpoint_url == "http://127.0.0.1:9000"
    assert (settings.s3_access_key, settings.s3_secret_key) == (
        "minioadmin",
        "minioadmin",
    )
    assert settings.s3_region == "us-east-1"
    assert (settings.data_bucket, settings.results_bucket) == (
        "dataformodel",
        "results",
    )
    assert settings.api_keys == ()


def test_settings_read_prefixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    from flask import Flask

    monkeypatch.setenv("BUILDATOM_S3_SECRET_KEY", "12345")
    monkeypatch.setenv("BUILDATOM_API_KEYS", "alpha, beta,,")
    monkeypatch.setenv("BUILDATOM_MONGODB_TIMEOUT_SECONDS", "1.5")
    app = Flask(__name__)
    app.config.update(DEFAULTS)
    app.config.from_prefixed_env("BUILDATOM")

    settings = Settings.from_mapping(app.config)

    assert settings.s3_secret_key == "12345"
    assert settings.api_keys == ("alpha", "beta")
    assert settings.mongodb_timeout_seconds == 1.5


def test_settings_bad_number_names_variable() -> None:
    with pytest.raises(ValueError, match="BUILDATOM_MONGODB_TIMEOUT_SECONDS"):
        Settings.from_mapping({**DEFAULTS, "MONGODB_TIMEOUT_SECONDS": "soon"})
