"""Property-based tests of drafts (hypothesis), each example in a transaction that is rolled back:
random sequences of accepted edits never publish an invalid partition, undo restores the exact
previous state, a refused edit writes nothing, and every point of the village is covered by
exactly one grid in the old and the new generation (locate answers as ST_Covers does: test_locate)."""
import random

import numpy as np
import pytest
import shapely
from h3.api import basic_int as h3
from hypothesis import HealthCheck, event, given, settings, strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session

from geo.errors import DomainError
from geo.planning import draft, edits, review
from geo.planning.cells import cells_in
from geo.planning.publish import NotPublishable, publish
from geo.planning.validate import validate
from planning_helpers import village_with_grids

OPS = ("paint", "split", "merge", "remove", "reshape", "undo", "redo")
M2 = 111_320.0 ** 2 * 0.94


@pytest.fixture(scope="module")
def village(engine):
    return village_with_grids(engine, 5, offset=20)


def snapshot(session, plan_id):
    """Every area of the draft, geometry as exact WKB bytes."""
    return {r[0]: (r[1], r[2], r[3], bytes(r[4])) for r in session.execute(text(
        "SELECT code, parent_code, households, name, ST_AsBinary(geom) FROM plan_areas WHERE plan_id = :p"),
        {"p": plan_id})}


def partition_problems(session, plan_id, village) -> list[str]:
    """An independent check of the grids: valid, inside the village, covering it, not overlapping."""
    state = {c: shapely.from_wkb(v[3]) for c, v in snapshot(session, plan_id).items()}
    frame = state.pop(village)
    problems = [f"{c} invalid" for c, g in state.items() if not g.is_valid]
    if problems:
        return problems
    grids = list(state.values())
    union = shapely.union_all(grids)
    if shapely.difference(frame, union).area * M2 > 1:
        problems.append("gap")
    if shapely.difference(union, frame).area * M2 > 1:
        problems.append("outside")
    if sum(g.area for g in grids) * M2 - union.area * M2 > 1:
        problems.append("overlap")
    return problems


def random_edit(session, plan, rng: random.Random) -> tuple[str, dict]:
    grids = draft.areas(session, plan.id, level="grid")
    codes = sorted(grids)
    op = rng.choice(OPS[:5])
    code = rng.choice(codes)
    shape = grids[code].geom
    if op == "paint":
        others = [c for c in codes if c != code and shapely.intersects(grids[c].geom, shape)]
        if not others:
            return "remove", {"code": code}
        mine = set(cells_in(shape, 11).tolist())
        theirs = [c for c in cells_in(grids[rng.choice(others)].geom, 11).tolist()
                  if any(n in mine for n in h3.grid_ring(c, 1))]
        picked = rng.sample(theirs, k=min(len(theirs), rng.randint(1, 4)))
        return "paint", {"target": code, "cells": [h3.int_to_str(c) for c in picked]}
    if op == "split":
        point = shapely.point_on_surface(shape)
        angle = rng.uniform(0, np.pi)
        dx, dy = 0.01 * np.cos(angle), 0.01 * np.sin(angle)
        return "split", {"code": code, "line": shapely.LineString([(point.x - dx, point.y - dy), (point.x + dx, point.y + dy)])}
    if op == "merge":
        others = [c for c in codes if c != code and shapely.intersection(grids[c].geom, shape).length > 0]
        return "merge", {"codes": [code, rng.choice(others)] if others else [code, code]}
    if op == "reshape":
        return "replace", {"code": code, "geometry": shape.buffer(rng.choice([-1, 1]) * rng.uniform(1e-5, 3e-4))}
    return "remove_grid", {"code": code}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 2**32)), min_size=1, max_size=5))
def test_random_edits_never_publish_an_invalid_partition(engine, village, steps):
    with Session(engine) as session, session.begin():
        plan = draft.open_plan(session, scope=village, actor="hypothesis")
        base = plan.base_generation
        for kind, seed in steps:
            before = snapshot(session, plan.id)
            try:
                with session.begin_nested():
                    if kind in ("undo", "redo"):
                        draft.step(session, plan, forward=kind == "redo", actor="hypothesis")
                        continue
                    op, params = random_edit(session, plan, random.Random(seed))
                    edits.apply(session, plan.id, op, actor="hypothesis", log_params={}, **params)
            except DomainError:
                session.refresh(plan)
                assert snapshot(session, plan.id) == before, "a refused edit changed the draft"
                continue
            after = snapshot(session, plan.id)
            draft.step(session, plan, forward=False, actor="hypothesis")
            assert snapshot(session, plan.id) == before, "undo did not restore the exact previous state"
            draft.step(session, plan, forward=True, actor="hypothesis")
            assert snapshot(session, plan.id) == after, "redo did not restore the edit"
            if validate(session, plan)["valid"]:
                assert partition_problems(session, plan.id, village) == []

        report = validate(session, plan)
        review.step(session, plan.id, "submit", actor="hypothesis", note="property test")
        if not report["valid"]:
            with pytest.raises(NotPublishable):   # a second planner does not approve it, so it is never published
                review.step(session, plan.id, "approve", actor="hypothesis-reviewer")
            event("refused")
            session.rollback()
            return
        assert partition_problems(session, plan.id, village) == []
        review.step(session, plan.id, "approve", actor="hypothesis-reviewer")
        new = publish(session, plan.id, actor="hypothesis", accept_warnings="property test")["generation"]
        frame = shapely.from_wkb(snapshot(session, plan.id)[village][3])
        rng = np.random.default_rng(len(steps))
        x0, y0, x1, y1 = frame.bounds
        xs, ys = rng.uniform(x0, x1, 400), rng.uniform(y0, y1, 400)
        inside = shapely.contains_xy(frame, xs, ys)
        for generation in (base, new):
            counts = session.execute(text("""
                SELECT count(a.code) FROM unnest(CAST(:x AS float8[]), CAST(:y AS float8[])) WITH ORDINALITY AS p(x, y, i)
                LEFT JOIN areas a ON a.level = 'grid' AND a.generation_low <= :g AND coalesce(a.generation_high, :g) >= :g
                     AND ST_Covers(a.geom, ST_SetSRID(ST_MakePoint(p.x, p.y), 4326))
                GROUP BY p.i ORDER BY p.i"""),
                                     {"x": xs[inside].tolist(), "y": ys[inside].tolist(), "g": generation}).scalars().all()
            assert set(counts) == {1}, f"generation {generation}: points in {set(counts)} grids"
        event("published")
        session.rollback()
