"""Start the Streamlit server on app.py (``python -m salescore serve``; ``make run`` uses it).

app.py routes with st.navigation over explicitly registered pages. Streamlit 1.67 still
checks for a ``pages/`` folder next to the main script when a server process starts and, if
it finds one, runs the *first* script run of the process in its old folder-discovery mode
(MPA v1): a first visitor who opens a deep link such as /data gets the page without app.py's
navigation, language or sidebar. The flag it sets is process-wide, so we set it before the
server starts. The frame headers every response carries come with app.py's ``st.App``
(salescore/framing.py), so a bare ``streamlit run app.py`` has them too.
"""
from __future__ import annotations

import sys
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"


def streamlit_args(args: list[str]) -> list[str]:
    """The options ``serve`` passes on to ``streamlit run`` (``--server.headless true`` ...),
    in the order given, without a ``--`` separator written before them."""
    return args[1:] if args[:1] == ["--"] else list(args)


def main(args: list[str]) -> int:
    """Run ``streamlit run app.py ARGS`` in this process, pages/ discovery off."""
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.web import cli

    PagesManager.uses_pages_directory = False
    sys.argv = ["streamlit", "run", str(APP), *args]
    try:
        cli.main(prog_name="streamlit")
    except SystemExit as done:
        return int(done.code or 0)
    return 0
