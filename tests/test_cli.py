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


def test_a_new_key_is_printed_with_its_prefix_and_works(engine, anonymous):
    run = gridctl("auth", "create-key", "--role", "viewer", "--name", "cli test")
    assert run.returncode == 0, run.stderr
    said = run.stdout + run.stderr   # the key and what it is, on the console (stderr)
    key = said.split()[-1]
    assert f"viewer key for cli test (prefix {key.split('_')[1]}, expires never)" in said
    assert anonymous.get("/incidents", params={"limit": 1}, headers={"X-API-Key": key}).status_code == 200
