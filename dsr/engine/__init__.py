"""The pure cores: deadlines and routing. No database, no clock: every input is an argument."""
