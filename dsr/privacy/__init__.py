"""Personal data on a schedule: the shredder (one list of every personal-data field) and the retention jobs."""
