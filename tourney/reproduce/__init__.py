"""Reproductions of the seed papers: each reads a run's match log and returns
Markdown (our table beside the paper's, the paper's claims judged by
``tourney.reproduce.claims``: difference, 95 % CI over replications, holds /
fails / not resolved) and writes its plots into ``RUN_DIR/plots``.

``tourney reproduce NAME RUN_DIR`` calls the function registered as entry point
NAME of group ``tourney.reproductions`` (setup.cfg); `make reproduce-*` runs
the league and then this.
"""

from __future__ import annotations

# REPRODUCTION.md sections, in order: (title, the make target, run directories
# whose reproduction.md it collects). Each reproduction adds its line.
SECTIONS: list[tuple[str, str, list[str]]] = [
    ("INSIGHT: Q-learning bidding, Figures 3-7", "make reproduce-insight",
     ["results/insight-one-seller", "results/insight-two-seller", "results/insight-two-seller-never-raise"]),
    ("ANEGMA: Hypothesis A (Figures 2-3) and Table 4, CONAN vs Williams", "make reproduce-anegma-a",
     ["results/anegma-hypothesis-a", "results/anegma-table4"]),
    ("ANEGMA: Tables 5-7, ANN vs ANEGMA(SL+RL) vs ANEGMA(RL), transfer", "make reproduce-anegma",
     ["results/anegma-ddpg"]),
    ("Consumer market: LLM buyer/seller metrics and anomalies (Zhu et al.)", "make reproduce-consumer",
     ["results/consumer", "results/consumer-openai", "results/consumer-models"]),
    ("Godfather: SCML OneShot score table (Godfather empirical and GBM vs scml baselines)",
     "make reproduce-godfather", ["results/godfather"]),
    ("I-Help: Tables 16.1-16.2, negotiation approaches 1-3 (Vassileva & Mudgal)", "make reproduce-ihelp",
     ["results/ihelp"]),
]
