"""Routing pages: rules by level, the unassigned queue, the assignment log, the
rule form with its dry run, and the route actions on leads."""

from django.views.generic import TemplateView

from leads.selectors import routing as routing_selectors
from leadsite.permissions import can_manage_routing

QUEUE_SIZE = 50


class RoutingView(TemplateView):
    template_name = "leads/routing.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        queue = routing_selectors.unassigned_queue(user=user)
        rules = routing_selectors.list_routing_rules(user=user)
        context.update(
            rules=rules,
            groups=routing_selectors.rules_by_level(rules),
            can_manage=can_manage_routing(user),
            queue=queue[:QUEUE_SIZE],
            queue_count=queue.count(),
            queue_size=QUEUE_SIZE,
            assignments=routing_selectors.recent_assignments(user=user),
        )
        return context
