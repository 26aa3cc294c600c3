"""A case's photos and documents: recognised by content, bounded, kept with their checksum,
served to whoever may see the case, and a photo's GPS position only to those who see
personal data."""
import hashlib
import io

import pytest
from PIL import Image

from conftest import removing_new_incidents
from geo.incidents.attachments import ATTACHMENT_BYTES

CASE = {"category": "neighbourhood", "severity": "minor", "description": "围墙倒塌压坏邻居菜地",
        "occurred_at": "2026-11-20T09:30:00+08:00", "lon": 110.33, "lat": 20.03}
GPS_IFD = 0x8825


def photo(fmt: str = "JPEG", with_gps: bool = True) -> bytes:
    """A small photo as a phone takes it: EXIF with the place it was taken."""
    image = Image.new("RGB", (64, 48), (180, 120, 60))
    exif = Image.Exif()
    if with_gps:
        exif[0x010F] = "PhoneMaker"   # Make
        exif.get_ifd(GPS_IFD).update({1: "N", 2: (20.0, 1.0, 48.0), 3: "E", 4: (110.0, 19.0, 48.0)})
    out = io.BytesIO()
    image.save(out, fmt, exif=exif)
    return out.getvalue()


def has_gps(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif().get_ifd(GPS_IFD))


PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


@pytest.fixture
def case(client, engine):
    with removing_new_incidents(engine):
        yield client.post("/incidents", json=CASE, params={"dispatch": False}).json()["id"]


def upload(client, case, name, data, media_type, **headers):
    return client.post(f"/incidents/{case}/attachments", files={"file": (name, data, media_type)},
                       data={"description": "现场照片"}, headers=headers)


def test_a_photo_is_kept_whole_for_dispatchers_and_without_its_position_for_viewers(client, case, api_keys):
    taken = photo()
    assert has_gps(taken)
    added = upload(client, case, "现场 1.jpg", taken, "image/jpeg")
    assert added.status_code == 201, added.json()
    info = added.json()
    assert (info["media_type"], info["size"], info["sha256"]) == ("image/jpeg", len(taken), hashlib.sha256(taken).hexdigest())
    url = f"/incidents/{case}/attachments/{info['id']}"
    whole = client.get(url, headers={"X-API-Key": api_keys["dispatcher"]})
    assert whole.status_code == 200 and whole.content == taken and whole.headers["content-type"] == "image/jpeg"
    assert "attachment" in whole.headers["content-disposition"] and "private" in whole.headers["cache-control"]
    seen = client.get(url, headers={"X-API-Key": api_keys["viewer"]})
    assert seen.status_code == 200 and not has_gps(seen.content) and b"Exif" not in seen.content
    with Image.open(io.BytesIO(seen.content)) as image:   # the same picture
        assert image.size == (64, 48)
        assert max(abs(a - b) for a, b in zip(image.getpixel((10, 10)), Image.open(io.BytesIO(taken)).getpixel((10, 10)))) < 8
    turned = Image.new("RGB", (64, 48))   # a phone held upright: the pixels lie on their side, EXIF says so
    exif = Image.Exif()
    exif[0x0112] = 6   # Orientation: rotate 90° clockwise to show
    out = io.BytesIO()
    turned.save(out, "JPEG", exif=exif)
    sideways = upload(client, case, "upright.jpg", out.getvalue(), "image/jpeg").json()
    shown = client.get(f"/incidents/{case}/attachments/{sideways['id']}", headers={"X-API-Key": api_keys["viewer"]})
    assert Image.open(io.BytesIO(shown.content)).size == (48, 64), "the copy without metadata stands as the photo did"
    padded = taken[:2] + b"\xff" + taken[2:]   # a fill byte before the metadata (legal JPEG) and a second image after
    added = upload(client, case, "padded.jpg", padded + taken, "image/jpeg").json()
    copy = client.get(f"/incidents/{case}/attachments/{added['id']}", headers={"X-API-Key": api_keys["viewer"]}).content
    assert b"PhoneMaker" not in copy and b"Exif" not in copy
    png = photo("PNG")
    assert upload(client, case, "scan.png", png, "image/png").status_code == 201
    assert upload(client, case, "调解申请书.pdf", PDF, "application/pdf").status_code == 201
    listed = client.get(f"/incidents/{case}/attachments").json()["items"]
    assert [a["media_type"] for a in listed] == ["image/jpeg", "image/jpeg", "image/jpeg", "image/png", "application/pdf"]
    png_id = listed[3]["id"]
    assert not has_gps(client.get(f"/incidents/{case}/attachments/{png_id}", headers={"X-API-Key": api_keys["viewer"]}).content)


@pytest.mark.parametrize("name,data,media_type,status", [
    ("photo.jpg", photo("PNG"), "image/jpeg", 422),                  # a PNG sent as a JPEG
    ("report.pdf", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf", 422),   # a program named .pdf
    ("photo.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100, "image/jpeg", 422),    # a JPEG's first bytes, then nothing
    ("cut.pdf", b"%PDF-1.4\n" + b"x" * 100, "application/pdf", 422),     # a PDF cut short
    ("page.html", b"<html><script>alert(1)</script></html>", "text/html", 422),
    ("big.pdf", b"%PDF-1.4\n" + b"x" * ATTACHMENT_BYTES + b"\n%%EOF", "application/pdf", 413),
])
def test_a_file_that_is_not_what_we_take_is_refused_and_nothing_kept(client, case, name, data, media_type, status):
    refused = upload(client, case, name, data, media_type)
    assert refused.status_code == status and refused.json()["field"] == "file", refused.json()
    assert client.get(f"/incidents/{case}/attachments").json()["items"] == []


def test_a_case_holds_at_most_twenty_files(client, case):
    small = photo(with_gps=False)
    for _ in range(20):
        assert upload(client, case, "p.jpg", small, "image/jpeg").status_code == 201
    refused = upload(client, case, "p.jpg", small, "image/jpeg")
    assert refused.status_code == 422 and refused.json()["field"] == "file"


def test_only_who_may_see_the_case_reaches_its_files(client, anonymous, case, api_keys, mediator_id):
    added = upload(client, case, "p.jpg", photo(), "image/jpeg").json()
    url = f"/incidents/{case}/attachments/{added['id']}"
    assert anonymous.get(url).status_code == 401
    for role in ("embed", "intake", "mediator"):   # the mediator key's mediator does not have this case
        assert client.get(url, headers={"X-API-Key": api_keys[role]}).status_code in (403, 404), role
    assert client.post(f"/incidents/{case}/attachments", files={"file": ("p.jpg", photo(), "image/jpeg")},
                       headers={"X-API-Key": api_keys["viewer"]}).status_code == 403
    assert client.get(f"/incidents/{case}/attachments/999999").status_code == 404
    assert client.get("/incidents/999999999/attachments").status_code == 404
