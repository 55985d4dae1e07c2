from django.urls import path

from . import api

urlpatterns = [
    path("", api.SearchView.as_view(), name="api-search"),
    path("suggest/", api.SuggestView.as_view(), name="api-search-suggest"),
]
