"""The write path's checks: SHACL validation of every change (incremental, full, staged), guarded writes."""
