from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

import sandbox
from sandbox import Sandbox, SandboxConfig, World, signed_headers


def test_public_surface_is_pinned() -> None:
    assert sorted(sandbox.__all__) == sorted([
        "DEFAULT_PORTS", "KINDS", "SOURCES", "CaseReceiver", "DirtRates", "Enterprise",
        "EnterpriseServer", "License", "Manifest", "ManifestEntry", "Marriage", "Person",
        "PopulationServer",
        "Sandbox", "SandboxConfig", "World", "append_changes", "serve", "signed_headers",
        "write_drop", "write_frontdb",
    ])  # fmt: skip


def test_env_points_at_running_systems(sandbox: Sandbox) -> None:
    env = sandbox.env
    assert set(env) == {
        "TONGBAN_GONGAN_WSDL", "TONGBAN_GONGAN_ENDPOINT", "TONGBAN_GONGAN_USERNAME",
        "TONGBAN_GONGAN_PASSWORD", "TONGBAN_SCJG_URL", "TONGBAN_SCJG_APP_KEY",
        "TONGBAN_SCJG_APP_SECRET", "TONGBAN_MINZHENG_DB_URL", "TONGBAN_RENSHE_DROP_DIR",
        "TONGBAN_ZJJ_URL", "TONGBAN_ZJJ_API_KEY",
        "TONGBAN_ZRZY_WSDL", "TONGBAN_ZRZY_ENDPOINT", "TONGBAN_ZRZY_USERNAME",
        "TONGBAN_ZRZY_PASSWORD",
    }  # fmt: skip
    assert requests.get(env["TONGBAN_ZRZY_WSDL"], timeout=5).status_code == 200
    assert env["TONGBAN_GONGAN_WSDL"].endswith("/population?wsdl")
    assert requests.get(env["TONGBAN_GONGAN_WSDL"], timeout=5).status_code == 200
    path = "/api/v1/enterprises"
    headers = signed_headers(env["TONGBAN_SCJG_APP_KEY"], env["TONGBAN_SCJG_APP_SECRET"], "GET",
                             path, {"limit": "5"})  # fmt: skip
    response = requests.get(env["TONGBAN_SCJG_URL"] + path, params={"limit": "5"},
                            headers=headers, timeout=5)  # fmt: skip
    assert response.status_code == 200 and len(response.json()["items"]) == 5
    assert Path(env["TONGBAN_RENSHE_DROP_DIR"]).is_dir()
    assert env["TONGBAN_MINZHENG_DB_URL"].startswith("sqlite:///")
    assert (sandbox.directory / "manifest.json").is_file()
    openapi = requests.get(env["TONGBAN_ZJJ_URL"] + "/openapi.json", timeout=5)
    assert openapi.status_code == 200 and openapi.json()["openapi"].startswith("3.")


def test_servers_stop_on_exit(tmp_path: Path) -> None:
    config = SandboxConfig(people=40, enterprises=10)
    with Sandbox(tmp_path, config) as sb:
        url = sb.enterprise_url
        assert requests.get(url + "/health", timeout=5).ok
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/health", timeout=2)
    with pytest.raises(RuntimeError, match="not running"):
        _ = sb.env


def test_same_seed_same_manifest(tmp_path: Path, sandbox: Sandbox) -> None:
    config = SandboxConfig(people=400, enterprises=300, seed=sandbox.config.seed)
    with Sandbox(tmp_path, config) as again:
        assert again.manifest.to_json() == sandbox.manifest.to_json()
        assert again.env["TONGBAN_SCJG_APP_SECRET"] == sandbox.env["TONGBAN_SCJG_APP_SECRET"]
    other = SandboxConfig(people=400, enterprises=300, seed=sandbox.config.seed + 1)
    with Sandbox(tmp_path / "other", other) as different:
        assert different.manifest.entries != sandbox.manifest.entries


def test_enterprise_process_starts_and_answers() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "sandbox", "enterprise", "--port", "0", "--enterprises", "20000",
         "--prerender", "--seed", "5"],
        stdout=subprocess.PIPE, text=True, cwd=Path(sandbox.__file__).parents[1],
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith("listening http://127.0.0.1:")
        url = line.split(" ", 1)[1]
        secret = World(seed=5).secret("scjg")
        session = requests.Session()
        cursor, served, started = None, 0, time.perf_counter()
        while True:
            params = {"limit": "1000", **({"cursor": cursor} if cursor else {})}
            headers = signed_headers("tongban_scjg", secret, "GET", "/api/v1/enterprises", params)
            body = session.get(url + "/api/v1/enterprises", params=params, headers=headers,
                               timeout=10).json()  # fmt: skip
            served += len(body["items"])
            cursor = body["next_cursor"]
            if cursor is None:
                break
        elapsed = time.perf_counter() - started
        assert served == 20000
        print(json.dumps({"rest_records_per_s_prerendered": round(served / elapsed)}))
    finally:
        process.terminate()
        process.wait(timeout=10)
