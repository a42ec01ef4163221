from django.views.generic import DetailView, ListView

from accounts import selectors


class AccountListView(ListView):
    paginate_by = 50
    template_name = "accounts/account_list.html"

    def get_queryset(self):
        return selectors.list_accounts(user=self.request.user)


class AccountDetailView(DetailView):
    template_name = "accounts/account_detail.html"

    def get_queryset(self):
        return selectors.list_accounts(user=self.request.user)


class ContactListView(ListView):
    paginate_by = 50
    template_name = "accounts/contact_list.html"

    def get_queryset(self):
        return selectors.list_contacts(user=self.request.user)


class ContactDetailView(DetailView):
    template_name = "accounts/contact_detail.html"

    def get_queryset(self):
        return selectors.list_contacts(user=self.request.user)


class OpportunityListView(ListView):
    paginate_by = 50
    template_name = "accounts/opportunity_list.html"

    def get_queryset(self):
        return selectors.list_opportunities(user=self.request.user)


class OpportunityDetailView(DetailView):
    template_name = "accounts/opportunity_detail.html"

    def get_queryset(self):
        return selectors.list_opportunities(user=self.request.user)
