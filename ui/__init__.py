"""Streamlit-only glue: session state, inputs and caches. No business rules live here."""
