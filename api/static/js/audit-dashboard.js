// The auditor dashboard's charts (Chart.js) and the progress of its background jobs.
// Everything drawn here is also on the page as text or a table: the charts only add the picture.

const csrf = document.body.dataset.csrf;
const thousands = new Intl.NumberFormat("en");

function data(id) {
  const script = document.getElementById(id);
  return script ? JSON.parse(script.textContent) : null;
}

function growthChart() {
  const points = data("growth-data");
  const canvas = document.getElementById("growth-chart");
  if (!points || !canvas) return;
  const span = Date.parse(points[points.length - 1][0]) - Date.parse(points[0][0]);
  const stamp = (value) => new Date(value).toISOString().replace("T", " ");  // UTC, like the ledger
  const tick = span < 86400e3 ? (value) => stamp(value).slice(11, 19) : (value) => stamp(value).slice(0, 16);
  new window.Chart(canvas, {
    type: "line",
    data: { datasets: [{ label: "entries in the log", data: points.map(([at, size]) => ({ x: Date.parse(at), y: size })),
      borderColor: "#1f5fa8", backgroundColor: "rgba(31, 95, 168, 0.12)", fill: true, pointRadius: 0, stepped: true }] },
    options: {
      maintainAspectRatio: false, animation: false, parsing: false,
      plugins: { legend: { display: false },
        tooltip: { callbacks: { title: (items) => new Date(items[0].parsed.x).toISOString().replace(".000Z", "Z"),
          label: (item) => `${thousands.format(item.parsed.y)} entries` } } },
      scales: {
        x: { type: "linear", ticks: { maxTicksLimit: 8, callback: tick },
          title: { display: true, text: "recorded at (UTC)" } },
        y: { beginAtZero: true, ticks: { callback: (value) => thousands.format(value) }, title: { display: true, text: "entries" } },
      },
    },
  });
}

function massBalanceChart() {
  const rows = data("mass-balance-data");
  const canvas = document.getElementById("mass-balance-chart");
  if (!rows || !canvas) return;
  const kg = (row, ...names) => names.reduce((sum, name) => sum + Number(row.flows_kg[name]), 0);
  const series = [
    ["in: registered, received, produced", "#1b7a4a", (row) => kg(row, "registered", "received", "produced")],
    ["out: sent, consumed", "#8a5a00", (row) => kg(row, "sent", "consumed")],
    ["lost or unaccounted", "#a61b1b", (row) => kg(row, "losses", "unaccounted")],
    ["held now", "#4b5563", (row) => Number(row.holdings_kg)],
  ];
  canvas.parentElement.style.height = `${Math.max(12, rows.length * 5 + 6)}rem`;
  new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: rows.map((row) => `${row.party_id} · ${row.material_family.replace(/_/g, " ")}`),
      datasets: series.map(([label, colour, value]) => ({ label, backgroundColor: colour, data: rows.map(value) })),
    },
    options: {
      indexAxis: "y", maintainAspectRatio: false, animation: false,
      plugins: { tooltip: { callbacks: { label: (item) => `${item.dataset.label}: ${thousands.format(item.parsed.x)} kg` } } },
      scales: { x: { beginAtZero: true, title: { display: true, text: "kg" } } },
    },
  });
}

// A running job's row is polled until it ends; then the page is drawn again with its outcome.
function followJobs() {
  for (const job of document.querySelectorAll(".job[data-status=running]")) {
    const bar = job.querySelector("progress");
    const text = job.querySelector(".job-text");
    const label = text.textContent.split(":")[0];
    const poll = async () => {
      const reply = await fetch(`/pages/audit/jobs/${job.dataset.job}`, { headers: { "X-CSRF-Token": csrf } });
      if (!reply.ok) return;
      const state = await reply.json();
      if (state.status !== "running") {
        window.location.reload();
        return;
      }
      bar.max = state.tree_size || 1;
      bar.value = state.verified;
      text.textContent = `${label}: ${thousands.format(state.verified)} of ${thousands.format(state.tree_size)} entries, `
        + `started ${state.started_at}`;
      window.setTimeout(poll, 1000);
    };
    window.setTimeout(poll, 500);
  }
}

growthChart();
massBalanceChart();
followJobs();
