from django.conf import settings
from django.contrib.auth import views as auth_views
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from search.admin_views import chooser_search_view

urlpatterns = [
    # The page chooser's search finds documents through search.service; at
    # Wagtail's own address, so it comes before the admin's URLs.
    path("admin/choose-page/search/", chooser_search_view),
    path("admin/", include(wagtailadmin_urls)),
    path("files/", include(wagtaildocs_urls)),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="registration/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/records/", include("records.api_urls")),
    path("api/v1/search/", include("search.api_urls")),
    path("api/v1/", include("audits.api_urls")),
    path("api/v1/", include("reviews.api_urls")),
    path("api/v1/", include("compliance.api_urls")),
    path("api/v1/", include("documents.api_urls")),
    path("records/", include("records.urls")),
    path("compliance/", include("compliance.urls")),
    path("audits/", include("audits.urls")),
    path("reviews/", include("reviews.urls")),
    path("search/", include("search.urls")),
    path("", include("documents.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail serves whatever is left from the page tree.
urlpatterns += [path("", include(wagtail_urls))]
