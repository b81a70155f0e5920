"""A request's life as services: intake, the transition table, the workflow, deadline storage, sweeps
and the read-side selectors. Views, admin, tasks and commands call these; nothing here imports them."""
