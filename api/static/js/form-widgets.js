// Form helpers that need no server: documents attached by their SHA-256 (computed here, the file is
// never uploaded), rows added from a <template>, and the live mass balance of a transformation.

import { sha256, toHex } from "./jcs.js";

function documentRow(list, index, kind, digest, name) {
  const row = document.createElement("li");
  row.innerHTML = `<input type="hidden" name="documents[${index}].kind">
    <input type="hidden" name="documents[${index}].sha256"><input type="hidden" name="documents[${index}].name">
    <span class="doc-kind"></span> <code></code> <span class="doc-name"></span>
    <button type="button" class="link">remove</button>`;
  const [kindInput, digestInput, nameInput] = row.querySelectorAll("input");
  kindInput.value = kind; digestInput.value = digest; nameInput.value = name.slice(0, 200);
  row.querySelector(".doc-kind").textContent = kind.replace(/_/g, " ");
  row.querySelector("code").textContent = digest;
  row.querySelector(".doc-name").textContent = name;
  row.querySelector("button").addEventListener("click", () => row.remove());
  list.append(row);
}

function setUpDocuments(box) {
  const input = box.querySelector("input[type=file]");
  const kind = box.querySelector("select");
  const list = box.querySelector("ol");
  let next = 0;
  input.addEventListener("change", async () => {
    for (const file of input.files) {
      const digest = toHex(await sha256(await file.arrayBuffer()));
      documentRow(list, next++, kind.value, digest, file.name);
    }
    input.value = "";
  });
}

function setUpRepeater(box) {
  const template = box.querySelector("template");
  const target = box.querySelector("[data-rows]");
  let next = target.children.length;
  box.querySelector("[data-add-row]").addEventListener("click", () => {
    const row = template.content.firstElementChild.cloneNode(true);
    row.querySelectorAll("[name], [for], [id]").forEach((node) => {
      for (const attribute of ["name", "for", "id"]) {
        if (node.hasAttribute(attribute)) node.setAttribute(attribute, node.getAttribute(attribute).replace(/__i__/g, next));
      }
    });
    next += 1;
    target.append(row);
    row.querySelector("input, select")?.focus();
    box.dispatchEvent(new Event("input", { bubbles: true }));
  });
}

const KG = /^(0|[1-9][0-9]*)(\.[0-9]{1,3})?$/;

export function grams(text) {
  const value = (text || "").trim();
  if (value === "") return 0n;
  if (!KG.test(value)) return null;
  const [whole, fraction = ""] = value.split(".");
  return BigInt(whole) * 1000n + BigInt((fraction + "000").slice(0, 3));
}

export function kg(amount) {
  const sign = amount < 0n ? "-" : "";
  const absolute = amount < 0n ? -amount : amount;
  const fraction = (absolute % 1000n).toString().padStart(3, "0").replace(/0+$/, "");
  return `${sign}${(absolute / 1000n).toLocaleString("en")}${fraction ? "." + fraction : ""} kg`;
}

function sum(form, selector) {
  let total = 0n;
  for (const element of form.querySelectorAll(selector)) {
    if (element.closest("template")) continue;
    const amount = element.dataset.kg !== undefined ? (element.checked ? grams(element.dataset.kg) : 0n)
      : grams(element.value);
    if (amount === null) return null;
    total += amount;
  }
  return total;
}

function setUpMassBalance(form) {
  const table = form.querySelector("[data-mass-balance]");
  const update = () => {
    const inputs = sum(form, "input[data-kg]");
    const additions = sum(form, "input[data-role=addition]");
    const outputs = sum(form, "input[data-role=output]");
    const losses = sum(form, "input[data-role=losses]");
    const cells = { inputs, additions, outputs, losses };
    for (const [name, amount] of Object.entries(cells)) {
      table.querySelector(`[data-cell=${name}]`).textContent = amount === null ? "not a mass" : kg(amount);
    }
    const verdict = table.querySelector("[data-cell=unaccounted]");
    const status = form.querySelector("[data-balance-status]");
    if (Object.values(cells).includes(null)) {
      verdict.textContent = "—";
      form.dataset.refuse = "A mass is not a decimal number of kilograms with at most three decimals.";
      status.textContent = "✗ " + form.dataset.refuse;
      return;
    }
    const unaccounted = inputs + additions - outputs - losses;
    verdict.textContent = kg(unaccounted);
    if (unaccounted < 0n) {
      form.dataset.refuse = `Outputs and losses exceed inputs and additions by ${kg(-unaccounted)}: this would create mass.`;
      form.dataset.refuseField = "losses_kg";
      status.textContent = "✗ " + form.dataset.refuse;
      status.className = "status fail";
    } else {
      delete form.dataset.refuse;
      status.textContent = unaccounted === 0n ? "✓ Balanced: every gram is accounted for."
        : `✓ Balanced, with ${kg(unaccounted)} unaccounted (kept as such in the ledger).`;
      status.className = "status pass";
    }
  };
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
}

document.querySelectorAll("[data-documents]").forEach(setUpDocuments);
document.querySelectorAll("[data-repeater]").forEach(setUpRepeater);
document.querySelectorAll("form[data-balanced]").forEach(setUpMassBalance);
