"""Rep photos for the star board, the meeting slide and the deck (issue 18).

A manager uploads one picture per rep, or a zip of pictures named by rep id or rep name. Every
upload is untrusted: only PNG, JPEG and WebP are opened (Pillow restricted to those three
decoders), a file may hold at most :data:`MAX_BYTES` and :data:`MAX_PIXELS` (checked from the
header before a pixel is decoded: no decompression bomb), a zip at most :data:`MAX_FILES`
pictures whose sizes are checked from the zip's headers before anything is read and again while
reading (headers can lie). Each picture is re-encoded (EXIF orientation applied, centre-cropped
to a square, :data:`SIZE` x :data:`SIZE`, PNG when it has transparency, else JPEG), which drops
every metadata block. A bad file raises :class:`PhotoError` naming it, and nothing is stored: a
zip is all or nothing.

Public API used by the other screens: :func:`photo` (the stored picture or None) and
:func:`avatar_png` (the photo, or the rep's initials in a coloured circle, as PNG bytes).
"""
from __future__ import annotations

import hashlib
import io
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import PurePosixPath
from typing import Any

import duckdb
import pandas as pd

from salescore import audit, db, sql
from salescore.errors import SalesCoreError

SIZE = 256                      # stored pictures are SIZE x SIZE
MAX_BYTES = 2 << 20             # 2 MiB per picture, uploaded alone or inside a zip
MAX_PIXELS = 40_000_000         # width x height of a picture (a 40-megapixel camera)
MAX_FILES = 200                 # pictures per zip
MAX_MEMBERS = 1_000             # entries of any kind per zip (folders and system files too)
MAX_ZIP_BYTES = 100 << 20       # the zip file itself
FORMATS = ("PNG", "JPEG", "WEBP")
EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")
_CHUNK = 1 << 16

# White text reads on every one of these (contrast >= 4.5:1): a rep keeps one colour everywhere.
PALETTE = ("#1F5F99", "#2E7D32", "#B23A48", "#6A4C93", "#8A5A00", "#00707A", "#5D6B78", "#A0368A")


class PhotoError(SalesCoreError):
    """A picture or zip that cannot be used; ``file`` names it. Nothing was stored."""

    key = "photos.error.invalid"


def _refuse(reason: str, message: str, **params: Any) -> PhotoError:
    return PhotoError(f"{message} No photo was changed.", key=f"photos.error.{reason}", **params)


# --- reading pictures ------------------------------------------------------------------------

def prepare(data: bytes, file_name: str) -> tuple[bytes, str]:
    """Check one uploaded picture and re-encode it: (image bytes, mime). Raises PhotoError."""
    from PIL import Image, ImageOps

    if len(data) > MAX_BYTES:
        raise _refuse("too_big", f"{file_name} is larger than {MAX_BYTES >> 20} MB.",
                      file=file_name, mb=MAX_BYTES >> 20)
    if not data:
        raise _refuse("not_image", f"{file_name} is not a PNG, JPEG or WebP picture.", file=file_name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as img:
                width, height = img.size    # from the header: nothing decoded yet
                if width < 1 or height < 1 or width * height > MAX_PIXELS:
                    raise _refuse("too_many_pixels",
                                  f"{file_name} has {width} x {height} pixels, more than a photo needs.",
                                  file=file_name, width=width, height=height)
                img.seek(0)                 # an animated picture: its first frame
                img.load()
                picture = ImageOps.exif_transpose(img)
                alpha = picture.mode in ("RGBA", "LA", "PA") or (
                    picture.mode == "P" and "transparency" in picture.info)
                picture = picture.convert("RGBA" if alpha else "RGB")
    except PhotoError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse("too_many_pixels", f"{file_name} has more pixels than a photo needs.",
                      file=file_name, width="?", height="?") from None
    except Exception:   # Pillow raises many kinds on a damaged or foreign file
        raise _refuse("not_image", f"{file_name} is not a PNG, JPEG or WebP picture.",
                      file=file_name) from None
    square = ImageOps.fit(picture, (SIZE, SIZE), method=Image.Resampling.LANCZOS)
    out = io.BytesIO()
    if alpha:
        square.save(out, format="PNG", optimize=True)
        return out.getvalue(), "image/png"
    square.save(out, format="JPEG", quality=88, optimize=True)
    return out.getvalue(), "image/jpeg"


# --- storing ---------------------------------------------------------------------------------

def _rep_name(con: Any, rep_id: str) -> str | None:
    rows = sql.rows(con, "select name from reps where rep_id = $r", {"r": rep_id})
    return rows[0][0] if rows else None


def store(con: duckdb.DuckDBPyConnection, rep_id: str, data: bytes, file_name: str,
          user: str | None = None) -> None:
    """Check, re-encode and store ``data`` as ``rep_id``'s photo (replacing any earlier one)."""
    if _rep_name(con, rep_id) is None:
        raise _refuse("unknown_rep", f"There is no sales rep {rep_id}.", file=file_name, reps=rep_id)
    image, mime = prepare(data, file_name)
    _save(con, {rep_id: (image, mime)}, "photo_upload", {"rep_id": rep_id, "file": file_name}, user)


def _save(con: duckdb.DuckDBPyConnection, pictures: dict[str, tuple[bytes, str]], action: str,
          detail: dict[str, Any], user: str | None) -> None:
    with db.transaction(con) as cur:
        for rep_id, (image, mime) in pictures.items():
            cur.execute("insert into rep_photos (rep_id, image, mime, updated_at) "
                        "values ($r, $i, $m, current_timestamp) on conflict (rep_id) do update "
                        "set image = excluded.image, mime = excluded.mime, "
                        "updated_at = excluded.updated_at",
                        {"r": rep_id, "i": image, "m": mime})
        audit.record(cur, action, detail, user=user)


def delete(con: duckdb.DuckDBPyConnection, rep_id: str, user: str | None = None) -> bool:
    """Remove ``rep_id``'s photo; False when there was none."""
    with db.transaction(con) as cur:
        found = cur.execute("delete from rep_photos where rep_id = $r returning rep_id",
                            {"r": rep_id}).fetchall()
        if found:
            audit.record(cur, "photo_delete", {"rep_id": rep_id}, user=user)
    return bool(found)


def photo(con: Any, rep_id: str) -> bytes | None:
    """``rep_id``'s stored photo (PNG or JPEG bytes, SIZE x SIZE), or None."""
    rows = sql.rows(con, "select image from rep_photos where rep_id = $r", {"r": rep_id})
    return bytes(rows[0][0]) if rows else None


def photos(con: Any, rep_ids: list[str] | tuple[str, ...]) -> dict[str, bytes]:
    """The stored photos of ``rep_ids`` (one query), by rep_id; reps without one are absent."""
    ids = [str(r) for r in rep_ids]
    if not ids:
        return {}
    rows = sql.rows(con, "select rep_id, image from rep_photos where list_contains($ids, rep_id)",
                    {"ids": ids})
    return {r: bytes(img) for r, img in rows}


def listing(con: Any) -> pd.DataFrame:
    """Every rep with whether they have a photo: rep_id, name, team, has_photo, updated_at."""
    return sql.run(con, "select r.rep_id, r.name, r.team, p.rep_id is not null as has_photo, "
                        "p.updated_at from reps r left join rep_photos p using (rep_id) "
                        "order by r.name, r.rep_id")


# --- zips ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ZipResult:
    """What a zip stored: rep_ids in zip order, and the system files skipped."""

    stored: tuple[str, ...]
    skipped: tuple[str, ...]


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().casefold()


def _is_system(path: str) -> bool:
    parts = PurePosixPath(path).parts
    name = parts[-1] if parts else path
    return ("__MACOSX" in parts or name.startswith(".")
            or name.lower() in ("thumbs.db", "desktop.ini"))


def _matcher(con: Any) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(folded rep_id -> rep_id, folded name -> rep_ids)."""
    by_id: dict[str, str] = {}
    by_name: dict[str, list[str]] = {}
    for rep_id, name in sql.rows(con, "select rep_id, name from reps order by rep_id"):
        by_id[_fold(str(rep_id))] = rep_id
        if name:
            by_name.setdefault(_fold(str(name)), []).append(rep_id)
    return by_id, by_name


def _read(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> bytes:
    """A member's bytes, stopping past MAX_BYTES whatever its header says."""
    buf = bytearray()
    try:
        with archive.open(info) as src:
            while chunk := src.read(_CHUNK):
                buf += chunk
                if len(buf) > MAX_BYTES:
                    raise _refuse("too_big", f"{name} is larger than {MAX_BYTES >> 20} MB.",
                                  file=name, mb=MAX_BYTES >> 20)
    except PhotoError:
        raise
    except Exception:
        raise _refuse("not_image", f"{name} is not a PNG, JPEG or WebP picture.", file=name) from None
    return bytes(buf)


def store_zip(con: duckdb.DuckDBPyConnection, data: bytes, file_name: str,
              user: str | None = None) -> ZipResult:
    """Store every picture of a zip, each named by its rep's id or name (``R07.jpg``,
    ``张伟.png``; folders are ignored). All or nothing: a bad picture, a name that is no rep, a
    name two reps share or two pictures of one rep refuse the whole zip, naming the files."""
    if len(data) > MAX_ZIP_BYTES:
        raise _refuse("zip_too_big", f"{file_name} is larger than {MAX_ZIP_BYTES >> 20} MB.",
                      file=file_name, mb=MAX_ZIP_BYTES >> 20)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise _refuse("not_zip", f"{file_name} is not a zip file.", file=file_name) from None
    with archive:
        if len(infos) > MAX_MEMBERS:
            raise _refuse("too_many", f"{file_name} holds more than {MAX_FILES} pictures.",
                          file=file_name, n=MAX_FILES)
        pictures: list[tuple[zipfile.ZipInfo, str]] = []
        skipped: list[str] = []
        for info in infos:
            path = info.filename.replace("\\", "/")
            if info.is_dir():
                continue
            if _is_system(path):
                skipped.append(path)
                continue
            name = PurePosixPath(path).name
            if PurePosixPath(name).suffix.lower() not in EXTENSIONS:
                raise _refuse("not_image", f"{name} is not a PNG, JPEG or WebP picture.", file=name)
            if info.flag_bits & 0x1:
                raise _refuse("encrypted", f"{file_name} is password-protected.", file=file_name)
            if info.file_size > MAX_BYTES:   # from the header, before reading
                raise _refuse("too_big", f"{name} is larger than {MAX_BYTES >> 20} MB.",
                              file=name, mb=MAX_BYTES >> 20)
            pictures.append((info, name))
        if len(pictures) > MAX_FILES:
            raise _refuse("too_many", f"{file_name} holds more than {MAX_FILES} pictures.",
                          file=file_name, n=MAX_FILES)
        if not pictures:
            raise _refuse("empty_zip", f"{file_name} holds no PNG, JPEG or WebP picture.",
                          file=file_name)
        targets = _targets(con, [name for _, name in pictures])
        ready: dict[str, tuple[bytes, str]] = {}
        for (info, name), rep_id in zip(pictures, targets, strict=True):
            ready[rep_id] = prepare(_read(archive, info, name), name)
    _save(con, ready, "photo_zip", {"file": file_name, "reps": list(ready)}, user)
    return ZipResult(tuple(ready), tuple(skipped))


def _targets(con: Any, names: list[str]) -> list[str]:
    """The rep_id each picture name stands for (its stem: a rep id, else a rep's name)."""
    by_id, by_name = _matcher(con)
    unknown: list[str] = []
    shared: list[str] = []
    targets: list[str] = []
    for name in names:
        stem = _fold(PurePosixPath(name).stem)
        rep_id = by_id.get(stem)
        if rep_id is None:
            found = by_name.get(stem, [])
            if len(found) > 1:
                shared.append(name)
            elif not found:
                unknown.append(name)
            else:
                rep_id = found[0]
        targets.append(rep_id or "")
    if unknown:
        listed = ", ".join(unknown)
        raise _refuse("unknown_names", f"No sales rep has the id or name of {listed}.",
                      files=listed, n=len(unknown))
    if shared:
        listed = ", ".join(shared)
        raise _refuse("shared_names", f"Several sales reps share the name of {listed}: name "
                      f"these pictures by rep id.", files=listed)
    seen: dict[str, str] = {}
    for name, rep_id in zip(names, targets, strict=True):
        if rep_id in seen:
            raise _refuse("twice", f"{seen[rep_id]} and {name} are both pictures of one rep.",
                          first=seen[rep_id], second=name)
        seen[rep_id] = name
    return targets


# --- avatars ---------------------------------------------------------------------------------

def _is_wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def initials(name: Any, rep_id: str | None = None) -> str:
    """What the circle shows: a Chinese (or other wide-script) name's last two characters, as
    DingTalk and Feishu do (the given name: 张伟 -> 张伟, 王小明 -> 小明); a Latin name's first
    letters of the first and last word (Ann Lee -> AL); else the rep id's first two."""
    missing = name is None or (isinstance(name, float) and name != name)   # None or NaN
    text = "" if missing else " ".join(str(name).split())
    letters = [ch for ch in text if ch.isalnum()]
    if not letters:
        letters = [ch for ch in str(rep_id or "") if ch.isalnum()]
        return "".join(letters[:2]).upper() or "?"
    if any(_is_wide(ch) for ch in letters):
        wide = [ch for ch in letters if _is_wide(ch)]
        return "".join(wide[-2:])
    words = [w for w in text.replace("-", " ").split() if any(c.isalnum() for c in w)]
    first = next(c for c in words[0] if c.isalnum())
    if len(words) == 1:
        return first.upper()
    last = next(c for c in words[-1] if c.isalnum())
    return (first + last).upper()


def colour(key: str) -> str:
    """The circle's colour for ``key`` (the rep id): stable, from :data:`PALETTE`."""
    digest = hashlib.sha256(str(key).encode("utf-8")).digest()
    return PALETTE[digest[0] % len(PALETTE)]


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def initials_svg(name: Any, rep_id: str | None, size: int = SIZE) -> str:
    """The initials circle as SVG text (names escaped)."""
    label = initials(name, rep_id)
    wide = any(_is_wide(ch) for ch in label)
    font = size * (0.36 if wide and len(label) > 1 else 0.42)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" '
            f'viewBox="0 0 {size} {size}"><circle cx="{size / 2}" cy="{size / 2}" '
            f'r="{size / 2}" fill="{colour(rep_id or label)}"/>'
            f'<text x="{size / 2}" y="{size / 2}" dy="0.35em" text-anchor="middle" '
            f'font-family="Noto Sans CJK SC, Noto Sans, DejaVu Sans, sans-serif" '
            f'font-weight="bold" font-size="{font:.1f}" fill="#FFFFFF">{_escape(label)}</text></svg>')


def initials_png(name: Any, rep_id: str | None, size: int = SIZE) -> bytes:
    """The initials circle as PNG bytes (transparent corners), drawn with the system fonts."""
    return _svg_png(initials_svg(name, rep_id, size))


@lru_cache(maxsize=512)
def _svg_png(svg: str) -> bytes:
    """One rendering per initials picture (a deck draws the same faces on several slides)."""
    import vl_convert

    return vl_convert.svg_to_png(svg, scale=1)


def _circle(image: bytes, size: int) -> bytes:
    """A stored photo scaled to ``size`` and cut to a circle (transparent corners), as PNG."""
    from PIL import Image, ImageDraw

    with Image.open(io.BytesIO(image), formats=("PNG", "JPEG")) as img:
        picture = img.convert("RGBA").resize((size, size), Image.Resampling.LANCZOS)
    big = size * 4   # drawn large and scaled down: a smooth edge
    mask = Image.new("L", (big, big), 0)
    ImageDraw.Draw(mask).ellipse((0, 0, big - 1, big - 1), fill=255)
    mask = mask.resize((size, size), Image.Resampling.LANCZOS)
    picture.putalpha(Image.composite(picture.getchannel("A"), mask, mask))
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()


def avatar_png(con: Any, rep_id: str, name: str | None, size: int = SIZE) -> bytes:
    """``rep_id``'s picture as a ``size`` x ``size`` PNG cut to a circle: the stored photo, or
    the initials of ``name`` in a coloured circle when there is none."""
    stored = photo(con, rep_id)
    if stored is not None:
        return _circle(stored, size)
    return initials_png(name, rep_id, size)


def avatars(con: Any, rep_ids: tuple[str, ...] | list[str], names: tuple[Any, ...] | list[Any],
            size: int = SIZE) -> dict[str, bytes]:
    """:func:`avatar_png` of several reps at once (one query for the photos), by rep_id."""
    stored = photos(con, list(rep_ids))
    return {str(r): _circle(stored[str(r)], size) if str(r) in stored
            else initials_png(n, str(r), size)
            for r, n in zip(rep_ids, names, strict=True)}
