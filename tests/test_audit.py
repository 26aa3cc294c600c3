"""The audit log: queryable, written with the change it records, and append-only in the database."""
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError


def test_a_change_is_in_the_log_with_who_what_before_and_after(client, engine, api_keys):
    with engine.connect() as conn:
        village = conn.execute(text("SELECT code FROM areas WHERE level = 'village' AND generation_high IS NULL "
                                    "ORDER BY code DESC LIMIT 1")).scalar_one()
    planner = {"X-API-Key": api_keys["planner"]}
    plan = client.post("/plans", json={"scope": village}, headers=planner).json()
    assert client.delete(f"/plans/{plan['id']}", headers=planner).status_code == 204
    log = client.get("/audit", params={"entity": "plan", "entity_id": str(plan["id"]),   # ids restart after a reload
                                       "since": plan["created_at"]}).json()
    actor = "key:tests-planner"
    assert [(e["action"], e["actor"]) for e in log["items"]] == [("discard", actor), ("create", actor)]
    assert log["items"][0]["before"] == {"status": "draft"} and log["items"][0]["after"] == {"status": "discarded"}
    assert log["items"][1]["after"]["scope"] == village
    assert client.get("/audit", params={"actor": actor, "limit": 1}).json()["total"] >= 2
    assert client.get("/audit", headers=planner).status_code == 403
    assert client.get("/audit", params={"limit": 0}).status_code == 422


def test_a_refused_change_leaves_no_entry(client, engine):
    before = client.get("/audit", params={"limit": 1}).json()["total"]
    assert client.post("/plans", json={"scope": "460199"}).status_code == 404
    assert client.get("/audit", params={"limit": 1}).json()["total"] == before


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log",
                                       "TRUNCATE audit_log"])
def test_the_database_refuses_to_rewrite_history(engine, statement):
    with pytest.raises(DBAPIError, match="append-only"):
        with engine.begin() as conn:
            conn.execute(text(statement))
