"""The read side of Chronicle: read models kept caught up from the event log.

Where things are:

- ``models``: read-model tables (every row with generation, position, version)
  and ``ProjectionState`` (checkpoints, rebuild, last failure).
- ``projection``, ``rows``, ``handlers/``: what a projection is, the batch unit of
  work, and the five projections (order_list, order_details, customer_statistics,
  catalog, customer_directory).
- ``runner``, ``locks``, ``rebuilding``: batches in one transaction with their
  checkpoint, one runner per projection, rebuilds without downtime.
- ``dispatch``, ``tasks``: waking django-q2 after a command commits; thin tasks.
- ``freshness``, ``selectors``, ``history``: what a query reads (read-your-writes),
  query functions over read models, event-store queries.
- ``api``, ``events_api``, ``health``, ``urls``, ``serializers``, ``filters``,
  ``schema``: the HTTP query API.
- ``status``, ``progress``, ``management/commands``: ``projections``,
  ``catch_up``, ``rebuild_projections``.
"""
