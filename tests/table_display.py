"""What a reader sees in an st.dataframe fed a pandas Styler (formatting.styled_table): AppTest's
`.value` gives the underlying numbers; the Vietnamese display values travel beside them."""
from __future__ import annotations

import pandas as pd
from streamlit import dataframe_util


def shown_table(element) -> pd.DataFrame:
    """The display values of an AppTest dataframe element, under the same column names."""
    styler = element.proto.arrow_data.styler
    shown = dataframe_util.convert_arrow_bytes_to_pandas_df(styler.display_values)
    shown.columns = element.value.columns
    return shown
