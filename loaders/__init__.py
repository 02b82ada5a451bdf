"""Loaders read the outside world (returns in Excel and CSV) into checked observations and a problem report.

Flow, one module a step:

- :mod:`loaders.safety` refuses hostile or broken files before any parser touches them;
- :mod:`loaders.grid` reads a file into sheets of cell values, with percent formats, merged ranges and formulas
  (:mod:`loaders.xlsx_parts` reads what calamine does not tell from the .xlsx package);
- :mod:`loaders.labels` recognises field words, indicators, regions and periods in labels;
- :mod:`loaders.tables` finds each table's header, column meanings and context (titles, 计量单位：…);
- :mod:`loaders.columns` turns a table into columns of values with their coordinates;
- :mod:`loaders.values` reads one cell's number, period or flags as an official wrote it;
- :mod:`loaders.checks` checks and normalises every value against the registry, reporting problems by cell;
- :mod:`loaders.ingest` stores an accepted file as one batch; :mod:`loaders.template` writes fill-in returns.

Nothing here knows Dash.
"""
