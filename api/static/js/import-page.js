// The import page: sign the rows the server read from the uploaded file, in batches, with the loaded key,
// and show what the ledger says of each (a dry run first, if the clerk wants), placed by row and column.

import { signedEnvelope } from "./browser-key.js";
import { post, signingKey } from "./signed-form.js";

const BATCH = 500;
const context = document.body.dataset;
const section = document.getElementById("import");
const rows = JSON.parse(document.getElementById("import-rows").textContent);
const progress = document.getElementById("import-progress");
const summary = document.getElementById("import-summary");
const alert = section.querySelector(".form-error");
const problems = document.getElementById("import-problems");
const results = document.getElementById("import-results");
const download = document.getElementById("import-download");

function cells(tr, values) {
  values.forEach((value) => {
    const td = document.createElement("td");
    if (value instanceof Node) td.append(value); else td.textContent = value ?? "";
    tr.append(td);
  });
  return tr;
}

function ledgerLink(result) {
  const id = result.lot_id && !result.transfer_id ? result.lot_id : result.transfer_id;
  if (!id) return "";
  if (!result.lot_id) return id;
  const link = document.createElement("a");
  link.href = `/lots/${encodeURIComponent(result.lot_id)}`;
  link.textContent = id;
  return link;
}

function show(outcome, dryRun) {
  for (const problem of outcome.problems) {
    const value = document.createElement("code");
    value.textContent = problem.value;
    problems.tBodies[0].append(cells(document.createElement("tr"),
      [outcome.row, problem.column || "—", value, problem.field ? `${problem.field} ${problem.rule}` : problem.detail]));
    problems.hidden = false;
  }
  if (!dryRun) {
    results.tBodies[0].append(cells(document.createElement("tr"),
      [outcome.row, outcome.status, outcome.index ?? "", ledgerLink(outcome.result || {})]));
    results.hidden = false;
  }
}

function csv(outcomes) {
  const quote = (value) => (/[";\n]/.test(String(value)) ? `"${String(value).replace(/"/g, '""')}"` : String(value));
  const lines = [["row", "status", "entry_index", "lot_id", "transfer_id", "problem"]];
  for (const o of outcomes) {
    lines.push([o.row, o.status, o.index ?? "", o.result?.lot_id ?? "", o.result?.transfer_id ?? "",
      o.problems.map((p) => p.detail).join("; ")]);
  }
  return "\ufeff" + lines.map((line) => line.map(quote).join(";")).join("\r\n") + "\r\n";
}

function counted(outcomes, dryRun) {
  const count = (status) => outcomes.filter((o) => o.status === status).length.toLocaleString("en");
  const total = outcomes.length.toLocaleString("en");
  return dryRun
    ? `${total} rows checked: ${count("valid")} valid, ${count("already imported")} already imported, ` +
      `${count("refused")} with problems. Nothing was appended.`
    : `${total} rows: ${count("imported")} imported, ${count("already imported")} already imported, ` +
      `${count("refused")} refused.`;
}

async function run(dryRun) {
  alert.hidden = true;
  const key = signingKey();
  if (!key) {
    alert.textContent = "Load your key file (top of the page): every row is signed in this browser.";
    alert.hidden = false;
    document.getElementById("key-file")?.focus();
    return;
  }
  for (const table of [problems, results]) { table.tBodies[0].replaceChildren(); table.hidden = true; }
  download.hidden = true;
  progress.hidden = false;
  progress.value = 0;
  const outcomes = [];
  for (let at = 0; at < rows.length; at += BATCH) {
    const chunk = rows.slice(at, at + BATCH);
    const items = await Promise.all(chunk.map((row) => signedEnvelope(key, {
      log: context.log, party: context.party, type: section.dataset.entryType, body: row.body,
      submissionId: row.submission_id,
    })));
    const answer = await post(`/pages/imports/${section.dataset.upload}/batches`, { items, dry_run: dryRun });
    if (!answer.ok) {
      alert.textContent = `${answer.body.title || "not sent"}: ${answer.body.detail || answer.status}`;
      alert.hidden = false;
      break;
    }
    answer.body.rows.forEach((outcome) => show(outcome, dryRun));
    outcomes.push(...answer.body.rows);
    progress.value = outcomes.length;
    summary.textContent = `${outcomes.length.toLocaleString("en")} of ${rows.length.toLocaleString("en")} rows…`;
  }
  summary.textContent = counted(outcomes, dryRun);
  if (!dryRun && outcomes.length) {
    download.href = URL.createObjectURL(new Blob([csv(outcomes)], { type: "text/csv" }));
    download.hidden = false;
  }
}

for (const [id, dryRun] of [["import-check", true], ["import-sign", false]]) {
  document.getElementById(id).addEventListener("click", (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    run(dryRun).catch((error) => { alert.textContent = error.message; alert.hidden = false; })
      .finally(() => { button.disabled = false; });
  });
}
