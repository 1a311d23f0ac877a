// safetylab view: every model-written string is set with textContent, never parsed as HTML.
"use strict";
(function () {
  const D = JSON.parse(document.getElementById("data").textContent || "{}");
  const FIGS = JSON.parse(document.getElementById("figs").textContent || "{}");
  const PAGE = 50;
  const $ = (id) => document.getElementById(id);
  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  // ---- tabs
  function showTab(name) {
    for (const b of document.querySelectorAll("nav button[data-tab]")) {
      b.classList.toggle("on", b.dataset.tab === name);
    }
    for (const s of document.querySelectorAll("section.tab")) s.hidden = s.id !== "tab-" + name;
    if (name === "summary" && window.Plotly) for (const k in FIGS) { const d = $("plot-" + k); if (d && d.data) Plotly.Plots.resize(d); }
  }
  for (const b of document.querySelectorAll("nav button[data-tab]")) {
    b.addEventListener("click", () => showTab(b.dataset.tab));
  }

  // ---- plots: drawn by the script after plotly.js (inline, below), so answers are usable first
  window.safetylabDrawPlots = function () {
    for (const k in FIGS) {
      const div = $("plot-" + k);
      if (div && window.Plotly) {
        Plotly.newPlot(div, FIGS[k].data, FIGS[k].layout, { displaylogo: false, responsive: true });
      }
    }
    document.body.dataset.plotsMs = String(Math.round(performance.now()));
  };

  const n = D.a_text ? D.a_text.length : 0;
  const judges = D.judges || [];
  const labels = D.labels || [];
  const modelRun = D.m_run || [];

  // ---- marks (relabels), kept in localStorage per page when allowed
  const KEY = "safetylab-marks:" + (D.a_id && D.a_id.length ? D.a_id[0] + ":" + n : "empty");
  let marks = {};
  try { marks = JSON.parse(localStorage.getItem(KEY) || "{}") || {}; } catch (e) { marks = {}; }
  const byId = new Map();
  for (let i = 0; i < n; i++) byId.set(D.a_id[i], i);
  for (const k of Object.keys(marks)) if (!byId.has(k)) delete marks[k];
  function saveMarks() {
    $("n-marks").textContent = String(Object.keys(marks).length);
    try { localStorage.setItem(KEY, JSON.stringify(marks)); } catch (e) { /* file:// may forbid */ }
  }
  function markSelect(i) {
    const s = el("select", null, "relabel");
    s.dataset.gid = D.a_id[i];
    s.appendChild(el("option", "—"));
    s.options[0].value = "";
    for (const l of ["full_compliance", "full_refusal", "partial_refusal"]) {
      const o = el("option", l);
      o.value = l;
      s.appendChild(o);
    }
    s.value = marks[D.a_id[i]] || "";
    s.addEventListener("change", () => {
      if (s.value) marks[D.a_id[i]] = s.value; else delete marks[D.a_id[i]];
      for (const other of document.querySelectorAll("select.relabel")) {
        if (other !== s && other.dataset.gid === s.dataset.gid) other.value = s.value;
      }
      saveMarks();
    });
    return s;
  }
  $("dl-labels").addEventListener("click", () => {
    const lines = [];
    for (const gid of Object.keys(marks)) {
      const i = byId.get(gid);
      const p = D.a_prompt[i];
      const row = {
        prompt: D.p_text[p], answer: D.a_text[i], label: marks[gid],
        generation_id: gid, prompt_id: D.p_id[p], run: D.runs[modelRun[D.a_model[i]]],
        model: D.models[D.a_model[i]], suite: D.suites[D.p_suite[p]],
        category: D.categorys[D.p_category[p]], transform: D.transforms[D.p_transform[p]],
      };
      judges.forEach((j, k) => { row["judge_" + j] = labelOf(k, i); });
      lines.push(JSON.stringify(row));
    }
    const blob = new Blob([lines.join("\n") + (lines.length ? "\n" : "")], { type: "application/jsonl" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "labels.jsonl";
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  });

  function labelOf(k, i) { const v = D.a_labels[k][i]; return v < 0 ? "" : labels[v]; }
  const disagree = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let first = -2;
    for (let k = 0; k < judges.length; k++) {
      const v = D.a_labels[k][i];
      if (v < 0) continue;
      if (first === -2) first = v; else if (v !== first) { disagree[i] = 1; break; }
    }
  }

  // ---- filters
  function fill(id, names, all) {
    const s = $(id);
    s.appendChild(el("option", all));
    s.options[0].value = "";
    names.forEach((name, i) => { const o = el("option", name === "" ? "(none)" : name); o.value = String(i); s.appendChild(o); });
  }
  if (!n) { $("count").textContent = "no answers"; saveMarks(); document.body.dataset.ready = "1"; return; }
  fill("f-run", D.runs, "all runs");
  fill("f-model", D.models, "all models");
  fill("f-suite", D.suites, "all suites");
  fill("f-category", D.categorys, "all categories");
  fill("f-transform", D.transforms, "all transforms");
  judges.forEach((j, k) => { const o = el("option", j); o.value = String(k); $("f-judge").appendChild(o); });
  fill("f-label", labels, "any label");
  if (D.runs.length < 2) $("f-run").parentElement.hidden = true;

  let lower = null; // lazily built lower-cased prompt / answer text for search
  let rows = [];
  let page = 0;
  function applyFilters() {
    const fr = $("f-run").value, fm = $("f-model").value, fs = $("f-suite").value;
    const fc = $("f-category").value, ft = $("f-transform").value, fl = $("f-label").value;
    const jk = Number($("f-judge").value || 0), dis = $("f-disagree").checked;
    const q = $("q").value.trim().toLowerCase();
    if (q && !lower) lower = { p: D.p_text.map((t) => t.toLowerCase()), a: D.a_text.map((t) => t.toLowerCase()) };
    const out = [];
    const r = fr === "" ? -1 : +fr, m = fm === "" ? -1 : +fm, s = fs === "" ? -1 : +fs;
    const c = fc === "" ? -1 : +fc, t = ft === "" ? -1 : +ft, l = fl === "" ? -1 : +fl;
    const labs = D.a_labels[jk] || [];
    for (let i = 0; i < n; i++) {
      const mi = D.a_model[i], p = D.a_prompt[i];
      if (r >= 0 && modelRun[mi] !== r) continue;
      if (m >= 0 && mi !== m) continue;
      if (s >= 0 && D.p_suite[p] !== s) continue;
      if (c >= 0 && D.p_category[p] !== c) continue;
      if (t >= 0 && D.p_transform[p] !== t) continue;
      if (l >= 0 && labs[i] !== l) continue;
      if (dis && !disagree[i]) continue;
      if (q && lower.p[p].indexOf(q) < 0 && lower.a[i].indexOf(q) < 0) continue;
      out.push(i);
    }
    rows = out;
    page = 0;
    const counts = {};
    for (const i of rows) { const v = labs[i]; const name = v < 0 ? "(none)" : labels[v]; counts[name] = (counts[name] || 0) + 1; }
    $("count").textContent = rows.length + " of " + n + " answers";
    $("label-counts").textContent = Object.keys(counts).sort().map((k) => k + " " + counts[k]).join(" · ")
      + (judges.length ? " (" + judges[jk] + ")" : "");
    render();
  }
  function labelBadges(i, td) {
    judges.forEach((j, k) => {
      const lab = labelOf(k, i);
      const sc = D.a_scores[k][i];
      const b = el("span", j + ": " + (lab || "-") + (sc === null || sc === undefined ? "" : " (" + sc + ")"), "lab " + lab);
      td.appendChild(b);
    });
    if (disagree[i]) td.classList.add("disagree");
  }
  function render() {
    const tb = $("answers").tBodies[0];
    tb.textContent = "";
    const pages = Math.max(1, Math.ceil(rows.length / PAGE));
    page = Math.min(Math.max(page, 0), pages - 1);
    const frag = document.createDocumentFragment();
    for (const i of rows.slice(page * PAGE, page * PAGE + PAGE)) {
      const p = D.a_prompt[i];
      const tr = document.createElement("tr");
      tr.dataset.gid = D.a_id[i];
      tr.appendChild(el("td", D.models[D.a_model[i]]));
      tr.appendChild(el("td", D.suites[D.p_suite[p]]));
      tr.appendChild(el("td", D.categorys[D.p_category[p]]));
      tr.appendChild(el("td", D.transforms[D.p_transform[p]]));
      const pt = el("td", D.p_text[p], "prompt");
      pt.title = "show every model's answer to this prompt";
      pt.addEventListener("click", () => sideBySide(p));
      tr.appendChild(pt);
      tr.appendChild(el("td", D.a_text[i], "ans"));
      const lt = el("td");
      labelBadges(i, lt);
      tr.appendChild(lt);
      const mt = el("td");
      mt.appendChild(markSelect(i));
      tr.appendChild(mt);
      frag.appendChild(tr);
    }
    tb.appendChild(frag);
    $("page").textContent = "page " + (page + 1) + " of " + pages;
  }
  for (const id of ["f-run", "f-model", "f-suite", "f-category", "f-transform", "f-judge", "f-label", "f-disagree"]) {
    $(id).addEventListener("change", applyFilters);
  }
  let timer = 0;
  $("q").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(applyFilters, 150); });
  $("prev").addEventListener("click", () => { page--; render(); });
  $("next").addEventListener("click", () => { page++; render(); });

  // ---- side by side: the plain prompt, its attacked variants, every model's answer
  const answersOf = new Map();
  for (let i = 0; i < n; i++) {
    const p = D.a_prompt[i];
    if (!answersOf.has(p)) answersOf.set(p, []);
    answersOf.get(p).push(i);
  }
  const children = new Map();
  D.p_parent.forEach((par, p) => { if (par >= 0) { if (!children.has(par)) children.set(par, []); children.get(par).push(p); } });
  function sideBySide(p) {
    let root = p;
    while (D.p_parent[root] >= 0 && D.p_parent[root] !== root) root = D.p_parent[root];
    const variants = [root].concat(children.get(root) || []);
    const box = $("sbs");
    box.textContent = "";
    $("sbs-empty").hidden = true;
    for (const v of variants) {
      const sec = el("div", null, "sbs-variant");
      sec.dataset.prompt = D.p_id[v];
      const tr = D.transforms[D.p_transform[v]];
      sec.appendChild(el("h3", (tr ? "attacked: " + tr : "plain prompt") + " · " + D.suites[D.p_suite[v]] + " / " + D.categorys[D.p_category[v]]));
      sec.appendChild(el("div", D.p_text[v], "sbs-prompt"));
      const t = document.createElement("table");
      const head = document.createElement("tr");
      for (const h of ["model", "answer", "labels", "your label"]) head.appendChild(el("th", h));
      t.appendChild(head);
      const ans = (answersOf.get(v) || []).slice().sort((a, b) => D.a_model[a] - D.a_model[b]);
      for (const i of ans) {
        const row = document.createElement("tr");
        row.dataset.gid = D.a_id[i];
        row.appendChild(el("td", D.models[D.a_model[i]], "model"));
        row.appendChild(el("td", D.a_text[i], "ans"));
        const lt = el("td");
        labelBadges(i, lt);
        row.appendChild(lt);
        const mt = el("td");
        mt.appendChild(markSelect(i));
        row.appendChild(mt);
        t.appendChild(row);
      }
      sec.appendChild(t);
      box.appendChild(sec);
    }
    showTab("sbs");
  }

  saveMarks();
  applyFilters();
  document.body.dataset.readyMs = String(Math.round(performance.now()));
  document.body.dataset.ready = "1";
})();
