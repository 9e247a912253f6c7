"""What every read-model table is: ``ReadModel``, the base with generation, position
and version (see ``projections.models``), and ``Lookup``, a projection's private
memory of facts from other streams.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models


class ReadModel(models.Model):
    """Base of every table a projection writes; ``key_field`` names the row's natural key."""

    key_field: ClassVar[str]

    generation = models.PositiveIntegerField()
    position = models.BigIntegerField()
    version = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    @classmethod
    def partition(cls, projection: str, generation: int) -> dict[str, Any]:
        """The filter selecting one projection generation's rows of this table."""
        return {"generation": generation}


class Lookup(ReadModel):
    """A projection's private memory of facts from other streams.

    ``key`` is ``"<kind>:<id>"`` (``customer:…``, ``product:…``, ``order:…``);
    ``data`` is whatever the projection needs from that stream.
    """

    key_field = "key"

    projection = models.CharField(max_length=64)
    key = models.CharField(max_length=100)
    data = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["projection", "generation", "key"], name="lookup_key"),
        ]

    def __str__(self) -> str:
        return f"{self.projection}/{self.key}"

    @classmethod
    def partition(cls, projection: str, generation: int) -> dict[str, Any]:
        return {"projection": projection, "generation": generation}
