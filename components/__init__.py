"""Layout pieces and pure figure builders: numbers in, Plotly figures and Dash layout out."""
