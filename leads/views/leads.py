from django.views.generic import DetailView, ListView, TemplateView

from leads.selectors import leads as selectors
from leads.models import LeadState


class HomeView(TemplateView):
    template_name = "leads/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["my_open_leads"] = selectors.list_leads(user=self.request.user).filter(
            owner_user=self.request.user, state=LeadState.OPEN
        )[:10]
        return context


class LeadListView(ListView):
    paginate_by = 50
    template_name = "leads/lead_list.html"

    def get_queryset(self):
        return selectors.list_leads(user=self.request.user)


class LeadDetailView(DetailView):
    template_name = "leads/lead_detail.html"

    def get_queryset(self):
        return selectors.list_leads(user=self.request.user)
