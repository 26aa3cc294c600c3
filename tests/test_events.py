"""GET /events: incident events as server-sent events, from a real uvicorn process to a real
HTTP client, live (this process's commits and other processes' through PostgreSQL
notifications), in commit order, resumable with Last-Event-ID, filtered and authorised."""
import asyncio
import json
import queue
import threading
import time

import httpx
import jsonschema_rs
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from api.streams import EventFeed, StreamsBusy
from geo.incidents.stream import Position, head
from test_incidents import BASE, HERE

OTHER_TOWN_POINT = (110.1650, 19.9650)   # 长流镇, west of the city, another town than HERE's


class Stream:
    """An open GET /events read in a thread: its messages as (event, id, data) in a queue."""

    def __init__(self, base: str, key: str, **options):
        headers = {"X-API-Key": key, **({"Last-Event-ID": str(options.pop("last_event_id"))}
                                        if "last_event_id" in options else {})}
        self.messages: queue.Queue = queue.Queue()
        self.fields: list[dict] = []   # every message as its fields, as a client parses them
        self._client = httpx.Client(base_url=base, headers=headers, timeout=httpx.Timeout(5, read=None))
        self._response = self._client.send(self._client.build_request("GET", "/events", params=options), stream=True)
        assert self._response.status_code == 200, self._response.read()
        assert self._response.headers["content-type"].startswith("text/event-stream")
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        fields = {}
        try:
            for line in self._response.iter_lines():
                if line == "":
                    if "event" in fields:
                        self.fields.append(fields)
                        self.messages.put((fields["event"], fields.get("id"), json.loads(fields.get("data", "{}"))))
                    fields = {}
                elif not line.startswith(":"):
                    name, _, value = line.partition(": ")
                    fields[name] = value
        except httpx.HTTPError:
            pass

    def next(self, kind: str = "incident", seconds: float = 5.0):
        """The next message of ``kind`` within ``seconds`` (others are passed over), else None."""
        until = time.monotonic() + seconds
        while (left := until - time.monotonic()) > 0:
            try:
                event, event_id, data = self.messages.get(timeout=left)
            except queue.Empty:
                return None
            if event == kind:
                return event_id, data
        return None

    def incidents(self, seconds: float) -> list[dict]:
        """Every incident event that arrives within ``seconds``."""
        found, until = [], time.monotonic() + seconds
        while (message := self.next(seconds=max(0.0, until - time.monotonic()))) is not None:
            found.append(message[1])
        return found

    def close(self):
        self._response.close()
        self._client.close()


@pytest.fixture
def open_stream(live_server, admin_key):
    streams = []

    def opened(key=admin_key, **options) -> Stream:
        streams.append(Stream(live_server, key, **options))
        return streams[-1]

    yield opened
    for s in streams:
        s.close()


def register(base: str, key: str, at=HERE, **fields) -> dict:
    response = httpx.post(f"{base}/incidents", json={**BASE, "lon": at[0], "lat": at[1], **fields},
                          headers={"X-API-Key": key}, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_head_of_the_stream_is_the_newest_event_in_number_order(engine):
    """Transaction ids grow past a power of ten ('999' then '1000'): the head, where every
    stream reads up to, is the newest event as xid8 numbers order them, never as text."""
    with Session(engine) as session:   # rolled back: the events below are never seen by a stream
        xmin = session.execute(text("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")).scalar_one()
        case = session.execute(text("SELECT id, registered_at FROM incidents LIMIT 1")).one()
        for txid in (9, xmin - 1):   # '9' sorts after any older id of more digits but 9s, as text
            session.execute(text("INSERT INTO incident_events (incident_id, incident_registered_at, actor, action, txid) "
                                 "VALUES (:id, :at, 'tests', 'register', CAST(CAST(:txid AS text) AS xid8))"),
                            {"id": case.id, "at": case.registered_at, "txid": txid})
        settled = session.execute(text("SELECT txid::text, id FROM incident_events "
                                       "WHERE txid < pg_snapshot_xmin(pg_current_snapshot())")).all()
        newest = max(settled, key=lambda row: (int(row[0]), row[1]))
        assert head(session) == Position(*newest) and newest[0] != "9"
        session.rollback()


def test_a_registration_reaches_an_open_stream_at_once_without_personal_data(open_stream, live_server, admin_key):
    stream = open_stream()
    assert stream.next("ready") is not None
    started = time.monotonic()
    case = register(live_server, admin_key, reporter_name="张三", reporter_phone="13800000000")
    arrived = [e for e in stream.incidents(3) if e["incident_id"] == case["id"]]
    assert time.monotonic() - started < 10
    assert arrived[0]["action"] == "register" and {"dispatch", "escalate"} & {e["action"] for e in arrived[1:]}
    register_event = arrived[0]
    assert (register_event["status"], register_event["village_code"]) == (case["status"], case["village_code"])
    assert register_event["group"] in ("new", "in_mediation", "unassigned") and register_event["group_label"]
    assert "张三" not in json.dumps(arrived, ensure_ascii=False) and "13800000000" not in json.dumps(arrived)


def test_every_message_is_as_the_openapi_document_describes(open_stream, live_server, admin_key, client):
    """Portals generate their stream clients from the contract: the ready message and the incident
    messages (their fields, and the JSON in their data) all match it."""
    document = client.get("/openapi.json").json()
    described = document["paths"]["/events"]["get"]["responses"]["200"]["content"]["text/event-stream"]["schema"]
    stream = open_stream()
    register(live_server, admin_key)
    assert stream.next("ready") is not None and stream.incidents(3)
    for fields in stream.fields:
        item = {"components": document["components"], **described}
        assert jsonschema_rs.validator_for(item).is_valid(fields), fields
        branch = next(b for b in described["oneOf"] if b["properties"]["event"]["const"] == fields["event"])
        data = {"components": document["components"], **branch["properties"]["data"]["contentSchema"]}
        assert jsonschema_rs.validator_for(data).is_valid(json.loads(fields["data"])), fields


def test_another_processs_change_arrives_through_the_notifications(open_stream, engine, live_server, admin_key):
    case = register(live_server, admin_key)
    stream = open_stream()
    stream.next("ready")
    with Session(engine) as session, session.begin():   # this test process: not the server's commit
        session.execute(text("""INSERT INTO incident_events (incident_id, incident_registered_at, actor, action, note)
                                SELECT id, registered_at, 'key:other-worker', 'transition', 'by another process'
                                  FROM incidents WHERE id = :id"""), {"id": case["id"]})
    arrived = stream.next(seconds=5)
    assert arrived is not None and arrived[1]["incident_id"] == case["id"]
    assert arrived[1]["actor"] == "key:other-worker" and "note" not in arrived[1]


def test_an_event_committed_late_with_a_lower_id_is_not_skipped(open_stream, engine, live_server, admin_key):
    """Ids are taken at insert, not at commit: a slow transaction's event has the lower id."""
    case = register(live_server, admin_key)
    stream = open_stream()
    stream.next("ready")
    slow = Session(engine)
    slow.begin()
    slow.execute(text("""INSERT INTO incident_events (incident_id, incident_registered_at, actor, action)
                         SELECT id, registered_at, 'key:slow', 'transition' FROM incidents WHERE id = :id"""),
                 {"id": case["id"]})
    slow_id = slow.scalar(text("SELECT max(id) FROM incident_events"))
    quick = register(live_server, admin_key)   # commits first, with higher ids
    early = stream.incidents(2)
    slow.commit()
    slow.close()
    late = stream.incidents(3)
    ids = [int(e["id"]) for e in early + late]
    assert slow_id in ids and any(e["incident_id"] == quick["id"] for e in early + late)
    assert ids.index(slow_id) < min(ids.index(e["id"]) for e in early + late if e["incident_id"] == quick["id"])
    assert len(ids) == len(set(ids))


def test_a_reconnecting_client_resumes_after_the_last_event_it_saw(open_stream, live_server, admin_key):
    first = open_stream()
    first.next("ready")
    cases = [register(live_server, admin_key) for _ in range(3)]
    seen = [e for e in first.incidents(3) if e["incident_id"] in {c["id"] for c in cases}]
    first.close()
    missed = register(live_server, admin_key)   # while the client was away
    resumed = open_stream(last_event_id=seen[0]["id"])
    again = [e for e in resumed.incidents(3) if e["incident_id"] in {c["id"] for c in cases} | {missed["id"]}]
    assert [e["id"] for e in again[:len(seen) - 1]] == [e["id"] for e in seen[1:]]   # nothing twice, nothing lost
    assert any(e["incident_id"] == missed["id"] and e["action"] == "register" for e in again)


def test_a_position_that_no_longer_exists_is_a_reset(open_stream):
    assert open_stream(last_event_id=10**15).next("reset") is not None


def test_the_stream_keeps_to_its_area_and_actions(open_stream, live_server, admin_key):
    here = register(live_server, admin_key)
    town = here["town_code"]
    local = open_stream(area=town)
    dispatches = open_stream(types="dispatch")
    local.next("ready")
    dispatches.next("ready")
    inside = register(live_server, admin_key)
    outside = register(live_server, admin_key, at=OTHER_TOWN_POINT)
    assert outside["town_code"] != town
    got = local.incidents(3)
    assert any(e["incident_id"] == inside["id"] for e in got) and all(e["town_code"] == town for e in got)
    assert {e["action"] for e in dispatches.incidents(3)} == {"dispatch"}


@pytest.mark.parametrize("params,headers,status,field", [
    ({"types": "register,nonsense"}, {}, 422, "types"),
    ({"area": "460106100399"}, {}, 404, "area"),
    ({"area": "46x"}, {}, 422, "area"),
    ({"aera": "460106"}, {}, 422, "aera"),
    ({}, {"Last-Event-ID": "abc"}, 422, "Last-Event-ID"),
])
def test_bad_stream_requests_are_problems(client, params, headers, status, field):
    response = client.get("/events", params=params, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["field"].lower() == field.lower()   # a header name is any case


def test_only_readers_open_streams(anonymous, api_keys):
    assert anonymous.get("/events").status_code == 401
    assert anonymous.get("/events", headers={"X-API-Key": api_keys["embed"]}).status_code == 403


def test_one_feed_per_process_reads_each_change_once_for_its_bounded_streams(engine):
    case_id = next(iter(engine.connect().execute(text("SELECT max(id) FROM incidents")).scalars()))

    async def fill():
        feed = EventFeed(capacity=3, per_key=2)
        listeners = [await feed.listen("key:a"), await feed.listen("key:a")]
        with pytest.raises(StreamsBusy) as refused:
            await feed.listen("key:a")   # one key may not hold every place
        assert refused.value.status == 503 and refused.value.retry_after > 0
        await feed.listen("key:b")
        with pytest.raises(StreamsBusy):
            await feed.listen("key:c")   # every place is taken
        feed.leave(listeners[0])
        await feed.listen("key:c")   # a place was freed
        before = feed.position
        listeners[1].clear()
        with Session(engine) as session, session.begin():
            session.execute(text("""INSERT INTO incident_events (incident_id, incident_registered_at, actor, action)
                                    SELECT id, registered_at, 'key:feed-test', 'extend' FROM incidents WHERE id = :id"""),
                            {"id": case_id})
        threading.Thread(target=feed.ring).start()   # rung from another thread, as the change listener does
        assert await listeners[1].wait(5)
        taken, after = feed.since(before)
        assert [(row["incident_id"], row["actor"]) for row in taken] == [(case_id, "key:feed-test")]
        assert after == feed.position and feed.since(after) == ([], after)

    asyncio.run(fill())
