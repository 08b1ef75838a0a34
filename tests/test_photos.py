"""Rep photos (issue 18): stored re-encoded and square, untrusted files refused with a sentence
naming them and nothing changed, zips matched by rep id or name all or nothing, initials where
there is no photo, the schema-5 migration, backups with and without the table, the Data page's
panel and the Overview's star board (AppTest)."""
from __future__ import annotations

import io
import json
import zipfile

import pytest
import streamlit as st
from PIL import Image

from salescore import backup, db, i18n, metrics, photos
from salescore.errors import SalesCoreError
from salescore.ui import photos as photos_ui

from tests.conftest import app_test, with_db

REPS = [("R01", "张伟", "华东"), ("R02", "Ann Lee", "East"), ("R03", "王小明", "华东"),
        ("R04", "李娜", "华北"), ("R05", "李娜", "华南")]   # two reps share 李娜


@pytest.fixture
def con():
    connection = db.connect(":memory:")
    connection.executemany("insert into reps (rep_id, name, team) values (?, ?, ?)", REPS)
    yield connection
    connection.close()


def picture(size=(300, 200), colour=(200, 30, 30), fmt="PNG", mode="RGB", **save) -> bytes:
    buf = io.BytesIO()
    Image.new(mode, size, colour).save(buf, fmt, **save)
    return buf.getvalue()


def opened(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img


def zipped(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buf.getvalue()


def stored(con) -> dict[str, bytes]:
    return {r: bytes(i) for r, i in con.execute("select rep_id, image from rep_photos").fetchall()}


def refused(call, reason: str) -> SalesCoreError:
    with pytest.raises(photos.PhotoError) as info:
        call()
    assert info.value.key == f"photos.error.{reason}"
    for lang in ("en", "zh"):   # one sentence in each language, every placeholder filled
        text = i18n.error_text(info.value, lang)
        assert "{" not in text and text.endswith(("No photo was changed.", "照片均未改动。"))
    assert i18n.error_text(info.value, "zh") != str(info.value)
    return info.value


# --- store, replace, delete -----------------------------------------------------------------

def test_store_replace_and_delete(con):
    assert photos.photo(con, "R01") is None
    photos.store(con, "R01", picture((640, 480), (200, 30, 30)), "red.png")
    first = photos.photo(con, "R01")
    img = opened(first)
    assert img.format == "JPEG" and img.size == (photos.SIZE, photos.SIZE)
    assert img.getpixel((128, 128))[0] > 180            # the red picture, cropped to a square
    photos.store(con, "R01", picture((200, 640), (20, 40, 210), "JPEG"), "blue.jpg")
    second = photos.photo(con, "R01")
    assert second != first and opened(second).getpixel((128, 128))[2] > 180
    assert con.execute("select count(*) from rep_photos").fetchall() == [(1,)]
    assert photos.delete(con, "R01") is True
    assert photos.photo(con, "R01") is None and photos.delete(con, "R01") is False
    log = con.execute("select action from audit_log order by event_id").fetchall()
    assert [a for (a,) in log] == ["photo_upload", "photo_upload", "photo_delete"]


def test_metadata_is_stripped_and_transparency_kept(con):
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"                          # Make
    exif[0x8825] = {2: (48, 51, 0)}                      # GPS
    photos.store(con, "R01", picture((500, 500), fmt="JPEG", exif=exif.tobytes()), "gps.jpg")
    data = photos.photo(con, "R01")
    assert b"SecretCam" not in data and not opened(data).getexif()
    photos.store(con, "R02", picture((100, 100), (0, 0, 0, 0), mode="RGBA"), "clear.png")
    img = opened(photos.photo(con, "R02"))
    assert img.format == "PNG" and img.mode == "RGBA" and img.getpixel((5, 5))[3] == 0
    photos.store(con, "R03", picture((90, 60), fmt="WEBP"), "w.webp")
    assert opened(photos.photo(con, "R03")).size == (photos.SIZE, photos.SIZE)


def test_bad_files_are_refused_naming_them_and_nothing_changes(con):
    photos.store(con, "R01", picture(), "ok.png")
    before = stored(con)
    gif = picture(fmt="GIF")
    for data, name in ((b"not a picture at all", "notes.png"), (gif, "anim.gif"),
                       (picture()[:60], "cut.png"), (b"", "empty.jpg"),
                       (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "logo.svg")):
        err = refused(lambda: photos.store(con, "R01", data, name), "not_image")
        assert name in str(err) and name in i18n.error_text(err, "zh")
    assert stored(con) == before
    err = refused(lambda: photos.store(con, "R99", picture(), "x.png"), "unknown_rep")
    assert "R99" in str(err)
    assert stored(con) == before


def test_oversize_files_and_decompression_bombs_are_refused(con):
    big = b"\x89PNG" + bytes(photos.MAX_BYTES)
    err = refused(lambda: photos.store(con, "R01", big, "huge.png"), "too_big")
    assert "huge.png" in str(err) and "2 MB" in str(err)
    # 7000 x 7000 one-bit pixels: a few KB of file, 49 million pixels to decode
    bomb = picture((7000, 7000), 0, mode="1")
    assert len(bomb) < 100_000
    err = refused(lambda: photos.store(con, "R01", bomb, "bomb.png"), "too_many_pixels")
    assert "7000 x 7000" in str(err) and "7000 × 7000" in i18n.error_text(err, "zh")
    assert stored(con) == {}


# --- zips ------------------------------------------------------------------------------------

def test_zip_named_by_rep_id_and_name(con):
    data = zipped({"team/R01.png": picture(colour=(10, 200, 10)), "Ann Lee.JPG": picture(fmt="JPEG"),
                   "王小明.webp": picture(fmt="WEBP"), "__MACOSX/._R01.png": b"junk",
                   ".DS_Store": b"junk", "team/": b""})
    result = photos.store_zip(con, data, "photos.zip")
    assert result.stored == ("R01", "R02", "R03")
    assert set(result.skipped) == {"__MACOSX/._R01.png", ".DS_Store"}
    assert set(stored(con)) == {"R01", "R02", "R03"}
    assert opened(photos.photo(con, "R01")).getpixel((9, 9))[1] > 180
    log = con.execute("select action, detail from audit_log").fetchall()
    assert log[0][0] == "photo_zip" and json.loads(log[0][1])["reps"] == ["R01", "R02", "R03"]


def test_zip_with_unknown_names_lists_them_and_stores_nothing(con):
    data = zipped({"R01.png": picture(), "Bob.png": picture(), "R77.jpg": picture(fmt="JPEG")})
    err = refused(lambda: photos.store_zip(con, data, "p.zip"), "unknown_names")
    assert str(err).startswith("No sales rep has the id or name of Bob.png, R77.jpg.")
    assert "Bob.png, R77.jpg" in i18n.error_text(err, "zh")
    assert stored(con) == {}


def test_zip_refusals_name_the_file_and_store_nothing(con):
    photos.store(con, "R04", picture(), "keep.png")
    before = stored(con)
    cases = {
        "bad picture": (zipped({"R01.png": picture(), "R02.png": b"garbage"}), "not_image", "R02.png"),
        "not a picture": (zipped({"R01.png": picture(), "readme.txt": b"hi"}), "not_image", "readme.txt"),
        "shared name": (zipped({"李娜.png": picture()}), "shared_names", "李娜.png"),
        "one rep twice": (zipped({"R02.png": picture(), "ann lee.png": picture()}), "twice", "ann lee.png"),
        "not a zip": (b"PK\x03\x04 not really", "not_zip", "p.zip"),
        "no picture": (zipped({"notes/": b""}), "empty_zip", "p.zip"),
        "too many": (zipped({f"R{i:03}.png": b"x" for i in range(photos.MAX_FILES + 1)}), "too_many", "p.zip"),
    }
    for label, (data, reason, named) in cases.items():
        err = refused(lambda: photos.store_zip(con, data, "p.zip"), reason)
        assert named in str(err), label
        assert stored(con) == before, label


def test_zip_member_over_the_limit_is_refused_from_its_header(con):
    # 3 MB of zeros deflate to a few KB: the header's size refuses it before a byte is read
    data = zipped({"R01.png": bytes(3 << 20)})
    assert len(data) < 50_000
    err = refused(lambda: photos.store_zip(con, data, "p.zip"), "too_big")
    assert "R01.png" in str(err)
    assert stored(con) == {}


def test_encrypted_member_is_refused(con):
    data = bytearray(zipped({"R01.png": picture()}))
    # set the "encrypted" flag bit in the local header and the central directory entry
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(sig)
        data[at + offset] |= 1
    refused(lambda: photos.store_zip(con, bytes(data), "locked.zip"), "encrypted")
    assert stored(con) == {}


# --- avatars ---------------------------------------------------------------------------------

def test_initials():
    assert photos.initials("张伟") == "张伟"
    assert photos.initials("王小明") == "小明"
    assert photos.initials("Ann Lee") == "AL"
    assert photos.initials("  maria  de la cruz ") == "MC"
    assert photos.initials("Madonna") == "M"
    assert photos.initials(None, "r9") == "R9" and photos.initials(float("nan"), "x") == "X"
    assert photos.initials("", "") == "?"
    assert photos.colour("R01") == photos.colour("R01") and photos.colour("R01") in photos.PALETTE
    svg = photos.initials_svg("<b> &\"x", "R1")      # only letters reach the SVG
    assert ">BX</text>" in svg and "<b>" not in svg


def test_avatar_is_the_photo_in_a_circle_or_the_initials(con):
    photos.store(con, "R01", picture(colour=(200, 30, 30)), "r.png")
    with_photo = opened(photos.avatar_png(con, "R01", "张伟", 96))
    assert with_photo.size == (96, 96) and with_photo.mode == "RGBA"
    assert with_photo.getpixel((1, 1))[3] == 0                       # outside the circle
    assert with_photo.getpixel((48, 48))[:3][0] > 180                # the photo inside
    initials = opened(photos.avatar_png(con, "R03", "王小明", 96))
    assert initials.size == (96, 96) and initials.getpixel((1, 1))[3] == 0
    ring = initials.getpixel((48, 8))[:3]                            # the circle's colour
    assert "#{:02X}{:02X}{:02X}".format(*ring) == photos.colour("R03")
    # the text is drawn: white pixels in the middle (CJK font found)
    middle = [initials.getpixel((x, y)) for x in range(20, 76) for y in range(30, 66)]
    assert sum(1 for p in middle if p[0] > 240 and p[1] > 240 and p[2] > 240) > 100
    assert photos.avatars(con, ("R01", "R03"), ("张伟", "王小明"), 96)["R03"] == photos.avatar_png(
        con, "R03", "王小明", 96)


# --- migration and backup --------------------------------------------------------------------

def test_a_schema_4_file_migrates_to_5_with_the_table(tmp_path):
    path = tmp_path / "v4.duckdb"
    con = db.connect(path)
    con.execute("insert into reps (rep_id, name) values ('R1', 'Ann')")
    con.execute("drop table rep_photos")
    con.execute("delete from schema_version")
    con.execute("insert into schema_version (version) values (4)")
    con.close()
    con = db.connect(path)
    fresh = db.connect(tmp_path / "new.duckdb")
    try:
        assert db.schema_version(con) == db.SCHEMA_VERSION
        columns = ("select column_name, data_type, is_nullable from information_schema.columns "
                   "where table_name = 'rep_photos' order by ordinal_position")
        assert con.execute(columns).fetchall() == fresh.execute(columns).fetchall()
        assert [c for c, *_ in con.execute(columns).fetchall()] == ["rep_id", "image", "mime", "updated_at"]
        photos.store(con, "R1", picture(), "a.png")
        assert photos.photo(con, "R1") is not None
    finally:
        con.close()
        fresh.close()


def test_backup_round_trips_photos_and_a_schema_4_backup_restores(tmp_path, con):
    photos.store(con, "R01", picture(), "a.png")
    data = backup.backup_bytes(con)
    before = photos.photo(con, "R01")
    photos.delete(con, "R01")
    backup.restore(con, data)
    assert photos.photo(con, "R01") == before
    # the same backup as a schema-4 salescore wrote it: no rep_photos member nor count
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {n: archive.read(n) for n in archive.namelist() if n != "rep_photos.parquet"}
    manifest = json.loads(members["manifest.json"])
    del manifest["tables"]["rep_photos"]
    members["manifest.json"] = json.dumps({**manifest, "schema_version": 4}).encode()
    old = zipped(members)
    backup.restore(con, old)
    assert stored(con) == {} and con.execute("select count(*) from reps").fetchall() == [(5,)]
    # a schema-5 backup must hold the table
    members["manifest.json"] = json.dumps({**manifest, "schema_version": 5}).encode()
    with pytest.raises(backup.BackupError):
        backup.restore(con, zipped(members))


# --- the Data page and the Overview (AppTest) ------------------------------------------------

@pytest.fixture
def app(demo_db, tmp_path, monkeypatch):
    import shutil

    path = tmp_path / "copy.duckdb"
    shutil.copy(demo_db, path)
    yield app_test(path, monkeypatch), path
    st.cache_resource.clear()


def test_data_page_panel_uploads_replaces_and_refuses(app):
    at, path = app
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert "销售员照片" in [s.value for s in at.subheader]
    reps = with_db(path, lambda c: len(photos.listing(c)))
    assert any(f"{reps} 位销售员中有 0 位已有照片" in c.value for c in at.caption)
    at.selectbox(key="data_photos_rep").set_value("R03").run()
    assert at.button(key="data_photos_save").disabled and at.button(key="data_photos_remove").disabled
    at.file_uploader(key="data_photos_file_0").set_value(("me.jpg", picture(fmt="JPEG"), "image/jpeg")).run()
    at.button(key="data_photos_save").click().run()
    assert not at.exception
    assert [s.value for s in at.success][-1].startswith("已保存") and not at.error
    assert any(f"{reps} 位销售员中有 1 位已有照片" in c.value for c in at.caption)
    # a bad file: one sentence naming it, the stored photo unchanged
    saved = with_db(path, lambda c: photos.photo(c, "R03"))
    at.file_uploader(key="data_photos_file_1").set_value(("evil.png", b"MZ\x90\x00", "image/png")).run()
    at.button(key="data_photos_save").click().run()
    assert [e.value for e in at.error] == ["evil.png 不是 PNG、JPEG 或 WebP 图片。照片均未改动。"]
    assert with_db(path, lambda c: photos.photo(c, "R03")) == saved
    # a zip naming a rep nobody is
    at.file_uploader(key="data_photos_zip_1").set_value(
        ("team.zip", zipped({"R03.png": picture(), "Nobody.png": picture()}), "application/zip")).run()
    at.button(key="data_photos_save_zip").click().run()
    assert [e.value for e in at.error] == ["没有销售员的编号或姓名是 Nobody.png。照片均未改动。"]
    assert with_db(path, lambda c: photos.photo(c, "R03")) == saved
    # remove it again, in English
    at.radio(key="lang").set_value("en").run()
    at.button(key="data_photos_remove").click().run()
    assert not at.exception
    assert at.success[-1].value.startswith("Removed the photo of ")
    assert with_db(path, lambda c: photos.photo(c, "R03")) is None


def _media_id(data: bytes, mime: str) -> str:
    from streamlit.runtime.memory_media_file_storage import _calculate_file_id

    return _calculate_file_id(data, mime)


def test_overview_star_board_shows_the_photo_and_initials(app):
    at, path = app
    at.run()
    period = at.session_state["_context"].period
    board = with_db(path, lambda c: metrics.leaderboard_from(
        metrics.by_group(c, period.start, period.end, "rep"), 10))
    assert list(at.dataframe[0].value["rep"]) == list(board["rep"])
    first, second = board["rep_id"].iloc[0], board["rep_id"].iloc[1]
    names = list(board["rep"].head(photos_ui.CARDS))
    with_db(path, lambda c: photos.store(c, first, picture(colour=(20, 160, 60)), "top.png"))
    at.run()
    assert not at.exception
    images = at.get("image")
    assert [i.proto.imgs[0].alt for i in images] == names      # one card per best rep, in order
    photo_png, initials_png = with_db(path, lambda c: (
        photos.avatar_png(c, first, names[0], photos_ui.AVATAR),
        photos.avatar_png(c, second, names[1], photos_ui.AVATAR)))
    assert images[0].proto.imgs[0].url.endswith(_media_id(photo_png, "image/png") + ".png")
    assert images[1].proto.imgs[0].url.endswith(_media_id(initials_png, "image/png") + ".png")
    assert opened(photo_png).getpixel((48, 48))[1] > 140           # the green photo
    cards = [m.value for m in at.markdown]
    assert f"**1. {names[0]}**" in cards
    assert len(at.dataframe[0].value) == len(board)                # the whole board stays below


def test_who_sees_which_photos(small, tmp_path):
    """Admins see every photo, a manager their own team's, a rep their own, a viewer none
    (the star board then draws initials): the rule is the restricted connection's view."""
    from salescore import access
    from salescore.access import User

    for rep_id in ("R1", "R2", "R3"):
        photos.store(small, rep_id, picture(), f"{rep_id}.png")
    everyone = ("R1", "R2", "R3")
    seen = {role: set(photos.photos(access.restricted(small, user), everyone))
            for role, user in {"admin": User("boss", "admin"), "manager": User("lead", "manager", "A"),
                               "rep": User("Ann", "rep", None, "R1"),
                               "viewer": User("look", "viewer")}.items()}
    assert seen == {"admin": {"R1", "R2", "R3"}, "manager": {"R1", "R2"}, "rep": {"R1"},
                    "viewer": set()}
