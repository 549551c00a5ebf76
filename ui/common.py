"""What every page shares: the store, literal-Markdown escaping, cited sources and write access.

Article text is always shown as literal text: :func:`escape` turns every Markdown and HTML
character into an escaped one, so a page carrying ``<script>`` or ``[link](…)`` shows it as typed.

The app is read-only unless the operator allows writing: uploads and saved eval runs are offered
only when the server was started with ``NEWSBRIEF_ADMIN_TOKEN`` set, and only to a browser session
that typed that token once (:func:`write_access`). The token is read here, from the server's
environment, and never put in the settings object (eval reports record the settings).
"""

from __future__ import annotations

import hmac
import os
import re
import time
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import streamlit as st

from rag.cite import copies_label, date_label
from rag.render import by_article
from rag.settings import Settings, load_settings
from rag.store import Store, open_store
from rag.types import Citation

EARLIEST = date(1900, 1, 1)  # date pickers reach back this far (Streamlit defaults to ten years)
ADMIN_TOKEN = "NEWSBRIEF_ADMIN_TOKEN"  # the server's environment variable that allows writing
CAN_WRITE = "can_write"  # session key: this browser session typed the token
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$=:])")


def escape(text: str) -> str:
    """Article text as literal Markdown: no formatting, links or HTML from the corpus."""
    return _MD_SPECIAL.sub(r"\\\1", text)


@st.cache_resource(show_spinner="Opening the store…")
def get_store() -> tuple[Settings, Store]:
    settings = load_settings()
    return settings, open_store(settings)


def source_context(store: Store, citation: Citation) -> tuple[str, str, str]:
    """(text before, the quote, text after) within the stored chunk that holds the quote."""
    for ev in store.article_chunks(citation.doc_id):
        if ev.start <= citation.start and citation.end <= ev.end:
            begin, end = citation.start - ev.start, citation.end - ev.start
            return ev.text[:begin], ev.text[begin:end], ev.text[end:]
    return "", citation.quote, ""


def highlighted(before: str, quote: str, after: str) -> str:
    """The quote highlighted in its paragraph; all three parts escaped."""
    return f"{escape(before)}:orange-background[**{escape(quote)}**]{escape(after)}"


def show_source(store: Store, c: Citation) -> None:
    """One source in full: title, outlet, date, link and the quoted sentence highlighted in context."""
    st.markdown(f"**{escape(c.title)}**")
    line = f"{escape(c.source)} · {escape(date_label(c))}"
    if c.also_reported_by:
        line += f" · also reported by {escape(', '.join(c.also_reported_by))}"
    st.caption(line)
    if not c.supported:
        st.warning("The model's sentence is not supported by this source (different numbers, names or words).")
    st.markdown(highlighted(*source_context(store, c)))
    if c.url.startswith(("http://", "https://")):
        st.link_button("Open the article", c.url)


def article_sources(store: Store, citations: Sequence[Citation]) -> None:
    """Each cited article once, as an expander labelled by :func:`source_label`; opened, it shows
    every sentence quoted from it highlighted in its paragraph, then the article's link.

    Inline, in the page's flow: unlike a popover, an open source never covers the chat input.
    """
    for group in by_article(citations):
        first = group[0]
        with st.expander(source_label(group)):
            for c in group:
                if len(group) > 1 or not c.supported:  # which marker this quote is for, when it can be unclear
                    flag = " · ⚠ the model's sentence is not supported by this source" if not c.supported else ""
                    st.caption(f"[{c.n}]{flag}")
                st.markdown(highlighted(*source_context(store, c)))
            if first.url.startswith(("http://", "https://")):
                st.link_button("Open the article", first.url)


def source_label(group: Sequence[Citation]) -> str:
    """``[1][2] Title — Source, date (also reported by …)``, escaped, with ⚠ when a claim citing
    the article is not supported by it."""
    first = group[0]
    markers = "".join(f"[{n}]" for n in dict.fromkeys(c.n for c in group))
    label = f"{markers} {first.title} — {first.source}, {date_label(first)}{copies_label(first)}"
    return escape(label) + (" ⚠" if not all(c.supported for c in group) else "")


def source_names(articles: Sequence[Mapping[str, Any]]) -> list[str]:
    """Every source in the store, own and of linked near-duplicate copies, once each (ignoring case).

    The spelling shown is the store's own: an article's own source first, else the first copy's.
    """
    from rag.dedup import decode_duplicates

    names: dict[str, str] = {}
    for a in articles:
        own = str(a.get("source") or "").strip()
        if own:
            names.setdefault(own.lower(), own)
    for a in articles:
        for copy in decode_duplicates(a.get("duplicates")):
            name = str(copy.source or "").strip()
            if name:
                names.setdefault(name.lower(), name)
    return sorted(names.values(), key=str.lower)


def writing_allowed() -> bool:
    """True when the operator allows writing and this browser session has typed the token."""
    return bool(os.environ.get(ADMIN_TOKEN)) and st.session_state.get(CAN_WRITE) is True


def token_matches(typed: str) -> bool:
    """Constant-time comparison with the server's token (never true when none is set)."""
    token = os.environ.get(ADMIN_TOKEN, "")
    return bool(token) and hmac.compare_digest(typed.encode(), token.encode())


def write_access(what: str) -> bool:
    """Whether this session may do ``what`` (e.g. "adding articles"); asks for the token once if needed.

    Without ``NEWSBRIEF_ADMIN_TOKEN`` on the server the app is read-only and says so.
    """
    if writing_allowed():
        return True
    if not os.environ.get(ADMIN_TOKEN):
        st.info(
            f"This app is read-only: {what} is switched off. The operator can allow it by starting the "
            f"app with {ADMIN_TOKEN} set; visitors then type that token once per browser session."
        )
        return False
    with st.form("unlock", clear_on_submit=True, border=False):
        typed = st.text_input(f"Admin token ({what} needs it)", type="password", key="admin_token")
        submitted = st.form_submit_button("Allow writing")
    if submitted:
        if token_matches(typed):
            st.session_state[CAN_WRITE] = True
            st.rerun()
        time.sleep(1.0)  # a guess costs a second
        st.error("That is not the admin token.")
    return False
