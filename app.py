"""Entry point: ``streamlit run app.py``.

It opens the scenario in the link once per session, runs the chosen page, then writes the
scenario back into the address bar so that the link always shows what is on screen.
"""

import streamlit as st

from ui import state

st.set_page_config(page_title="ML cost planner", page_icon=":material/savings:", layout="wide")

state.start_session()
page = st.navigation(
    [
        st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:"),
    ]
)
page.run()
state.sync_url()
