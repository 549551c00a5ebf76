"""newsbrief in the browser: a thin shell over ``rag``; each page lives in ``ui/``.

Run with ``newsbrief app`` (or ``make run``). Article text is shown as text, never as HTML.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `ui/` sits next to this file

from ui import briefs, chat, corpus, evals
from ui.common import get_store, source_names

PAGES = ["Chat", "Briefing note", "Daily", "Corpus", "Eval"]

st.set_page_config(page_title="newsbrief", page_icon="📰", layout="wide")
settings, store = get_store()
articles = store.list_articles()
sources = source_names(articles)  # own sources and those of linked near-duplicate copies

st.sidebar.title("newsbrief")  # no emoji: some Chromium builds lack the glyph
page = st.sidebar.radio("Page", PAGES, key="page")
st.sidebar.caption(f"{len(articles)} articles in the store · generator: {settings.llm}")

if page == "Chat":
    chat.page(settings, store, sources)
elif page == "Briefing note":
    briefs.briefs_page(settings, store)
elif page == "Daily":
    briefs.daily_page(settings, store)
elif page == "Corpus":
    corpus.page(settings, store, articles)
else:
    evals.page(settings, store)
