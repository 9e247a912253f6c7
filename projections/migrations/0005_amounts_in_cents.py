"""Amounts become whole cents in 64-bit integer columns (projections.readmodels.money.CentsField).

Each column is first widened (so that a hundred times its largest value fits), then
multiplied by 100 in place, then turned into a ``bigint``: the live rows keep their
amounts and no rebuild is needed. ``ROUND`` turns SQLite's REAL products such as
28.999999999999996 into the whole number of cents they stand for.
"""

from decimal import Decimal

from django.db import migrations, models

import projections.readmodels.money

AMOUNTS = [
    ("catalogproduct", "price", Decimal("0.00")),
    ("customerstatistics", "total_refunded", Decimal("0.00")),
    ("customerstatistics", "total_spent", Decimal("0.00")),
    ("orderdetail", "total_amount", None),
    ("ordersummary", "total_amount", None),
]


def _defaults(default):
    return {} if default is None else {"default": default}


def _in_cents(model_name, column, default):
    table = f"projections_{model_name}"
    return [
        migrations.AlterField(
            model_name=model_name,
            name=column,
            field=models.DecimalField(max_digits=20, decimal_places=2, **_defaults(default)),
        ),
        migrations.RunSQL(
            f'UPDATE "{table}" SET "{column}" = ROUND("{column}" * 100)',
            reverse_sql=f'UPDATE "{table}" SET "{column}" = "{column}" / 100.0',
        ),
        migrations.AlterField(
            model_name=model_name,
            name=column,
            field=projections.readmodels.money.CentsField(**_defaults(default)),
        ),
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("projections", "0004_fulfillment_read_side_and_leases"),
    ]

    operations = [operation for amount in AMOUNTS for operation in _in_cents(*amount)]
