// Source report: qualification rate per source as bars, the 95% Wilson interval as
// thin floating bars beside them. Data comes from the json_script block of the page.
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
            label: "Qualification rate (%)",
            data: data.rates,
            backgroundColor: "rgba(31, 95, 191, 0.75)"
          },
          {
            label: "95% interval (%)",
            data: data.intervals,
            backgroundColor: "rgba(240, 180, 41, 0.6)",
            barPercentage: 0.3
          }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
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
