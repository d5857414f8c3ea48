"""Photos taken on phones and at the desk: checked by content, turned upright, resized, stored.

What every area that takes photos shares (work orders, move-in inspections …). A photo is read
with a size limit before anything decodes it (config ``PHOTO_MAX_BYTES``, 5 MB by default);
Pillow must recognise it as JPEG, PNG or HEIC/HEIF (the file's name and the browser's type are
not believed), and an image of more than :data:`MAX_PIXELS` is refused before it is decoded
(a decompression bomb). It is then turned as its EXIF orientation says, reduced to at most
:data:`MAX_SIDE` pixels on its long side and saved as a JPEG without any metadata (no GPS
position, no camera serial) under a random name, in a sub-folder per estate of the uploads
folder (config ``UPLOAD_FOLDER``, by default ``<instance>/uploads``).

The two halves are apart so that a caller checks every photo of a request (:func:`prepare`)
before it writes any (:func:`store`), and removes what it wrote (:func:`discard`) when its
transaction fails.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pillow_heif
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, UnidentifiedImageError

from frontdesk.services import DomainError

pillow_heif.register_heif_opener()

#: the largest photo accepted by default, in bytes (config PHOTO_MAX_BYTES)
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
#: the formats accepted, as Pillow names them
FORMATS = ("JPEG", "PNG", "HEIF")
#: the long side of a stored photo, in pixels
MAX_SIDE = 1600
#: the most pixels a photo may have (a 50-megapixel phone camera); more is refused undecoded
MAX_PIXELS = 60_000_000
JPEG_QUALITY = 85
#: names given to stored photos: 32 hex digits and .jpg
STORED_NAME = re.compile(r"[0-9a-f]{32}\.jpg")


@dataclass(frozen=True)
class Prepared:
    """A photo checked and made ready to store: the JPEG's bytes and its size in pixels."""

    original_name: str
    data: bytes
    width: int
    height: int


@dataclass(frozen=True)
class Stored:
    """A photo written to the uploads folder."""

    stored_name: str
    original_name: str
    width: int
    height: int
    size: int


def folder(configured: str | None, instance_path: str) -> Path:
    """Return the uploads folder: the configured one, or the instance's ``uploads``."""
    return Path(configured) if configured else Path(instance_path) / "uploads"


def clean_filename(filename: str | None) -> str:
    """Return the client's file name without its folders, shortened, for display only."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:200] or "photo"


def mb(max_bytes: int) -> str:
    """Show a byte limit in MB, as the messages say it."""
    return f"{max_bytes / (1024 * 1024):g}"


def read_limited(stream: BinaryIO, filename: str | None, max_bytes: int) -> bytes:
    """Read an uploaded file, refusing it as soon as it is larger than ``max_bytes``."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _too_large(clean_filename(filename), max_bytes)
    return data


def _too_large(name: str, max_bytes: int) -> DomainError:
    return DomainError(_l("%(name)s is larger than %(mb)s MB: take the photo at a lower "
                          "resolution or choose another.", name=name, mb=mb(max_bytes)),
                       "photos")


def prepare(data: bytes, filename: str | None, max_bytes: int = DEFAULT_MAX_BYTES) -> Prepared:
    """Check a photo by its content and return it upright, resized, as a JPEG without metadata.

    Refuse (DomainError on the field ``photos``) an empty or too large file, anything Pillow
    does not read as JPEG, PNG or HEIC, an image of too many pixels and a damaged one.
    """
    name = clean_filename(filename)
    if len(data) > max_bytes:
        raise _too_large(name, max_bytes)
    if not data:
        raise DomainError(_l("%(name)s is empty.", name=name), "photos")
    with warnings.catch_warnings():
        # Pillow warns of, then refuses, huge images; both are refused here, with a message
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=FORMATS)
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise DomainError(_l("%(name)s has too many pixels to be read.", name=name),
                              "photos") from None
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
            raise DomainError(_l("%(name)s is not a photo: only JPEG, PNG and HEIC pictures "
                                 "can be added.", name=name), "photos") from None
        try:
            with image:
                width, height = image.size
                if width < 1 or height < 1 or width * height > MAX_PIXELS:
                    raise DomainError(_l("%(name)s has too many pixels to be read.", name=name),
                                      "photos")
                if image.format == "JPEG":  # decode at a reduced scale when it is much larger
                    image.draft("RGB", (MAX_SIDE, MAX_SIDE))
                upright = ImageOps.exif_transpose(image)
                rgb = _flatten(upright)
                rgb.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
                out = io.BytesIO()
                # a new image carries no EXIF, ICC or XMP: nothing is passed to save
                Image.frombytes("RGB", rgb.size, rgb.tobytes()).save(
                    out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
        except DomainError:
            raise
        except (Image.DecompressionBombWarning, Image.DecompressionBombError):
            raise DomainError(_l("%(name)s has too many pixels to be read.", name=name),
                              "photos") from None
        except (OSError, ValueError, SyntaxError, EOFError, MemoryError):
            raise DomainError(_l("%(name)s could not be read: the picture may be damaged.",
                                 name=name), "photos") from None
    return Prepared(original_name=name, data=out.getvalue(), width=rgb.width, height=rgb.height)


def _flatten(image: Image.Image) -> Image.Image:
    """Return the image in RGB, a transparent background made white."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def store(root: Path, estate_id: int, photo: Prepared) -> Stored:
    """Write a prepared photo under the estate's sub-folder with a new random name."""
    target = root / str(int(estate_id))
    target.mkdir(parents=True, exist_ok=True)
    stored_name = f"{secrets.token_hex(16)}.jpg"
    path = target / stored_name
    partial = target / f".{stored_name}.part"
    with open(partial, "xb") as f:
        f.write(photo.data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, path)
    return Stored(stored_name=stored_name, original_name=photo.original_name,
                  width=photo.width, height=photo.height, size=len(photo.data))


def path_of(root: Path, estate_id: int, stored_name: str) -> Path | None:
    """Return where a stored photo is, or None for a name this module never gives."""
    if not STORED_NAME.fullmatch(stored_name or ""):
        return None
    return root / str(int(estate_id)) / stored_name


def discard(root: Path, estate_id: int, stored_names: list[str]) -> None:
    """Remove stored photos (those of a transaction that failed); missing ones are no error."""
    for name in stored_names:
        path = path_of(root, estate_id, name)
        if path is not None:
            path.unlink(missing_ok=True)
