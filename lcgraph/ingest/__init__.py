"""Partner data import: spreadsheet templates, Thai/Common Era dates, provenance, history."""
