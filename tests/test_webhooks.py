"""Webhooks: the outbox is written with the change, so a receiver that is down during a burst
gets every committed event once it is back, in order per case, signed; a change that rolls
back sends nothing; the log shows each delivery and replays one."""
import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import text

from conftest import removing_new_incidents

HERE = (110.33, 20.03)
CASE = {"category": "neighbourhood", "severity": "minor", "description": "两户因排水沟发生争执",
        "occurred_at": "2026-11-20T09:30:00+08:00", "lon": HERE[0], "lat": HERE[1]}


class Receiver:
    """A webhook receiver on a loopback port that can be stopped and started again on it."""

    def __init__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.received: list[tuple[dict, bytes]] = []
        self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> None:
        received = self.received

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):   # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def verified(secret: str, headers: dict, body: bytes) -> bool:
    """The receiver's check of X-Grid-Signature (README, "Webhooks")."""
    parts = dict(p.split("=", 1) for p in headers["x-grid-signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < 300


def wait_until_delivered(client, subscription: int, seconds: float = 90) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        log = client.get(f"/webhooks/{subscription}/deliveries", params={"pending": True}).json()
        if log["total"] == 0:
            return client.get(f"/webhooks/{subscription}/deliveries", params={"limit": 1000}).json()
        time.sleep(0.5)
    raise AssertionError(f"still pending after {seconds} s: {log}")


@pytest.fixture
def receiver():
    found = Receiver()
    found.start()
    yield found
    if found.server:
        found.stop()


@pytest.fixture(autouse=True)
def fresh(engine):
    with removing_new_incidents(engine):
        yield


def test_a_burst_while_the_receiver_is_down_arrives_whole_in_order_and_signed(client, engine, receiver, api_keys):
    made = client.post("/webhooks", json={"url": receiver.url, "actions": ["register", "dispatch", "transition"],
                                          "description": "12345 平台"})
    assert made.status_code == 201, made.json()
    subscription, secret = made.json()["id"], made.json()["secret"]
    assert client.get(f"/webhooks/{subscription}").json()["actions"] == ["dispatch", "register", "transition"]
    assert "secret" not in client.get("/webhooks").text
    try:
        cases = [client.post("/incidents", json=CASE, params={"dispatch": False}).json()["id"] for _ in range(2)]
        receiver.stop()   # down during the burst
        cases += [client.post("/incidents", json=CASE, params={"dispatch": False}).json()["id"] for _ in range(3)]
        for case in cases:
            assert client.post(f"/incidents/{case}/dispatch", json={"mode": "auto"}).status_code == 200
            assert client.post(f"/incidents/{case}/transitions", json={"to": "accepted"}).status_code == 200
        refused = client.post("/incidents", json={**CASE, "lon": 110.20, "lat": 20.0},   # outside the key's area
                              headers={"X-API-Key": area_key(engine, api_keys)})
        assert refused.status_code == 403   # rolled back: its registration event must never be sent
        time.sleep(2)
        pending = client.get(f"/webhooks/{subscription}/deliveries", params={"pending": True}).json()
        assert pending["total"] >= 3 and any(d["attempts"] > 0 and d["last_error"] for d in pending["items"])
        receiver.start()
        log = wait_until_delivered(client, subscription)
    finally:
        client.delete(f"/webhooks/{subscription}")
    with engine.connect() as conn:
        events = conn.execute(text("SELECT id, incident_id FROM incident_events WHERE incident_id = ANY(:ids) "
                                   "AND action IN ('register', 'dispatch', 'transition') ORDER BY id"),
                              {"ids": cases}).all()
    got = [json.loads(body) for _, body in receiver.received]
    assert all(verified(secret, headers, body) for headers, body in receiver.received)
    assert {e.id for e in events} == {g["event"]["id"] for g in got}, "every committed event, at least once"
    assert {g["incident"]["id"] for g in got} == set(cases), "nothing of the rolled-back registration"
    for case in cases:
        order = [g["event"]["id"] for g in got if g["incident"]["id"] == case]
        assert order == sorted(order) and len(order) == 3, (case, order)
    assert all("reporter_name" not in g["incident"] and "description" not in g["incident"] for g in got)
    assert {h["x-grid-event"] for h, _ in receiver.received} == {"register", "dispatch", "transition"}
    assert log["total"] == len(events) and all(d["delivered_at"] for d in log["items"])


def area_key(engine, api_keys) -> str:
    """A dispatcher key kept to the village at HERE (made once)."""
    from sqlalchemy.orm import Session

    from geo.auth import keys

    with Session(engine) as session, session.begin():
        village = session.scalar(text("SELECT code FROM areas_now WHERE level = 'village' AND "
                                      "ST_Covers(geom, ST_SetSRID(ST_MakePoint(:lon, :lat), 4326))"),
                                 {"lon": HERE[0], "lat": HERE[1]})
        key, _ = keys.create(session, name="tests-webhook-area", role="dispatcher", expires_days=1, area=village)
    return key


def test_the_log_replays_a_delivery_and_only_admins_reach_webhooks(client, receiver, api_keys):
    subscription = client.post("/webhooks", json={"url": receiver.url, "actions": ["register"]}).json()["id"]
    try:
        case = client.post("/incidents", json=CASE, params={"dispatch": False}).json()["id"]
        first = wait_until_delivered(client, subscription)["items"][0]
        assert first["incident_id"] == case and first["attempts"] == 1 and first["last_status"] == 204
        again = client.post(f"/webhooks/{subscription}/deliveries/{first['id']}/replay")
        assert again.status_code == 201 and again.json()["replay_of"] == first["id"]
        wait_until_delivered(client, subscription)
        bodies = [json.loads(body) for _, body in receiver.received]
        assert [b["event"]["id"] for b in bodies] == [first["event_id"]] * 2
        assert [b["delivery"] for b in bodies] == [first["id"], again.json()["id"]]
        assert client.post(f"/webhooks/{subscription}/deliveries/999999999/replay").status_code == 404
        for role in ("dispatcher", "viewer", "intake"):
            headers = {"X-API-Key": api_keys[role]}
            assert client.get("/webhooks", headers=headers).status_code == 403
            assert client.post("/webhooks", json={"url": receiver.url}, headers=headers).status_code == 403
    finally:
        assert client.delete(f"/webhooks/{subscription}").status_code == 204
    assert client.get(f"/webhooks/{subscription}").status_code == 404


def test_a_dead_receiver_is_tried_once_a_wait_not_once_a_delivery(client, engine):
    """A receiver that is down held up the courier once per delivery (5 s each when it hangs):
    a failure now puts off that receiver's other deliveries too."""
    dead = Receiver()   # a port nothing listens on
    subscription = client.post("/webhooks", json={"url": dead.url, "actions": ["register"]}).json()["id"]
    try:
        for _ in range(4):
            client.post("/incidents", json=CASE, params={"dispatch": False})
        time.sleep(3)
        log = client.get(f"/webhooks/{subscription}/deliveries").json()["items"]
    finally:
        client.delete(f"/webhooks/{subscription}")
    assert len(log) == 4 and not any(d["delivered_at"] for d in log)
    assert sum(d["attempts"] for d in log) <= 3, log   # not 4 deliveries, each retried after 1 and 2 s


@pytest.mark.parametrize("body,field", [({"url": "ftp://x.example/h"}, "url"), ({"url": "http://x/h", "actions": ["fly"]},
                                                                              "actions.0"),
                                        ({"url": "http://x/h", "area": "460199"}, "area"),
                                        ({"url": "http://user:secret@x/h"}, "url")])
def test_a_bad_subscription_is_refused_naming_the_field(client, body, field):
    refused = client.post("/webhooks", json=body)
    assert refused.status_code in (404, 422) and refused.json()["field"] == field, refused.json()
