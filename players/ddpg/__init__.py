"""ANEGMA (Bagga et al. 2020): a DDPG buyer pre-trained on CONAN/Williams traces.

Modules: ``spaces`` (Table 1 state, actions), ``rewards`` (eqs. 3-5),
``networks`` (actor f_c/f_r, critic), ``replay`` (negotiation experience),
``learner`` (DDPG), ``experience`` (decisions -> transitions), ``checkpoint``
(io), ``supervised`` (ANN-C/ANN-W pre-training), ``bilateral`` and ``emarket``
(the players), ``train`` (``tourney train ddpg``).

Nothing is imported here so ``tourney players`` never pulls in torch.
"""
