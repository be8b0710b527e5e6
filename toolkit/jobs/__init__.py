"""Background jobs: the queue, the worker and the job page."""
