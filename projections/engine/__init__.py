"""The projections' engine: what a projection is, batches committed with their checkpoint,
one runner per projection, rebuilds beside the live rows, the subscriber runner, and the
django-q2 tasks and wake-ups that drive them (docs/architecture.md)."""
