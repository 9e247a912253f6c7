"""A DRF CreateAPIView + ModelSerializer inserting one row, with Chronicle's auth."""

from rest_framework import generics, serializers

from bench.baseline.models import PlainOrder


class PlainOrderSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlainOrder
        fields = ["id", "customer_id", "product_id", "quantity", "shipping_city", "created_at"]


class PlainOrderCreateApi(generics.CreateAPIView):
    queryset = PlainOrder.objects.all()
    serializer_class = PlainOrderSerializer
