"""The peer of ``bench/ingest.py --peer dlt``: dlt's ``rest_api`` source on the sandbox
enterprise registry, merged on the credit code into PostgreSQL, loaded by COPY.

Runs in the bench's own environment (``bench/peers/install-dlt``), never tongban's:

    bench/peers/.venv-dlt/bin/python bench/peers/dlt_ingest.py --url URL --pg URL --n N

Best configured as dlt documents it for this destination: ``loader_file_format="csv"``
(PostgreSQL loads its CSV files with COPY), merge on ``uniscid`` (the unified social
credit code). The registry's HMAC signing is the hub's own scheme, read from
``connectors/auth.py`` by path (that file needs only requests). Prints one JSON line:
the seconds of ``pipeline.run`` (extract, normalize, load) and of the imports before it,
the rows in the table afterwards and the formats of the files it loaded.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")  # nothing leaves the machine

import dlt  # noqa: E402
from dlt.common.configuration import configspec  # noqa: E402
from dlt.sources.helpers.rest_client.auth import AuthConfigBase  # noqa: E402
from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator  # noqa: E402
from dlt.sources.rest_api import rest_api_source  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent.parent


def _hub_signing() -> Any:
    spec = importlib.util.spec_from_file_location("hub_auth", ROOT / "connectors" / "auth.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_auth = _hub_signing()


@configspec
class HmacAuth(AuthConfigBase):
    """The registry's HMAC request signing as a dlt authenticator."""

    app_key: str = None  # type: ignore[assignment]
    secret: str = None  # type: ignore[assignment]

    def __call__(self, request: Any) -> Any:
        return _auth.HmacSigner(self.app_key, self.secret)(request)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the registry's base URL")
    parser.add_argument("--pg", required=True, help="postgresql://... of the target database")
    parser.add_argument("--app-key", default="tongban_scjg")
    parser.add_argument("--secret", default="bench-secret")
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()
    imported = time.perf_counter() - STARTED

    source = rest_api_source({
        "client": {
            "base_url": args.url.rstrip("/") + "/",
            "auth": HmacAuth(app_key=args.app_key, secret=args.secret),
            "paginator": JSONResponseCursorPaginator(
                cursor_path="next_cursor", cursor_param="cursor"
            ),
        },
        "resource_defaults": {
            "primary_key": "uniscid",
            "write_disposition": {"disposition": "merge", "strategy": "delete-insert"},
        },
        "resources": [{
            "name": "enterprise",
            "endpoint": {
                "path": "api/v1/enterprises",
                "params": {"limit": args.page_size},
                "data_selector": "items",
            },
        }],
    })  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="dlt-bench-") as work:
        pipeline = dlt.pipeline(
            pipeline_name="bench_enterprise",
            destination=dlt.destinations.postgres(credentials=args.pg),
            dataset_name="dlt_bench",
            pipelines_dir=work,
        )
        t0 = time.perf_counter()
        info = pipeline.run(source, loader_file_format="csv")
        run_s = time.perf_counter() - t0
        jobs = [j for p in info.load_packages for j in p.jobs["completed_jobs"]]
        formats = sorted({j.job_file_info.file_format for j in jobs})
        with pipeline.sql_client() as client:
            rows = client.execute_sql("SELECT count(*) FROM enterprise")[0][0]
    print(json.dumps({"run_s": run_s, "import_s": imported, "rows": rows, "formats": formats}))


if __name__ == "__main__":
    main()
