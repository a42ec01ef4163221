from django.views.generic import TemplateView

from accounts.permissions import business_unit_subtree_ids
from leads.forms.scoring_report import ScoringReportForm
from leads.presenters.scoring_report import (
    auc_chart,
    calibration_chart,
    calibration_rows,
    grade_rows,
)
from leads.reports.scoring import MIN_TEST, TEST_CAP, TRAIN_CAP, scoring_backtest
from leads.selectors.scoring import scoring_config


class ScoringReportView(TemplateView):
    """The scoring backtest for everyone who sees the source report, over the
    leads they may see."""

    template_name = "leads/scoring_report.html"

    def get(self, request, *args, **kwargs):
        form = ScoringReportForm(request.GET or {"period": "all"}, user=request.user)
        config = scoring_config()
        context = {
            "form": form,
            "backtest": None,
            "config": config,
            "min_test": MIN_TEST,
            "test_cap": TEST_CAP,
            "train_cap": TRAIN_CAP,
        }
        if not form.is_valid():
            # An invalid filter shows its error and no figures.
            return self.render_to_response(self.get_context_data(**context))
        backtest = scoring_backtest(
            user=request.user,
            settings=config.model_settings,
            thresholds=config.thresholds,
            **form.report_filters(business_unit_subtree_ids),
        )
        context["backtest"] = backtest
        if not backtest.too_few:
            bands = calibration_rows(
                backtest.model.calibration, backtest.baseline.calibration
            )
            context.update(
                bands=bands,
                grades=grade_rows(
                    backtest.model.grades, backtest.baseline.grades, config.thresholds
                ),
                calibration=calibration_chart(bands),
                auc=auc_chart(backtest.model.auc, backtest.baseline.auc),
            )
        return self.render_to_response(self.get_context_data(**context))
