"""A case's photos and scanned documents: added by those who work the case, read by those
who may see it; a photo's metadata (its GPS position) only for those who see personal data."""
from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Path, Request, Response, UploadFile
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from api.dependencies import Transaction, get_actor, get_session
from api.params import known_query
from api.problems import answers
from api.security import Reached, sees_personal_data
from geo.incidents import attachments, service
from geo.text import PlainText

router = APIRouter(prefix="/incidents", tags=["incidents"])
IncidentId = Annotated[int, Path(ge=1, le=2**62)]


class AttachmentRead(BaseModel):
    id: int
    incident_id: int
    filename: str = Field(description="as it was sent (a download is named by the case and the file's type)")
    media_type: str = Field(description="image/jpeg, image/png or application/pdf: what the content is")
    size: int = Field(description="bytes, as sent")
    sha256: str = Field(description="of the file as sent")
    description: str | None
    created_by: str
    created_at: datetime


class AttachmentList(BaseModel):
    items: list[AttachmentRead]


@router.post("/{incident_id}/attachments", status_code=201, response_model=AttachmentRead, responses=answers(404))
def add_attachment(incident_id: IncidentId, session: Transaction, actor: Annotated[str, Depends(get_actor)],
                   file: Annotated[UploadFile, File(description="a JPEG or PNG photo or a PDF, at most 10 MiB")],
                   description: Annotated[PlainText | None, Form(max_length=500)] = None,
                   reached: Reached = service.EVERY_INCIDENT) -> dict:
    """Keep a photo or a scanned document with the case (at most 20 a case)."""
    service.get(session, incident_id, with_events=False, reach=reached)   # another's case: 404
    content = file.file.read(attachments.ATTACHMENT_BYTES + 1)   # one byte more: a file over the limit is refused
    return attachments.add(session, incident_id, content=content, filename=file.filename or "",
                           declared=file.content_type, description=description, actor=actor)


@router.get("/{incident_id}/attachments", response_model=AttachmentList, dependencies=[Depends(known_query)],
            responses=answers(404))
def list_attachments(incident_id: IncidentId, session: Annotated[Session, Depends(get_session)],
                     reached: Reached = service.EVERY_INCIDENT) -> dict:
    service.get(session, incident_id, with_events=False, reach=reached)
    return {"items": attachments.listed(session, incident_id)}


@router.get("/{incident_id}/attachments/{attachment_id}", response_class=Response, dependencies=[Depends(known_query)],
            responses={200: {"content": {m: {"schema": {"type": "string", "format": "binary"}}
                                         for m in attachments.MEDIA_TYPES},
                             "description": "the file; without its metadata for roles that do not see personal data"},
                       **answers(404)})
def get_attachment(request: Request, incident_id: IncidentId, attachment_id: Annotated[int, Path(ge=1, le=2**62)],
                   session: Annotated[Session, Depends(get_session)], reached: Reached = service.EVERY_INCIDENT) -> Response:
    service.get(session, incident_id, with_events=False, reach=reached)
    row, data = attachments.content(session, incident_id, attachment_id, with_metadata=sees_personal_data(request))
    ascii_name = f"case-{incident_id}-file-{attachment_id}{attachments.EXTENSIONS[row['media_type']]}"
    return Response(data, media_type=row["media_type"], headers={
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''"
                               f"{quote(attachments.download_name(row), safe='')}",
        "Cache-Control": "private, no-store"})
