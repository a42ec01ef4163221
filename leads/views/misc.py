from django.views.generic import TemplateView

from leads.selectors import routing as routing_selectors

QUEUE_SIZE = 50


class RoutingView(TemplateView):
    template_name = "leads/routing.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        queue = routing_selectors.unassigned_queue(user=user)
        context.update(
            rules=routing_selectors.list_routing_rules(),
            queue=queue[:QUEUE_SIZE],
            queue_count=queue.count(),
            queue_size=QUEUE_SIZE,
            assignments=routing_selectors.recent_assignments(user=user),
        )
        return context
