"""What a busy map asks for again and again is answered from memory: no SQL statement while
the change listener is up; and a change made elsewhere is seen by the next request once its
notification has arrived."""
import time
from contextlib import contextmanager

import psycopg
from sqlalchemy import event
from sqlalchemy.engine import Engine

from geo.settings import get_settings
from test_tiles import tile_of

WARM = ["/tiles/villages/14/{x}/{y}.mvt", "/locate?lon=110.3301&lat=20.0301", "/styles/overview.json",
        "/tiles/districts,towns,villages,labels.json"]


@contextmanager
def statements():
    """Every SQL statement any SQLAlchemy engine of this process sends meanwhile."""
    sent = []

    def count(conn, cursor, statement, *args):
        sent.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(Engine, "before_cursor_execute", count)


def listening(client, timeout=10.0):
    """The app's change watcher, once it knows the stamp from the primary's notifications."""
    watcher = client.app.state.services.watcher
    deadline = time.monotonic() + timeout
    while watcher.latest is None:
        assert time.monotonic() < deadline, "the change listener never reported the stamp"
        time.sleep(0.05)
    return watcher


def test_a_warm_tile_a_locate_and_a_style_ask_the_database_nothing(client):
    x, y = tile_of(110.3301, 20.0301, 14)
    paths = [path.format(x=x, y=y) for path in WARM]
    first = [client.get(path) for path in paths]   # warm: the tile rendered, the key checked
    assert [answer.status_code for answer in first] == [200] * len(paths)
    listening(client)
    with statements() as sent:
        again = [client.get(path) for path in paths]
    assert [answer.status_code for answer in again] == [200] * len(paths)
    assert again[0].content == first[0].content and again[0].headers["etag"] == first[0].headers["etag"]
    assert again[1].json()["grid"] == first[1].json()["grid"]
    assert sent == []


def test_a_change_from_another_process_is_seen_once_notified(client, engine):
    """A change written outside this process (here: a raw connection, as another worker's
    would be) reaches the incidents tiles after its notification, not before the next change."""
    x, y = tile_of(110.3301, 20.0301, 16)
    path = f"/tiles/incidents/16/{x}/{y}.mvt"
    before = client.get(path).headers["etag"]
    watcher = listening(client)
    seen = watcher.latest.change
    with psycopg.connect(get_settings().db.libpq_url, autocommit=True) as conn:
        conn.execute("INSERT INTO audit_log (actor, action, entity, entity_id) "
                     "VALUES ('tests', 'touch', 'incident', '0')")
    deadline = time.monotonic() + 10
    while (watcher.latest is None or watcher.latest.change == seen) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert watcher.latest is not None and watcher.latest.change > seen
    with statements() as sent:
        after = client.get(path)
    assert after.headers["etag"] != before   # a new key: rendered again, not the old tile
    assert sent   # and rendered from the database
