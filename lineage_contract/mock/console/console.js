// The lineage-contract console: the requests a mock received, the runs and the lineage graph
// they tell. Live against a mock (polling its /_lineage/ endpoints), or static in a report
// whose data is embedded as JSON in the element #lineage-data.
//
// Everything that comes from an event is put in the page as text (textContent, attribute
// values), never parsed as markup; class names taken from data are checked against a list.
"use strict";

(() => {
  const PAGE = 100;
  const POLL_MS = 500;
  const STATES = new Set(["open", "complete", "fail", "abort"]);
  const TYPES = new Set(["START", "RUNNING", "COMPLETE", "FAIL", "ABORT", "OTHER"]);

  // -- DOM helpers: text only -------------------------------------------------------------

  const $ = (id) => document.getElementById(id);

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "class") node.className = value;
      else if (key === "on") for (const [ev, fn] of Object.entries(value)) node.addEventListener(ev, fn);
      else node.setAttribute(key, String(value));
    }
    append(node, children);
    return node;
  }

  const SVG = "http://www.w3.org/2000/svg";

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
    append(node, children);
    return node;
  }

  function append(node, children) {
    for (const child of children.flat()) {
      if (child === undefined || child === null || child === false) continue;
      node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function badge(text, kind) {
    return el("span", { class: "badge " + kind }, text);
  }

  function facts(pairs) {
    const list = el("dl", { class: "facts" });
    for (const [name, value] of pairs) {
      if (value === undefined || value === null || value === "") continue;
      list.append(el("dt", {}, name), el("dd", {}, value));
    }
    return list;
  }

  const short = (text, size) => {
    const value = String(text ?? "");
    return value.length > size ? value.slice(0, size - 1) + "\u2026" : value;
  };

  // -- data sources ---------------------------------------------------------------------------

  // A mock started with --admin-token wants it on its /_lineage/ data: asked for once, kept
  // for this tab only.
  const TOKEN = "lineage-contract-admin-token";

  function credentials() {
    const token = sessionStorage.getItem(TOKEN);
    return token ? { Authorization: "Bearer " + token } : {};
  }

  function refused(response) {
    if (response.status !== 401) return false;
    $("token-form").hidden = false;
    return true;
  }

  async function getJSON(url) {
    const response = await fetch(url, { headers: { Accept: "application/json", ...credentials() } });
    if (refused(response)) throw new Error("the mock wants its admin token");
    if (response.status === 404) return null;
    if (!response.ok) throw new Error(`${url}: ${response.status}`);
    return response.json();
  }

  async function send(method, url, body) {
    const response = await fetch(url, {
      method,
      headers: { "Content-Type": "application/json", ...credentials() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (refused(response)) throw new Error("the mock wants its admin token");
    if (!response.ok) {
      let detail = String(response.status);
      try {
        detail = (await response.json()).detail || detail;
      } catch (_) {
        // not JSON: the status says enough
      }
      throw new Error(detail);
    }
  }

  function query(params) {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
    }
    const text = search.toString();
    return text ? "?" + text : "";
  }

  const live = {
    live: true,
    requests(options) {
      const f = options.filters;
      return getJSON("/_lineage/ui/requests" + query({
        before: options.before,
        since: options.since,
        limit: options.limit,
        valid: f.invalid ? "false" : undefined,
        warnings: f.warnings ? "true" : undefined,
        job: f.job,
        runId: f.run,
      }));
    },
    async record(id) {
      const found = await getJSON("/_lineage/ui/record" + query({ id }));
      return found && found.id === id ? found : null;
    },
    runs: () => getJSON("/_lineage/runs"),
    graph: () => getJSON("/_lineage/graph"),
    clear: () => send("DELETE", "/_lineage/events"),
    fault: (status, times) => send("POST", "/_lineage/faults", { status, times }),
  };

  function embedded(data) {
    const all = data.requests || [];
    const byId = new Map(all.map((r) => [r.id, r]));
    const keep = (r, f) =>
      (!f.invalid || !r.valid) &&
      (!f.warnings || r.warned) &&
      (!f.job || (r.job !== null && (r.job === f.job || r.job.endsWith("/" + f.job)))) &&
      (!f.run || r.runId === f.run);
    return {
      live: false,
      title: data.title,
      async requests(options) {
        const found = all.filter((r) => keep(r, options.filters)).reverse();
        const start = options.before ? found.findIndex((r) => r.id < options.before) : 0;
        const rows = start < 0 ? [] : found.slice(start, start + options.limit);
        const more = start >= 0 && start + options.limit < found.length;
        const newest = all.length ? all[all.length - 1].id : 0;
        return { requests: rows, total: all.length, newest, settled: newest, next: more ? rows[rows.length - 1].id : null };
      },
      record: async (id) => byId.get(id) || null,
      runs: async () => data.runs ?? null,
      graph: async () => data.graph ?? null,
    };
  }

  // -- the pretty-printed body, and the line of each pointer ------------------------------

  const escapePointer = (key) => key.replace(/~/g, "~0").replace(/\//g, "~1");

  // JSON.stringify(value, null, 2), line by line, noting the line each pointer starts on.
  function pretty(value) {
    const lines = [];
    const at = new Map();
    function emit(v, pointer, indent, prefix, suffix) {
      at.set(pointer, lines.length);
      const container = v !== null && typeof v === "object";
      const entries = container ? (Array.isArray(v) ? v.map((x, i) => [String(i), x, ""]) :
        Object.keys(v).map((k) => [escapePointer(k), v[k], JSON.stringify(k) + ": "])) : null;
      if (!container) {
        lines.push(indent + prefix + JSON.stringify(v) + suffix);
        return;
      }
      const [open, close] = Array.isArray(v) ? ["[", "]"] : ["{", "}"];
      if (!entries.length) {
        lines.push(indent + prefix + open + close + suffix);
        return;
      }
      lines.push(indent + prefix + open);
      entries.forEach(([key, child, label], i) =>
        emit(child, pointer + "/" + key, indent + "  ", label, i < entries.length - 1 ? "," : ""));
      lines.push(indent + close + suffix);
    }
    emit(value, "", "", "", "");
    return { lines, at };
  }

  // The line of a pointer, or of its nearest parent present (a missing property's object).
  function lineOf(at, pointer) {
    let p = pointer || "";
    for (;;) {
      if (at.has(p)) return at.get(p);
      if (!p) return 0;
      p = p.slice(0, p.lastIndexOf("/"));
    }
  }

  // -- state ----------------------------------------------------------------------------------

  const source = (() => {
    const script = $("lineage-data");
    return script ? embedded(JSON.parse(script.textContent)) : live;
  })();

  const state = {
    view: "requests",
    filters: { invalid: false, warnings: false, job: "", run: "" },
    newest: 0,
    settled: 0,
    oldest: null,
    total: 0,
    selected: null,
    node: null,
    runs: null,
    graph: null,
    stale: true,
  };

  function setStatus(text) {
    $("status").textContent = text;
  }

  // -- requests view ---------------------------------------------------------------------------

  function verdict(r) {
    const cell = el("td", { class: "verdict" });
    cell.append(r.valid ? badge("valid", "valid") : badge("invalid", "invalid"));
    if (r.warned) cell.append(" ", badge("warnings", "warned"));
    return cell;
  }

  // A file's event was never answered; a request without a status had its connection dropped.
  const answered = (r) => r.status ?? (r.method ? "dropped" : "\u2014");
  const request = (r) => [r.method, r.path].filter(Boolean).join(" ");

  function row(r) {
    const tr = el("tr", { "data-id": r.id, on: { click: () => select(r.id) } },
      el("td", { class: "mono" }, r.id),
      el("td", { class: "mono", title: r.time }, r.time ? r.time.slice(11, 23) : ""),
      el("td", { class: "mono request", title: request(r) }, request(r)),
      el("td", {}, answered(r)),
      verdict(r),
      el("td", {}, r.eventType ?? ""),
      el("td", { title: r.job ?? "" }, r.job ?? ""),
      el("td", { class: "mono run-id", title: r.runId ?? "" }, r.runId ? short(r.runId, 13) : ""));
    if (r.id === state.selected) tr.classList.add("selected");
    return tr;
  }

  let loads = 0;

  async function loadRequests() {
    const mine = ++loads;
    const page = await source.requests({ limit: PAGE, filters: state.filters });
    if (mine !== loads) return; // a later load (other filters) is under way
    const body = $("requests").tBodies[0];
    clear(body);
    append(body, (page ? page.requests : []).map(row));
    state.newest = page ? page.newest : 0;
    state.settled = page ? page.settled : 0;
    state.total = page ? page.total : 0;
    state.oldest = page && page.next;
    showListState();
  }

  async function loadOlder() {
    const mine = loads;
    const page = await source.requests({ before: state.oldest, limit: PAGE, filters: state.filters });
    if (mine !== loads) return;
    append($("requests").tBodies[0], page.requests.map(row));
    state.oldest = page.next;
    showListState();
  }

  function showListState() {
    $("older").hidden = !state.oldest;
    $("requests-empty").hidden = $("requests").tBodies[0].rows.length > 0;
    if (source.live) setStatus(`${state.total} request(s) recorded \u00b7 live`);
  }

  async function select(id) {
    state.selected = id;
    for (const tr of $("requests").tBodies[0].rows) {
      tr.classList.toggle("selected", Number(tr.dataset.id) === id);
    }
    const record = await source.record(id);
    const detail = $("detail");
    clear(detail);
    if (!record) {
      detail.append(el("p", { class: "empty" }, `Request #${id} is no longer in the journal.`));
      return;
    }
    detail.append(
      el("h2", {}, record.method ? `#${record.id} ${record.method} ${record.path} \u2192 ${answered(record)}` : `#${record.id} ${record.path}`),
      facts([
        ["arrived", record.time],
        ["answered", record.answered ?? (record.method && record.status === null ? "dropped" : null)],
        ["verdict", record.valid ? "valid" : "invalid"],
        ["job", record.job],
        ["run", record.runId],
      ]));
    const findings = record.violations || [];
    const parsed = record.event !== null && record.event !== undefined;
    const shown = parsed ? pretty(record.event) : { lines: String(record.body ?? "").split("\n"), at: new Map() };
    const marks = new Map();
    const list = el("ul", { class: "findings", id: "findings" });
    for (const v of findings) {
      const line = parsed ? lineOf(shown.at, v.pointer) : null;
      if (line !== null) {
        const held = marks.get(line) || [];
        held.push(v);
        marks.set(line, held);
      }
      list.append(el("li", { class: v.level === "warning" ? "warning" : "error", "data-line": line === null ? null : line + 1,
        on: { click: () => flash(line) } },
        badge(v.level || "error", v.level === "warning" ? "warning" : "error"), " ",
        el("strong", {}, `${v.kind}/${v.keyword}`), " ",
        el("span", { class: "message" }, v.message), el("br"),
        el("span", { class: "where" }, `at ${v.pointer || "(the whole body)"}` + (line === null ? "" : `, line ${line + 1}`) +
          (v.line ? ` (in the file: line ${v.line}${v.column ? ", column " + v.column : ""})` : "")),
        v.schemaURL ? el("div", { class: "url" }, `schema: ${v.schemaURL}`) : null));
    }
    detail.append(el("h3", {}, `Findings (${findings.length})`),
      findings.length ? list : el("p", { class: "empty" }, "None: the request keeps the contract."));
    const pre = el("pre", { class: "body", id: "body" });
    shown.lines.forEach((text, index) => {
      const held = marks.get(index);
      const line = el("span", { class: "line", "data-line": index + 1 }, text);
      if (held) {
        line.classList.add("marked");
        if (held.every((v) => v.level === "warning")) line.classList.add("warning-only");
        line.setAttribute("title", held.map((v) => `${v.keyword}: ${v.message}`).join("\n"));
      }
      pre.append(line);
    });
    detail.append(el("h3", {}, parsed ? "Body" : "Body (not JSON)"), pre);
    detail.append(el("h3", {}, "Headers"));
    if (Array.isArray(record.headers)) {
      const table = el("table", { class: "headers" });
      for (const [name, value] of record.headers) table.append(el("tr", {}, el("td", {}, name), el("td", { class: "mono" }, value)));
      detail.append(table);
    } else {
      detail.append(el("p", { class: "empty" }, "Not recorded by this journal."));
    }
  }

  function flash(line) {
    if (line === null) return;
    const target = $("body").children[line];
    if (!target) return;
    target.scrollIntoView({ block: "center" });
    target.classList.add("flash");
    setTimeout(() => target.classList.remove("flash"), 1200);
  }

  // -- runs view -----------------------------------------------------------------------------

  function unavailable(node, what) {
    clear(node);
    node.append(el("p", { class: "unavailable" }, `${what}: not available from this server.`));
  }

  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "";
    return seconds < 120 ? `${seconds.toFixed(seconds < 10 ? 2 : 0)} s` : `${(seconds / 60).toFixed(1)} min`;
  }

  function renderRuns() {
    const node = $("runs");
    if (state.runs === null) return unavailable(node, "Runs");
    clear(node);
    if (!state.runs.length) node.append(el("p", { class: "empty" }, "No runs yet."));
    for (const run of [...state.runs].reverse()) {
      const runState = STATES.has(run.state) ? run.state : "unknown";
      const steps = [];
      run.events.forEach((e, i) => {
        if (i) steps.push(el("span", { class: "arrow" }, "\u2192"));
        const kind = TYPES.has(e.type) ? e.type : "OTHER";
        steps.push(el("span", { class: "step " + kind, title: `${e.time ?? ""} at ${e.where}`,
          on: { click: () => typeof e.where === "number" && showRequest(e.where) } },
          e.type ?? "(no type)", " ", el("span", { class: "mono" }, e.time ? e.time.slice(11, 23) : "")));
      });
      const findings = run.findings || [];
      node.append(el("div", { class: "run", "data-run": run.id, "data-state": runState },
        el("div", { class: "run-head" },
          badge(run.state, runState),
          el("span", { class: "job" }, run.job ?? "(no job)"),
          el("span", { class: "mono" }, run.id),
          run.duration !== null && run.duration !== undefined ? el("span", {}, duration(run.duration)) : null,
          run.parent ? el("span", { class: "parent" }, `parent ${run.parent.job ?? ""} ${short(run.parent.id, 13)}`) : null,
          findings.length ? badge(`${findings.length} finding(s)`, "warned") : null),
        el("div", { class: "timeline" }, steps),
        findings.length ? el("ul", { class: "findings" }, findings.map((f) =>
          el("li", { class: f.level === "warning" ? "warning" : "error" },
            el("strong", {}, `${f.kind}/${f.keyword}`), " ", f.message))) : null));
    }
  }

  function showRequest(id) {
    show("requests");
    select(id);
  }

  // -- lineage view ----------------------------------------------------------------------------

  const COL = 250, NODE_W = 200, NODE_H = 40, ROW = 54, MARGIN = 16;

  function renderGraph() {
    const holder = $("graph");
    if (state.graph === null) return unavailable(holder, "Lineage");
    clear(holder);
    const nodes = state.graph.nodes || [];
    if (!nodes.length) {
      holder.append(el("p", { class: "empty" }, "No lineage yet: events with inputs or outputs draw it."));
      return;
    }
    const place = new Map();
    let width = 0, height = 0;
    for (const n of nodes) {
      const x = MARGIN + n.layer * COL, y = MARGIN + n.order * ROW;
      place.set(n.id, { x, y, node: n });
      width = Math.max(width, x + NODE_W + MARGIN);
      height = Math.max(height, y + NODE_H + MARGIN);
    }
    const drawing = svg("svg", { id: "lineage-graph", width, height, viewBox: `0 0 ${width} ${height}` },
      svg("defs", {}, svg("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" },
        svg("path", { d: "M0,0 L10,5 L0,10 z", class: "arrowhead" }))));
    const edges = svg("g", { class: "edges" });
    for (const e of state.graph.edges || []) {
      const a = place.get(e.source), b = place.get(e.target);
      if (!a || !b) continue;
      const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x, y2 = b.y + NODE_H / 2;
      const bend = Math.max(40, Math.abs(x2 - x1) / 2);
      edges.append(svg("path", { class: "edge", "data-source": e.source, "data-target": e.target,
        d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`, "marker-end": "url(#arrow)" }));
    }
    drawing.append(edges);
    const group = svg("g", { class: "nodes" });
    for (const { x, y, node: n } of place.values()) {
      const flagged = (n.findings || 0) > 0;
      const g = svg("g", { class: `node ${n.kind === "job" ? "job" : "dataset"}${flagged ? " flagged" : ""}`,
        "data-id": n.id, "data-kind": n.kind, transform: `translate(${x},${y})` },
        svg("title", {}, `${n.kind} ${n.namespace}/${n.name}` + (flagged ? ` (${n.findings} finding(s))` : "")),
        svg("rect", { width: NODE_W, height: NODE_H, rx: n.kind === "job" ? 6 : 14 }),
        svg("text", { x: 10, y: 17, class: "name" }, short(n.name, 27)),
        svg("text", { x: 10, y: 32, class: "kind" }, short(`${n.kind} \u00b7 ${n.namespace}`, 34)));
      if (flagged) g.append(svg("circle", { class: "mark", cx: NODE_W - 8, cy: 8, r: 5 }));
      g.addEventListener("click", () => selectNode(n.id));
      group.append(g);
    }
    drawing.append(group);
    holder.append(drawing);
    if (state.node) highlight(state.node);
  }

  function highlight(id) {
    for (const g of document.querySelectorAll("#lineage-graph .node")) g.classList.toggle("selected", g.dataset.id === id);
    for (const p of document.querySelectorAll("#lineage-graph .edge")) {
      p.classList.toggle("near", p.dataset.source === id || p.dataset.target === id);
    }
  }

  function selectNode(id) {
    state.node = id;
    highlight(id);
    const n = (state.graph.nodes || []).find((x) => x.id === id);
    const detail = $("node-detail");
    clear(detail);
    if (!n) return;
    detail.append(el("h2", {}, n.name), facts([["kind", n.kind], ["namespace", n.namespace]]));
    if (n.kind === "job") return jobDetail(detail, n);
    datasetDetail(detail, n);
  }

  function datasetDetail(detail, n) {
    const facets = n.facets || {};
    const schema = facets.schema && Array.isArray(facets.schema.fields) ? facets.schema.fields : null;
    detail.append(el("h3", {}, "Schema fields"));
    if (schema) {
      detail.append(el("ul", { class: "plain", id: "fields" }, schema.map((f) =>
        el("li", {}, el("span", { class: "mono" }, f && f.name !== undefined ? String(f.name) : "?"),
          f && f.type ? ` ${f.type}` : "", f && f.description ? ` \u2014 ${f.description}` : ""))));
    } else if (Array.isArray(n.fields)) {
      detail.append(el("ul", { class: "plain", id: "fields" }, n.fields.map((f) => el("li", { class: "mono" }, f))));
    } else {
      detail.append(el("p", { class: "empty" }, "No schema facet."));
    }
    const dataSource = facets.dataSource;
    detail.append(el("h3", {}, "Data source"));
    detail.append(dataSource && typeof dataSource === "object"
      ? facts([["name", dataSource.name], ["uri", dataSource.uri]])
      : el("p", { class: "empty" }, "No dataSource facet."));
    const lines = [];
    for (const c of state.graph.columns || []) {
      const from = nameOf(c.source);
      if (c.target === n.id) lines.push(`${c.targetField} \u2190 ${from}.${c.sourceField}`);
      else if (c.source === n.id) lines.push(`${c.sourceField} \u2192 ${nameOf(c.target)}.${c.targetField}`);
    }
    detail.append(el("h3", {}, "Column lineage"), lines.length
      ? el("ul", { class: "plain mono", id: "columns" }, lines.map((t) => el("li", {}, t)))
      : el("p", { class: "empty" }, "None."));
    const names = Object.keys(facets);
    if (names.length) detail.append(el("h3", {}, "Facets"), el("p", { class: "mono" }, names.join(", ")));
    nodeFindings(detail, n);
  }

  function nameOf(id) {
    const n = (state.graph.nodes || []).find((x) => x.id === id);
    return n ? `${n.namespace}/${n.name}` : id;
  }

  function jobDetail(detail, n) {
    const runs = new Set();
    for (const e of state.graph.edges || []) {
      if (e.source === n.id || e.target === n.id) for (const r of e.runs || []) runs.add(r);
    }
    const known = new Map((state.runs || []).map((r) => [r.id, r]));
    for (const r of known.values()) if (r.job === `${n.namespace}/${n.name}`) runs.add(r.id);
    detail.append(el("h3", {}, `Runs (${runs.size})`));
    detail.append(runs.size ? el("ul", { class: "plain", id: "job-runs" }, [...runs].map((id) => {
      const run = known.get(id);
      const runState = run && STATES.has(run.state) ? run.state : "unknown";
      return el("li", {}, run ? badge(run.state, runState) : null, " ", el("span", { class: "mono" }, id));
    })) : el("p", { class: "empty" }, "None."));
    nodeFindings(detail, n);
  }

  function nodeFindings(detail, n) {
    const found = n.findingList || [];
    if (!found.length) return;
    detail.append(el("h3", {}, `Findings (${found.length})`), el("ul", { class: "findings" }, found.map((f) =>
      el("li", { class: f.level === "warning" ? "warning" : "error" },
        el("strong", {}, `${f.kind}/${f.keyword}`), " ", f.message))));
  }

  // -- views, live updates -----------------------------------------------------------------

  async function refreshView() {
    if (state.view === "runs" || state.view === "lineage") {
      state.runs = await source.runs();
      if (state.view === "runs") renderRuns();
      else {
        state.graph = await source.graph();
        renderGraph();
        if (state.node && state.graph) selectNode(state.node);
      }
    }
    state.stale = false;
  }

  function show(view) {
    state.view = view;
    for (const tab of document.querySelectorAll(".tab")) tab.classList.toggle("selected", tab.dataset.view === view);
    for (const section of document.querySelectorAll(".view")) section.hidden = section.id !== "view-" + view;
    refreshView().catch(report);
  }

  async function poll() {
    try {
      const mine = loads;
      // From the settled id on: a request answered late lands below the newest row, in
      // the place where it arrived, and rows above it come again until it has landed.
      const page = await source.requests({ since: state.settled, limit: PAGE, filters: state.filters });
      if (page && mine === loads) {
        if (page.total < state.total || page.newest < state.newest || page.next !== null) {
          await loadRequests();
          await refreshView();
        } else {
          const body = $("requests").tBodies[0];
          const shown = new Set(Array.from(body.rows, (tr) => Number(tr.dataset.id)));
          let added = 0;
          for (const r of page.requests.slice().reverse()) {
            if (shown.has(r.id)) continue;
            const tr = row(r);
            tr.classList.add("fresh");
            // Newest first: before the first row that arrived earlier.
            const after = Array.from(body.rows).find((other) => Number(other.dataset.id) < r.id);
            body.insertBefore(tr, after || null);
            added += 1;
          }
          const changed = added > 0 || page.total !== state.total;
          state.newest = page.newest;
          state.settled = page.settled;
          state.total = page.total;
          if (changed) {
            showListState();
            await refreshView();
          }
        }
      }
      setStatus(`${state.total} request(s) recorded \u00b7 live`);
    } catch (error) {
      // fetch rejects with a TypeError when the mock cannot be reached at all.
      setStatus(error instanceof TypeError ? "mock not reachable: retrying" : String(error.message));
    }
    setTimeout(poll, POLL_MS);
  }

  function report(error) {
    setStatus(String(error && error.message ? error.message : error));
  }

  function filtersChanged() {
    state.filters = {
      invalid: $("f-invalid").checked,
      warnings: $("f-warnings").checked,
      job: $("f-job").value.trim(),
      run: $("f-run").value.trim(),
    };
    loadRequests().catch(report);
  }

  function start() {
    for (const tab of document.querySelectorAll(".tab")) tab.addEventListener("click", () => show(tab.dataset.view));
    for (const id of ["f-invalid", "f-warnings"]) $(id).addEventListener("change", filtersChanged);
    let typing = null;
    for (const id of ["f-job", "f-run"]) {
      $(id).addEventListener("input", () => {
        clearTimeout(typing);
        typing = setTimeout(filtersChanged, 150);
      });
    }
    $("older").addEventListener("click", () => loadOlder().catch(report));
    if (source.live) {
      $("token-save").addEventListener("click", () => {
        sessionStorage.setItem(TOKEN, $("admin-token").value);
        $("token-form").hidden = true;
        loadRequests().then(refreshView).catch(report);
      });
      $("clear").addEventListener("click", () =>
        source.clear().then(() => { state.selected = null; clear($("detail")); return loadRequests(); })
          .then(refreshView).catch(report));
      $("fault").addEventListener("click", () => {
        const times = Number($("fault-times").value), status = Number($("fault-status").value);
        source.fault(status, times).then(() => setStatus(`the next ${times} request(s) get ${status}`)).catch(report);
      });
      loadRequests().catch(report).then(() => setTimeout(poll, POLL_MS));
    } else {
      document.body.classList.add("static");
      if (source.title) document.title = source.title;
      loadRequests().then(() => setStatus(`report \u00b7 ${state.total} event(s)`)).catch(report);
    }
  }

  start();
})();
