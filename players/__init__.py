"""The agents, one module or package per family.

Short names are listed in ``players.catalog``; any class also enters a league
by dotted path.
"""
