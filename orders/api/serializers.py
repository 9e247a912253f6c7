"""Input shapes of the command endpoints, and the one output shape they share
(``ProblemSerializer``, the error shape, is ``problems.schema``'s)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import serializers

from orders.api.fields import MoneyField, StrictCharField, StrictEmailField, StrictIntegerField
from orders.bounds import MAX_QUANTITY, MAX_STOCK_RECEIPT

# Re-exported for orders.api.commanding, which still imports it from here.
from problems.schema import ProblemSerializer as ProblemSerializer


class CommandResultSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    version = serializers.IntegerField(help_text="The aggregate's stream version; the ETag.")
    position = serializers.IntegerField(
        help_text="Global position of the last event; pass it as min_position to read your write."
    )


class RegisterCustomerInput(serializers.Serializer):
    name = StrictCharField(max_length=200)
    email = StrictEmailField(max_length=254)
    phone = StrictCharField(max_length=32)
    # Django's rules for usernames; a taken one is a 409 (the view and the handler).
    username = StrictCharField(
        max_length=150, required=False, validators=[get_user_model().username_validator]
    )
    password = StrictCharField(
        max_length=128, required=False, write_only=True, trim_whitespace=False
    )

    def validate_username(self, value: str) -> str:
        return get_user_model().normalize_username(value)

    def validate(self, attrs: dict) -> dict:
        if ("username" in attrs) != ("password" in attrs):
            raise serializers.ValidationError({"password": "username and password come together"})
        if "password" in attrs:
            try:
                validate_password(attrs["password"])
            except DjangoValidationError as error:
                raise serializers.ValidationError({"password": list(error.messages)}) from None
        return attrs


class ChangeEmailInput(serializers.Serializer):
    email = StrictEmailField(max_length=254)


class AddProductInput(serializers.Serializer):
    sku = StrictCharField(max_length=64)
    name = StrictCharField(max_length=200)
    price = MoneyField()
    image_url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")


class ChangePriceInput(serializers.Serializer):
    price = MoneyField()


class ReceiveStockInput(serializers.Serializer):
    quantity = StrictIntegerField(min_value=1, max_value=MAX_STOCK_RECEIPT)


class ItemInput(serializers.Serializer):
    product_id = serializers.UUIDField()
    quantity = StrictIntegerField(min_value=1, max_value=MAX_QUANTITY)


class ShippingAddressInput(serializers.Serializer):
    line1 = StrictCharField(max_length=200)
    line2 = StrictCharField(max_length=200, required=False, allow_blank=True, default="")
    city = StrictCharField(max_length=100)
    postal_code = StrictCharField(max_length=20)
    country = StrictCharField(max_length=100)


class CreateOrderInput(serializers.Serializer):
    customer_id = serializers.UUIDField(required=False, help_text="A customer login may omit it.")
    items = ItemInput(many=True, allow_empty=False)
    shipping_address = ShippingAddressInput()


class AddItemInput(ItemInput):
    pass


class PayOrderInput(serializers.Serializer):
    payment_id = StrictCharField(max_length=100)


class ShipOrderInput(serializers.Serializer):
    carrier = StrictCharField(max_length=100)
    tracking_number = StrictCharField(max_length=100)


class CancelOrderInput(serializers.Serializer):
    reason = StrictCharField(max_length=500)
