// Draws the dashboard's charts from the JSON embedded in the page (id "telemetry-data").
(function () {
  "use strict";
  const data = JSON.parse(document.getElementById("telemetry-data").textContent);
  const colors = { new_hub: "#2b7bb9", old_pages: "#b9772b", on: "#2ca02c", off: "#999999" };
  const labels = { new_hub: "New hub", old_pages: "Old pages" };

  function cohortLines(field) {
    return Object.keys(labels).map(function (cohort) {
      return {
        label: labels[cohort],
        data: data.cohorts[cohort][field],
        borderColor: colors[cohort],
        backgroundColor: colors[cohort],
        spanGaps: true,
      };
    });
  }

  // Rollout plans' decisions as dashed vertical lines on their day, labelled (e.g. "kill").
  const decisionMarks = {
    id: "decisionMarks",
    afterDatasetsDraw: function (chart) {
      const x = chart.scales.x;
      const area = chart.chartArea;
      let drawn = 0;
      (data.decisions || []).forEach(function (decision) {
        const index = data.days.indexOf(decision.day);
        if (index < 0) return;
        const left = x.getPixelForValue(index);
        const ctx = chart.ctx;
        ctx.save();
        ctx.strokeStyle = decision.decision === "kill" ? "#d62728" : "#555";
        ctx.setLineDash([4, 3]);
        ctx.beginPath();
        ctx.moveTo(left, area.top);
        ctx.lineTo(left, area.bottom);
        ctx.stroke();
        ctx.fillStyle = ctx.strokeStyle;
        ctx.fillText(decision.decision + (decision.enabled === false ? "" : " " + decision.percentage + "%"), left + 3, area.top + 10 + 10 * (drawn % 3));
        ctx.restore();
        drawn += 1;
      });
      chart.canvas.dataset.decisionMarks = String(drawn);
    },
  };

  function draw(id, type, chartLabels, datasets, extra) {
    const element = document.getElementById(id);
    if (!element) return;
    new Chart(element, Object.assign({
      type: type,
      data: { labels: chartLabels, datasets: datasets },
      options: { animation: false, responsive: true, scales: { y: { beginAtZero: true } } },
    }, extra || {}));
  }

  const marked = { plugins: [decisionMarks] };
  draw("chart-users", "line", data.days, cohortLines("users"), marked);
  draw("chart-views", "line", data.days, cohortLines("views"), marked);
  draw("chart-errors", "line", data.days, cohortLines("error_rate"), marked);
  draw("chart-client-errors", "line", data.days, cohortLines("client_errors"), marked);
  draw("chart-latency", "line", data.days, cohortLines("p95_ms"), marked);
  const flags = data.flags.slice(0, 10);
  draw("chart-flags", "bar", flags.map(function (f) { return f.flag; }), [
    { label: "On", data: flags.map(function (f) { return f.on; }), backgroundColor: colors.on },
    { label: "Off", data: flags.map(function (f) { return f.off; }), backgroundColor: colors.off },
  ], { options: { animation: false, scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } } } });
  const api = data.api.slice(0, 15);
  draw("chart-api", "bar", api.map(function (a) { return a.endpoint; }), [
    { label: "Calls", data: api.map(function (a) { return a.calls; }), backgroundColor: colors.new_hub },
    { label: "Server errors", data: api.map(function (a) { return a.errors; }), backgroundColor: "#d62728" },
    { label: "Client errors", data: api.map(function (a) { return a.client_errors; }), backgroundColor: "#ff9896" },
  ], { options: { animation: false, indexAxis: "y" } });
})();
