"""The query REST API: read-model queries (``views``), the event store's queries
(``events``, ``history``), ``/healthz`` (``health``), their selectors, filters,
serializers, OpenAPI details and routes."""
