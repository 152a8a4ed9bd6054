"""A tourney plug-in package: registers a world, players and a reproduction by entry points only."""
