"""A what-if planner for the cost of machine learning: the pure library behind the app.

Nothing in this package imports Streamlit. The app, the CLI (``python -m planner``), the
tests and notebooks all call the same functions.
"""
