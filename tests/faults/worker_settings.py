"""Settings of the processes the fault tests start: Chronicle's own, plus two knobs.

- ``FAULTS_Q_QUEUE`` gives the django-q2 clusters a queue of the test's own
  (``cluster_name``), so clusters of test runs sharing one Redis never take each
  other's tasks.
- ``FAULTS_REBUILD_BATCH_SIZE`` makes rebuild batches small, so a rebuild commits
  several batches before the fault point (``eventstore.subscriptions.faults``) stops it.
"""

import os

from config.settings import *  # noqa: F403
from config.settings import Q_CLUSTER

if os.environ.get("FAULTS_Q_QUEUE"):
    Q_CLUSTER = {**Q_CLUSTER, "cluster_name": os.environ["FAULTS_Q_QUEUE"]}
if os.environ.get("FAULTS_REBUILD_BATCH_SIZE"):
    PROJECTIONS_REBUILD_BATCH_SIZE = int(os.environ["FAULTS_REBUILD_BATCH_SIZE"])
