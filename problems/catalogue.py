"""Every problem type Chronicle answers with: the one list of codes.

A problem document's ``type`` is ``/problems/<code>``, a page generated from this
list (``problems.pages``) that says what the problem means and what to do; the
OpenAPI schema links the same pages (``problems.schema``). An error path takes its
type URI (and the write side's refusals their status and title) from here, and a
test scans the code for every code raised, so a new code without an entry fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class ProblemType:
    code: str
    status: int
    title: str
    meaning: str
    remedy: str

    @property
    def uri(self) -> str:
        return f"/problems/{self.code}"


_RETRY = "Send the same request again; with an Idempotency-Key it is safe to."
_CHECK = "Read the resource again, then decide whether the command still makes sense."

CATALOGUE: Final[tuple[ProblemType, ...]] = (
    ProblemType(
        "invalid_request",
        400,
        "Invalid request",
        "The body, a query parameter or a header is not what the endpoint accepts, or "
        "the command names a customer or product that does not exist. `errors` lists "
        "each field with its message.",
        "Correct the fields `errors` names (the OpenAPI schema at /api/docs/ gives each "
        "field's type and bounds) and send the request again.",
    ),
    ProblemType(
        "invalid_correlation_id",
        400,
        "Invalid correlation id",
        "The X-Correlation-ID header is longer than 128 characters or holds something "
        "other than printable ASCII. Every endpoint refuses it alike.",
        "Send a printable ASCII value of at most 128 characters (a UUID, a trace id), "
        "or no X-Correlation-ID at all and let Chronicle make one.",
    ),
    ProblemType(
        "invalid_credentials",
        400,
        "Invalid credentials",
        "The username or the password given to POST /api/auth/token/ is wrong.",
        "Check both and try again; after repeated failures logins are locked out for a "
        "while (429 `throttled`).",
    ),
    ProblemType(
        "not_authenticated",
        401,
        "Authentication required",
        "The request carries no token, or one that expired or was revoked.",
        "Get a token from POST /api/auth/token/ and send it as `Authorization: Token <key>`.",
    ),
    ProblemType(
        "permission_denied",
        403,
        "Permission denied",
        "You may see the resource but not do this with it (for example, only staff ship "
        "orders or read the event log).",
        "Ask a member of staff, or act only on what your login owns.",
    ),
    ProblemType(
        "not_found",
        404,
        "Not found",
        "Nothing here that you may see: no such path, an id that names nothing, a page "
        "past the end, or a resource of another customer's.",
        "Check the id and the path; list the collection to find what exists.",
    ),
    ProblemType(
        "method_not_allowed",
        405,
        "Method not allowed",
        "The path exists but does not answer this HTTP method (commands are POST, queries GET).",
        "Use the method the OpenAPI schema documents for the path.",
    ),
    ProblemType(
        "not_acceptable",
        406,
        "Not acceptable",
        "The Accept header asks for a media type the endpoint cannot produce.",
        "Accept `application/json` (and `application/problem+json` for errors).",
    ),
    ProblemType(
        "domain_error",
        409,
        "Conflict",
        "A business rule refused the command.",
        f"Read `detail` for the rule. {_CHECK}",
    ),
    ProblemType(
        "order_not_pending",
        409,
        "Order is not pending",
        "Items can be added or removed only while the order is PENDING, before payment.",
        "Cancel the order and place a new one if it must change.",
    ),
    ProblemType(
        "invalid_transition",
        409,
        "Invalid transition",
        "The order's status does not allow this step (paying a cancelled order, "
        "cancelling a shipped one).",
        f"{_CHECK} The order's `status` says where it is.",
    ),
    ProblemType(
        "too_many_items",
        409,
        "Too many items",
        "The order would hold more different products than one order may (`detail` "
        "gives the limit; the README's table of bounds lists them all).",
        "Place the remaining products on another order.",
    ),
    ProblemType(
        "order_total_too_large",
        409,
        "Order total too large",
        "The order would cost more than an order may (`detail` gives the limit).",
        "Split the order.",
    ),
    ProblemType(
        "quantity_too_large",
        409,
        "Quantity too large",
        "One line would hold more units than a line may (repeated lines and additions "
        "add up; `detail` gives the limit).",
        "Order fewer units of the product, or split the order.",
    ),
    ProblemType(
        "price_too_large",
        409,
        "Price too large",
        "A price above the largest one allowed (`detail` gives it), or not a whole "
        "number of cents.",
        "Give a smaller price with at most two decimal places.",
    ),
    ProblemType(
        "stock_too_large",
        409,
        "Stock too large",
        "A delivery larger than one receipt may be, or stock on hand past its limit "
        "(`detail` gives which).",
        "Record the delivery in smaller receipts, or check the quantity.",
    ),
    ProblemType(
        "last_item",
        409,
        "Last item",
        "An order keeps at least one line; this would remove its last one.",
        "Cancel the order instead.",
    ),
    ProblemType(
        "insufficient_stock",
        409,
        "Insufficient stock",
        "The products named in `products` (and `lines`, when present) do not have the "
        "stock the order asks for.",
        "Order fewer units, or wait until stock is received.",
    ),
    ProblemType(
        "not_ready_to_ship",
        409,
        "Not ready to ship",
        "The order is paid but its stock is still being reserved (fulfillment is not "
        "READY_TO_SHIP yet).",
        "Retry in a moment: fulfillment reserves the stock shortly after payment.",
    ),
    ProblemType(
        "not_reserved",
        409,
        "Not reserved",
        "The stock this step needs was never reserved for the order.",
        f"{_CHECK}",
    ),
    ProblemType(
        "duplicate_sku",
        409,
        "Duplicate SKU",
        "Another product already has this SKU.",
        "Choose another SKU, or change the existing product.",
    ),
    ProblemType(
        "duplicate_email",
        409,
        "Duplicate email",
        "Another customer already has this email address (compared case-insensitively).",
        "Use another address, or find the existing customer in the directory.",
    ),
    ProblemType(
        "already_forgotten",
        409,
        "Already forgotten",
        "The customer was forgotten before: their data key is destroyed already.",
        "Nothing to do; the customer's personal data reads as [erased] everywhere.",
    ),
    ProblemType(
        "open_orders",
        409,
        "Open orders",
        "The customer has a PENDING or PAID order; forgetting them now would leave it "
        "unable to ship or refund.",
        "Cancel or ship the customer's open orders, then forget the customer.",
    ),
    ProblemType(
        "plaintext_history",
        409,
        "Plaintext history",
        "Some of the customer's events were recorded before personal data was encrypted, "
        "so destroying their key would not erase them.",
        "See the README's Compliance section for what an operator can do.",
    ),
    ProblemType(
        "customer_forgotten",
        409,
        "Customer forgotten",
        "The customer was forgotten; commands for them are refused.",
        "Register a new customer if the person comes back.",
    ),
    ProblemType(
        "duplicate_username",
        409,
        "Duplicate username",
        "The login's username is taken, in this case or another.",
        "Choose another username.",
    ),
    ProblemType(
        "stream_archived",
        409,
        "Archived",
        "The resource's history was moved to the archive: it is closed for good and takes "
        "no more commands. It still reads as before.",
        "Nothing to retry; an archived order or shipment is not reopened.",
    ),
    ProblemType(
        "concurrency_conflict",
        409,
        "Concurrency conflict",
        "The resource kept changing while the command ran, even after retries.",
        _RETRY,
    ),
    ProblemType(
        "idempotency_key_in_use",
        409,
        "Idempotency key in use",
        "A request with this Idempotency-Key is still running.",
        "Wait for it to finish, then send the request again to get its response.",
    ),
    ProblemType(
        "version_mismatch",
        412,
        "Version mismatch",
        "If-Match names a version the resource is no longer at; `current_version` says "
        "where it is.",
        "Read the resource again, and send its new ETag as If-Match if the command "
        "still makes sense.",
    ),
    ProblemType(
        "payload_too_large",
        413,
        "Payload too large",
        "The body is larger than the API accepts (the setting API_MAX_BODY_BYTES; "
        "`detail` gives it).",
        "Send a smaller body.",
    ),
    ProblemType(
        "uri_too_long",
        414,
        "URI too long",
        "The request line (method, path and query) is longer than Chronicle reads "
        "(`detail` gives the limit).",
        "Shorten the path and the query string.",
    ),
    ProblemType(
        "unsupported_media_type",
        415,
        "Unsupported media type",
        "The body is not `application/json`, or names a charset other than UTF-8.",
        "Send JSON as `Content-Type: application/json` (UTF-8).",
    ),
    ProblemType(
        "idempotency_key_reused",
        422,
        "Idempotency key reused",
        "This Idempotency-Key came earlier with a different request (method, path or body).",
        "Use a new key for a new request; reuse a key only to retry the same one.",
    ),
    ProblemType(
        "throttled",
        429,
        "Too many requests",
        "Too many failed logins for this username or from this address.",
        "Wait the seconds Retry-After gives, then log in again.",
    ),
    ProblemType(
        "request_header_fields_too_large",
        431,
        "Request header fields too large",
        "One header is too long, or the request has too many (`detail` says which, and the limit).",
        "Send fewer or shorter headers.",
    ),
    ProblemType(
        "server_error",
        500,
        "Server error",
        "Something went wrong on Chronicle's side; the error is logged.",
        f"{_RETRY} If it persists, tell the operators the time and the X-Correlation-ID.",
    ),
    ProblemType(
        "database_unavailable",
        503,
        "Database unavailable",
        "The database cannot be reached right now.",
        f"Retry later. {_RETRY}",
    ),
)

BY_CODE: Final[dict[str, ProblemType]] = {entry.code: entry for entry in CATALOGUE}


def type_uri(code: str) -> str:
    """The problem type's page; ``about:blank`` (RFC 9457's "no more than the status")
    for a code missing here, which ``tests/problems`` makes a failing test."""
    entry = BY_CODE.get(code)
    return entry.uri if entry is not None else "about:blank"
