"""Rep photos: the Data page's panel (one photo per rep, or a zip of photos named by rep) and
the Overview's star board (销售明星榜: the best reps' photos and results, initials in a
coloured circle for a rep without one). Every rule lives in :mod:`salescore.photos`; session
keys start with ``data_photos_``.
"""
from __future__ import annotations

import traceback
from typing import Any

import pandas as pd
import streamlit as st

from salescore import access, fmt, i18n, photos
from salescore.errors import SalesCoreError
from salescore.ui import cache
from salescore.ui.connection import user
from salescore.ui.text import lang, money, t, tx
from salescore.ui.widgets import plural_key, team_name

REP_KEY = "data_photos_rep"
FILE_KEY = "data_photos_file"
ZIP_KEY = "data_photos_zip"
MESSAGE_KEY = "data_photos_message"
ROUND_KEY = "data_photos_round"      # bumped after a save: the uploaders start empty again
CARDS = 5                            # reps shown as cards on the star board
AVATAR = 96                          # pixels: st.image would scale a bigger picture down anyway


def _n(key: str, count: int, **params: Any) -> str:
    return i18n.t(plural_key(key, count), lang(), count=fmt.number(count), **params)


# --- Data page -------------------------------------------------------------------------------

def panel(con: Any) -> None:
    """The photo panel: pick a rep and upload their photo (or remove it), or upload a zip."""
    st.subheader(t("photos.title"))
    st.caption(t("photos.caption", mb=photos.MAX_BYTES >> 20, n=photos.MAX_FILES))
    if not access.can_write(user()):
        st.caption(t("photos.read_only"))
        return
    reps = photos.listing(con)
    level, text = st.session_state.pop(MESSAGE_KEY, (None, None))
    if text:
        (st.success if level == "success" else st.error)(text)
    if reps.empty:
        st.info(t("photos.no_reps"))
        return
    have = int(reps["has_photo"].sum())
    st.caption(_n("photos.coverage", have, total=fmt.number(len(reps))))
    step = int(st.session_state.get(ROUND_KEY, 0))
    one, many = st.tabs([t("photos.tab_one"), t("photos.tab_zip")])
    with one:
        _one(con, reps, step)
    with many:
        _many(con, step)


def _label(row: pd.Series) -> str:
    team = "" if fmt.missing(row["team"]) else f" · {row['team']}"
    mark = " ✓" if row["has_photo"] else ""
    return f"{row['name']} ({row['rep_id']}){team}{mark}"


def _one(con: Any, reps: pd.DataFrame, step: int) -> None:
    labels = {row["rep_id"]: _label(row) for _, row in reps.iterrows()}
    rep_id = st.selectbox(t("photos.rep"), list(labels), format_func=labels.__getitem__,
                          key=REP_KEY)
    row = reps.loc[reps["rep_id"] == rep_id].iloc[0]
    left, right = st.columns([1, 3], vertical_alignment="center")
    with left:
        st.image(photos.avatar_png(con, rep_id, row["name"], AVATAR), width=AVATAR,
                 caption=t("photos.current") if row["has_photo"] else t("photos.none"))
    with right:
        upload = st.file_uploader(t("photos.file"), type=["png", "jpg", "jpeg", "webp"],
                                  key=f"{FILE_KEY}_{step}", help=t("photos.file_help"),
                                  max_upload_size=photos.MAX_BYTES >> 20)
        buttons = st.container(horizontal=True)
        buttons.button(t("photos.save"), type="primary", disabled=upload is None,
                       key="data_photos_save", on_click=_run,
                       args=(_store, con, rep_id, row["name"],
                             None if upload is None else upload.getvalue(),
                             None if upload is None else upload.name))
        buttons.button(t("photos.remove"), disabled=not row["has_photo"], key="data_photos_remove",
                       on_click=_run, args=(_delete, con, rep_id, row["name"]))


def _many(con: Any, step: int) -> None:
    st.caption(t("photos.zip_help", n=photos.MAX_FILES))
    upload = st.file_uploader(t("photos.zip"), type=["zip"], key=f"{ZIP_KEY}_{step}",
                              max_upload_size=photos.MAX_ZIP_BYTES >> 20)
    st.button(t("photos.save_zip"), type="primary", disabled=upload is None, key="data_photos_save_zip",
              on_click=_run, args=(_store_zip, con, None if upload is None else upload.getvalue(),
                                   None if upload is None else upload.name))


def _run(action: Any, *args: Any) -> None:
    """A button callback: the action's sentence, or its error as a sentence, shown in the panel."""
    try:
        text = action(*args)
    except SalesCoreError as err:
        st.session_state[MESSAGE_KEY] = ("error", i18n.error_text(err, lang()))
        return
    except Exception as err:  # noqa: BLE001 - the user gets a sentence, the log the trace
        traceback.print_exception(err)
        st.session_state[MESSAGE_KEY] = ("error", t("error.unexpected"))
        return
    st.session_state[MESSAGE_KEY] = ("success", text)
    st.session_state[ROUND_KEY] = int(st.session_state.get(ROUND_KEY, 0)) + 1


def _actor() -> str | None:
    who = user()
    return who.name if who else None


def _store(con: Any, rep_id: str, rep_name: str, data: bytes | None, name: str | None) -> str:
    if data is None or name is None:
        raise SalesCoreError("Choose a picture first.", key="photos.error.no_file")
    photos.store(con, rep_id, data, name, user=_actor())
    return t("photos.saved", name=rep_name)


def _delete(con: Any, rep_id: str, name: str) -> str:
    photos.delete(con, rep_id, user=_actor())
    return t("photos.removed", name=name)


def _store_zip(con: Any, data: bytes | None, name: str | None) -> str:
    if data is None or name is None:
        raise SalesCoreError("Choose a zip file first.", key="photos.error.no_file")
    result = photos.store_zip(con, data, name, user=_actor())
    return _n("photos.saved_zip", len(result.stored))


# --- Overview --------------------------------------------------------------------------------

def star_board(board: pd.DataFrame) -> None:
    """The best reps of the period as cards (photo or initials, name, team, revenue won,
    attainment), over the full leaderboard table. ``board``: metrics.leaderboard_from."""
    top = board.head(CARDS)
    pictures = cache.query(photos.avatars, tuple(str(r) for r in top["rep_id"]),
                           tuple(None if fmt.missing(n) else str(n) for n in top["rep"]), AVATAR)
    columns = st.columns(CARDS)
    for column, (_, row) in zip(columns, top.iterrows()):
        with column.container(border=True, horizontal_alignment="center"):
            name = "" if fmt.missing(row["rep"]) else str(row["rep"])
            st.image(pictures[str(row["rep_id"])], width=AVATAR, alt=name or str(row["rep_id"]))
            st.markdown(tx("photos.card_name", rank=int(row["rank"]), name=name or str(row["rep_id"])),
                        text_alignment="center")
            st.caption(fmt.md_escape(team_name(row["team"])), text_alignment="center")
            st.markdown(f"**{fmt.md_escape(money(row['revenue_won']))}**", text_alignment="center")
            attainment = row["attainment"]
            st.caption(t("photos.card_attainment", pct=fmt.pct(attainment, 0))
                       if not fmt.missing(attainment) else t("photos.card_no_target"),
                       text_alignment="center")
