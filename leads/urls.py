from django.urls import path

from leads.views import leads, misc

app_name = "leads"

# --- lead lifecycle (issue 3) -------------------------------------------------------
urlpatterns = [
    path("", leads.HomeView.as_view(), name="home"),
    path("leads/", leads.LeadListView.as_view(), name="list"),
    path("leads/<int:pk>/", leads.LeadDetailView.as_view(), name="detail"),
]

# --- related records, timeline, merge (issue 4) -------------------------------------
urlpatterns += []

# --- routing and reports -------------------------------------------------------------
urlpatterns += [
    path("routing/", misc.RoutingView.as_view(), name="routing"),
    path("reports/sources/", misc.SourceReportView.as_view(), name="source-report"),
]
