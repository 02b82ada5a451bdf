"""Loaders read the outside world (returns in Excel and CSV) into checked observations and a problem report.

Flow: :mod:`loaders.grid` reads a file into sheets of cells → :mod:`loaders.long_table` finds the table and its
columns → :mod:`loaders.checks` turns raw rows into :class:`qtm.observations.Observation` records, reporting every
problem by cell → :mod:`loaders.ingest` stores an accepted file as one batch. Nothing here knows Dash.
"""
