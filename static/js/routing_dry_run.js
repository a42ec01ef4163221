// Dry run: leads per assignee, "would get" beside "own today", as grouped bars.
// Data comes from the json_script block "dry-run-data".
(function () {
  "use strict";
  function draw() {
    var dataNode = document.getElementById("dry-run-data");
    var canvas = document.getElementById("dry-run-chart");
    if (!dataNode || !canvas || typeof window.Chart === "undefined") {
      return;
    }
    var data = JSON.parse(dataNode.textContent);
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: gettext("Would get"), data: data.would, backgroundColor: "rgba(31, 95, 191, 0.75)" },
          { label: gettext("Own today"), data: data.now, backgroundColor: "rgba(159, 179, 200, 0.8)" }
        ]
      },
      options: {
        indexAxis: "y",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { x: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
