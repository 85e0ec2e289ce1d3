// The offline report checker's page: read a report from a file or the text box, check it with
// report-check.js, and show each step that held, the first that did not, and what the report says.
// Everything from the report is written with textContent: a report is untrusted input.

import { checkReport, ReportError } from "./report-check.js";

const form = document.getElementById("checker");
const fileInput = document.getElementById("report-file");
const textInput = document.getElementById("report-text");
const keyInput = document.getElementById("log-key");
const outcome = document.getElementById("outcome");
const stepList = document.getElementById("steps");
const details = document.getElementById("report-details");

function element(tag, text, className) {
  const made = document.createElement(tag);
  if (text !== undefined) made.textContent = text;
  if (className) made.className = className;
  return made;
}

function badge(status) {
  const symbols = { pass: "✓ ", warn: "! ", fail: "✗ " };
  return element("span", (symbols[status] || "") + status, `badge badge-${status}`);
}

function showOutcome(ok, headline, reason) {
  outcome.hidden = false;
  outcome.className = `card outcome ${ok ? "outcome-pass" : "outcome-fail"}`;
  outcome.replaceChildren(element("h2", (ok ? "✓ " : "✗ ") + headline));
  if (reason) outcome.append(element("p", reason));
}

function showReport(report) {
  const declaration = report.declaration || {};
  const facts = [["Declaration", report.declaration_id], ["Lot", declaration.lot_id], ["Issued by", declaration.issuer],
    ["Addressed to", declaration.recipient], ["Verified at", report.verified_at]];
  const list = element("dl", undefined, "facts");
  for (const [name, value] of facts) list.append(element("dt", name), element("dd", String(value ?? "—")));
  const verdict = element("dd");
  verdict.append(badge(report.verdict));
  list.append(element("dt", "Verdict"), verdict);
  const table = element("table");
  const head = element("tr");
  for (const name of ["Check", "Result", "Reason", "Entries cited"]) head.append(element("th", name));
  table.append(element("thead"), element("tbody"));
  table.tHead.append(head);
  for (const check of report.checks) {
    const row = element("tr", undefined, `row-${check.status}`);
    const result = element("td");
    result.append(badge(check.status));
    row.append(element("th", String(check.name).replaceAll("_", " ")), result, element("td", check.reason),
      element("td", check.entries.join(", ")));
    table.tBodies[0].append(row);
  }
  details.replaceChildren(element("h2", "What the report says"), list, table);
  details.hidden = false;
}

async function reportText() {
  const file = fileInput.files[0];
  if (file) return file.text();
  return textInput.value;
}

async function check(event) {
  event?.preventDefault();
  stepList.replaceChildren();
  stepList.parentElement.hidden = false;
  details.hidden = true;
  showOutcome(false, "Checking…");
  outcome.className = "card outcome";
  let report;
  try {
    report = JSON.parse(await reportText());
  } catch (error) {
    showOutcome(false, "This is not a readable report", `It is not valid JSON (${error.message}).`);
    return;
  }
  const addStep = (text) => stepList.append(element("li", text));
  try {
    const checked = await checkReport(report, keyInput.value.trim(), addStep);
    const failed = report.checks.filter((item) => item.status !== "pass").map((item) => item.name.replaceAll("_", " "));
    showOutcome(true, `The report is authentic and intact; its verdict is ${report.verdict}`,
      `Signed by the log ${checked.vkey.split("+")[0]} over a checkpoint of ${checked.size} entries. ` +
      (failed.length ? `Checks not passed: ${failed.join(", ")}.` : "Every check passed.") +
      (checked.pinned ? "" : " The log key was taken from the report itself: compare it with the log's published key."));
    showReport(report);
  } catch (error) {
    const reason = error instanceof ReportError ? error.message : `the report is malformed (${error.message})`;
    showOutcome(false, "The report does NOT check out: do not rely on it", `${reason[0].toUpperCase()}${reason.slice(1)}.`);
  }
}

form.addEventListener("submit", check);
fileInput.addEventListener("change", () => { if (fileInput.files[0]) { textInput.value = ""; check(); } });
textInput.addEventListener("input", () => { fileInput.value = ""; });
document.getElementById("js-needed").hidden = true;
form.hidden = false;
