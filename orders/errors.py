"""Why the order domain refuses a command. Plain Python; the API maps codes to HTTP."""

from __future__ import annotations


class DomainError(Exception):
    """A business rule refused the command; ``code`` is stable for clients."""

    code = "domain_error"

    def __init__(self, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class OrderNotPending(DomainError):
    code = "order_not_pending"


class InvalidTransition(DomainError):
    code = "invalid_transition"


class TooManyItems(DomainError):
    code = "too_many_items"


class OrderTotalTooLarge(DomainError):
    """The order would cost more than ``bounds.MAX_ORDER_TOTAL``."""

    code = "order_total_too_large"


class QuantityTooLarge(DomainError):
    """A line would hold more than ``bounds.MAX_QUANTITY`` units."""

    code = "quantity_too_large"


class PriceTooLarge(DomainError):
    code = "price_too_large"


class StockTooLarge(DomainError):
    """A delivery past ``bounds.MAX_STOCK_RECEIPT``, or on hand past ``MAX_STOCK_ON_HAND``."""

    code = "stock_too_large"


class LastItem(DomainError):
    code = "last_item"


class InsufficientStock(DomainError):
    code = "insufficient_stock"


class NotReadyToShip(DomainError):
    """Paid, but the stock is still being reserved (or was never reserved)."""

    code = "not_ready_to_ship"


class NotReserved(DomainError):
    code = "not_reserved"


class DuplicateSku(DomainError):
    code = "duplicate_sku"


class DuplicateEmail(DomainError):
    """Another customer has this email, in this case or another (409)."""

    code = "duplicate_email"


class DuplicateUsername(DomainError):
    """The login's username is taken, in this case or another (409)."""

    code = "duplicate_username"


class AlreadyForgotten(DomainError):
    """The customer was forgotten already (409)."""

    code = "already_forgotten"


class OpenOrders(DomainError):
    """The customer has a PENDING or PAID order: cancel or ship it first (409)."""

    code = "open_orders"


class PlaintextHistory(DomainError):
    """Some of the customer's events predate encryption: destroying a key would not
    erase them (409; README, "Compliance")."""

    code = "plaintext_history"


class CustomerIsForgotten(DomainError):
    """A command for a customer who was forgotten (409)."""

    code = "customer_forgotten"


class ItemNotOnOrder(DomainError):
    """Removing a product the order does not have: the path names nothing (404)."""

    code = "not_found"


class InvalidCommand(DomainError):
    """A value the rules cannot accept (e.g. a non-positive price)."""

    code = "invalid_request"


class UnknownReference(DomainError):
    """The command names a customer or product that does not exist (400)."""

    code = "invalid_request"

    def __init__(self, field: str, detail: str) -> None:
        super().__init__(detail, errors=[{"field": field, "message": detail}])
        self.field = field


class VersionMismatch(DomainError):
    """If-Match named a version the aggregate is no longer (or not yet) at."""

    code = "version_mismatch"

    def __init__(self, current_version: int, expected_version: int) -> None:
        super().__init__(
            f"the resource is at version {current_version}, not {expected_version}",
            current_version=current_version,
        )
        self.current_version = current_version
