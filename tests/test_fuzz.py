"""Property-based fuzzing of every OpenAPI operation with schemathesis, against a copy of the
test database (the fuzzer creates, changes and deletes freely): no 5xx, and every response
matches the documented status codes, content types and schemas (``test_contract`` shows
that a wrong answer fails those checks)."""
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx

from conftest import COPY, serving

CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance"
REPORTS = Path(__file__).resolve().parent.parent / "build" / "test-artefacts" / "schemathesis"
CONFIG = Path(__file__).resolve().parent / "schemathesis.toml"   # per-operation phases, with the reason


def test_every_operation_survives_fuzzing(restored_copy, client, admin_key, tmp_path):
    operations = sum(len(methods) for methods in client.get("/openapi.json").json()["paths"].values())
    # An event stream ends after GRID_EVENT_STREAM_SECONDS: 2 s, so that the fuzzer reads whole answers.
    with serving({**os.environ, "GRID_DB_NAME": COPY, "GRID_EVENT_STREAM_SECONDS": "2"}) as base:
        assert httpx.get(f"{base}/incidents", params={"limit": 1}, headers={"X-API-Key": admin_key}).status_code == 200, \
            "the fuzzer's key works on the copy (else every answer is a documented 401 and nothing is tested)"
        run = subprocess.run(
            [str(Path(sys.executable).parent / "schemathesis"), "--config-file", str(CONFIG), "run", f"{base}/openapi.json",
             "--checks", CHECKS,
             "--header", f"X-API-Key: {admin_key}",
             "--max-examples", "5", "--seed", "20261128", "--workers", "1", "--request-timeout", "60",
             "--report", "junit", "--report-dir", str(REPORTS)],
            capture_output=True, text=True, cwd=tmp_path, timeout=900)
    summary = run.stdout[-4000:]
    assert run.returncode == 0, summary
    tested = re.search(r"Tested: (\d+)", summary)
    assert tested and int(tested[1]) == operations, summary
