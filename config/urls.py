"""Routes. Where a command and a query share a path, one class serves both: the
query view's GET and the command view's POST (docs/architecture.md)."""

from django.conf import settings
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView, TemplateView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.forms import LockedAdminLoginForm
from config.metrics import metrics
from orders.api import views as commands
from orders.api.auth import AuthTokenApi, LogoutAllApi, LogoutApi
from problems.handler import api_not_found
from problems.pages import problem_index, problem_page
from projections.api import views as queries

admin.site.site_header = "Chronicle staff"
admin.site.site_title = "Chronicle"
admin.site.index_title = "What happened"
admin.site.login_form = LockedAdminLoginForm


def shared(name: str, *views: type) -> type:
    return type(name, views, {})


urlpatterns = [
    # What the admin's "View site" opens: where the admin, the API docs and /healthz are.
    path("", TemplateView.as_view(template_name="landing.html"), name="landing"),
    path("favicon.ico", RedirectView.as_view(url=static("chronicle/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("api/auth/token/", AuthTokenApi.as_view(), name="auth-token"),
    path("api/auth/logout/", LogoutApi.as_view(), name="auth-logout"),
    path("api/auth/logout-all/", LogoutAllApi.as_view(), name="auth-logout-all"),
    path("metrics", metrics, name="metrics"),
    path("problems/", problem_index, name="problems"),
    path("problems/<slug:code>", problem_page, name="problem"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path(
        "api/customers/",
        shared(
            "CustomersApi", queries.CustomerDirectoryApi, commands.CustomerRegisterApi
        ).as_view(),
        name="customers",
    ),
    path(
        "api/products/",
        shared("ProductsApi", queries.ProductCatalogApi, commands.ProductAddApi).as_view(),
        name="products",
    ),
    path(
        "api/orders/",
        shared("OrdersApi", queries.OrderListApi, commands.OrderCreateApi).as_view(),
        name="orders",
    ),
    path("", include("orders.api.urls")),
    path("", include("projections.api.urls")),
    path("", include("webhooks.urls")),
    re_path(r"^api/", api_not_found, name="api-not-found"),
]

if settings.CHRONICLE_BENCH:
    urlpatterns.insert(0, path("", include("bench.baseline.urls")))

handler400 = "problems.handler.bad_request"
handler404 = "problems.handler.page_not_found"
handler500 = "problems.handler.server_error"
