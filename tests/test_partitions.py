"""The incidents table is partitioned by month of registration (Haikou time): every row in
its month's partition, old months still queryable, a month without a partition handled."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.codes import HAIKOU_TIME
from geo.incidents import partitions
from warning_helpers import plant, quiet_place


def test_every_incident_sits_in_the_partition_of_its_haikou_month(engine):
    with engine.connect() as conn:
        assert conn.execute(text("SELECT partstrat FROM pg_partitioned_table WHERE partrelid = 'incidents'::regclass")
                            ).scalar_one() == "r"
        placed = conn.execute(text("""
            SELECT tableoid::regclass::text AS part, to_char(registered_at AT TIME ZONE 'Asia/Shanghai', 'YYYY_MM') AS month,
                   count(*) FROM incidents GROUP BY 1, 2""")).all()
    assert placed and all(part == f"incidents_{month}" for part, month, _ in placed), placed[:5]
    assert sum(n for *_, n in placed) > 30_000


def test_an_old_month_is_read_from_its_partition_alone(engine):
    """A query for March 2026 is pruned to that month's partition and counts what a scan counts."""
    start, end = datetime(2026, 3, 1, tzinfo=HAIKOU_TIME), datetime(2026, 4, 1, tzinfo=HAIKOU_TIME)
    with engine.connect() as conn:
        plan = "\n".join(r[0] for r in conn.execute(text(
            "EXPLAIN SELECT count(*) FROM incidents WHERE registered_at >= :s AND registered_at < :e"), {"s": start, "e": end}))
        pruned = conn.execute(text("SELECT count(*) FROM incidents WHERE registered_at >= :s AND registered_at < :e"),
                              {"s": start, "e": end}).scalar_one()
        scanned = conn.execute(text("SELECT count(*) FROM incidents_2026_03")).scalar_one()
    assert "incidents_2026_03" in plan and "incidents_2026_04" not in plan and "incidents_default" not in plan
    assert pruned == scanned > 2000


def test_a_month_without_a_partition_waits_in_the_default_one_and_moves_in(engine):
    with Session(engine) as session, session.begin():
        [far] = plant(session, quiet_place(session), count=1, start=datetime(2031, 1, 15, 9, tzinfo=HAIKOU_TIME))
        session.execute(text("""INSERT INTO incident_events (incident_id, incident_registered_at, actor, action)
                                SELECT id, registered_at, 'test', 'register' FROM incidents WHERE id = :i"""), {"i": far})
        where = session.execute(text("SELECT tableoid::regclass::text FROM incidents WHERE id = :i"), {"i": far}).scalar_one()
        assert where == "incidents_default"
        assert partitions.ensure_waiting(session.connection()) == 1
        where = session.execute(text("SELECT tableoid::regclass::text FROM incidents WHERE id = :i"), {"i": far}).scalar_one()
        assert where == "incidents_2031_01"
        assert session.execute(text("SELECT count(*) FROM incidents_default")).scalar_one() == 0
        session.execute(text("DELETE FROM incidents WHERE id = :i"), {"i": far})   # events go with it
        assert session.execute(text("SELECT count(*) FROM incident_events WHERE incident_id = :i"), {"i": far}).scalar_one() == 0
        session.rollback()
