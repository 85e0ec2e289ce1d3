// The lot page's provenance picture: the server cuts the ancestry into a readable graph
// (ledger/provenance_graph.py); Cytoscape.js draws it with the dagre layered layout, oldest on the
// left. A lot or transfer node opens its page, a group node is drawn open on the next fetch. The
// same nodes are listed as links and buttons below the picture, for keyboards and screen readers.
// Node text comes from the ledger: it is only ever set as Cytoscape labels or textContent.

const box = document.getElementById("provenance-graph");
const status = document.getElementById("graph-status");
const lists = document.getElementById("graph-lists");
// The opened groups live in the address's fragment, so Back from a lot opened here shows the same picture.
const opened = new Set((new URLSearchParams(window.location.hash.slice(1)).get("expand") || "").split(",")
  .filter(Boolean));
let cy = null;
const READABLE = 0.9;  // the smallest zoom the first view uses

const STYLE = [
  { selector: "node", style: {
    shape: "round-rectangle", label: "data(label)", "text-wrap": "wrap", "text-valign": "center",
    "font-size": 11, "font-family": "system-ui, sans-serif", color: "#1c2430", width: "data(width)",
    height: "data(height)", "background-color": "#e8f0fa", "border-width": 1.5, "border-color": "#1f5fa8" } },
  { selector: "node.transfer", style: { shape: "tag", "background-color": "#fff6e0", "border-color": "#8a5a00" } },
  { selector: "node.transformation", style: { shape: "cut-rectangle", "background-color": "#eceff3",
    "border-color": "#5b6675" } },
  { selector: "node.group", style: { "background-color": "#d9dee5", "border-style": "double", "border-width": 5,
    "border-color": "#5b6675", "font-weight": "bold" } },
  { selector: "node.root", style: { "border-width": 4, "font-weight": "bold" } },
  { selector: "node.flagged", style: { "border-color": "#a61b1b", "border-style": "dashed", "border-width": 4,
    color: "#a61b1b" } },
  { selector: "node:selected", style: { "overlay-color": "#ffbf47", "overlay-opacity": 0.35 } },
  { selector: "edge", style: {
    width: 1.5, "line-color": "#7d8896", "target-arrow-color": "#7d8896", "target-arrow-shape": "triangle",
    "curve-style": "taxi", "taxi-direction": "rightward", label: "data(label)", "font-size": 9, color: "#3b4654",
    "text-background-color": "#ffffff", "text-background-opacity": 0.85, "text-background-padding": 2,
    "text-margin-y": -9 } },
];

function element(tag, text, attributes = {}) {
  const made = document.createElement(tag);
  if (text !== undefined) made.textContent = text;
  for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, value);
  return made;
}

function nodeText(node) {
  return (node.flags.length ? "⚠ " : "") + node.label;
}

function toElements(graph) {
  const nodes = graph.nodes.map((node) => {
    const text = nodeText(node);
    const lines = text.split("\n");
    const widest = Math.max(...lines.map((line) => line.length));
    const classes = [node.kind, node.flags.length ? "flagged" : "", node.id === `lot:${graph.lot_id}` ? "root" : ""];
    return { group: "nodes", classes: classes.filter(Boolean).join(" "),
      data: { ...node, label: text, width: Math.max(60, widest * 6.4 + 18), height: lines.length * 14 + 14 } };
  });
  const edges = graph.edges.map((edge, number) => ({ group: "edges",
    data: { id: `edge-${number}`, source: edge.source, target: edge.target, label: `${edge.mass_kg} kg` } }));
  return [...nodes, ...edges];
}

function href(node) {
  if (node.kind === "lot") return `/lots/${encodeURIComponent(node.lot_id)}`;
  if (node.kind === "transfer") return `/transfers/${encodeURIComponent(node.transfer_id)}`;
  return null;
}

function count(number, noun) {
  return `${number.toLocaleString("en")} ${noun}${number === 1 ? "" : "s"}`;
}

function describeShown(graph) {
  const { shown, totals } = graph;
  let text = `Showing ${shown.lots.toLocaleString("en")} of ${count(totals.lots, "lot")}`;
  if (shown.groups) text += `; ${count(shown.groups, "group")} to open`;
  return `${text}. ${count(totals.transfers, "transfer")} and ${count(totals.transformations, "transformation")}` +
    " in the whole ancestry.";
}

function listing(title, nodes) {
  if (!nodes.length) return null;
  const section = element("section", undefined, { class: "graph-list" });
  section.append(element("h3", title));
  const list = element("ul");
  for (const node of nodes) list.append(listItem(node));
  section.append(list);
  return section;
}

// One list item: the node's label on one line as a link (or a button for a group), then its flags.
function listItem(node) {
  const item = element("li");
  const name = node.label.replaceAll("\n", " · ");
  const target = href(node);
  if (node.kind === "group") {
    const button = element("button", `Open: ${name}`, { type: "button", class: "link", "data-open": node.id });
    button.addEventListener("click", () => open(node.id));
    item.append(button);
  } else {
    item.append(target ? element("a", name, { href: target }) : element("span", name));
  }
  if (node.flags.length) item.append(element("strong", ` ⚠ ${node.flags.join("; ")}`, { class: "flag-text" }));
  return item;
}

function showLists(graph) {
  const groups = graph.nodes.filter((node) => node.kind === "group");
  const flagged = graph.nodes.filter((node) => node.kind !== "group" && node.flags.length);
  const all = element("details");
  all.append(element("summary", `The picture as a list (${graph.nodes.length} nodes)`));
  const allList = element("ul");
  for (const node of graph.nodes) allList.append(listItem(node));
  all.append(allList);
  lists.replaceChildren(...[listing("Groups", groups), listing("Flagged", flagged), all]
    .filter(Boolean));
}

async function fetchGraph() {
  const url = new URL(box.dataset.source, window.location.href);
  if (opened.size) url.searchParams.set("expand", [...opened].join(","));
  const answer = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new Error(body.detail || `the server answered ${answer.status}`);
  return body;
}

// The first view fits the whole picture if it stays readable, else shows the lot itself at the
// right edge; after a group was opened, the view goes to what it held.
function frame(focus, whole) {
  cy.fit(whole ? undefined : focus, 24);
  if (cy.zoom() >= READABLE) return;
  cy.zoom(READABLE);
  cy.center(focus);
  if (whole) cy.panBy({ x: box.clientWidth / 2 - 120, y: 0 });
}

function draw(graph) {
  const before = cy ? new Set(cy.nodes().map((node) => node.id())) : null;
  const fresh = new Set(before ? graph.nodes.map((node) => node.id).filter((id) => !before.has(id)) : []);
  if (cy) cy.destroy();
  cy = window.cytoscape({ container: box, elements: toElements(graph), style: STYLE, minZoom: 0.05, maxZoom: 3,
    boxSelectionEnabled: false, autoungrabify: true });
  window.scrapledgerGraph = cy;  // the browser tests find nodes' positions through it
  cy.on("tap", "node", (event) => {
    const node = event.target.data();
    if (node.kind === "group") open(node.id);
    else if (href(node) && node.id !== `lot:${graph.lot_id}`) window.location.assign(href(node));
  });
  cy.on("mouseover", "node", (event) => {
    box.style.cursor = event.target.hasClass("transformation") ? "default" : "pointer";
  });
  cy.on("mouseout", "node", () => { box.style.cursor = ""; });
  const layout = cy.layout({ name: "dagre", rankDir: "LR", nodeSep: 18, rankSep: 80, edgeSep: 10, padding: 24 });
  layout.one("layoutstop", () => {
    const revealed = cy.nodes().filter((node) => fresh.has(node.id()));
    frame(revealed.nonempty() ? revealed : cy.$id(`lot:${graph.lot_id}`), revealed.empty());
    requestAnimationFrame(() => {
      box.dataset.rendered = String(Number(box.dataset.rendered || 0) + 1);
    });
  });
  layout.run();
}

async function render() {
  status.textContent = "Loading the provenance picture…";
  box.setAttribute("aria-busy", "true");
  try {
    const graph = await fetchGraph();
    draw(graph);
    showLists(graph);
    status.textContent = describeShown(graph);
  } catch (error) {
    status.textContent = `The provenance picture could not be drawn: ${error.message}`;
  } finally {
    box.removeAttribute("aria-busy");
  }
}

function remember() {
  const address = window.location.pathname + window.location.search;
  window.history.replaceState(null, "", opened.size ? `${address}#expand=${[...opened].join(",")}` : address);
}

function open(groupId) {
  opened.add(groupId);
  remember();
  render();
}

function zoomBy(factor) {
  cy.zoom({ level: cy.zoom() * factor, renderedPosition: { x: box.clientWidth / 2, y: box.clientHeight / 2 } });
}

const ACTIONS = {
  fit: () => cy.fit(undefined, 24),
  "zoom-in": () => zoomBy(1.25),
  "zoom-out": () => zoomBy(0.8),
  reset: () => { opened.clear(); remember(); cy.destroy(); cy = null; render(); },
};

if (box && window.cytoscape) {
  for (const button of document.querySelectorAll("[data-graph]")) {
    button.addEventListener("click", () => { if (cy) ACTIONS[button.dataset.graph](); });
  }
  render();
}
