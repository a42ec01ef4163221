from django.urls import path

from accounts import views
from accounts.views import opportunity_board, profile

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
        "opportunities/board/",
        opportunity_board.opportunity_board,
        name="opportunity-board",
    ),
    path(
        "opportunities/<int:pk>/move/",
        opportunity_board.opportunity_board_move,
        name="opportunity-board-move",
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
    path("account/settings/", profile.user_settings, name="settings"),
    path("account/api-tokens/", views.api_tokens, name="api-tokens"),
    # Saved list views (the lead list's save form: leads/urls.py, leads:view-create).
    path("views/", views.saved_views, name="saved-views"),
    path(
        "views/new/<str:list_kind>/",
        views.SavedViewCreateView.as_view(),
        name="view-create",
    ),
    path("views/<int:pk>/", views.saved_view_open, name="saved-view-open"),
    path("views/<int:pk>/rename/", views.saved_view_rename, name="saved-view-rename"),
    path("views/<int:pk>/delete/", views.saved_view_delete, name="saved-view-delete"),
    path(
        "views/<int:pk>/default/", views.saved_view_default, name="saved-view-default"
    ),
    path(
        "account/api-tokens/<int:pk>/revoke/",
        views.api_token_revoke,
        name="api-token-revoke",
    ),
]
