"""The photo service: type by content, size before decoding, upright, resized, stripped, stored."""

from __future__ import annotations

import io

import pillow_heif
import pytest
from PIL import Image

from frontdesk.services import DomainError, photos


def encoded(image: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format=fmt, **kw)
    return buf.getvalue()


def with_gps_and_orientation(size=(3000, 2000), orientation=6) -> bytes:
    """A JPEG as a phone held upright writes it: stored sideways, EXIF says turn it."""
    image = Image.new("RGB", size, (250, 0, 0))
    image.paste((0, 0, 250), (0, 0, size[0] // 2, size[1]))  # left half blue
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (31.0, 14.0, 0.0)}  # a GPS position
    return encoded(image, "JPEG", exif=exif.tobytes())


def test_a_phone_jpeg_is_turned_upright_resized_and_stripped():
    ready = photos.prepare(with_gps_and_orientation(), "IMG_1.JPG")
    assert (ready.width, ready.height) == (1067, 1600)  # turned: 2000 × 3000 → long side 1600
    with Image.open(io.BytesIO(ready.data)) as image:
        assert image.format == "JPEG" and image.size == (1067, 1600)
        assert dict(image.getexif()) == {}
        assert "exif" not in image.info and "icc_profile" not in image.info
        # turned 90° clockwise: the blue left half is now on top
        assert image.getpixel((500, 100))[2] > 200 and image.getpixel((500, 1500))[0] > 200


def test_a_small_png_with_transparency_becomes_a_white_backed_jpeg():
    image = Image.new("RGBA", (300, 200), (0, 0, 0, 0))
    ready = photos.prepare(encoded(image, "PNG"), "screenshot.png")
    with Image.open(io.BytesIO(ready.data)) as stored:
        assert stored.format == "JPEG" and stored.size == (300, 200)
        assert min(stored.getpixel((10, 10))) > 240


def test_heic_from_a_phone_is_accepted():
    buf = io.BytesIO()
    pillow_heif.from_pillow(Image.new("RGB", (2000, 4000), (20, 160, 20))).save(buf, quality=60)
    ready = photos.prepare(buf.getvalue(), "IMG_2.HEIC")
    assert (ready.width, ready.height) == (800, 1600)
    assert ready.data[:2] == b"\xff\xd8"


@pytest.mark.parametrize("data", [
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 4000,  # an .exe
    "维修记录：厨房漏水".encode() * 100,
    b"%PDF-1.7\n" + b"0" * 1000,
    b"GIF89a" + b"\x00" * 100,
])
def test_anything_but_a_jpeg_png_or_heic_is_refused(data):
    with pytest.raises(DomainError) as refused:
        photos.prepare(data, "photo.jpg")
    assert refused.value.field == "photos"
    assert "photo.jpg" in str(refused.value)


def test_a_gif_is_refused_even_though_pillow_reads_it():
    with pytest.raises(DomainError):
        photos.prepare(encoded(Image.new("RGB", (10, 10)), "GIF"), "a.gif")


def test_a_file_over_the_limit_is_refused_before_it_is_decoded():
    big = with_gps_and_orientation(size=(400, 300))
    with pytest.raises(DomainError) as refused:
        photos.prepare(big, "big.jpg", max_bytes=len(big) - 1)
    assert "MB" in str(refused.value)
    stream = io.BytesIO(b"\xff" * 10_000)
    with pytest.raises(DomainError):
        photos.read_limited(stream, "big.jpg", 5_000)
    assert stream.tell() == 5_001  # read no further than the limit


def test_a_decompression_bomb_is_refused():
    bomb = encoded(Image.new("1", (10_000, 7_000)), "PNG")  # 70 megapixels in a few kB
    assert len(bomb) < 200_000
    with pytest.raises(DomainError) as refused:
        photos.prepare(bomb, "bomb.png")
    assert "bomb.png" in str(refused.value)


def test_a_truncated_photo_is_refused():
    whole = with_gps_and_orientation(size=(800, 600), orientation=1)
    with pytest.raises(DomainError):
        photos.prepare(whole[: len(whole) // 2], "cut.jpg")


def test_empty_is_refused():
    with pytest.raises(DomainError):
        photos.prepare(b"", "empty.jpg")


def test_stored_under_the_estate_with_a_random_name_and_discarded(tmp_path):
    ready = photos.prepare(with_gps_and_orientation(size=(200, 100)), "../../etc/passwd.jpg")
    first = photos.store(tmp_path, 7, ready)
    second = photos.store(tmp_path, 7, ready)
    assert first.stored_name != second.stored_name
    assert photos.STORED_NAME.fullmatch(first.stored_name)
    assert first.original_name == "passwd.jpg"
    path = photos.path_of(tmp_path, 7, first.stored_name)
    assert path.parent == tmp_path / "7" and path.read_bytes() == ready.data
    assert photos.path_of(tmp_path, 7, "../x.jpg") is None
    assert [p.name for p in (tmp_path / "7").iterdir() if p.name.startswith(".")] == []
    photos.discard(tmp_path, 7, [first.stored_name, "gone.jpg"])
    assert not path.exists() and photos.path_of(tmp_path, 7, second.stored_name).exists()


def test_the_folder_is_the_instance_s_unless_configured(tmp_path):
    assert photos.folder(None, str(tmp_path)) == tmp_path / "uploads"
    assert photos.folder(str(tmp_path / "shared"), "/x") == tmp_path / "shared"
