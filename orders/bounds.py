"""The order domain's bounds, stated once.

The API validates against them, the aggregates refuse a command that would exceed
them (409), and the read side is sized from them: every amount the write side can
record, and every sum of such amounts a read model keeps, fits its columns exactly
on both backends. Money is a ``Decimal`` with at most two places; the read models
store it as whole cents in 64-bit integer columns (``projections.readmodels.money``).
"""

from __future__ import annotations

from decimal import Decimal

CENTS = Decimal("0.01")

# A product's unit price: what the API has always accepted, 10 digits before the point.
MAX_PRICE = Decimal("9999999999.99")
# Units of one product on one order line, repeated lines and later additions merged.
MAX_QUANTITY = 1000
# Distinct products on one order.
MAX_LINES = 10
# An order's total: lines of dear products add up no further than one product may cost.
MAX_ORDER_TOTAL = Decimal("9999999999.99")

# Stock: one delivery, and what one product may have on hand (fits a 32-bit column).
MAX_STOCK_RECEIPT = 1_000_000
MAX_STOCK_ON_HAND = 1_000_000_000

# The read side's sums (a customer's total spent, total refunded) grow with the number
# of orders, which nothing bounds. The assumption: no customer pays more than this many
# orders. At MAX_ORDER_TOTAL each, that is 10**18 cents, within a signed 64-bit integer
# (9.2 * 10**18): one customer's sums stay exact up to 9,223,372 orders at the largest
# total, or 92 trillion orders of 100.00. Counts of orders are 32-bit (2.1 * 10**9).
MAX_ORDERS_PER_CUSTOMER = 1_000_000

INT64_MAX = 2**63 - 1


# The largest sum a read model keeps fits its 64-bit column.
assert int(MAX_ORDER_TOTAL / CENTS) * MAX_ORDERS_PER_CUSTOMER <= INT64_MAX
assert MAX_PRICE <= MAX_ORDER_TOTAL and MAX_STOCK_ON_HAND < 2**31
