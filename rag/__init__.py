"""newsbrief: cited answers and briefing notes over a news corpus (see README.md)."""

__version__ = "0.1.0"
