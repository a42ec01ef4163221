// Source report: the Period box and the date boxes stay in step (a preset fills in
// its days, "All time" clears them, a date typed by hand makes the period "Custom
// range"); campaign rows fold under their source (open in the Cost group, whose
// figures are on campaign lines only); three charts from the json_script
// block: qualification rate bars with 95% interval whiskers (a small plugin of ours),
// leads per month per source (lines), won revenue per source (bars).
(function () {
  "use strict";

  var PALETTE = [
    "#1f5fbf", "#d9730d", "#2e8540", "#b42318", "#6941c6",
    "#0e7490", "#a15c07", "#c11574", "#475467", "#3b7d23", "#7a5af8"
  ];

  function linkPeriodAndDates() {
    var period = document.getElementById("id_period");
    var from = document.getElementById("id_created_from");
    var to = document.getElementById("id_created_to");
    var rangesNode = document.getElementById("source-report-periods");
    if (!period || !from || !to || !rangesNode) {
      return;
    }
    var ranges = JSON.parse(rangesNode.textContent);
    period.addEventListener("change", function () {
      var range = ranges[period.value];
      if (range) {
        from.value = range[0];
        to.value = range[1];
      } else if (period.value === "all") {
        from.value = "";
        to.value = "";
      }
    });
    function typed() {
      var range = ranges[period.value];
      var unchanged = range
        ? from.value === range[0] && to.value === range[1]
        : period.value === "custom" || (!from.value && !to.value);
      if (!unchanged) {
        period.value = "custom";
      }
    }
    [from, to].forEach(function (input) {
      input.addEventListener("input", typed);
      input.addEventListener("change", typed);
    });
  }

  function foldCampaigns() {
    var table = document.getElementById("source-report");
    var startOpen = Boolean(table) && table.getAttribute("data-campaigns") === "open";
    var buttons = document.querySelectorAll(".report-toggle");
    buttons.forEach(function (button) {
      var source = button.getAttribute("data-source");
      var rows = document.querySelectorAll('tr[data-parent="' + source + '"]');
      function show(open) {
        button.setAttribute("aria-expanded", open ? "true" : "false");
        var mark = button.querySelector(".report-toggle-mark");
        if (mark) {
          mark.textContent = open ? "\u25BE" : "\u25B8";
        }
        rows.forEach(function (row) { row.hidden = !open; });
      }
      show(startOpen);
      button.addEventListener("click", function () {
        show(button.getAttribute("aria-expanded") !== "true");
      });
    });
  }

  // Draws each bar's [low, high] interval of `options.plugins.errorBars.intervals`
  // as a vertical whisker with caps.
  var errorBars = {
    id: "errorBars",
    afterDatasetsDraw: function (chart, args, options) {
      var intervals = options.intervals || [];
      var meta = chart.getDatasetMeta(0);
      var y = chart.scales.y;
      var ctx = chart.ctx;
      ctx.save();
      ctx.strokeStyle = "#102a43";
      ctx.lineWidth = 1.5;
      meta.data.forEach(function (bar, index) {
        var interval = intervals[index];
        if (!interval) {
          return;
        }
        var top = y.getPixelForValue(interval[1]);
        var bottom = y.getPixelForValue(interval[0]);
        var cap = Math.max(3, Math.min(8, bar.width / 4));
        ctx.beginPath();
        ctx.moveTo(bar.x, top);
        ctx.lineTo(bar.x, bottom);
        ctx.moveTo(bar.x - cap, top);
        ctx.lineTo(bar.x + cap, top);
        ctx.moveTo(bar.x - cap, bottom);
        ctx.lineTo(bar.x + cap, bottom);
        ctx.stroke();
      });
      ctx.restore();
    }
  };

  function base() {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      plugins: { legend: { display: false } }
    };
  }

  function draw() {
    linkPeriodAndDates();
    foldCampaigns();
    var dataNode = document.getElementById("source-report-data");
    if (!dataNode || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(dataNode.textContent);
    var Chart = window.Chart;
    var rate = document.getElementById("source-report-chart");
    if (rate) {
      var options = base();
      options.plugins.errorBars = { intervals: data.intervals };
      options.scales = { y: { beginAtZero: true, max: 100, title: { display: true, text: "%" } } };
      rate.chart = new Chart(rate, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [{ label: gettext("Qualification rate (%)"), data: data.rates, backgroundColor: "rgba(31, 95, 191, 0.55)" }]
        },
        options: options,
        plugins: [errorBars]
      });
    }
    var trend = document.getElementById("source-report-trend");
    if (trend) {
      var trendOptions = base();
      trendOptions.plugins.legend = { display: true, position: "bottom", labels: { boxWidth: 10 } };
      trendOptions.scales = { y: { beginAtZero: true, title: { display: true, text: gettext("leads") } } };
      trend.chart = new Chart(trend, {
        type: "line",
        data: {
          labels: data.months,
          datasets: data.trend.map(function (series, index) {
            var colour = PALETTE[index % PALETTE.length];
            return { label: series.label, data: series.data, borderColor: colour, backgroundColor: colour, pointRadius: 2 };
          })
        },
        options: trendOptions
      });
    }
    var revenue = document.getElementById("source-report-revenue");
    if (revenue) {
      var revenueOptions = base();
      revenueOptions.scales = { y: { beginAtZero: true } };
      revenue.chart = new Chart(revenue, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [{ label: gettext("Won revenue"), data: data.revenue, backgroundColor: "rgba(46, 133, 64, 0.6)" }]
        },
        options: revenueOptions
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
