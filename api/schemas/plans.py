"""Plans: drafts of boundary changes, their edits, validation reports, diffs, publication and
exchange files."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from api.schemas.areas import AreaBase
from api.schemas.common import Geometry
from api.schemas.common import GeoFeature
from geo.codes import Level
from geo.crs import Datum
from geo.planning import exchange
from geo.planning.draft import MAX_HOUSEHOLDS_PER_GRID
from geo.planning.edits import API_AUTOGRID_VILLAGES, OPS
from geo.text import PlainName, PlainText

PlanStatus = Literal["draft", "submitted", "approved", "published", "discarded"]
EditOp = Literal[tuple(OPS)]
Code = Annotated[str, Field(pattern=r"^\d{6,15}$")]
VillageCode = Annotated[str, Field(pattern=r"^\d{12}$")]
Codes = Annotated[list[str], Field(description="area codes, sorted")]
GeometryIn = Annotated[dict[str, Any], Field(description="a GeoJSON geometry in the request's crs")]
StoredTargets = Annotated[dict[str, tuple[int, int]], Field(
    description="village code -> [min, max] households per grid, as the plan holds them")]   # older rules too
GridHouseholds = Annotated[int, Field(ge=1, le=MAX_HOUSEHOLDS_PER_GRID)]
HouseholdTargets = Annotated[dict[VillageCode, tuple[GridHouseholds, GridHouseholds]], Field(
    description=f"village code -> [min, max] households per grid, 1 to {MAX_HOUSEHOLDS_PER_GRID} (default 300-500)")]


class PlanCreate(BaseModel):
    """A new draft of an area and everything under it."""

    scope: Annotated[str, Field(pattern=r"^\d{6,12}$", description="the city, a district, a town or a village")]
    description: PlainText = Field("", max_length=500)
    household_targets: HouseholdTargets = Field(default_factory=dict)


class DraftCell(BaseModel):
    h3: str = Field(description="an H3 cell of the index resolution")
    households: int = Field(ge=0)
    grid: str = Field(description="the draft's grid holding its centre")


class VillageCells(BaseModel):
    """A draft village's cells, with what painting one would move."""

    village: str
    resolution: int
    cells: list[DraftCell]


class ComparedMeasure(BaseModel):
    measure: str = Field(description="grids; households_min, _max, _spread (per grid); out_of_range (grids); "
                                     "polsby_popper_mean, _least and reock_mean, _least (compactness); in_pieces "
                                     "(grids not contiguous); cut_edges (neighbouring H3 cells in different grids); "
                                     "incidents_, cameras_, mediators_reassigned (against the plan's base)")
    plan: float | None
    other: float | None


class PlanComparison(BaseModel):
    """A plan beside another plan or the generation in force, over the plan's scope."""

    plan: int
    with_: int | Literal["current"] = Field(alias="with")
    scope: str
    rows: list[ComparedMeasure]


class PlanUpdate(BaseModel):
    household_targets: HouseholdTargets = Field(description="these villages' targets (the others keep theirs)")


class Replace(BaseModel):
    op: Literal["replace"]
    code: Code
    geometry: GeometryIn


class Paint(BaseModel):
    op: Literal["paint"]
    target: Code
    cells: list[Annotated[str, Field(max_length=16)]] = Field(min_length=1, max_length=20_000)


class Split(BaseModel):
    op: Literal["split"]
    code: Code
    line: GeometryIn


class Merge(BaseModel):
    op: Literal["merge"]
    codes: list[Code] = Field(min_length=2, max_length=50)


class AddGrid(BaseModel):
    op: Literal["add_grid"]
    village: VillageCode
    geometry: GeometryIn
    name: PlainName | None = Field(None, max_length=100)


class RemoveGrid(BaseModel):
    op: Literal["remove_grid"]
    code: Annotated[str, Field(pattern=r"^\d{15}$")]


class Repair(BaseModel):
    op: Literal["repair"]
    code: Code


class AutoGrid(BaseModel):
    op: Literal["autogrid"]
    villages: list[VillageCode] | None = Field(
        None, max_length=API_AUTOGRID_VILLAGES,
        description=f"villages to re-grid; all of the plan's when absent (at most {API_AUTOGRID_VILLAGES} either way: "
                    "the whole city is `gridctl plan autogrid`'s, with progress)")
    seed: int = Field(1, ge=0, le=2**31 - 1)


EditRequest = Annotated[Replace | Paint | Split | Merge | AddGrid | RemoveGrid | Repair | AutoGrid,
                        Field(discriminator="op")]


class PublishRequest(BaseModel):
    accept_warnings: PlainText | None = Field(None, max_length=1000, description="why the warnings are acceptable")
    description: PlainText | None = Field(None, max_length=500)


class ReviewStep(BaseModel):
    """One step of a draft's review."""

    action: Literal["submit", "approve", "return"] = Field(description="submitted for review, approved, or sent "
                                                                       "back to be a draft again")
    actor: str
    note: str = Field(description="what the draft changes (submit), or what to fix (return)")
    edit: int = Field(ge=0, description="the draft's edits applied at that step")
    at: datetime


class ReviewRequest(BaseModel):
    note: PlainText | None = Field(None, max_length=2000, description="submit: what the draft changes and why; "
                                                                      "return: what to fix (both required)")


class PlanRead(BaseModel):
    """A plan: its scope, base generation and where its edits stand."""

    id: int
    scope: str = Field(description="code of the city, district, town or village it covers")
    description: str
    status: PlanStatus
    base_generation: int
    published_generation: int | None
    created_by: str
    created_at: datetime
    edits_applied: int = Field(ge=0, description="edits 1 to edits_applied are in effect; later ones are undone")
    can_undo: bool
    can_redo: bool
    household_targets: StoredTargets
    areas: dict[Level, int] = Field(description="the draft's areas by level")
    stale: bool = Field(description="not yet published, and another generation has been published since its base: "
                                    "it can no longer be published (open a new plan on the current generation)")
    reviews: list[ReviewStep] = Field(description="its review, oldest step first (four eyes)")


class PlanList(BaseModel):
    """The latest 200 plans, newest first."""

    items: list[PlanRead]


class ReportedProblem(BaseModel):
    """A problem of a draft. The members after ``message`` are there only for the checks that
    give them."""

    severity: Literal["error", "warning"] = Field(description="errors block publishing; warnings need a reason")
    check: str = Field(description="empty, invalid_geometry, code, parent, outside_parent, overlap, gap, "
                                   "contiguity, compactness, households or balance")
    codes: list[str]
    message: str
    repair: Repair | None = Field(None, description="the edit that repairs it (invalid_geometry)")
    area_m2: float | None = Field(None, description="m² of the overlap, gap or part outside the parent")
    width_m: float | None = Field(None, description="mean width of the gap, in metres")
    pieces: int | None = Field(None, description="separate pieces (contiguity)")
    polsby_popper: float | None = Field(None, description="compactness: 1 for a disc, near 0 for a ribbon")
    households: int | None = Field(None, description="households of the grid (households) or village (balance)")
    target: tuple[int, int] | None = Field(None, description="[min, max] households per grid of its village")
    options: list[Literal["accept_warnings", "household_targets", "merge"]] | None = Field(
        None, description="what the planner can do (balance): publish with a reason (accept_warnings), widen the "
                          "village's range (the plan's household_targets) or merge with a neighbouring village's grid")
    geometry: Geometry | None = Field(None, description="where it is, in WGS-84")


class OutOfRange(BaseModel):
    code: str
    name: str
    village: str
    households: int
    target: tuple[int, int] = Field(description="[min, max] households per grid of its village")
    side: Literal["under", "over"]


class NotCompact(BaseModel):
    code: str
    name: str
    village: str
    polsby_popper: float = Field(description="4πA/P² on the spheroid: 1 for a disc, near 0 for a ribbon")


class GridBalance(BaseModel):
    """The grids of a scope that need fixing, most households first."""

    scope: str
    grids: int = Field(ge=0, description="grids in the scope")
    default_target: tuple[int, int] = Field(description="[min, max] households per grid where a village has no "
                                                        "target of its own")
    least_polsby_popper: float = Field(description="below this a grid is not compact")
    out_of_range: list[OutOfRange]
    not_compact: list[NotCompact]


class ValidationReport(BaseModel):
    """What validating a draft found."""

    plan: int
    edit: int = Field(description="the edits applied when it was checked")
    valid: bool = Field(description="no errors")
    errors: int = Field(ge=0)
    warnings: int = Field(ge=0)
    problems: list[ReportedProblem]
    scope: str = Field(description="what was checked")
    grids: GridBalance | None = Field(None, description="the full report only: every grid of the scope out of its "
                                                        "range or not compact, changed or not")


class PlanCreated(PlanRead):
    """The new draft and its validation report."""

    report: ValidationReport


class _Edit(BaseModel):
    seq: int = Field(ge=1, description="its place in the plan's edit log")
    op: EditOp


class EditSummary(_Edit):
    """An edit and the areas it touched."""

    changed: Codes
    removed: Codes


class EditResult(BaseModel):
    """The plan after an edit (or an undo or redo), the edit, and the quick report of what it touched."""

    plan: PlanRead
    edit: EditSummary
    report: ValidationReport


class EditLogEntry(_Edit):
    """An edit as it was asked for."""

    params: dict[str, Any] = Field(description="the edit's members (for a file, its name and size) and the crs")
    actor: str
    at: datetime
    applied: bool = Field(description="in effect (false: undone, and can be redone)")
    changed: Codes


class EditLog(BaseModel):
    """Every edit of a plan, in order."""

    edits_applied: int = Field(ge=0)
    items: list[EditLogEntry]


class AreaChange(BaseModel):
    """An area the draft adds, removes or changes, before and after (null: not there)."""

    code: str
    level: Level
    name_before: str | None
    name_after: str | None
    parent_before: str | None
    parent_after: str | None
    area_m2_before: float | None = Field(description="m², rounded")
    area_m2_after: float | None = Field(description="m², rounded")
    households_before: int | None
    households_after: int | None


class AreaChanges(BaseModel):
    added: list[AreaChange]
    removed: list[AreaChange]
    changed: list[AreaChange]


class Reassignment(BaseModel):
    """An incident, camera or mediator whose grid (a mediator: home village) would change."""

    id: str
    old: str | None = Field(description="its area now (null: none)")
    new: str | None = Field(description="its area in the draft (null: none)")


class Reassignments(BaseModel):
    incidents: list[Reassignment] = Field(description="open incidents")
    cameras: list[Reassignment]
    mediators: list[Reassignment]


class DiffCounts(BaseModel):
    added: int
    removed: int
    changed: int
    incidents_reassigned: int
    cameras_reassigned: int
    mediators_reassigned: int


class PlanDiff(BaseModel):
    """What publishing the draft would change against its base generation."""

    plan: int
    base_generation: int
    areas: AreaChanges
    counts: DiffCounts
    reassigned: Reassignments


class PublishCounts(DiffCounts):
    h3_cells_reassigned: int


class Published(BaseModel):
    """The generation a publication (or a restore) made, and what changed."""

    generation: int = Field(description="the new generation, now current")
    based_on: int
    plan: int
    counts: PublishCounts
    warnings_accepted: int = Field(ge=0)


class PlanAreaProperties(AreaBase):
    households: int


class PlanAreaFeature(GeoFeature[PlanAreaProperties]):
    """An area of a draft; its id is the code."""


class PlanAreas(BaseModel):
    """A draft's areas as a GeoJSON FeatureCollection."""

    type: Literal["FeatureCollection"]
    crs: Datum = Field(description="the datum of the coordinates")
    features: list[PlanAreaFeature]


class FileProperties(AreaBase):
    households: int | None
    population: int | None
    datum: Datum | None = Field(None, description="the datum of the coordinates; absent for wgs84")


class FileFeature(BaseModel):
    type: Literal["Feature"]
    properties: FileProperties
    geometry: Geometry


class NamedCrs(BaseModel):
    """The (2008 GeoJSON) crs member: CRS84 for WGS-84."""

    type: Literal["name"]
    properties: dict[str, str]


class AreaFile(BaseModel):
    """Areas as an exported GeoJSON file (the other formats have the same fields)."""

    type: Literal["FeatureCollection"]
    name: str
    crs: NamedCrs | None = Field(None, description="absent for gcj02 and bd09")
    features: list[FileFeature]


def file_answers(*formats: exchange.Format) -> dict:
    """``responses=`` of a route answering with an exchange file: GeoJSON (the route's
    ``response_model``, AreaFile) or one of ``formats``."""
    return {200: {"description": "the file, as an attachment", "content": {
        exchange.MEDIA_TYPES[f]: {"schema": {"type": "string", "format": "binary"}} for f in formats}}}
