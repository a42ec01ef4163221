// Source report: qualification rate per source as bars, the 95% Wilson interval as
// a thin dark floating bar drawn over each rate bar (an error bar). Data comes from the json_script block of the page.
(function () {
  "use strict";
  function draw() {
    var dataNode = document.getElementById("source-report-data");
    var canvas = document.getElementById("source-report-chart");
    if (!dataNode || !canvas || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(dataNode.textContent);
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          {
            label: "95% interval (%)",
            data: data.intervals,
            backgroundColor: "rgba(16, 42, 67, 0.85)",
            grouped: false,
            barPercentage: 0.08,
            order: 0
          },
          {
            label: "Qualification rate (%)",
            data: data.rates,
            backgroundColor: "rgba(31, 95, 191, 0.45)",
            grouped: false,
            barPercentage: 0.6,
            order: 1
          }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { beginAtZero: true, max: 100, title: { display: true, text: "%" } } }
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
