// Helpers shared by the pages: number formatting and element creation. No arithmetic on
// gradients happens in the browser: every number shown comes from the server's engine.
"use strict";

const MAX_SHOWN = 24;

// A number as Python's "%.6g" (the explainer's text format): six significant digits.
function formatNumber(x) {
  if (typeof x === "string") return x; // "nan", "inf", "-inf" as the JSON schema writes them
  if (x === null || x === undefined) return "—";
  if (x === 0) return "0";
  const [mantissa, exponent] = x.toExponential(5).split("e");
  const power = Number(exponent);
  if (power < -4 || power >= 6) { // where %g switches to scientific notation
    return `${trimZeros(mantissa)}e${power < 0 ? "-" : "+"}${String(Math.abs(power)).padStart(2, "0")}`;
  }
  return trimZeros(x.toFixed(Math.max(0, 5 - power)));
}

function trimZeros(text) {
  return text.includes(".") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
}

// A value of the schema (a number, a string or nested lists) as text, long arrays shortened.
function formatValue(v) {
  if (!Array.isArray(v)) return formatNumber(v);
  const flat = v.flat(Infinity);
  if (flat.length > MAX_SHOWN) {
    const ends = (xs) => xs.map(formatNumber).join(", ");
    return `[${ends(flat.slice(0, 3))}, …, ${ends(flat.slice(-3))}] (${flat.length} numbers)`;
  }
  return "[" + v.map(formatValue).join(", ") + "]";
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("data-") || key.startsWith("aria-") || key === "role") node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) node.append(child);
  return node;
}

function svgEl(tag, attributes = {}) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
  return node;
}

async function postJSON(url, body) {
  const answer = await fetch(url, {
    method: "POST", headers: {"content-type": "application/json"}, body: JSON.stringify(body),
  });
  const data = await answer.json().catch(() => ({detail: `HTTP ${answer.status}`}));
  if (!answer.ok) {
    const detail = Array.isArray(data.detail)
      ? data.detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ")
      : data.detail;
    throw new Error(detail || `HTTP ${answer.status}`);
  }
  return data;
}

// One weight's gradient as its chain of local derivatives (the answer of the Train page's
// .../weight endpoint): a table of the factors, their product and the engine's gradient.
// Every number is the engine's, from the explanation of the example's loss.
function chainView(chain, layer) {
  const rows = chain.factors.map((f, i) => el("tr", {},
    el("td", {}, f.symbol), el("td", {}, f.op), el("td", {}, f.formula),
    el("td", {}, el("output", {"data-factor": String(i)}, formatNumber(f.value)))));
  const parts = [
    el("h3", {}, `∂loss/∂w for ${layer}, weight [${chain.row}, ${chain.col}], ` +
      `training example ${chain.index}`),
    el("div", {class: "scroll"}, el("table", {class: "chain"},
      el("thead", {}, el("tr", {}, ...["factor", "op", "local derivative", "value"]
        .map((h) => el("th", {scope: "col"}, h)))),
      el("tbody", {}, ...rows))),
    el("p", {}, `product of the ${chain.factors.length} factors: `,
      el("output", {id: "chain-product"}, formatNumber(chain.product)),
      "; the engine's backward pass gives ",
      el("output", {id: "chain-gradient"}, formatNumber(chain.gradient)),
      el("span", {class: chain.agrees ? "agrees" : "error"},
        chain.agrees ? " — the same number" : " — they differ!")),
  ];
  if (chain.upstream) {
    const shown = chain.upstream.terms.slice(0, 12).map((t) => `${t.symbol} = ${formatNumber(t.value)}`);
    const more = chain.upstream.terms.length - shown.length;
    parts.push(el("p", {class: "fanout"}, `${chain.upstream.symbol} = ` +
      `${formatNumber(chain.upstream.value)} is a sum the engine collected from every op that ` +
      "used the value, term by term:"),
      el("ul", {class: "terms"}, ...shown.map((t) => el("li", {}, t)),
        ...(more > 0 ? [el("li", {}, `… and ${more} more`)] : [])));
  }
  return parts;
}
