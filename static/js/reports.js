// Report, dashboard and inbox pages: charts from json_script data, progress bar
// widths (no inline styles), select-all boxes and confirmations. No inline scripts.
(function () {
  "use strict";

  function readJson(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  // Every chart here counts messages: whole numbers on the axis, even for an empty month.
  const countAxis = { beginAtZero: true, ticks: { precision: 0 } };

  function barChart(canvas) {
    const data = readJson(canvas.dataset.source);
    if (!data || typeof Chart === "undefined") return;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{ label: data.label, data: data.values, backgroundColor: "#198754" }],
      },
      options: { plugins: { legend: { display: false } }, scales: { y: countAxis } },
    });
  }

  function trafficChart(canvas) {
    const data = readJson(canvas.dataset.source);
    if (!data || typeof Chart === "undefined") return;
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [
          { label: data.sent_label, data: data.sent, backgroundColor: "#6c757d" },
          { label: data.delivered_label, data: data.delivered, backgroundColor: "#198754" },
        ],
      },
      options: { scales: { y: countAxis } },
    });
  }

  function applyWidths(root) {
    root.querySelectorAll(".js-width").forEach((bar) => {
      const value = parseFloat(bar.dataset.width);
      bar.style.width = (Number.isFinite(value) ? Math.min(Math.max(value, 0), 100) : 0) + "%";
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".js-bar-chart").forEach(barChart);
    document.querySelectorAll(".js-traffic-chart").forEach(trafficChart);
    applyWidths(document);
  });

  // The live funnel is swapped in by htmx every few seconds.
  document.addEventListener("htmx:load", (event) => applyWidths(event.detail.elt));

  document.addEventListener("change", (event) => {
    if (event.target.matches(".js-select-all")) {
      document.querySelectorAll(".js-select-row").forEach((box) => {
        box.checked = event.target.checked;
      });
    }
  });

  document.addEventListener("click", (event) => {
    const button = event.target.closest(".js-confirm");
    if (button && !window.confirm(button.dataset.confirm)) {
      event.preventDefault();
    }
  });
})();
