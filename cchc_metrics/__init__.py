"""CCHC Dashboard core: ingest one-stop exports, compute indicators and scores.

Everything here is plain Python (DuckDB, pandas, Plotly figures); nothing imports Streamlit,
so the command line, the tests and the benchmarks use exactly what the pages use.
"""
