// mockpit's dashboard: plain DOM, no framework, no build step. Every value from the server (requests,
// stubs: attacker-chosen strings) goes into the page as text (textContent), never as HTML.
"use strict";

const PREFIX = document.body.dataset.prefix;
const TOKEN_KEY = "mockpit-admin-token";
const PAGE = 100; // rows drawn at a time: the journal and the stub list stay quick at 10,000 entries
const KEEP = 10000; // requests the page holds (the journal's default capacity)
// requests read from the journal on opening: 10,000 would hold the server's loop for a second, and its
// clients with it, to write them out
const BACKLOG = 1000;

const $ = (id) => document.getElementById(id);

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// --- the token: from #token=..., or typed once; kept for this tab only ---------------------------------

function takeTokenFromHash() {
  const match = /(?:^#|&)token=([^&]*)/.exec(location.hash);
  if (match) {
    sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
    history.replaceState(null, "", location.pathname + location.search); // out of the address bar and history
  }
}

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: "Bearer " + token } : {};
}

class ApiError extends Error {
  constructor(status, errors) {
    super(errors.map((e) => e.detail || e.title).join("\n") || "HTTP " + status);
    this.status = status;
    this.errors = errors;
  }
}

async function api(method, path, body) {
  const headers = { Accept: "application/json", ...authHeaders() };
  const init = { method, headers, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const response = await fetch(PREFIX + path, init);
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch (_) {
    data = null;
  }
  if (response.status === 401) askForToken();
  if (!response.ok) {
    const errors = data && Array.isArray(data.errors) ? data.errors : [{ detail: text || response.statusText }];
    throw new ApiError(response.status, errors);
  }
  return data;
}

function askForToken() {
  $("token-form").hidden = false;
  $("token-input").focus();
}

function notice(message) {
  const box = $("notice");
  box.textContent = message;
  box.hidden = !message;
}

async function attempt(action) {
  try {
    return await action(); // a notice stays until the user moves on: a reload after a failure must not hide it
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) notice(err.message);
    return undefined;
  }
}

// --- views --------------------------------------------------------------------------------------------

const loaders = {};
let current = "requests";

function show(view) {
  current = view;
  notice("");
  for (const button of document.querySelectorAll("nav button")) {
    if (button.dataset.view === view) button.setAttribute("aria-current", "page");
    else button.removeAttribute("aria-current");
  }
  for (const section of document.querySelectorAll("main > section")) section.hidden = section.id !== "view-" + view;
  if (loaders[view]) loaders[view]();
}

// --- requests: the journal, then live ------------------------------------------------------------------

let events = []; // newest first
const seen = new Set();
const open = new Set();
let shown = PAGE;
let drawPending = false;

function add(event, newest) {
  if (seen.has(event.id)) return;
  seen.add(event.id);
  if (newest) events.unshift(event);
  else events.push(event);
  if (events.length > KEEP) seen.delete(events.pop().id);
}

function scheduleDraw() {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    drawRequests();
  });
}

function statusFits(status, wanted) {
  if (!wanted) return true;
  const text = String(status);
  return wanted.split(/[\s,]+/).filter(Boolean).some((w) => (/^\dxx$/i.test(w) ? text[0] === w[0] : text === w));
}

function filtered() {
  const method = $("f-method").value;
  const path = $("f-path").value.toLowerCase();
  const status = $("f-status").value.trim();
  const matched = $("f-matched").value;
  return events.filter(
    (e) =>
      (!method || e.request.method === method) &&
      (!path || e.request.url.toLowerCase().includes(path)) &&
      statusFits(e.response.status, status) &&
      (!matched || (matched === "yes") === e.wasMatched),
  );
}

function drawRequests() {
  const list = filtered();
  const rows = list.slice(0, shown).map(requestRow);
  $("requests").replaceChildren(...rows);
  $("req-count").textContent = list.length + " of " + events.length + " requests";
  $("more-requests").hidden = list.length <= shown;
}

function time(event) {
  const date = new Date(event.request.loggedDate);
  return date.toLocaleTimeString([], { hour12: false }) + "." + String(date.getMilliseconds()).padStart(3, "0");
}

function stubLabel(stub) {
  if (!stub) return "";
  return stub.name || (stub.request && (stub.request.method || "ANY") + " " + urlOf(stub.request)) || stub.id;
}

function urlOf(pattern) {
  for (const key of ["url", "urlPath", "urlPattern", "urlPathPattern", "urlPathTemplate"]) {
    if (pattern[key] !== undefined) return pattern[key];
  }
  return "(any url)";
}

function requestRow(event) {
  const expanded = open.has(event.id);
  const status = event.response.status;
  const row = h(
    "button",
    { type: "button", class: "row", "aria-expanded": String(expanded), "data-id": event.id },
    h("span", { class: "muted" }, time(event)),
    h("span", {}, event.request.method),
    h("span", { class: "status-" + String(status)[0] }, status),
    h("span", { class: "url" }, event.request.url),
    event.wasMatched
      ? h("span", { class: "stub" }, stubLabel(event.stubMapping))
      : h("span", { class: "stub miss" }, "no stub matched"),
  );
  row.addEventListener("click", () => {
    if (open.has(event.id)) open.delete(event.id);
    else open.add(event.id);
    drawRequests();
  });
  return h("li", {}, row, expanded ? requestDetail(event) : null);
}

function headerLines(headers) {
  const lines = [];
  for (const [name, value] of Object.entries(headers || {})) {
    for (const one of Array.isArray(value) ? value : [value]) lines.push(name + ": " + one);
  }
  return lines.join("\n");
}

function shellQuote(text) {
  return "'" + String(text).replace(/'/g, "'\\''") + "'";
}

function curlOf(event) {
  const request = event.request;
  const parts = ["curl", "-X", request.method, shellQuote(request.absoluteUrl)];
  for (const [name, value] of Object.entries(request.headers || {})) {
    if (/^(host|content-length|connection)$/i.test(name)) continue;
    for (const one of Array.isArray(value) ? value : [value]) parts.push("-H", shellQuote(name + ": " + one));
  }
  if (request.body) parts.push("--data-binary", shellQuote(request.body));
  return parts.join(" ");
}

function stubFromRequest(event) {
  const request = event.request;
  const pattern = { method: request.method, urlPath: request.url.split("?")[0] };
  const query = request.queryParams || {};
  if (Object.keys(query).length) {
    pattern.queryParameters = {};
    for (const [name, param] of Object.entries(query)) pattern.queryParameters[name] = { equalTo: param.values[0] };
  }
  if (request.body) pattern.bodyPatterns = [{ equalTo: request.body }];
  return { name: request.method + " " + pattern.urlPath, request: pattern, response: { status: 200, body: "" } };
}

function requestDetail(event) {
  const request = event.request;
  const response = event.response;
  const curl = h("pre", { class: "curl", hidden: true });
  const actions = h(
    "div",
    { class: "toolbar" },
    h("button", {
      type: "button",
      class: "copy-curl",
      onclick: () => {
        curl.textContent = curlOf(event);
        curl.hidden = false;
        if (navigator.clipboard) navigator.clipboard.writeText(curl.textContent).catch(() => {});
      },
    }, "Copy as curl"),
    h("button", {
      type: "button",
      class: "make-stub",
      onclick: () => {
        show("stubs");
        openEditor(null, stubFromRequest(event));
      },
    }, "Create a stub from this request"),
  );
  let verdict;
  if (event.wasMatched && event.stubMapping) {
    verdict = h(
      "p",
      {},
      "Answered by stub ",
      h("a", {
        href: "#stub/" + encodeURIComponent(event.stubMapping.id),
        class: "stub-link",
        onclick: (e) => {
          e.preventDefault();
          show("stubs");
          openStub(event.stubMapping.id);
        },
      }, stubLabel(event.stubMapping)),
    );
  } else {
    verdict = h("div", { class: "near-miss" }, h("h3", {}, "No stub matched: the nearest"), h("pre", { class: "diff" }, response.body));
  }
  return h(
    "div",
    { class: "detail" },
    actions,
    curl,
    verdict,
    h(
      "div",
      { class: "cols" },
      h("div", {}, h("h3", {}, "Request"), h("pre", { class: "req-head" }, request.method + " " + request.url + "\n" + headerLines(request.headers)), request.body ? h("pre", { class: "req-body" }, request.body) : null),
      h("div", {}, h("h3", {}, "Response"), h("pre", { class: "resp-head" }, response.status + "\n" + headerLines(response.headers)), event.wasMatched && response.body ? h("pre", { class: "resp-body" }, response.body) : null),
    ),
  );
}

async function loadJournal() {
  const data = await attempt(() => api("GET", "/requests?limit=" + BACKLOG));
  if (!data) return;
  for (const event of data.requests) add(event, false);
  events.sort((a, b) => b.request.loggedDate - a.request.loggedDate);
  scheduleDraw();
}

// The live log: a Server-Sent Events stream read with fetch, which (unlike EventSource) sends the token.
let following = false;

async function follow() {
  if (following) return; // one stream per page, however often a token is given
  following = true;
  try {
    await followStream();
  } finally {
    following = false;
  }
}

async function followStream() {
  const live = $("live");
  for (;;) {
    try {
      const response = await fetch(PREFIX + "/dashboard/events", { headers: authHeaders(), cache: "no-store" });
      if (response.status === 401) {
        askForToken();
        live.textContent = "needs the token";
        live.classList.remove("on");
        return; // started again once a token is given
      }
      if (!response.ok || !response.body) throw new Error("HTTP " + response.status);
      live.textContent = "live";
      live.classList.add("on");
      await loadJournal(); // after subscribing: nothing falls between the journal and the stream
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          dispatch(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
        }
      }
    } catch (_) {
      // the server went away: say so, and try again shortly (a reconnection, not a polling loop)
    }
    live.textContent = "reconnecting…";
    live.classList.remove("on");
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}

function dispatch(block) {
  let kind = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) kind = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  if (kind === "request") {
    add(JSON.parse(data.join("\n")), true);
    scheduleDraw();
  } else if (kind === "overflow") {
    loadJournal();
  }
}

// --- stubs -----------------------------------------------------------------------------------------------

let stubOffset = 0;
let stubTotal = 0;
let editing = null; // the id of the stub in the editor; null: a new one

async function loadStubs() {
  const search = encodeURIComponent($("stub-search").value.trim());
  const data = await attempt(() => api("GET", "/dashboard/stubs?limit=" + PAGE + "&offset=" + stubOffset + "&search=" + search));
  if (!data) return;
  stubTotal = data.meta.total;
  $("stubs").replaceChildren(...data.stubs.map(stubRow));
  $("stub-count").textContent = stubTotal + " stubs";
  const last = Math.min(stubOffset + PAGE, stubTotal);
  $("stubs-page").textContent = stubTotal ? stubOffset + 1 + "-" + last + " of " + stubTotal : "none";
  $("stubs-prev").disabled = stubOffset === 0;
  $("stubs-next").disabled = last >= stubTotal;
}
loaders.stubs = loadStubs;

function stubRow(stub) {
  const source = [];
  if (stub.file) source.push(h("span", { class: "badge file", title: stub.file }, "file"));
  if (stub.openapi) source.push(h("span", { class: "badge openapi" }, "OpenAPI"));
  if (stub.scenarioName) source.push(h("span", { class: "badge", title: "scenario" }, stub.scenarioName));
  return h(
    "tr",
    { "data-id": stub.id, class: editing === stub.id ? "selected" : null, onclick: () => openStub(stub.id) },
    h("td", {}, stub.method),
    h("td", { class: "url" }, stub.url === null ? "(any url)" : stub.url),
    h("td", { class: "name" }, stub.name || ""),
    h("td", {}, stub.status),
    h("td", {}, source),
  );
}

async function openStub(id) {
  const mapping = await attempt(() => api("GET", "/mappings/" + encodeURIComponent(id)));
  if (mapping) openEditor(id, mapping);
}

function openEditor(id, mapping) {
  editing = id;
  $("editor").hidden = false;
  $("editor-title").textContent = id ? "Stub " + (mapping.name || id) : "New stub";
  $("editor-text").value = JSON.stringify(mapping, null, 2);
  $("editor-errors").replaceChildren();
  $("editor-delete").hidden = !id;
  $("editor-text").focus();
}

function showErrors(errors) {
  $("editor-errors").replaceChildren(
    ...errors.map((e) => {
      const where = e.source && (e.source.pointer || e.source.parameter);
      return h("li", {}, where ? h("code", {}, where) : null, where ? ": " : null, e.detail || e.title);
    }),
  );
}

async function saveEditor(submit) {
  submit.preventDefault();
  let mapping;
  try {
    mapping = JSON.parse($("editor-text").value);
  } catch (err) {
    showErrors([{ detail: "not valid JSON: " + err.message }]);
    return;
  }
  try {
    const saved = editing
      ? await api("PUT", "/mappings/" + encodeURIComponent(editing), mapping)
      : await api("POST", "/mappings", mapping);
    openEditor(saved.id, saved);
    $("editor-errors").replaceChildren(h("li", { class: "saved" }, "Saved."));
    loadStubs();
  } catch (err) {
    if (err instanceof ApiError) showErrors(err.errors);
    else showErrors([{ detail: err.message }]);
  }
}

// --- scenarios, recordings, settings -----------------------------------------------------------------------

async function loadScenarios() {
  const data = await attempt(() => api("GET", "/scenarios"));
  if (!data) return;
  $("scenarios").replaceChildren(
    ...data.scenarios.map((scenario) => {
      const states = scenario.possibleStates || [scenario.state];
      const select = h("select", { "aria-label": "state of " + scenario.name }, states.map((s) => h("option", { selected: s === scenario.state }, s)));
      const set = h("button", {
        type: "button",
        onclick: async () => {
          await attempt(() => api("PUT", "/scenarios/" + encodeURIComponent(scenario.name) + "/state", { state: select.value }));
          loadScenarios();
        },
      }, "Set");
      return h("tr", { "data-name": scenario.name }, h("td", {}, scenario.name), h("td", { class: "state" }, scenario.state), h("td", {}, select, " ", set));
    }),
  );
}
loaders.scenarios = loadScenarios;

async function loadRecordings() {
  const data = await attempt(() => api("GET", "/recordings/status"));
  if (data) $("rec-status").textContent = data.status;
}
loaders.recordings = loadRecordings;

function recorded(data) {
  const mappings = (data && data.mappings) || [];
  $("rec-result").textContent = mappings.length + " stub(s)\n" + mappings.map((m) => (m.request.method || "ANY") + " " + urlOf(m.request)).join("\n");
}

async function loadSettings() {
  const data = await attempt(() => api("GET", "/settings"));
  if (data) $("set-delay").value = data.settings.fixedDelay || 0;
  const ops = await attempt(() => api("GET", "/dashboard/stubs?search=openapi&limit=1000"));
  if (!ops) return;
  const rows = ops.stubs.filter((s) => s.openapi).map((s) =>
    h("tr", { onclick: () => { show("stubs"); openStub(s.id); } }, h("td", {}, s.openapi.method || s.method), h("td", {}, s.openapi.path || s.url || ""), h("td", {}, s.openapi.operationId || s.name || ""), h("td", {}, s.openapi.document || "")),
  );
  $("operations").replaceChildren(...rows);
  $("operations-none").hidden = rows.length > 0;
}
loaders.settings = loadSettings;

// --- wiring -------------------------------------------------------------------------------------------------

function debounce(fn, ms) {
  let timer;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

function wire() {
  for (const button of document.querySelectorAll("nav button")) button.addEventListener("click", () => show(button.dataset.view));
  for (const id of ["f-method", "f-matched"]) $(id).addEventListener("change", () => { shown = PAGE; drawRequests(); });
  for (const id of ["f-path", "f-status"]) $(id).addEventListener("input", debounce(() => { shown = PAGE; drawRequests(); }, 120));
  $("more-requests").addEventListener("click", () => { shown += PAGE; drawRequests(); });
  $("clear-requests").addEventListener("click", async () => {
    if ((await attempt(() => api("DELETE", "/requests"))) !== undefined) {
      events = [];
      seen.clear();
      drawRequests();
    }
  });
  $("stub-search").addEventListener("input", debounce(() => { stubOffset = 0; loadStubs(); }, 150));
  $("stubs-prev").addEventListener("click", () => { stubOffset = Math.max(0, stubOffset - PAGE); loadStubs(); });
  $("stubs-next").addEventListener("click", () => { stubOffset += PAGE; loadStubs(); });
  $("new-stub").addEventListener("click", () => openEditor(null, { request: { method: "GET", urlPath: "/hello" }, response: { status: 200, jsonBody: { hello: "world" } } }));
  $("save-stubs").addEventListener("click", async () => { if ((await attempt(() => api("POST", "/mappings/save", {}))) !== undefined) { notice("Saved the stubs to files."); loadStubs(); } });
  $("reset-stubs").addEventListener("click", async () => { await attempt(() => api("POST", "/mappings/reset", {})); loadStubs(); });
  $("editor").addEventListener("submit", saveEditor);
  $("editor-close").addEventListener("click", () => { $("editor").hidden = true; editing = null; });
  $("editor-delete").addEventListener("click", async () => {
    if (editing && (await attempt(() => api("DELETE", "/mappings/" + encodeURIComponent(editing)))) !== undefined) {
      $("editor").hidden = true;
      editing = null;
      loadStubs();
    }
  });
  $("reset-scenarios").addEventListener("click", async () => { await attempt(() => api("POST", "/scenarios/reset", {})); loadScenarios(); });
  $("rec-start").addEventListener("submit", async (e) => { e.preventDefault(); await attempt(() => api("POST", "/recordings/start", { targetBaseUrl: $("rec-target").value, persist: $("rec-persist").checked })); loadRecordings(); });
  $("rec-stop").addEventListener("click", async () => { recorded(await attempt(() => api("POST", "/recordings/stop", {}))); loadRecordings(); });
  $("rec-snapshot").addEventListener("click", async () => recorded(await attempt(() => api("POST", "/recordings/snapshot", { persist: false }))));
  $("settings-form").addEventListener("submit", async (e) => { e.preventDefault(); await attempt(() => api("POST", "/settings", { fixedDelay: Number($("set-delay").value) || 0 })); loadSettings(); });
  $("reset-all").addEventListener("click", async () => {
    if ((await attempt(() => api("POST", "/reset", {}))) !== undefined) {
      events = [];
      seen.clear();
      drawRequests();
      notice("Reset: stubs from files, an empty journal, scenarios in Started.");
    }
  });
  $("token-form").addEventListener("submit", (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, $("token-input").value);
    $("token-input").value = "";
    $("token-form").hidden = true;
    notice("");
    follow();
    show(current);
  });
}

takeTokenFromHash();
wire();
follow();
