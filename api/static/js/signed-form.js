// Forms whose submit signs an entry in the browser: <form class="signed" data-entry-type="..."
// data-next="/lots/{lot_id}">. The body is built from the named fields, checked by the ledger's own
// rules (POST /pages/check), signed with the loaded key, and posted (POST /pages/submit). A problem
// answer is shown beside the field it names; what was typed stays.

import { BrowserKey, signedEnvelope } from "./browser-key.js";

const context = document.body.dataset;
let key = null;

export function signingKey() { return key; }

function fieldPath(name) {
  return name.replace(/\[(\d+)\]/g, ".$1").replace(/\[\]$/, "");
}

function setPath(target, path, value, append) {
  const parts = path.split(".");
  let node = target;
  parts.slice(0, -1).forEach((part, i) => {
    const nextIsIndex = /^\d+$/.test(parts[i + 1]);
    if (node[part] === undefined) node[part] = nextIsIndex ? [] : {};
    node = node[part];
  });
  const last = parts[parts.length - 1];
  if (append) (node[last] = node[last] || []).push(value);
  else node[last] = value;
}

function compact(value) {
  if (Array.isArray(value)) return value.filter((item) => item !== undefined).map(compact);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([name, item]) => [name, compact(item)]));
  }
  return value;
}

export function buildBody(form) {
  const body = {};
  for (const element of form.elements) {
    if (!element.name || element.disabled || element.name === "csrf_token" || element.type === "file") continue;
    const append = element.name.endsWith("[]");
    if (element.dataset.type === "boolean") {
      setPath(body, fieldPath(element.name), element.checked, false);
    } else if (element.type === "checkbox") {
      if (element.checked) setPath(body, fieldPath(element.name), element.value, append);
    } else if (element.value.trim() !== "") {
      setPath(body, fieldPath(element.name), element.value.trim(), append);
    }
  }
  return compact(body);
}

function errorSlot(form, path) {
  const candidates = [...form.elements].filter((element) => element.name);
  let best = null;
  for (const element of candidates) {
    const own = fieldPath(element.name);
    if ((path === own || path.startsWith(own + ".")) && (!best || own.length > fieldPath(best.name).length)) {
      best = element;
    }
  }
  return best;
}

function clearErrors(form) {
  form.querySelectorAll(".field-error").forEach((node) => node.remove());
  form.querySelectorAll("[aria-invalid]").forEach((node) => node.removeAttribute("aria-invalid"));
  const summary = form.querySelector(".form-error");
  if (summary) summary.hidden = true;
}

function showProblem(form, problem) {
  const errors = problem.errors && problem.errors.length ? problem.errors
    : [{ field: problem.field, rule: problem.detail || problem.title }];
  const unplaced = [];
  errors.forEach(({ field, rule }, i) => {
    const path = (field || "").replace(/^submission\./, "").replace(/^body\./, "").replace(/^items\.\d+\./, "");
    const element = path && errorSlot(form, path);
    const message = errors.length === 1 && problem.detail ? problem.detail : `${field}: ${rule}`;
    if (!element) { unplaced.push(message); return; }
    const note = document.createElement("p");
    note.className = "field-error";
    note.id = `error-${form.id || "form"}-${i}`;
    note.textContent = message;
    element.setAttribute("aria-invalid", "true");
    element.setAttribute("aria-describedby", note.id);
    (element.closest(".field") || element.parentElement).append(note);
    if (i === 0) element.focus();
  });
  const summary = form.querySelector(".form-error");
  if (summary) {
    summary.textContent = unplaced.length ? unplaced.join(" ") : `${problem.title}: the field marked below.`;
    summary.hidden = false;
  }
}

export async function post(url, payload) {
  const response = await fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": context.csrf },
    body: JSON.stringify(payload),
  });
  return { ok: response.ok, status: response.status, body: await response.json().catch(() => ({})) };
}

function nextUrl(template, result) {
  const value = (path) => path.split(".").reduce((node, part) => (node == null ? node : node[part]), result);
  return template.replace(/\{([\w.]+)\}/g, (_, path) => encodeURIComponent(value(path) ?? ""));
}

async function submitSigned(form) {
  clearErrors(form);
  if (form.dataset.refuse) {
    showProblem(form, { title: "not signed", detail: form.dataset.refuse, field: form.dataset.refuseField });
    return;
  }
  const type = form.dataset.entryType;
  const body = buildBody(form);
  const checked = await post("/pages/check", { type, body });
  if (!checked.ok) { showProblem(form, checked.body); return; }
  if (!key) {
    showProblem(form, { title: "no signing key", detail: "Load your key file (top of the page) to sign." });
    document.getElementById("key-file")?.focus();
    return;
  }
  const envelope = await signedEnvelope(key, { log: context.log, party: context.party, type, body });
  const answer = await post("/pages/submit", envelope);
  if (!answer.ok) { showProblem(form, answer.body); return; }
  window.location.assign(nextUrl(form.dataset.next || "/", answer.body.result || {}));
}

function describeKey(status) {
  if (!key) { status.textContent = "No signing key loaded: you can read, but not sign."; return; }
  const active = JSON.parse(context.keyIds || "[]");
  const known = active.includes(key.keyId);
  status.textContent = `Signing key ${key.keyId.slice(0, 12)}… loaded` +
    (known ? ` — an active key of ${context.party}.` : ` — WARNING: not an active key of ${context.party}.`);
  status.classList.toggle("warning", !known);
}

async function setUpKeyPanel() {
  const input = document.getElementById("key-file");
  const keep = document.getElementById("key-keep");
  const forget = document.getElementById("key-forget");
  const status = document.getElementById("key-status");
  if (!input || !status) return;
  key = await BrowserKey.kept();
  if (key && keep) keep.checked = true;
  describeKey(status);
  input.addEventListener("change", async () => {
    try {
      key = await BrowserKey.fromPem(await input.files[0].text());
      if (keep?.checked) key.keepForTab(); else BrowserKey.forget();
      describeKey(status);
    } catch (error) {
      key = null;
      status.textContent = `That key file could not be used: ${error.message}`;
    }
    input.value = "";
  });
  keep?.addEventListener("change", () => (keep.checked && key ? key.keepForTab() : BrowserKey.forget()));
  forget?.addEventListener("click", () => { key = null; BrowserKey.forget(); describeKey(status); });
}

for (const form of document.querySelectorAll("form.signed")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submitSigned(form).catch((error) => showProblem(form, { title: "not sent", detail: error.message }));
  });
}
setUpKeyPanel();
