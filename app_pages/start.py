"""Start: what the user is building, a few questions in their units, then the page that
answers them."""

import streamlit as st

from planner.scenario.starters import Landing
from ui import page, start_inputs, state

# This page does not show the scenario, so one opened from a file goes to the Overview.
page.start(uploads_land_on=Landing.OVERVIEW)
st.title("What are you building?")
st.caption(
    "Answer a few questions in your own units and the planner makes a first scenario, "
    "priced plainly. Or open a worked case from the gallery in the sidebar."
)
building = start_inputs.building()
if building is not None:
    started, problem = start_inputs.answers(building)
    if problem:
        st.error(problem, icon=page.ERROR_ICON)
    elif started is not None:
        state.load(started)
        st.switch_page(page.page_path(building.page))
