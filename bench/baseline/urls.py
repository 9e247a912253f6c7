from django.urls import path

from bench.baseline.views import PlainOrderCreateApi

urlpatterns = [
    path("bench/plain-orders/", PlainOrderCreateApi.as_view(), name="bench-plain-orders")
]
