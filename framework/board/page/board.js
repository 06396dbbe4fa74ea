// ganflow board / report page. In the board it reads api/runs and api/runs/NAME and polls
// while a run is running; in a report (ganflow report) the run is window.GANFLOW_REPORT and
// nothing is fetched. Charts are chart.js (Debian's libjs-chart.js, served or inlined locally).
"use strict";
(function () {
  let REPORT = null;  // the report's run: window.GANFLOW_REPORT, set by a script after this one
  const params = new URLSearchParams(location.search);
  const POLL_MS = Number(params.get("poll") || 2000);
  const PALETTE = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"];
  const LOSS_KEYS = ["gen_loss", "crit_loss", "train_loss"];
  const NOT_CHARTED = new Set(["epoch", "step", "stage", "kind"]);
  const KIND_COLORS = { source: "#fde0c5", data: "#fff2b3", noise: "#f3e3ff", model: "#cfe3ff", generator: "#cfe3ff",
    critic: "#d7f0d7", loss: "#ffd6d6", gen_loss: "#ffd6d6", crit_loss: "#ffd6d6", callback: "#e8e8e8",
    metric: "#e0f4f4", stage: "#c9c0ff", unknown: "#eeeeee" };

  const state = { runs: [], current: null, details: null, selected: new Set(), charts: {}, timer: null, compareTimer: null };
  window.ganflowBoard = state;  // for tests and the curious

  const $ = (sel, root) => (root || document).querySelector(sel);
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const c of children) if (c != null) e.append(c);
    return e;
  }
  const fmt = (v) => v == null ? "–" : typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toPrecision(4)) : String(v);
  const finite = (v) => typeof v === "number" && isFinite(v);

  async function getJSON(url) {
    const r = await fetch(url, { cache: "no-store" });
    let body = null;
    try { body = await r.json(); } catch (e) { body = { error: "not JSON (" + r.status + ")" }; }
    if (!r.ok) throw new Error(body && body.error ? body.error : "HTTP " + r.status);
    return body;
  }

  function showPageProblem(text) {
    $("#page-problems").replaceChildren(el("div", { class: "problem error", text }));
  }

  // ---- charts ---------------------------------------------------------------------------
  function lineChart(canvas, datasets, xTitle, yTitle) {
    const integerX = xTitle === "epoch";
    if (typeof Chart === "undefined") {
      canvas.replaceWith(el("div", { class: "problem error", text: "chart.js did not load (package libjs-chart.js)" }));
      return null;
    }
    return new Chart(canvas, {
      type: "line",
      data: { datasets },
      options: {
        animation: false, parsing: false, normalized: true, responsive: true, maintainAspectRatio: false,
        interaction: { mode: "nearest", intersect: false },
        elements: { point: { radius: 0, hitRadius: 6 }, line: { borderWidth: 1.8, tension: 0 } },
        scales: {
          x: { type: "linear", title: { display: true, text: xTitle }, ticks: integerX ? { stepSize: 1, precision: 0 } : {} },
          y: { type: "linear", title: { display: true, text: yTitle } },
        },
        plugins: { legend: { display: true, position: "top" } },
      },
    });
  }
  function dataset(label, points, i, dashed) {
    const color = PALETTE[i % PALETTE.length];
    return { label, data: points, borderColor: color, backgroundColor: color, borderDash: dashed ? [6, 3] : [],
      pointRadius: points.length < 30 ? 2.5 : 0, spanGaps: false };
  }
  function stagesOf(records) {
    const s = [];
    for (const r of records) if (!s.includes(r.stage)) s.push(r.stage);
    return s;
  }
  // Loss curves: one line per (stage, loss), step on x.
  function lossDatasets(run, prefix, colorBase) {
    const stages = stagesOf(run.steps);
    const out = [];
    let i = colorBase || 0;
    for (const stage of stages) {
      const rows = run.steps.filter((r) => r.stage === stage);
      for (const key of LOSS_KEYS) {
        if (!rows.some((r) => finite(r[key]))) continue;
        const points = rows.filter((r) => finite(r.step)).map((r) => ({ x: r.step, y: finite(r[key]) ? r[key] : null }));
        const label = (prefix ? prefix + " " : "") + (stages.length > 1 ? stage + ": " : "") + key;
        out.push(dataset(label, points, i++, false));
      }
    }
    return out;
  }
  function epochKeys(run) {
    const keys = [];
    for (const r of run.epochs)
      for (const [k, v] of Object.entries(r)) if (!NOT_CHARTED.has(k) && finite(v) && !keys.includes(k)) keys.push(k);
    return keys;
  }
  function epochDatasets(run, key, prefix, colorBase) {
    const stages = stagesOf(run.epochs);
    const out = [];
    stages.forEach((stage, j) => {
      const points = run.epochs.filter((r) => r.stage === stage && finite(r[key]) && finite(r.epoch))
        .map((r) => ({ x: r.epoch, y: r[key] }));
      if (points.length) out.push(dataset((prefix ? prefix + " " : "") + (stages.length > 1 ? stage + ": " : "") + key,
        points, (colorBase || 0) + j, false));
    });
    return out;
  }
  function setDatasets(chart, datasets) {
    if (!chart) return;
    // Keep the legend's hidden state per label.
    const hidden = {};
    chart.data.datasets.forEach((d, i) => { hidden[d.label] = !chart.isDatasetVisible(i); });
    chart.data.datasets = datasets;
    datasets.forEach((d) => { if (hidden[d.label]) d.hidden = true; });
    chart.update("none");
  }

  // ---- runs list -------------------------------------------------------------------------
  function renderRuns() {
    const body = $("#runs tbody");
    body.replaceChildren();
    for (const r of state.runs) {
      const box = el("input", { type: "checkbox", class: "compare-box", "data-run": r.name });
      box.checked = state.selected.has(r.name);
      box.addEventListener("click", (ev) => ev.stopPropagation());
      box.addEventListener("change", () => {
        if (box.checked) state.selected.add(r.name); else state.selected.delete(r.name);
        renderCompare();
      });
      const tr = el("tr", { "data-run": r.name, class: r.name === state.current ? "current" : "" },
        el("td", {}, box),
        el("td", { class: "run-name", text: r.name }),
        el("td", { text: r.graph_name || "–" }),
        el("td", {}, el("span", { class: "status " + r.status, title: r.status_detail || "", text: r.status })),
        el("td", { text: fmt(r.last_epoch) }),
        el("td", { text: fmt(r.last_step) }),
        el("td", { text: fmt(r.best_fd) }));
      tr.addEventListener("click", () => { location.hash = "run=" + encodeURIComponent(r.name); });
      body.append(tr);
    }
    if (!state.runs.length) body.append(el("tr", {}, el("td", { colspan: "7", text: "no runs in this folder yet" })));
  }
  async function refreshRuns() {
    try {
      const data = await getJSON("api/runs");
      state.runs = data.runs;
      $("#where").textContent = data.runs_dir;
      $("#page-problems").replaceChildren();
      renderRuns();
    } catch (e) {
      showPageProblem("cannot read the runs: " + e.message);
    }
  }

  // ---- one run ---------------------------------------------------------------------------
  function destroyCharts(prefix) {
    for (const [id, c] of Object.entries(state.charts))
      if (id.startsWith(prefix)) { c.destroy(); delete state.charts[id]; }
  }
  function chartBox(id, wide) {
    return el("div", { class: "chart" + (wide ? " wide" : "") }, el("canvas", { id }));
  }

  function renderRun(run) {
    state.details = run;
    destroyCharts("run-");
    const main = $("#run");
    const problems = el("ul", { class: "problems", id: "run-problems" });
    const header = el("div", { class: "run-title" }, el("h2", { id: "run-name", text: run.name }),
      el("span", { class: "status " + run.status, id: "run-status", text: run.status }),
      el("span", { class: "detail", id: "run-detail", text: run.status_detail || "" }));
    const lossSection = el("section", {}, el("h3", { text: "Losses (smoothed, as logged)" }),
      el("div", { class: "charts" }, chartBox("loss-chart", true)));
    const top = el("div", { class: "top-row" }, lossSection);
    const epochSection = el("section", {}, el("h3", { text: "Epoch values" }), el("div", { class: "charts", id: "epoch-charts" }));
    const sampleSection = el("section", { id: "samples" }, el("h3", { text: "Samples" }));
    const graphSection = el("section", { id: "graph" }, el("h3", { text: "Graph" }));
    const logSection = el("section", {}, el("h3", { text: "Log (tail)" }), el("pre", { id: "log" }));
    top.append(sampleSection);
    main.replaceChildren(header, problems, top, epochSection, graphSection, logSection);
    state.charts["run-loss"] = lineChart($("#loss-chart"), lossDatasets(run), "step", "loss");
    renderSamples(run, true);
    renderGraph(run.graph);
    updateRun(run);
  }

  // What changes while a run trains: status, problems, curves, epoch charts, samples, log.
  function updateRun(run) {
    state.details = run;
    $("#run-status").className = "status " + run.status;
    $("#run-status").textContent = run.status;
    $("#run-detail").textContent = run.status_detail || "";
    $("#run-problems").replaceChildren(...(run.problems || []).map((p) => el("li", { class: "problem", text: p })));
    setDatasets(state.charts["run-loss"], lossDatasets(run));
    const box = $("#epoch-charts");
    for (const key of epochKeys(run)) {
      const id = "epoch-" + key;
      if (!state.charts["run-" + id]) {
        box.append(chartBox(id));
        state.charts["run-" + id] = lineChart(document.getElementById(id), [], "epoch", key);
      }
      setDatasets(state.charts["run-" + id], epochDatasets(run, key));
    }
    if (!run.epochs.length && !box.children.length) box.append(el("p", { class: "hint", text: "no epoch rows yet" }));
    renderSamples(run, false);
    const log = $("#log");
    const atEnd = log.scrollTop + log.clientHeight >= log.scrollHeight - 4;
    log.textContent = run.log_tail || "";
    if (atEnd) log.scrollTop = log.scrollHeight;
  }

  function renderSamples(run, fresh) {
    const section = $("#samples");
    const samples = run.samples || [];
    let slider = $("#sample-slider");
    if (!samples.length) {
      if (!$("#no-samples")) section.append(el("p", { class: "hint", id: "no-samples", text: "no sample grids" }));
      return;
    }
    const noSamples = $("#no-samples");
    if (noSamples) noSamples.remove();
    if (!slider) {
      const img = el("img", { id: "sample-img", alt: "sample grid" });
      img.addEventListener("error", () => {
        const s = state.details.samples[Number($("#sample-slider").value)];
        $("#sample-problem").textContent = s.file + " cannot be displayed (corrupt or unreadable image)";
        img.style.visibility = "hidden";
      });
      img.addEventListener("load", () => {
        img.style.visibility = "visible";
        const scale = Math.max(1, Math.floor(400 / Math.max(img.naturalWidth, img.naturalHeight)));
        img.style.width = img.naturalWidth * scale + "px";
        img.style.height = img.naturalHeight * scale + "px";
      });
      slider = el("input", { type: "range", id: "sample-slider", min: "0", step: "1" });
      slider.addEventListener("input", () => showSample(Number(slider.value)));
      section.append(el("div", { class: "panel" }, img,
        el("div", { class: "slider-row" }, slider, el("span", { id: "sample-label" })),
        el("div", { id: "sample-problem", class: "problem-text" })));
      fresh = true;
    }
    const wasLast = Number(slider.value) >= Number(slider.max);
    slider.max = String(samples.length - 1);
    if (fresh || wasLast) { slider.value = slider.max; showSample(samples.length - 1); }
  }
  function showSample(i) {
    const s = state.details.samples[i];
    const img = $("#sample-img");
    $("#sample-label").textContent = "epoch " + s.epoch + " (" + (i + 1) + " of " + state.details.samples.length + ")";
    $("#sample-problem").textContent = s.error ? s.file + ": " + s.error : "";
    if (img.getAttribute("src") !== s.url) img.src = s.url || "";
    img.dataset.epoch = s.epoch;
  }

  // Layered drawing: a column per depth (longest path from a source), nodes coloured by kind,
  // an edge from each input; stages listed in the order they run.
  function renderGraph(g) {
    const section = $("#graph");
    if (!g) { section.append(el("p", { class: "problem", text: "no graph.json to draw" })); return; }
    const NS = "http://www.w3.org/2000/svg";
    const W = 150, H = 38, GX = 60, GY = 14;
    const cols = {};
    for (const n of g.nodes) (cols[n.depth] = cols[n.depth] || []).push(n);
    const pos = {};
    let maxRows = 0;
    for (const [d, nodes] of Object.entries(cols)) {
      nodes.forEach((n, i) => { pos[n.name] = { x: 10 + Number(d) * (W + GX), y: 10 + i * (H + GY) }; });
      maxRows = Math.max(maxRows, nodes.length);
    }
    const depths = Object.keys(cols).length;
    const svg = document.createElementNS(NS, "svg");
    svg.setAttribute("class", "graph");
    svg.setAttribute("width", 20 + depths * (W + GX));
    svg.setAttribute("height", 20 + maxRows * (H + GY));
    const mk = (tag, attrs, text) => {
      const e = document.createElementNS(NS, tag);
      for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
      if (text != null) e.textContent = text;
      svg.append(e);
      return e;
    };
    const defs = document.createElementNS(NS, "defs");
    defs.innerHTML = '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto"><path d="M0,0L10,5L0,10z" fill="#8a94a3"/></marker>';
    svg.append(defs);
    for (const n of g.nodes)
      for (const from of n.inputs) {
        const a = pos[from], b = pos[n.name];
        if (!a || !b) continue;
        const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2, mx = (x1 + x2) / 2;
        mk("path", { d: `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`, fill: "none", stroke: "#8a94a3",
          "stroke-width": "1.3", "marker-end": "url(#arrow)" });
      }
    for (const n of g.nodes) {
      const p = pos[n.name];
      const stageNo = g.stages.indexOf(n.name);
      mk("rect", { x: p.x, y: p.y, width: W, height: H, rx: 5, fill: KIND_COLORS[n.kind] || "#eee",
        stroke: n.kind === "stage" ? "#5b4bc4" : "#9aa3ae", "stroke-width": n.kind === "stage" ? 2 : 1, "data-node": n.name });
      mk("text", { x: p.x + 6, y: p.y + 15 }, (stageNo >= 0 ? (stageNo + 1) + ". " : "") + n.name);
      mk("text", { x: p.x + 6, y: p.y + 30, class: "type" }, n.type + " (" + n.kind + ")");
    }
    section.append(el("p", { class: "stages", id: "stage-order",
      text: "Stages in order: " + (g.stages.length ? g.stages.join(" → ") : "none") }),
      el("div", { class: "panel" }, svg));
  }

  async function openRun(name) {
    clearTimeout(state.timer);
    state.current = name;
    renderRuns();
    if (!name) { $("#run").replaceChildren(el("p", { class: "hint", text: "Select a run above." })); return; }
    let run;
    try {
      run = await getJSON("api/runs/" + encodeURIComponent(name));
    } catch (e) {
      destroyCharts("run-");
      $("#run").replaceChildren(el("h2", { text: name }),
        el("div", { class: "problem error", id: "run-error", text: "unknown run '" + name + "': " + e.message }));
      return;
    }
    if (state.current !== name) return;
    renderRun(run);
    schedulePoll(run);
  }
  function schedulePoll(run) {
    clearTimeout(state.timer);
    $("#live").textContent = run.status === "running" ? "live: updating every " + POLL_MS / 1000 + " s" : "";
    if (run.status !== "running") return;
    state.timer = setTimeout(async () => {
      const name = state.current;
      try {
        const fresh = await getJSON("api/runs/" + encodeURIComponent(name));
        if (state.current !== name) return;
        updateRun(fresh);
        schedulePoll(fresh);
        refreshRuns();
      } catch (e) {
        showPageProblem("cannot update " + name + ": " + e.message);
        schedulePoll(run);
      }
    }, POLL_MS);
  }

  // ---- comparison ------------------------------------------------------------------------
  async function renderCompare() {
    clearTimeout(state.compareTimer);
    const names = [...state.selected];
    const box = $("#compare");
    destroyCharts("cmp-");
    const charts = $("#compare-charts");
    charts.replaceChildren();
    if (names.length < 2) { box.hidden = true; return; }
    box.hidden = false;
    const runs = [];
    for (const n of names) {
      try { runs.push(await getJSON("api/runs/" + encodeURIComponent(n))); }
      catch (e) { charts.append(el("div", { class: "problem", text: n + ": " + e.message })); }
    }
    if (names.join() !== [...state.selected].join()) return;  // changed meanwhile
    charts.append(chartBox("compare-loss", true));
    const loss = [];
    runs.forEach((r, i) => loss.push(...lossDatasets(r, r.name, i * 3)));
    state.charts["cmp-loss"] = lineChart($("#compare-loss"), loss, "step", "loss");
    const keys = [];
    for (const r of runs) for (const k of epochKeys(r)) if (!keys.includes(k)) keys.push(k);
    for (const key of keys) {
      const id = "compare-" + key;
      charts.append(chartBox(id));
      const ds = [];
      runs.forEach((r, i) => ds.push(...epochDatasets(r, key, r.name, i)));
      state.charts["cmp-" + key] = lineChart(document.getElementById(id), ds, "epoch", key);
    }
    if (runs.some((r) => r.status === "running")) state.compareTimer = setTimeout(renderCompare, POLL_MS * 2);
  }

  // ---- start -----------------------------------------------------------------------------
  function currentFromHash() {
    const m = /(?:^#|&)run=([^&]*)/.exec(location.hash);
    return m ? decodeURIComponent(m[1]) : null;
  }
  document.addEventListener("DOMContentLoaded", async () => {
    REPORT = window.GANFLOW_REPORT || null;
    if (REPORT) {
      document.title = "ganflow report: " + REPORT.name;
      $("header h1").textContent = "ganflow report";
      $("#where").textContent = REPORT.name + (REPORT.graph_name ? " (" + REPORT.graph_name + ")" : "");
      $("#runs-section").hidden = true;
      state.current = REPORT.name;
      renderRun(REPORT);
      return;
    }
    await refreshRuns();
    window.addEventListener("hashchange", () => openRun(currentFromHash()));
    openRun(currentFromHash() || (state.runs[0] && state.runs[0].name) || null);
    setInterval(refreshRuns, Math.max(5000, POLL_MS * 2));
  });
})();
