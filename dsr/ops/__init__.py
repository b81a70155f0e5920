"""Running the product: health checks, worker heartbeats, request and task ids in the logs."""
