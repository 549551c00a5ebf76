"""Streamlit pages of newsbrief (app.py dispatches to them)."""
