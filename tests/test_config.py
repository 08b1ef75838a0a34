"""The Streamlit server keeps its secure defaults (TECH_NOTES §1)."""
from __future__ import annotations

import tomllib
from pathlib import Path

CONFIG = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"


def test_secure_defaults():
    cfg = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    server = cfg["server"]
    assert server["address"] == "127.0.0.1"
    assert server["headless"] is True
    assert server["enableXsrfProtection"] is True
    assert 0 < server["maxUploadSize"] <= 200
    assert server.get("enableStaticServing", False) is False
    assert set(server["allowedHosts"]) <= {"localhost", "127.0.0.1"}
    assert cfg["client"]["showErrorDetails"] == "none"
    assert cfg["client"]["toolbarMode"] == "viewer"
    assert cfg["browser"]["gatherUsageStats"] is False
