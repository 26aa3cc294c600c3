#!/usr/bin/env python3
"""Benchmark: the dispatcher's queue drawn over 5,000 open cases, against the ceiling.

    .venv/bin/python scripts/bench/dispatch_queue.py [--open 5000] [--clients 8] [--runs 10]

Database `haikou_bench_queue` (the Haikou dataset, then concluded disputes reopened at
random stages until ``--open`` cases run: the generated day has about 930). One API
process (uvicorn, 1 worker, loopback). Measured:

- the two reads that draw the queue (GET /incidents/groups and the overdue group's 200
  cases by deadline, in parallel), by 1 client and by ``--clients`` at once; the ceiling in
  the same run is GET /health on the same server at the same concurrency;
- the page: headless Chromium (Debian's) opening /dispatch until the group counts and the
  first group's cases are drawn, and a click on another group until its cases are drawn.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from common import api_server, bench_key, percentiles, use_database  # noqa: E402

DB = "haikou_bench_queue"
CHROMIUM = "/usr/bin/chromium"


def reopen(wanted: int) -> int:
    """Reopen concluded generated disputes until ``wanted`` cases are open; how many are."""
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from geo.db import get_engine
    from geo.incidents import deadlines

    with Session(get_engine()) as session, session.begin():
        now_open = session.execute(text("SELECT count(*) FROM incidents WHERE is_open(status)")).scalar_one()
        session.execute(text("""
            UPDATE incidents SET status = (ARRAY['accepted','mediating','mediating'])[1 + id % 3], concluded_at = NULL,
                   agreement_form = NULL, agreement_at = NULL, termination_routes = NULL,
                   stage_started_at = now() - make_interval(hours => (id % 600)::int),
                   due_at = now() + make_interval(days => (id % 34)::int - 4)
             WHERE id IN (SELECT id FROM incidents WHERE NOT is_open(status) AND category <> 'public_safety'
                            AND mediator_id IS NOT NULL ORDER BY id DESC LIMIT :more)"""),
                        {"more": max(0, wanted - now_open)})
        deadlines.restage(session, "is_open(status)", {})
        return session.execute(text("SELECT count(*) FROM incidents WHERE is_open(status)")).scalar_one()


async def api_reads(base: str, key: str, clients: int, runs: int) -> tuple[list[float], list[float]]:
    """(queue draws, /health) timings with ``clients`` at once, ``runs`` each."""
    import httpx

    async with httpx.AsyncClient(base_url=base, headers={"X-API-Key": key}, timeout=60) as client:
        async def queue() -> float:
            start = time.perf_counter()
            answers = await asyncio.gather(client.get("/incidents/groups"),
                                           client.get("/incidents", params={"group": "overdue", "sort": "due_at",
                                                                            "limit": 200}))
            assert all(a.status_code == 200 for a in answers)
            return time.perf_counter() - start

        async def health() -> float:
            start = time.perf_counter()
            assert (await client.get("/health")).status_code == 200
            return time.perf_counter() - start

        await queue()   # warm
        drawn, ceiling = [], []
        for _ in range(runs):
            drawn += await asyncio.gather(*(queue() for _ in range(clients)))
            ceiling += await asyncio.gather(*(health() for _ in range(clients)))
    return drawn, ceiling


def page_draws(base: str, key: str, runs: int) -> tuple[list[float], list[float]]:
    """(opening /dispatch until its queue is drawn, switching group until drawn) in Chromium."""
    from playwright.sync_api import sync_playwright

    opened, switched = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{base}/dispatch?key={key}")   # the key becomes the session cookie
        page.wait_for_selector("#cases li")
        for _ in range(runs):
            start = time.perf_counter()
            page.goto(f"{base}/dispatch")
            page.wait_for_function("() => document.querySelectorAll('#groups button').length > 0 "
                                   "&& document.querySelectorAll('#cases li').length > 0")
            opened.append(time.perf_counter() - start)
            for group in ("in_mediation", "overdue"):
                start = time.perf_counter()
                page.click(f"#groups button[data-group='{group}']")
                page.wait_for_function(f"() => document.querySelector('#groups button[data-group={group}]')"
                                       ".getAttribute('aria-selected') === 'true' "
                                       "&& document.querySelectorAll('#cases li').length > 0")
                switched.append(time.perf_counter() - start)
        browser.close()
    return opened, switched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=5000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    use_database(DB)
    open_cases = reopen(args.open)
    key = bench_key(DB, "dispatcher")
    with api_server(DB) as (base, _):
        import httpx

        groups = httpx.get(f"{base}/incidents/groups", headers={"X-API-Key": key}).json()
        print(f"{open_cases} open cases; groups: " + ", ".join(f"{g['group']} {g['count']}" for g in groups["items"]))
        for clients in (1, args.clients):
            drawn, ceiling = asyncio.run(api_reads(base, key, clients, args.runs))
            print(f"API, {clients} client(s): queue (groups + 200 by deadline) {percentiles(drawn)}; "
                  f"ceiling GET /health {percentiles(ceiling)}")
        opened, switched = page_draws(base, key, args.runs)
        print(f"page: /dispatch opened to a drawn queue {percentiles(opened)}; "
              f"another group drawn {percentiles(switched)}")


if __name__ == "__main__":
    main()
