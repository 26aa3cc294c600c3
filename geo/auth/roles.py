"""Roles and what each may reach: one table, checked for every request.

admin: everything. planner: drafts, publishing and generations. dispatcher: incidents,
dispatch and mediators, and the only role besides admin that sees personal data.
camera_admin: cameras. viewer: reads, without personal data. embed: tiles, styles and
embed pages (and the outline of one area, which an embedded area page zooms to) only,
from the portals (origins) its key names, and only the views and layers the key names.
mediator: one mediator's own cases (their key names the mediator), on the /mediator page:
read them with the parties' contacts, and take them through the lifecycle or hand them back.
grid_worker: a grid worker (网格员) on patrol, their key kept to the grid (or village) they
walk: the /field page, reports of cases there (with photos), patrol check-ins, and the
cases of their grid.
intake: another system that files cases (the 12345 hotline platform, a portal, a
mini-program) through Open311 GeoReport v2, and nothing else; the Open311 reads are public.

A dispatcher or viewer key may name an area (a district's, town's or village's centre):
it reaches the incidents of that area only (lists, cards, steps, the event stream), and
the incidents tile layer not at all; aggregates (dashboard, reports, heat) stay the city's.
"""
from __future__ import annotations

import re
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    PLANNER = "planner"
    DISPATCHER = "dispatcher"
    CAMERA_ADMIN = "camera_admin"
    VIEWER = "viewer"
    EMBED = "embed"
    MEDIATOR = "mediator"
    INTAKE = "intake"
    GRID_WORKER = "grid_worker"


READERS = {Role.ADMIN, Role.PLANNER, Role.DISPATCHER, Role.CAMERA_ADMIN, Role.VIEWER}
SEES_PERSONAL_DATA = {Role.ADMIN, Role.DISPATCHER, Role.MEDIATOR}   # a mediator: of their own cases only
AREA_ROLES = frozenset({Role.DISPATCHER, Role.VIEWER, Role.GRID_WORKER})   # the roles whose keys may be kept to an area
AREA_LEVELS = ("district", "town", "village")             # the areas they may be kept to
GRID_WORKER_LEVELS = ("village", "grid")                  # a grid worker walks a grid (or a village's grids)
# Open without credentials: health, the API documents, the pages' own scripts and styles and
# the map fonts (glyphs) that MapLibre styles name.
# The field page's manifest and service worker too: a browser asks for them without credentials.
PUBLIC = re.compile(r"^/(health|openapi\.json|docs|docs/oauth2-redirect|redoc|field/sw\.js|field/manifest\.webmanifest)$"
                    r"|^/(vendor|static|fonts)/")
# Open to anonymous reads (GET and HEAD): Open311's services and requests, which carry no personal data.
PUBLIC_READS = re.compile(r"^/open311/")
OPEN311_REQUESTS = re.compile(r"^/open311/v2/requests\.(json|xml)$")   # POST: file a case
# Pages a person opens with ?key= once: the key becomes a session cookie and leaves the URL.
SESSION_PAGES = re.compile(r"^/(map|planner|dispatch|mediator|field)/?$")

# What a public page may show: boundaries and aggregates. Individual incidents, mediators
# and camera geometry are PRIVATE_LAYERS: an embed key serves them only when it names them
# and the request comes from one of its portals. Every tile layer is in one set (a test checks).
AREA_LAYERS = frozenset({"districts", "towns", "villages", "grids"})
PUBLIC_LAYERS = AREA_LAYERS | {"labels", "incident_heat", "households", "camera_coverage"}
PRIVATE_LAYERS = frozenset({"incidents", "mediators", "cameras", "camera_fov"})
AREA_KEY_LAYERS = PUBLIC_LAYERS | PRIVATE_LAYERS - {"incidents"}   # the city's cases one by one: not an area key's
EMBED_PAGES = ("overview", "area", "heat")


def label_levels(layers: frozenset[str] | None) -> str | None:
    """The levels whose names a caller limited to ``layers`` may read in the labels layer, as
    the labels layer's ``levels`` filter ("district,village"); None: every level."""
    return None if layers is None else ",".join(sorted(name[:-1] for name in layers & AREA_LAYERS))


def with_labels(layers: frozenset[str]) -> frozenset[str]:
    """``layers`` and, if they hold an area layer, ``labels``: the names it writes are the area
    layers' own ``name``, so a key for areas may draw them (only theirs: ``label_levels``)."""
    return layers | {"labels"} if layers & AREA_LAYERS else layers
# An embedded page draws tiles, looks up its area's outline, searches, and labels the areas in its view.
EMBEDDABLE = re.compile(r"^/(tiles|styles|embed)/|^/areas/(\d+|labels)$|^/search$")
# A mediator's page, their cases (the routes keep them to their own) and the outline of a case's village.
MEDIATOR_READS = re.compile(r"^/mediator/?$|^/incidents(/\d+)?$|^/incidents/\d+/attachments(/\d+)?$|^/areas/\d+$")
MEDIATOR_WRITES = re.compile(r"^/incidents/\d+/(transitions|decline|attachments)$")
# A grid worker's page (its script, manifest and service worker), their grid's cases and outline, their check-ins.
GRID_WORKER_READS = re.compile(r"^/field/?$|^/incidents(/\d+)?$|^/incidents/\d+/attachments(/\d+)?$|^/areas/\d+$"
                               r"|^/patrols$")
GRID_WORKER_WRITES = re.compile(r"^/incidents$|^/incidents/\d+/attachments$|^/patrols$")
READS_BY_POST = re.compile(r"^/locate$")   # a batch of points to locate changes nothing
# Reads kept to some roles, first match wins: the audit log; another person's mediator page
# (a mediator key opens its own, above).
KEPT_READS = [
    (re.compile(r"^/(audit|webhooks)"), {Role.ADMIN}),
    (re.compile(r"^/mediator/?$"), {Role.ADMIN, Role.DISPATCHER}),
]
# Writes (any method but GET and HEAD), first match wins.
WRITERS = [
    (re.compile(r"^/(plans|generations)(/|$)"), {Role.ADMIN, Role.PLANNER}),
    (re.compile(r"^/(incidents|mediators|patrols)(/|$)"), {Role.ADMIN, Role.DISPATCHER}),
    (re.compile(r"^/cameras(/|$)"), {Role.ADMIN, Role.CAMERA_ADMIN}),
    (OPEN311_REQUESTS, {Role.ADMIN, Role.DISPATCHER}),   # and INTAKE, above
]


def is_public(method: str, path: str) -> bool:
    """Whether the request needs no credentials (PUBLIC for every method, PUBLIC_READS for reads)."""
    return bool(PUBLIC.match(path)) or (method in ("GET", "HEAD") and bool(PUBLIC_READS.match(path)))


def may(role: Role, method: str, path: str) -> bool:
    """Whether ``role`` may make this request."""
    reading = method in ("GET", "HEAD") or (method == "POST" and READS_BY_POST.match(path))
    if role is Role.EMBED:
        return method in ("GET", "HEAD") and bool(EMBEDDABLE.match(path))
    if role is Role.MEDIATOR:
        return bool((MEDIATOR_READS if reading else MEDIATOR_WRITES).match(path))
    if role is Role.GRID_WORKER:
        return bool((GRID_WORKER_READS if reading else GRID_WORKER_WRITES).match(path))
    if role is Role.INTAKE:
        return bool((PUBLIC_READS if reading else OPEN311_REQUESTS).match(path))
    if reading:
        return next((role in roles for pattern, roles in KEPT_READS if pattern.match(path)), role in READERS)
    for pattern, roles in WRITERS:
        if pattern.match(path):
            return role in roles
    return role is Role.ADMIN
