"""OGC API - Features, Part 1 (Core, GeoJSON, OpenAPI 3.0): read-only, for GDAL/QGIS and other clients."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy.orm import Session

from api.dependencies import get_read_session
from api.links import here, public
from api.params import Offset, parse_bbox
from api.responses import GeoJSONResponse
from api.schemas.ogc import Collection, Collections, Conformance, FeatureCollection, LandingPage, LinkedFeature
from geo import ogc
from geo.crs import Datum

router = APIRouter(tags=["OGC API - Features"])
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
]
GEOJSON = GeoJSONResponse.media_type


def _link(href: str, rel: str, kind: str = "application/json") -> dict:
    return {"href": href, "rel": rel, "type": kind}


@router.get("/", response_model=LandingPage)
def landing() -> dict:
    """The landing page: this service as an OGC API, and where its parts are."""
    base = public("/")
    return {"title": "Haikou grid management",
            "description": "Areas, H3 cells, mediation and cameras of Haikou (海口市) on PostGIS; "
                           "OGC API - Features for areas, cameras and mediators (no personal data).",
            "links": [_link(base, "self"), _link(f"{base}openapi.json", "service-desc",
                                                         "application/vnd.oai.openapi+json;version=3.0"),
                      _link(f"{base}docs", "service-doc", "text/html"),
                      _link(f"{base}conformance", "conformance"), _link(f"{base}collections", "data")]}


@router.get("/conformance", response_model=Conformance)
def conformance() -> dict:
    return {"conformsTo": CONFORMANCE}


def _describe(session: Session, collection: ogc.Collection, base: str) -> dict:
    return {"id": collection.id, "title": collection.title, "itemType": "feature",
            "crs": ["http://www.opengis.net/def/crs/OGC/1.3/CRS84"],
            "extent": {"spatial": {"bbox": [ogc.extent(session, collection)],
                                   "crs": "http://www.opengis.net/def/crs/OGC/1.3/CRS84"}},
            "links": [_link(f"{base}collections/{collection.id}", "self"),
                      _link(f"{base}collections/{collection.id}/items", "items", GEOJSON)]}


@router.get("/collections", response_model=Collections)
def collections(session: Annotated[Session, Depends(get_read_session)]) -> dict:
    base = public("/")
    return {"links": [_link(f"{base}collections", "self")],
            "collections": [_describe(session, c, base) for c in ogc.COLLECTIONS.values()]}


@router.get("/collections/{collectionId}", response_model=Collection)
def collection(session: Annotated[Session, Depends(get_read_session)], collectionId: str) -> dict:
    return _describe(session, ogc.get_collection(collectionId), public("/"))


@router.get("/collections/{collectionId}/items", response_model=FeatureCollection, response_class=GeoJSONResponse)
def collection_items(request: Request, session: Annotated[Session, Depends(get_read_session)], collectionId: str,
                     bbox: Annotated[str | None, Query(description="west,south,east,north")] = None,
                     limit: Annotated[int, Query(ge=1, le=10000)] = 100,
                     offset: Offset = 0,
                     properties: Annotated[str | None, Query(description="comma list of properties to return")] = None,
                     crs: Datum = Datum.WGS84) -> GeoJSONResponse:
    chosen = ogc.get_collection(collectionId)
    total, found = ogc.items(session, chosen, bbox=parse_bbox(bbox, crs), limit=limit, offset=offset,
                                  properties=[p for p in properties.split(",") if p] if properties is not None else None,
                                  datum=crs)
    links = [_link(here(request), "self", GEOJSON)]
    if offset + limit < total:
        links.append(_link(here(request, offset=offset + limit), "next", GEOJSON))
    if offset:
        links.append(_link(here(request, offset=max(0, offset - limit)), "prev", GEOJSON))
    return GeoJSONResponse({"type": "FeatureCollection", "features": found, "numberMatched": total,
                            "numberReturned": len(found),
                            "timeStamp": datetime.now(timezone.utc).isoformat(timespec="seconds"), "links": links})


@router.get("/collections/{collectionId}/items/{featureId}", response_model=LinkedFeature,
            response_class=GeoJSONResponse)
def collection_item(request: Request, session: Annotated[Session, Depends(get_read_session)], collectionId: str,
                    featureId: str, crs: Datum = Datum.WGS84) -> GeoJSONResponse:
    chosen = ogc.get_collection(collectionId)
    feature = ogc.item(session, chosen, featureId, crs)
    feature["links"] = [_link(here(request), "self", GEOJSON), _link(public(f"/collections/{collectionId}"), "collection")]
    return GeoJSONResponse(feature)
