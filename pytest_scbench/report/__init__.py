"""Reports of a run: text tables, the JSON report."""
