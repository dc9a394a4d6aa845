// The Explain page: asks the server for an explanation (the chainrule.explain/1 JSON that
// `chainrule explain --format json` prints) and steps through it. Every number shown is one the
// engine computed; this script only chooses which of them to show at each step.
"use strict";

const page = {data: null, layout: null, steps: [], index: 0, known: {}, source: null,
              session: null};

const $ = (id) => document.getElementById(id);

// --------------------------------------------------------------------------- the form and URL
function parseAt(text) {
  const at = {};
  for (const part of text.split(/[;\n]/)) {
    if (!part.trim()) continue;
    const match = part.match(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+?)\s*$/);
    if (!match) throw new Error(`values: expected NAME=VALUE, as in x=3, not "${part.trim()}"`);
    let value = match[2];
    if (!value.startsWith("[") && value.includes(",")) value = `[${value}]`;
    try {
      at[match[1]] = JSON.parse(value);
    } catch {
      throw new Error(`values: ${match[1]}=${match[2]} is not a number or a list of numbers`);
    }
  }
  return at;
}

function formatAt(at) {
  return Object.entries(at).map(([name, v]) => `${name}=${JSON.stringify(v)}`).join("; ");
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

async function explainForm(step = 0, push = true) {
  showError("");
  const source = $("source").value.trim();
  const request = {source, at: {}};
  try {
    request.at = parseAt($("at").value);
    $("explain").disabled = true;
    const answer = await postJSON("/api/explain", request);
    page.source = {source, at: $("at").value};
    page.session = null;
    show(answer.explanation, answer.layout, step, push);
    fillSymbolic(request, answer.explanation);
  } catch (error) {
    showError(error.message);
  } finally {
    $("explain").disabled = false;
  }
}

function writeURL(push) {
  const params = new URLSearchParams();
  if (page.session) {
    params.set("session", page.session.id);
    params.set("example", String(page.session.example));
    for (const key of ["weight", "row", "col"]) {
      if (page.session[key] !== undefined) params.set(key, String(page.session[key]));
    }
  } else if (page.source) {
    params.set("source", page.source.source);
    params.set("at", page.source.at);
  }
  params.set("step", String(page.index));
  const url = `${location.pathname}?${params}`;
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}

function readURL() {
  const params = new URLSearchParams(location.search);
  const step = Number.parseInt(params.get("step") || "0", 10) || 0;
  if (params.has("session")) {
    const weight = params.has("weight")
      ? {weight: params.get("weight"), row: Number(params.get("row")) || 0,
         col: Number(params.get("col")) || 0} : {};
    explainTraining(params.get("session"), Number(params.get("example")) || 0, step, weight);
    return true;
  }
  if (!params.has("source")) return false;
  $("source").value = params.get("source");
  $("at").value = params.get("at") || "";
  explainForm(step, false);
  return true;
}

// One training example's loss through a network of the Train page, as it is now.
// With ``weight`` ({weight, row, col}): that one weight's chain of local derivatives too,
// its values marked on the graph.
async function explainTraining(id, example, step, weight = {}) {
  showError("");
  const session = `/api/train/sessions/${encodeURIComponent(id)}`;
  try {
    const answer = await postJSON(`${session}/explain?index=${example}`, {});
    page.source = null;
    page.session = {id, example, ...weight};
    $("source").value = `the loss of training example ${example} (Train page session)`;
    $("at").value = "";
    show(answer.explanation, answer.layout, step, false);
    if (weight.weight === undefined) return;
    const params = new URLSearchParams({parameter: weight.weight, row: String(weight.row),
                                        col: String(weight.col), index: String(example)});
    const chain = await postJSON(`${session}/weight?${params}`, {});
    $("weight-chain").replaceChildren(...chainView(chain, weight.weight));
    $("weight-chain").hidden = false;
    for (const node of $("graph").querySelectorAll(".node")) {
      node.classList.toggle("on-chain", chain.nodes.includes(node.dataset.node));
    }
  } catch (error) {
    showError(`training session: ${error.message}`);
  }
}

async function openFile(file) {
  showError("");
  try {
    const data = JSON.parse(await file.text());
    const layout = await postJSON("/api/layout", data);
    page.source = null;
    page.session = null;
    $("source").value = data.source || "";
    show(data, layout, 0, true);
  } catch (error) {
    showError(`${file.name}: ${error.message}`);
  }
}

// --------------------------------------------------------------------------- the steps
function buildSteps(data) {
  const steps = [{kind: "start"}];
  for (const f of data.forward) steps.push({kind: "forward", step: f});
  if (data.differentiated) for (const b of data.backward) steps.push({kind: "backward", step: b});
  steps.push({kind: "done"});
  return steps;
}

// When (which step index) each node's value and gradient become known.
function knownAt(data, steps) {
  const value = {}, gradient = {};
  for (const v of data.values) value[v.name] = 0;
  steps.forEach((s, i) => {
    if (s.kind === "forward") value[s.step.name] = i;
    if (s.kind === "backward") {
      gradient[s.step.node] ??= i; // its upstream gradient is complete when its rule runs
      for (const c of s.step.contributions) {
        if (data.values.some((v) => v.name === c.to)) gradient[c.to] = i; // the last term in
      }
    }
  });
  return {value, gradient};
}

function gradientOf(data, name) {
  const input = data.gradients.find((g) => g.name === name);
  if (input) return input.gradient;
  const step = data.backward.find((b) => b.node === name);
  return step ? step.upstream : null;
}

function show(data, layout, index, push) {
  page.data = data;
  page.layout = layout;
  page.steps = buildSteps(data);
  page.known = knownAt(data, page.steps);
  $("result").hidden = false;
  $("weight-chain").hidden = true; // shown again by explainTraining for its weight
  drawGraph();
  fillGradients();
  $("notes").replaceChildren(...data.notes.map((n) => el("li", {}, n)));
  go(index, push);
}

function go(index, push = false) {
  page.index = Math.max(0, Math.min(index, page.steps.length - 1));
  const last = page.steps.length - 1;
  $("first").disabled = $("prev").disabled = page.index === 0;
  $("next").disabled = $("last").disabled = page.index === last;
  $("step-label").textContent = `step ${page.index} of ${last}: ${phase(page.steps[page.index])}`;
  updateGraph();
  updateGradients();
  $("step-detail").replaceChildren(...detail(page.steps[page.index]));
  writeURL(push);
}

function phase(step) {
  return {start: "inputs", forward: "forward pass", backward: "backward pass",
          done: "gradients"}[step.kind];
}

// --------------------------------------------------------------------------- step details
function detail(step) {
  const data = page.data;
  const out = data.output.name;
  if (step.kind === "start") {
    return [el("h3", {}, "The inputs"),
      el("p", {}, data.values.map((v) => `${v.name} = ${formatValue(v.value)}`).join(", ") ||
        "no inputs"),
      el("p", {class: "hint"}, "Press Next (or →) to run the forward pass one op at a time.")];
  }
  if (step.kind === "forward") {
    const f = step.step;
    return [el("h3", {}, `Forward: ${f.name} = ${f.expression}`),
      el("p", {}, `${f.op} (${f.notation})${f.layer ? `, in ${f.labels.join(", ")}` : ""}` +
        (f.module ? `, in module ${f.module}` : "") +
        (f.constant ? "; no gradient: a constant for the chain rule" : "")),
      el("p", {}, "value ", el("output", {"data-forward": f.name}, formatValue(f.value)))];
  }
  if (step.kind === "backward") return backwardDetail(step.step, out);
  const parts = [el("h3", {}, "The gradients"),
    el("p", {}, `Each input's gradient is the sum of what every op sent back to it.`)];
  for (const g of data.gradients) {
    if (g.terms.length > 1) {
      parts.push(el("p", {class: "fanout"}, `${g.name} is used ${g.terms.length} times: ` +
        g.terms.map((t) => formatValue(t.value)).join(" + ") + ` = ${formatValue(g.gradient)}`));
    }
  }
  return parts;
}

function backwardDetail(b, out) {
  const parts = [el("h3", {}, `Backward through ${b.node} (${b.op})`),
    el("p", {class: "rule"}, `rule: ${b.rule}`)];
  const upstream = `∂${out}/∂${b.node} = ${formatValue(b.upstream)}`;
  if (b.upstream_terms.length > 0) {
    const sum = b.upstream_terms.map((t) => `${formatValue(t.value)} (from ${t.from})`);
    parts.push(el("p", {class: "fanout", "data-fanout": b.node},
      `fan-out: ${b.node} feeds ${b.upstream_terms.length} ops, so its upstream gradient is ` +
      `the sum ${sum.join(" + ")}: ${upstream}`));
  } else {
    parts.push(el("p", {}, `upstream gradient ${upstream}`));
  }
  const rows = b.contributions.map((c) => {
    const elementwise = c.local !== null;
    const local = elementwise ? `${c.formula} = ${formatValue(c.local)}`
      : "Jᵀ · upstream, by the op's vjp rule";
    const product = elementwise ? `${formatValue(b.upstream)} × ${formatValue(c.local)} = `
      : "Jᵀ · upstream = ";
    const broadcast = c.broadcast ? ` (summed from shape [${c.raw_shape}] to [${c.shape}])` : "";
    return el("tr", {},
      el("td", {}, c.to),
      el("td", {}, `${c.symbol}: ${local}`),
      el("td", {}, product,
        el("output", {"data-contribution": `${c.from}->${c.to}`}, formatValue(c.value)),
        broadcast));
  });
  parts.push(el("div", {class: "scroll"}, el("table", {class: "contributions"},
    el("thead", {}, el("tr", {}, el("th", {scope: "col"}, "to"),
      el("th", {scope: "col"}, "local derivative"),
      el("th", {scope: "col"}, "upstream × local = contribution"))),
    el("tbody", {}, ...rows))));
  return parts;
}

// --------------------------------------------------------------------------- the graph
function drawGraph() {
  const holder = $("graph");
  if (!page.layout) {
    holder.replaceChildren(el("p", {class: "hint"}, "This graph is too large to draw."));
    return;
  }
  const {nodes, edges, width, height, node_width: w, node_height: h} = page.layout;
  const pad = 12;
  const svg = svgEl("svg", {viewBox: `${-pad} ${-pad} ${width + 2 * pad} ${height + 2 * pad}`,
    width: width + 2 * pad, height: height + 2 * pad, role: "img",
    "aria-label": `computational graph of ${page.data.source || page.data.output.name}`});
  const defs = svgEl("defs");
  const marker = svgEl("marker", {id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5,
    markerWidth: 9, markerHeight: 9, markerUnits: "userSpaceOnUse", orient: "auto"});
  marker.append(svgEl("path", {d: "M 0 0 L 10 5 L 0 10 z", class: "arrowhead"}));
  defs.append(marker);
  svg.append(defs);
  const at = Object.fromEntries(nodes.map((n) => [n.id, n]));
  for (const e of edges) {
    const a = at[e.from], b = at[e.to];
    const x1 = a.x + w, y1 = a.y + h / 2, x2 = b.x, y2 = b.y + h / 2, mid = (x1 + x2) / 2;
    // An edge that skips columns arcs over the nodes between, which would hide a straight one.
    const lift = b.column - a.column > 1 && Math.abs(y1 - y2) < h ? h * 0.9 : 0;
    const path = lift ? `M ${x1} ${y1} C ${x1 + w / 2} ${y1 - lift}, ${x2 - w / 2} ${y2 - lift}, ${x2} ${y2}`
      : `M ${x1} ${y1} C ${mid} ${y1}, ${mid} ${y2}, ${x2} ${y2}`;
    svg.append(svgEl("path", {d: path,
      class: "edge", "data-from": e.from, "data-to": e.to, "marker-end": "url(#arrow)"}));
  }
  const named = Object.fromEntries(
    [...page.data.values, ...page.data.forward].map((v) => [v.name, v]));
  for (const n of nodes) {
    const item = named[n.id];
    const constant = n.kind === "op" && item.constant ? " constant" : "";
    const g = svgEl("g", {class: `node ${n.kind}${constant}`, "data-node": n.id,
      transform: `translate(${n.x} ${n.y})`});
    const title = svgEl("title");
    title.textContent = n.kind === "op" ? `${n.id} = ${item.expression}` : `${n.id} (${n.kind})`;
    g.append(title, svgEl("rect", {width: w, height: h, rx: n.kind === "op" ? 16 : 4}));
    const label = n.kind === "op" ? `${n.id} = ${item.expression}` : n.id;
    for (const [i, [cls, text]] of [["label", label], ["value", ""], ["grad", ""]].entries()) {
      const t = svgEl("text", {x: 8, y: 16 + i * 16, class: cls});
      t.textContent = shorten(text);
      g.append(t);
    }
    svg.append(g);
  }
  holder.replaceChildren(svg);
}

function shorten(text, limit = 22) {
  return text.length > limit ? text.slice(0, limit - 1) + "…" : text;
}

function updateGraph() {
  const svg = $("graph").querySelector("svg");
  if (!svg) return;
  const step = page.steps[page.index];
  const {value, gradient} = page.known;
  const named = Object.fromEntries(
    [...page.data.values, ...page.data.forward].map((v) => [v.name, v]));
  for (const g of svg.querySelectorAll(".node")) {
    const name = g.dataset.node;
    const hasValue = value[name] !== undefined && value[name] <= page.index;
    const hasGrad = gradient[name] !== undefined && gradient[name] <= page.index;
    g.querySelector(".value").textContent = hasValue ? shorten(`= ${formatValue(named[name].value)}`) : "";
    g.querySelector(".grad").textContent = hasGrad
      ? shorten(`grad ${formatValue(gradientOf(page.data, name))}`) : "";
    g.classList.toggle("pending", !hasValue);
    g.classList.toggle("current", (step.kind === "forward" && step.step.name === name) ||
      (step.kind === "backward" && step.step.node === name));
  }
  for (const path of svg.querySelectorAll(".edge")) {
    const {from, to} = path.dataset;
    const forward = step.kind === "forward" && step.step.name === to;
    const backward = step.kind === "backward" && step.step.node === to &&
      step.step.contributions.some((c) => c.to === from);
    const fanout = (step.kind === "backward" && step.step.node === from &&
        step.step.upstream_terms.length > 0) ||
      (step.kind === "done" && page.data.gradients.some((g) => g.name === from && g.terms.length > 1));
    path.classList.toggle("active-forward", forward);
    path.classList.toggle("active-backward", backward);
    path.classList.toggle("fanout", fanout);
  }
}

// --------------------------------------------------------------------------- gradients table
function fillGradients() {
  const rows = page.data.gradients.map((g) => el("tr", {},
    el("th", {scope: "row"}, g.name),
    el("td", {}, formatValue(g.value)),
    el("td", {"data-gradient": g.name}, ""),
    el("td", {}, formatValue(g.checks.finite_difference)),
    el("td", {"data-symbolic": g.name}, g.checks.symbolic === null ? "—"
      : `${g.checks.symbolic} = ${formatValue(g.checks.symbolic_value)}`)));
  $("gradients").tBodies[0].replaceChildren(...rows);
  $("symbolic-status").textContent = "";
}

// SymPy's derivatives come from the server, separately: they may take seconds, or be
// unavailable where the server has no SymPy, and the explanation need not wait for them.
async function fillSymbolic(request, data) {
  const cell = (name) => document.querySelector(`[data-symbolic="${CSS.escape(name)}"]`);
  for (const g of data.gradients) cell(g.name).textContent = "…";
  $("symbolic-status").textContent = "asking SymPy…";
  let answer;
  try {
    answer = await postJSON("/api/symbolic", request);
  } catch (error) {
    answer = {available: true, message: `SymPy: ${error.message}`, derivatives: {}};
  }
  if (page.data !== data) return; // another explanation is shown by now
  for (const g of data.gradients) {
    const d = answer.derivatives[g.name];
    cell(g.name).textContent = d ? `${d.derivative} = ${formatNumber(d.value)}`
      : answer.available ? "—" : "SymPy not installed";
  }
  $("symbolic-status").textContent = answer.message || "";
}

function updateGradients() {
  for (const g of page.data.gradients) {
    const cell = document.querySelector(`[data-gradient="${CSS.escape(g.name)}"]`);
    const at = page.known.gradient[g.name];
    const done = page.steps[page.index].kind === "done" || (at !== undefined && at <= page.index);
    cell.textContent = !done ? "…" : g.gradient === null ? "no path" : formatValue(g.gradient);
  }
}

// --------------------------------------------------------------------------- wiring
async function loadExamples() {
  const examples = await (await fetch("/api/examples")).json();
  const select = $("examples");
  for (const x of examples) select.append(el("option", {value: x.id}, `${x.title} (seed ${x.seed})`));
  select.addEventListener("change", () => {
    const x = examples.find((e) => e.id === select.value);
    if (!x) return;
    $("source").value = x.source;
    $("at").value = formatAt(x.at);
    explainForm();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  $("explain-form").addEventListener("submit", (event) => {
    event.preventDefault();
    explainForm();
  });
  $("open-json").addEventListener("change", (event) => {
    if (event.target.files[0]) openFile(event.target.files[0]);
  });
  $("first").addEventListener("click", () => go(0));
  $("prev").addEventListener("click", () => go(page.index - 1));
  $("next").addEventListener("click", () => go(page.index + 1));
  $("last").addEventListener("click", () => go(page.steps.length - 1));
  document.addEventListener("keydown", (event) => {
    if (!page.data || event.target.closest("input, textarea, select")) return;
    const moves = {ArrowRight: page.index + 1, ArrowLeft: page.index - 1,
                   Home: 0, End: page.steps.length - 1};
    if (event.key in moves) {
      event.preventDefault();
      go(moves[event.key]);
    }
  });
  window.addEventListener("popstate", readURL);
  loadExamples().catch((error) => showError(`examples: ${error.message}`));
  if (!readURL()) {
    $("source").value = "f(x) = x**2; g(u) = 2*u; h(v) = v + 3; h(g(f(x)))";
    $("at").value = "x=5";
  }
});
