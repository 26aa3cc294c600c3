"""The command line against the real cluster."""
from conftest import gridctl


def test_status_names_the_loaded_dataset(engine):
    from sqlalchemy import text

    with engine.connect() as conn:
        loaded = conn.execute(text("SELECT dataset_hash FROM dataset_loads ORDER BY id DESC LIMIT 1")).scalar_one()
    run = gridctl("db", "status")
    assert run.returncode == 0, run.stderr
    assert loaded in run.stdout + run.stderr


def test_load_of_an_unchanged_dataset_is_skipped(engine):
    run = gridctl("data", "load")
    assert run.returncode == 0 and "already loaded" in run.stdout + run.stderr


def test_unreachable_database_is_one_clear_line(engine):
    run = gridctl("db", "status", DATABASE_URL="postgresql://nobody@127.0.0.1:1/none")
    assert run.returncode == 1
    assert "cannot reach the database" in run.stderr and "Traceback" not in run.stderr
