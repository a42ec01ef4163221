from django.views.generic import TemplateView


class RoutingView(TemplateView):
    template_name = "leads/routing.html"


class SourceReportView(TemplateView):
    template_name = "leads/source_report.html"
