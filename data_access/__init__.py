"""Files -> validated, cached numpy tensors. Nothing here imports Dash."""
