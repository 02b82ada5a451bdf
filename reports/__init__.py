"""Reports: the figures and words qtm puts on paper — charts drawn for the page and for print, PNGs rendered by
kaleido in the system Chromium, report packs with manifest.csv and report.docx. Used by the dashboard and by the
command line alike; knows no Dash, no Flask and no Excel (it reads the store and the core's judgements)."""
