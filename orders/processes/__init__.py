"""Process managers: the write side's readers of the log, which react to events by
sending commands (``fulfillment``), driven by ``runner`` through
``eventstore.subscriptions`` with their own state rows (``state.ProcessState``) and
their own django-q2 task (``tasks``), woken after every commit (``dispatch``)."""
