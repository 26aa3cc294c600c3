"""Property-based fuzzing of every OpenAPI operation with schemathesis, against a copy of the
test database (the fuzzer creates, changes and deletes freely): no 5xx, and every response
matches the documented status codes, content types and schemas."""
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import scratch_database, serving

SCRATCH = "haikou_fuzz"
CHECKS = "not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance"
REPORTS = Path(__file__).resolve().parent.parent / "build" / "test-artefacts" / "schemathesis"


def gridctl(*args):
    done = subprocess.run([sys.executable, "-m", "geo.cli", *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_operation_survives_fuzzing(settings, client, admin_key, tmp_path):
    operations = sum(len(methods) for methods in client.get("/openapi.json").json()["paths"].values())
    with scratch_database(settings, SCRATCH):
        archive = tmp_path / "copy.dump"
        gridctl("db", "backup", str(archive))
        gridctl("db", "restore", str(archive), "--into", SCRATCH)
        with serving({**os.environ, "GRID_DB_NAME": SCRATCH}) as base:
            run = subprocess.run(
                [str(Path(sys.executable).parent / "schemathesis"), "run", f"{base}/openapi.json", "--checks", CHECKS,
                 "--header", f"X-API-Key: {admin_key}",
                 "--max-examples", "5", "--seed", "20261128", "--workers", "1", "--request-timeout", "60",
                 "--report", "junit", "--report-dir", str(REPORTS)],
                capture_output=True, text=True, cwd=tmp_path, timeout=900)
    summary = run.stdout[-4000:]
    assert run.returncode == 0, summary
    tested = re.search(r"Tested: (\d+)", summary)
    assert tested and int(tested[1]) == operations, summary
