"""Data shipped with tourney (the consumer catalogue; see make_products.py)."""
