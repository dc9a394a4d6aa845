// The Train page: the network trains in the server (on chainrule's engine); this script sends
// the settings, listens to the stream of frames and draws them. The settings live in the URL.
"use strict";

const $ = (id) => document.getElementById(id);
const FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"];
const FIELDS = ["dataset", "noise", "test_fraction", "hidden", "activation", "residual",
                "layer_norm", "lr", "regularization", "reg_rate", "batch_size"];
const run = {id: null, extent: 6, points: null, history: [], source: null, playing: false,
             weights: [], generation: 0, ready: Promise.resolve()};

// --------------------------------------------------------------------------- settings and URL
function readConfig() {
  const hidden = $("hidden").value.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  return {
    dataset: $("dataset").value,
    noise: Number($("noise").value),
    test_fraction: Number($("test_fraction").value),
    features: FEATURES.filter((f) => $(`feature-${f}`).checked),
    hidden,
    activation: $("activation").value,
    residual: $("residual").checked,
    layer_norm: $("layer_norm").checked,
    lr: Number($("lr").value),
    regularization: $("regularization").value,
    reg_rate: Number($("reg_rate").value),
    batch_size: Number($("batch_size").value),
  };
}

function writeURL(config) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(config)) {
    params.set(key, Array.isArray(value) ? value.join(",") : String(value));
  }
  history.replaceState(null, "", `${location.pathname}?${params}`);
}

function readURL() {
  const params = new URLSearchParams(location.search);
  for (const key of FIELDS) {
    if (!params.has(key)) continue;
    const input = $(key);
    if (input.type === "checkbox") input.checked = params.get(key) === "true";
    else input.value = params.get(key);
  }
  if (params.has("features")) {
    const chosen = params.get("features").split(",");
    for (const f of FEATURES) $(`feature-${f}`).checked = chosen.includes(f);
  }
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

// --------------------------------------------------------------------------- the session
// Step and Play clicked right after a setting changed act on the new session: they wait for
// the newest reset.
function reset() {
  run.ready = startSession();
  return run.ready;
}

async function startSession() {
  pause();
  showError("");
  const config = readConfig();
  $("noise-value").textContent = config.noise;
  $("test-value").textContent = `${Math.round(config.test_fraction * 100)}%`;
  writeURL(config);
  const old = run.id;
  run.id = null;
  if (old) deleteSession(old);
  // Settings may change again before the server answers: only the newest session is kept.
  const generation = ++run.generation;
  try {
    const answer = await postJSON("/api/train/sessions", config);
    if (generation !== run.generation) {
      deleteSession(answer.id);
      return;
    }
    Object.assign(run, {id: answer.id, extent: answer.extent, points: answer.points, history: [],
                        weights: answer.weights});
    const digits = config.dataset === "digits";
    $("boundary-view").hidden = $("neurons-view").hidden = digits;
    $("confusion-view").hidden = !digits;
    // The images are the inputs: no noise or features to choose.
    $("noise").disabled = digits;
    for (const input of $("features").querySelectorAll("input")) input.disabled = digits;
    $("weight-layer").replaceChildren(...answer.weights.map((w, i) =>
      el("option", {value: String(i)}, `${w.layer} (${w.shape[0]}×${w.shape[1]})`)));
    $("weight-chain").replaceChildren();
    pickWeight(0, 0);
    // Each weight's gradient for training example 0, as a chain of local derivatives.
    $("explain-link").href = `/?session=${encodeURIComponent(answer.id)}&example=0`;
    drawFrame(answer.frame);
  } catch (error) {
    showError(error.message);
  }
}

function deleteSession(id) {
  fetch(`/api/train/sessions/${id}`, {method: "DELETE"}).catch(() => {});
}

async function step() {
  await run.ready;
  if (!run.id) return;
  try {
    drawFrame(await postJSON(`/api/train/sessions/${run.id}/step?count=1`, {}));
  } catch (error) {
    showError(error.message);
  }
}

async function play() {
  await run.ready;
  if (!run.id || run.source) return;
  run.playing = true;
  $("weight-explain").disabled = true; // a weight's chain is read on pause
  $("play").textContent = "⏸ Pause";
  $("play").setAttribute("aria-pressed", "true");
  const source = new EventSource(`/api/train/sessions/${run.id}/stream?steps_per_frame=10`);
  run.source = source;
  source.onmessage = (event) => drawFrame(JSON.parse(event.data));
  source.addEventListener("end", () => { // the server ends each stream after a while
    source.close();
    run.source = null;
    if (run.playing) play();
  });
  source.addEventListener("error", (event) => {
    if (event.data) showError(JSON.parse(event.data).detail);
    else if (source.readyState !== EventSource.CLOSED) showError("the training stream stopped");
    pause();
  });
}

function pause() {
  run.playing = false;
  if (run.source) run.source.close();
  run.source = null;
  $("weight-explain").disabled = false;
  $("play").textContent = "▶ Play";
  $("play").setAttribute("aria-pressed", "false");
}

// --------------------------------------------------------------------------- drawing
function drawFrame(frame) {
  run.history.push([frame.step, frame.train_loss, frame.test_loss]);
  if (run.history.length > 500) run.history = run.history.filter((_, i) => i % 2 === 0);
  $("status").textContent = `step ${frame.step}, epoch ${frame.epoch.toFixed(1)}`;
  $("train-loss").textContent = formatNumber(frame.train_loss);
  $("test-loss").textContent = formatNumber(frame.test_loss);
  if (frame.confusion) drawConfusion(frame.confusion);
  else drawBoundary(frame.boundary);
  drawCurves();
  drawBars(frame.grad_norms);
  drawNeurons(frame.neurons);
}

// Rows: the true digit; columns: the predicted one. Each cell's colour is its share of the
// row (blue on the diagonal, red off it); the count is written in it too.
function drawConfusion({classes, counts, accuracy}) {
  $("accuracy").textContent = `${(accuracy * 100).toFixed(1)}%`;
  const table = $("confusion");
  table.tHead.replaceChildren(el("tr", {}, el("th", {scope: "col"}, "true ↓ predicted →"),
    ...classes.map((c) => el("th", {scope: "col"}, String(c)))));
  table.tBodies[0].replaceChildren(...counts.map((row, i) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    return el("tr", {}, el("th", {scope: "row"}, String(classes[i])), ...row.map((n, j) => {
      const share = n / total;
      const cell = el("td", {"data-true": String(i), "data-predicted": String(j)}, String(n));
      const hue = i === j ? "11, 83, 148" : "179, 38, 30";
      cell.style.background = `rgba(${hue}, ${(0.85 * share).toFixed(3)})`;
      cell.style.color = share > 0.5 ? "#fff" : "var(--ink)";
      return cell;
    }));
  }));
}

// --------------------------------------------------------------------------- one weight
function pickWeight(row, col) {
  const weight = run.weights[Number($("weight-layer").value) || 0];
  if (!weight) return;
  const [rows, cols] = weight.shape;
  $("weight-row").max = rows - 1;
  $("weight-col").max = cols - 1;
  $("weight-row").value = Math.min(row, rows - 1);
  $("weight-col").value = Math.min(col, cols - 1);
  drawWeightGrid();
}

// A cell per weight of the chosen layer (rows: neurons, columns: inputs), the chosen one marked.
function drawWeightGrid() {
  const weight = run.weights[Number($("weight-layer").value) || 0];
  const canvas = $("weight-grid"), ctx = canvas.getContext("2d");
  const [rows, cols] = weight.shape;
  const cell = Math.max(3, Math.min(24, Math.floor(640 / cols)));
  canvas.width = cols * cell;
  canvas.height = rows * cell;
  ctx.fillStyle = "#eef1f4";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = "#8a96a3";
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) ctx.strokeRect(c * cell + 0.5, r * cell + 0.5, cell - 1, cell - 1);
  }
  ctx.fillStyle = "#0a58ca";
  ctx.fillRect(Number($("weight-col").value) * cell, Number($("weight-row").value) * cell, cell, cell);
  canvas.dataset.cell = String(cell);
}

async function explainWeight() {
  const weight = run.weights[Number($("weight-layer").value) || 0];
  if (!run.id || !weight || run.playing) return;
  const params = new URLSearchParams({parameter: weight.parameter, row: $("weight-row").value,
    col: $("weight-col").value, index: $("weight-example").value});
  showError("");
  // The whole explanation of the same example, every weight's chain in it, one click away.
  $("explain-link").href = `/?session=${encodeURIComponent(run.id)}&example=${params.get("index")}`;
  try {
    showChain(await postJSON(`/api/train/sessions/${run.id}/weight?${params}`, {}), weight);
  } catch (error) {
    showError(`weight: ${error.message}`);
  }
}

function showChain(chain, weight) {
  const params = new URLSearchParams({session: run.id, example: String(chain.index),
    weight: chain.parameter, row: String(chain.row), col: String(chain.col)});
  $("weight-chain").replaceChildren(...chainView(chain, weight.layer),
    el("p", {}, el("a", {href: `/?${params}`, target: "_blank"},
      "See it on the whole graph, in the Explain view")));
}

// Orange for class 0 (output near 0), blue for class 1, white on the boundary.
function colour(p) {
  const t = Math.max(0, Math.min(1, p ?? 0.5));
  const mix = (a, b) => Math.round(a + (b - a) * Math.abs(2 * t - 1));
  return t < 0.5 ? `rgb(${mix(255, 245)},${mix(255, 147)},${mix(255, 34)})`
    : `rgb(${mix(255, 8)},${mix(255, 119)},${mix(255, 189)})`;
}

function drawBoundary({size, values}) {
  const canvas = $("boundary"), ctx = canvas.getContext("2d");
  const cell = canvas.width / size;
  values.forEach((p, i) => {
    ctx.fillStyle = colour(p);
    ctx.fillRect((i % size) * cell, Math.floor(i / size) * cell, cell + 1, cell + 1);
  });
  const scale = canvas.width / (2 * run.extent);
  for (const [kind, ring] of [["train", false], ["test", true]]) {
    for (const [x, y, label] of run.points[kind]) {
      ctx.beginPath();
      ctx.arc((x + run.extent) * scale, (run.extent - y) * scale, 3, 0, 2 * Math.PI);
      ctx.fillStyle = label ? "#0b5394" : "#b45309";
      ctx.fill();
      ctx.lineWidth = ring ? 1.5 : 0.5;
      ctx.strokeStyle = ring ? "#000" : "#fff";
      ctx.stroke();
    }
  }
}

function drawCurves() {
  const svg = $("curves");
  const losses = run.history.flatMap(([, a, b]) => [a, b]).filter((v) => v !== null);
  const top = Math.max(...losses, 1e-9), last = run.history.at(-1)[0] || 1;
  const line = (k) => run.history.filter((h) => h[k] !== null)
    .map(([s, ...l]) => `${(s / last) * 296 + 2},${118 - (l[k - 1] / top) * 114}`).join(" ");
  svg.replaceChildren(svgEl("polyline", {class: "curve train", points: line(1)}),
                      svgEl("polyline", {class: "curve test", points: line(2)}));
}

function drawBars(norms) {
  // log10 of the norm from 1e-8 (empty) to 10 (full): vanishing gradients are orders of
  // magnitude, which a linear bar would hide.
  const rows = norms.map(({layer, norm}) => {
    const width = norm > 0 ? Math.max(0, Math.min(1, (Math.log10(norm) + 8) / 9)) : 0;
    const bar = el("div", {class: "bar"});
    bar.style.width = `${(width * 100).toFixed(1)}%`;
    return el("div", {class: "bar-row", "data-layer": layer, "data-norm": String(norm)},
      el("span", {}, layer), el("div", {class: "bar-track", role: "meter",
        "aria-label": `${layer} gradient norm`, "aria-valuenow": String(norm)}, bar),
      el("span", {}, formatNumber(norm)));
  });
  $("grad-bars").replaceChildren(...rows);
}

function drawNeurons(layers) {
  const columns = layers.map((neurons, i) => {
    const canvases = neurons.map((values) => {
      const size = Math.round(Math.sqrt(values.length));
      const canvas = el("canvas", {width: size, height: size});
      const ctx = canvas.getContext("2d");
      // Each neuron on its own range: what matters is where in the plane it is high or low.
      const low = Math.min(...values.map((v) => v ?? 0)), high = Math.max(...values.map((v) => v ?? 0));
      values.forEach((v, j) => {
        ctx.fillStyle = colour(high > low ? ((v ?? 0) - low) / (high - low) : 0.5);
        ctx.fillRect(j % size, Math.floor(j / size), 1, 1);
      });
      return canvas;
    });
    return el("div", {class: "neuron-layer"}, el("span", {}, `layer ${i + 1}`), ...canvases);
  });
  $("neurons").replaceChildren(...columns);
}

// --------------------------------------------------------------------------- wiring
document.addEventListener("DOMContentLoaded", () => {
  $("features").append(...FEATURES.map((f) => el("label", {},
    el("input", {type: "checkbox", id: `feature-${f}`, checked: f === "x1" || f === "x2"}), ` ${f}`)));
  readURL();
  $("config").addEventListener("change", reset);
  $("config").addEventListener("submit", (event) => { event.preventDefault(); reset(); });
  $("play").addEventListener("click", () => (run.playing ? pause() : play()));
  $("step").addEventListener("click", step);
  $("reset").addEventListener("click", reset);
  $("weight-form").addEventListener("submit", (event) => { event.preventDefault(); explainWeight(); });
  $("weight-layer").addEventListener("change", () => pickWeight(0, 0));
  for (const id of ["weight-row", "weight-col"]) $(id).addEventListener("input", drawWeightGrid);
  $("weight-grid").addEventListener("click", (event) => {
    const canvas = $("weight-grid"), box = canvas.getBoundingClientRect();
    const cell = Number(canvas.dataset.cell) * box.width / canvas.width;
    pickWeight(Math.floor((event.clientY - box.top) / cell), Math.floor((event.clientX - box.left) / cell));
    explainWeight();
  });
  window.addEventListener("pagehide", () => {
    if (run.id) fetch(`/api/train/sessions/${run.id}`, {method: "DELETE", keepalive: true});
  });
  reset();
});
