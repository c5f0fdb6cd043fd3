"""Entry point: ``streamlit run app.py``.

It opens the scenario in the link once per session, runs the chosen page, then writes the
scenario back into the address bar so that the link always shows what is on screen.
"""

from pathlib import Path

import streamlit as st

from ui import state

# A file of the app's own (Streamlit inlines an SVG as a data URL): a ":material/..." page
# icon makes every browser fetch the favicon from fonts.gstatic.com (Streamlit 1.67), which
# leaks each visit to Google and fails on an intranet without internet access.
PAGE_ICON = Path(__file__).parent / "assets" / "page_icon.svg"

st.set_page_config(page_title="ML cost planner", page_icon=PAGE_ICON, layout="wide")

state.start_session()
# Start is always the default page, so every page keeps its own address whichever way the
# session began: were the Overview the default of a link session, it would be served at "/"
# only, and a link to "/overview" would show Streamlit's "Page not found" before it.
start = st.Page("app_pages/start.py", title="Start", icon=":material/flag:", default=True)
overview = st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:")
page = st.navigation(
    [
        start,
        overview,
        st.Page("app_pages/training.py", title="Training", icon=":material/model_training:"),
        st.Page("app_pages/serving.py", title="Serving", icon=":material/dns:"),
        st.Page("app_pages/plan.py", title="Plan to a budget", icon=":material/savings:"),
        st.Page("app_pages/attribution.py", title="Attribution", icon=":material/pie_chart:"),
        st.Page("app_pages/recovery.py", title="Budget recovery", icon=":material/trending_down:"),
        st.Page("app_pages/build_vs_buy.py", title="Build vs buy", icon=":material/balance:"),
        st.Page("app_pages/compare.py", title="Compare", icon=":material/view_column:"),
        st.Page("app_pages/sensitivity.py", title="Sensitivity", icon=":material/tune:"),
    ]
)
# A link to "/" opens its scenario on the Overview, not on the questions of the start: once,
# on the session's first run, keeping the link's query.
if state.take_link_landing() and page is start:
    st.switch_page(overview, query_params=st.query_params.to_dict())
page.run()
state.sync_url()
