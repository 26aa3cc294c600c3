"""Planner drafts: open, edit (undo, redo), validate, diff, view, import, export, publish."""
from __future__ import annotations

from typing import Annotated, Literal

import shapely.geometry
from fastapi import APIRouter, Body, Depends, File, Path, Query, Response, UploadFile
from sqlalchemy.orm import Session

from api.dependencies import Transaction, get_actor, get_session
from api.params import known_query, parse_geometry
from api.problems import answers
from api.responses import GeoJSONResponse, attachment, download
from api.schemas.plans import (AreaFile, EditLog, EditRequest, EditResult, PlanAreas, PlanCreate, PlanCreated, PlanDiff,
                               PlanComparison, PlanList, PlanRead, PlanStatus, PlanUpdate, Published, PublishRequest,
                               ReviewRequest, ValidationReport, VillageCells, file_answers)
from geo.areas.service import index_resolution
from geo.crs import Datum, geometry_from_wgs84
from geo.errors import Invalid, NotFound
from geo.planning import balance, cells as cellmath, draft, edits, exchange, review
from geo.planning.diff import diff
from geo.planning.models import PlanEdit
from geo.planning.publish import publish
from geo.planning.validate import validate
from tiles.service import plan_tile

router = APIRouter(prefix="/plans", tags=["planning"])
PlanId = Annotated[int, Path(ge=1, le=2**31 - 1)]


@router.post("", response_model=PlanCreated, response_model_exclude_unset=True, status_code=201,
             responses=answers(404, 409))
def create_plan(session: Transaction, actor: Annotated[str, Depends(get_actor)],
                body: PlanCreate) -> dict:
    """Open a draft on the current generation; the scope's areas are copied into it."""
    plan = draft.open_plan(session, scope=body.scope, actor=actor, description=body.description,
                           household_targets={k: list(v) for k, v in body.household_targets.items()})
    return {**draft.summary(session, plan), "report": validate(session, plan)}


@router.get("", dependencies=[Depends(known_query)], response_model=PlanList)
def list_plans(session: Annotated[Session, Depends(get_session)], actor: Annotated[str, Depends(get_actor)],
               status: PlanStatus | None = None,
               mine: Annotated[bool, Query(description="only the plans the caller opened")] = False) -> dict:
    """The latest plans, newest first, each with its base generation, whether it went stale
    and its review."""
    return {"items": draft.summaries(session, draft.latest_plans(session, status, by=actor if mine else None))}


@router.get("/{plan_id}", response_model=PlanRead)
def get_plan(session: Annotated[Session, Depends(get_session)], plan_id: PlanId) -> dict:
    return draft.summary(session, draft.get_plan(session, plan_id))


@router.patch("/{plan_id}", response_model=PlanRead, responses=answers(409))
def update_plan(session: Transaction, actor: Annotated[str, Depends(get_actor)], plan_id: PlanId,
                body: PlanUpdate) -> dict:
    """Set villages' household targets (min, max per grid) of a draft; the report, the page's
    colours and autogrid follow them."""
    plan = draft.set_targets(session, plan_id, {k: list(v) for k, v in body.household_targets.items()}, actor=actor)
    return draft.summary(session, plan)


@router.post("/{plan_id}/rebase", response_model=PlanRead, responses=answers(409))
def rebase_plan(session: Transaction, actor: Annotated[str, Depends(get_actor)], plan_id: PlanId) -> dict:
    """Move a stale draft onto the generation in force, where no later generation touched its
    scope; 409 naming the areas changed since (``conflicts``) otherwise."""
    return draft.summary(session, draft.rebase(session, plan_id, actor=actor))


@router.delete("/{plan_id}", status_code=204, responses=answers(409))
def discard_plan(session: Transaction, actor: Annotated[str, Depends(get_actor)],
                 plan_id: PlanId) -> Response:
    """Discard a draft (it stays readable; it can no longer change or be published)."""
    draft.discard(session, plan_id, actor=actor)
    return Response(status_code=204)


def _edit_answer(session: Session, plan_id: int, edit: PlanEdit) -> dict:
    plan = draft.get_plan(session, plan_id)
    changed = sorted(edit.after)
    return {"plan": draft.summary(session, plan),
            "edit": {"seq": edit.seq, "op": edit.op, "changed": changed,
                     "removed": sorted(c for c, a in edit.after.items() if a is None)},
            "report": validate(session, plan, focus=set(changed))}


@router.post("/{plan_id}/edits", response_model=EditResult, response_model_exclude_unset=True, status_code=201,
             responses=answers(409))
def edit_plan(session: Transaction, actor: Annotated[str, Depends(get_actor)],
              plan_id: PlanId, body: Annotated[EditRequest, Body()], crs: Datum = Datum.WGS84) -> dict:
    """Apply one edit; the answer has the quick validation report of what it touched."""
    params = body.model_dump(exclude={"op"})
    for name in ("geometry", "line"):
        if name in params:
            params[name] = parse_geometry(params[name], crs, name)
    log = body.model_dump(exclude={"op"}) | {"crs": crs.value}
    if body.op == "autogrid":
        params["most"] = edits.API_AUTOGRID_VILLAGES
    edit = edits.apply(session, plan_id, body.op, actor=actor, log_params=log, **params)
    return _edit_answer(session, plan_id, edit)


@router.get("/{plan_id}/edits", response_model=EditLog)
def edit_log(session: Annotated[Session, Depends(get_session)], plan_id: PlanId) -> dict:
    """Every edit, in order; those after ``edits_applied`` are undone (and can be redone)."""
    plan = draft.get_plan(session, plan_id)
    return {"edits_applied": plan.applied, "items": draft.edit_log(session, plan)}


def _step_endpoint(name: str, forward: bool) -> None:
    def endpoint(session: Transaction, actor: Annotated[str, Depends(get_actor)],
                 plan_id: PlanId) -> dict:
        plan = draft.get_plan(session, plan_id, for_update=True, editable=True)
        return _edit_answer(session, plan_id, draft.step(session, plan, forward=forward, actor=actor))

    endpoint.__doc__ = f"{name.capitalize()} the {'next undone' if forward else 'last applied'} edit."
    router.add_api_route(f"/{{plan_id}}/{name}", endpoint, methods=["POST"], name=name, response_model=EditResult,
                         response_model_exclude_unset=True, responses=answers(409))


_step_endpoint("undo", forward=False)
_step_endpoint("redo", forward=True)


@router.get("/{plan_id}/report", response_model=ValidationReport, response_model_exclude_unset=True)
def report(session: Annotated[Session, Depends(get_session)], plan_id: PlanId) -> dict:
    """The full validation report (what publishing checks), and every grid of the scope out of
    its range or not compact (``grids``)."""
    plan = draft.get_plan(session, plan_id)
    return {**validate(session, plan), "grids": balance.of_plan(session, plan)}


@router.get("/{plan_id}/diff", response_model=PlanDiff)
def plan_diff(session: Annotated[Session, Depends(get_session)], plan_id: PlanId) -> dict:
    """Areas added, removed and changed, and the incidents, cameras and mediators reassigned."""
    return diff(session, draft.get_plan(session, plan_id))


@router.post("/{plan_id}/publish", response_model=Published, status_code=201, responses=answers(409))
def publish_plan(session: Annotated[Session, Depends(get_session)], actor: Annotated[str, Depends(get_actor)],
                 plan_id: PlanId, body: PublishRequest | None = None) -> dict:
    """Publish as a new generation in one transaction: 409 if it is not approved (where review
    is required) or another generation was published since the draft was opened, 422 with the
    report if it has errors or unaccepted warnings."""
    body = body or PublishRequest()
    with session.begin():
        return publish(session, plan_id, actor=actor, accept_warnings=body.accept_warnings,
                       description=body.description)


def _review_endpoint(action: str, summary: str) -> None:
    def endpoint(session: Transaction, actor: Annotated[str, Depends(get_actor)], plan_id: PlanId,
                 body: ReviewRequest | None = None) -> dict:
        plan = review.step(session, plan_id, action, actor=actor, note=(body or ReviewRequest()).note)
        return draft.summary(session, plan)

    endpoint.__doc__ = summary
    router.add_api_route(f"/{{plan_id}}/{action}", endpoint, methods=["POST"], name=f"{action}_plan",
                         response_model=PlanRead, responses=answers(409))


_review_endpoint("submit", "Submit a draft for review, saying what it changes (``note``); it cannot change until "
                           "it is sent back.")
_review_endpoint("approve", "Approve a submitted draft: by a planner who did not make it (author, editor, "
                            "submitter) or an admin. Only an approved draft is published (GRID_PUBLISH_REVIEW).")
_review_endpoint("return", "Send a submitted or approved draft back with what to fix (``note``): a draft again.")


@router.get("/{plan_id}/compare", dependencies=[Depends(known_query)], response_model=PlanComparison,
            response_model_by_alias=True, responses={**answers(404), 200: {"content": {"text/csv": {}}}})
def compare_plans(session: Annotated[Session, Depends(get_session)], plan_id: PlanId,
                  with_: Annotated[str, Query(alias="with", pattern=r"^(current|[1-9]\d{0,8})$",
                                              description="another plan's id, or current: the generation in force")]
                  = "current",
                  format: Literal["json", "csv"] = "json") -> Response | dict:
    """The plan beside another plan or the generation in force: households per grid, out of
    range, compactness (Polsby-Popper, Reock), grids in pieces, cut edges between H3 cells, and
    what it reassigns; ``format=csv`` for a spreadsheet."""
    plan = draft.get_plan(session, plan_id)
    try:
        other = None if with_ == "current" else draft.get_plan(session, int(with_))
    except NotFound as missing:
        raise missing.at("with") from None
    result = balance.compare(session, plan, other, index_resolution(session))
    if format == "csv":
        lines = ["measure,plan,other"] + [f"{r['measure']},{_csv(r['plan'])},{_csv(r['other'])}" for r in result["rows"]]
        return attachment(("\n".join(lines) + "\n").encode(), "text/csv; charset=utf-8",
                          f"plan-{plan.id}-vs-{result['with']}.csv")
    return result


def _csv(value) -> str:
    return "" if value is None else str(value)


@router.get("/{plan_id}/cells", dependencies=[Depends(known_query)], response_model=VillageCells, responses=answers(404))
def village_cells(session: Annotated[Session, Depends(get_session)], plan_id: PlanId,
                  village: Annotated[str, Query(pattern=r"^\d{12}$", description="a village of the draft")]) -> dict:
    """A village's H3 cells with their households and the draft grid each is in: what the
    planner page shades while painting, and sums for the grids' running totals."""
    plan = draft.get_plan(session, plan_id)
    if not draft.areas(session, plan.id, codes=[village], level="village"):
        raise NotFound("no village {village} in this plan", field="village", village=village)
    resolution = index_resolution(session)
    return {"village": village, "resolution": resolution,
            "cells": cellmath.village_cells(session, plan, village, resolution)}


@router.get("/{plan_id}/areas", response_model=PlanAreas)
def plan_areas(session: Annotated[Session, Depends(get_session)], plan_id: PlanId,
               level: Literal["district", "town", "village", "grid"] | None = None,
               crs: Datum = Datum.WGS84) -> dict:
    """The draft's areas as a GeoJSON FeatureCollection."""
    draft.get_plan(session, plan_id)
    features = [{"type": "Feature", "id": a.code,
                 "geometry": shapely.geometry.mapping(geometry_from_wgs84(a.geom, crs)),
                 "properties": {"code": a.code, "level": a.level, "name": a.name, "kind": a.kind,
                                "parent_code": a.parent_code, "households": a.households}}
                for a in draft.areas(session, plan_id, level=level).values()]
    return {"type": "FeatureCollection", "crs": crs.value, "features": features}


@router.get("/{plan_id}/tiles/{layers}/{z}/{x}/{y}.mvt", response_class=Response,
            responses={200: {"content": {"application/vnd.mapbox-vector-tile": {}}}, 204: {"description": "empty"}})
def draft_tile(session: Annotated[Session, Depends(get_session)], plan_id: PlanId,
               layers: Annotated[str, Path(max_length=100, description="towns, villages and/or grids")],
               z: int, x: int, y: int, crs: Datum = Datum.WGS84) -> Response:
    """A vector tile of the draft's areas (not cached)."""
    plan = draft.get_plan(session, plan_id)
    body = plan_tile(session, plan.id, plan.base_generation, layers, z, x, y, datum=crs)
    if not body:
        return Response(status_code=204)
    return Response(body, media_type="application/vnd.mapbox-vector-tile", headers={"Cache-Control": "no-store"})


@router.post("/{plan_id}/import", response_model=EditResult, response_model_exclude_unset=True, status_code=201,
             responses=answers(409))
def import_file(session: Transaction, actor: Annotated[str, Depends(get_actor)],
                plan_id: PlanId, file: Annotated[UploadFile, File(description="GeoJSON, GeoPackage, zipped Shapefile or CSV")],
                crs: Annotated[Datum | None, Query(description="override the file's CRS (required if it has none)")] = None
                ) -> dict:
    """Import areas (replacing those with the same code) or a CSV of H3 cell → grid code, as one edit."""
    data = file.file.read(exchange.MAX_FILE_BYTES + 1)   # one byte more: a file over the limit is refused
    edit = exchange.import_file(session, plan_id, data, file.filename or "", crs, actor=actor)
    return _edit_answer(session, plan_id, edit)


@router.get("/{plan_id}/export", response_model=AreaFile, response_class=GeoJSONResponse,
            responses=file_answers(exchange.Format.GPKG, exchange.Format.SHAPEFILE))
def export_plan(session: Annotated[Session, Depends(get_session)], plan_id: PlanId,
                format: exchange.Format = exchange.Format.GEOJSON,
                level: Literal["district", "town", "village", "grid"] | None = None,
                crs: Datum = Datum.WGS84) -> Response:
    """The draft's areas as GeoJSON, GeoPackage or zipped Shapefile (CSV: see generations)."""
    draft.get_plan(session, plan_id)
    if format is exchange.Format.CSV:
        raise Invalid("the cell CSV is exported per generation: GET /generations/{id}/export?format=csv", field="format")
    name = f"plan-{plan_id}" + (f"-{level}s" if level else "")
    body = exchange.write_areas(exchange.plan_areas(session, plan_id, level), format, crs, name)
    return download(body, format, name)

