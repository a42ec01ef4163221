from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("accounts/", views.AccountListView.as_view(), name="account-list"),
    path("accounts/new/", views.AccountCreateView.as_view(), name="account-create"),
    path(
        "accounts/autocomplete/",
        views.account_autocomplete,
        name="account-autocomplete",
    ),
    path(
        "accounts/<int:pk>/", views.AccountDetailView.as_view(), name="account-detail"
    ),
    path(
        "accounts/<int:pk>/edit/",
        views.AccountUpdateView.as_view(),
        name="account-edit",
    ),
    path("contacts/", views.ContactListView.as_view(), name="contact-list"),
    path("contacts/new/", views.ContactCreateView.as_view(), name="contact-create"),
    path(
        "contacts/autocomplete/",
        views.contact_autocomplete,
        name="contact-autocomplete",
    ),
    path(
        "contacts/<int:pk>/", views.ContactDetailView.as_view(), name="contact-detail"
    ),
    path(
        "contacts/<int:pk>/edit/",
        views.ContactUpdateView.as_view(),
        name="contact-edit",
    ),
    path(
        "opportunities/", views.OpportunityListView.as_view(), name="opportunity-list"
    ),
    path(
        "opportunities/new/",
        views.OpportunityCreateView.as_view(),
        name="opportunity-create",
    ),
    path(
        "opportunities/<int:pk>/",
        views.OpportunityDetailView.as_view(),
        name="opportunity-detail",
    ),
    path(
        "opportunities/<int:pk>/edit/",
        views.OpportunityUpdateView.as_view(),
        name="opportunity-edit",
    ),
    path(
        "opportunities/<int:pk>/win/",
        views.OpportunityWinView.as_view(),
        name="opportunity-win",
    ),
    path(
        "opportunities/<int:pk>/lose/",
        views.OpportunityLoseView.as_view(),
        name="opportunity-lose",
    ),
    path(
        "opportunities/<int:pk>/reopen/",
        views.opportunity_reopen,
        name="opportunity-reopen",
    ),
    path(
        "opportunities/<int:pk>/products/add/",
        views.opportunity_add_product,
        name="opportunity-add-product",
    ),
    path(
        "opportunities/<int:pk>/products/<int:line_pk>/remove/",
        views.opportunity_remove_product,
        name="opportunity-remove-product",
    ),
    path("account/api-tokens/", views.api_tokens, name="api-tokens"),
    path(
        "account/api-tokens/<int:pk>/revoke/",
        views.api_token_revoke,
        name="api-token-revoke",
    ),
]
