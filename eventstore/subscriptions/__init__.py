"""Subscriptions to the global log: what every reader of the log that keeps its own
place in it shares, whichever side of the system it is on.

- ``state.SubscriptionState``: the abstract row of one reader (checkpoint in the
  store's safe read order, last failure, lease), made concrete by each side.
- ``leases``: the one-runner rule across transactions (a session-level advisory lock
  on PostgreSQL, a short time lease elsewhere) and the row claim under it.
- ``eventstore.backoff``: how long a failing reader waits.

The read side's projections and the write side's process managers both build on it;
it knows nothing of either.
"""
