/* litemeta's browser view: the small amount of script the server-rendered pages need.
   Autocomplete keyboard navigation, the schema filter, the lineage graph (Cytoscape.js + dagre),
   and the live platform-event feed (server-sent events). No framework, no build step. */
(function () {
  "use strict";

  /* ---------------------------------------------------------------- autocomplete */
  function setupSearchBox() {
    var input = document.getElementById("q");
    var box = document.getElementById("suggestions");
    if (!input || !box) return;
    var active = -1;
    function options() { return Array.prototype.slice.call(box.querySelectorAll("[role=option]")); }
    function show(open) {
      box.classList.toggle("open", open);
      input.setAttribute("aria-expanded", open ? "true" : "false");
      if (!open) { active = -1; input.removeAttribute("aria-activedescendant"); }
    }
    function highlight(i) {
      var opts = options();
      opts.forEach(function (o, j) { o.setAttribute("aria-selected", j === i ? "true" : "false"); });
      active = i;
      if (i >= 0 && opts[i]) input.setAttribute("aria-activedescendant", opts[i].id);
      else input.removeAttribute("aria-activedescendant");
    }
    document.body.addEventListener("htmx:afterSwap", function (e) {
      if (e.detail.target === box) { show(options().length > 0 && document.activeElement === input); active = -1; }
    });
    input.addEventListener("keydown", function (e) {
      var opts = options();
      if (e.key === "ArrowDown" && opts.length) { e.preventDefault(); show(true); highlight((active + 1) % opts.length); }
      else if (e.key === "ArrowUp" && opts.length) { e.preventDefault(); highlight(active <= 0 ? opts.length - 1 : active - 1); }
      else if (e.key === "Enter" && active >= 0 && opts[active]) { e.preventDefault(); window.location.href = opts[active].href; }
      else if (e.key === "Escape") { show(false); }
    });
    input.addEventListener("blur", function () { setTimeout(function () { show(false); }, 150); });
  }

  /* ---------------------------------------------------------------- schema filter */
  function setupFilters(root) {
    root.querySelectorAll("input[data-filter-table]").forEach(function (input) {
      if (input.dataset.ready) return;
      input.dataset.ready = "1";
      var table = document.getElementById(input.dataset.filterTable);
      var status = document.getElementById(input.id + "-count");
      input.addEventListener("input", function () {
        var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
        var shown = 0, rows = table.tBodies[0].rows;
        for (var i = 0; i < rows.length; i++) {
          var text = (rows[i].textContent + " " + (rows[i].dataset.path || "")).toLowerCase();
          var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
          rows[i].hidden = !ok;
          if (ok) shown++;
        }
        if (status) status.textContent = words.length ? shown + " of " + rows.length + " fields" : "";
      });
    });
  }

  /* ---------------------------------------------------------------- lineage graph */
  var registered = false;
  var loading = null;
  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = src; s.onload = resolve; s.onerror = reject;
      document.head.appendChild(s);
    });
  }
  function graphLibrary() {
    // Loaded on the first lineage tab only: other pages never pay for the graph library.
    if (!loading) {
      loading = typeof window.cytoscape === "function" ? Promise.resolve()
        : loadScript("/assets/vendor/cytoscape.min.js").then(function () { return loadScript("/assets/vendor/cytoscape-dagre.min.js"); });
    }
    return loading;
  }
  function setupLineage(root) {
    var el = root.querySelector ? root.querySelector("#lineage-graph") : null;
    if (!el || el.dataset.ready) return;
    el.dataset.ready = "1";
    graphLibrary().then(function () { drawLineage(el); });
  }
  function drawLineage(el) {
    var data = document.getElementById("lineage-data");
    if (!data) return;
    if (!registered && window.cytoscapeDagre) { window.cytoscape.use(window.cytoscapeDagre); registered = true; }
    var elements = JSON.parse(data.textContent);
    var cy = window.cytoscape({
      container: el, elements: elements, minZoom: 0.1, maxZoom: 3,
      style: [
        { selector: "node", style: { "label": "data(label)", "shape": "round-rectangle", "background-color": "#e8eef9",
          "border-width": 1, "border-color": "#4a6fa5", "width": 150, "height": 28,
          "font-size": 12, "text-valign": "center", "color": "#1a1a1a", "text-max-width": 220, "text-wrap": "ellipsis" } },
        { selector: "node[side = 'center']", style: { "background-color": "#ffe9b3", "border-color": "#a06800", "border-width": 2 } },
        { selector: "node[?removed]", style: { "border-style": "dashed", "color": "#666" } },
        { selector: ":parent", style: { "text-valign": "top", "background-color": "#f4f6fa", "padding": "14px" } },
        { selector: "node[type = 'Field']", style: { "background-color": "#fff", "font-size": 11, "height": 20 } },
        { selector: "edge", style: { "curve-style": "bezier", "target-arrow-shape": "triangle", "width": 1.5,
          "line-color": "#8a9bb5", "target-arrow-color": "#8a9bb5" } },
        { selector: "edge[?column]", style: { "line-style": "dashed", "line-color": "#b58a8a", "target-arrow-color": "#b58a8a" } }
      ],
      layout: { name: window.cytoscapeDagre ? "dagre" : "breadthfirst", rankDir: "LR", nodeSep: 18, rankSep: 80, fit: true, padding: 20 }
    });
    cy.on("tap", "node", function (evt) {
      var url = evt.target.data("url");
      if (url) window.location.href = url;
    });
    el.dataset.nodes = String(cy.nodes().length);
    window.litemetaLineage = cy; // for tests and the console
  }

  /* ---------------------------------------------------------------- live feed */
  var source = null;
  function setupFeed() {
    var table = document.getElementById("feed");
    if (!table || !window.EventSource) return;
    var rows = document.getElementById("feed-rows");
    var state = document.getElementById("feed-state");
    var url = "/ui/events?after=" + encodeURIComponent(table.dataset.after);
    (table.dataset.categories || "").split(",").filter(Boolean).forEach(function (c) { url += "&category=" + encodeURIComponent(c); });
    source = new EventSource(url);
    source.addEventListener("platform-event", function (e) {
      var item = JSON.parse(e.data);
      var empty = rows.querySelector("tr.empty");
      if (empty) empty.remove();
      var tr = document.createElement("tr");
      tr.dataset.offset = item.offset;
      tr.dataset.category = item.category;
      tr.className = "fresh";
      var time = new Date(item.time).toISOString().replace("T", " ").replace(/\.\d+Z$/, " UTC");
      [time, item.category, item.operation, null, item.modifier].forEach(function (text, i) {
        var td = document.createElement("td");
        if (i === 3) {
          var a = document.createElement(item.url ? "a" : "span");
          if (item.url) a.href = item.url;
          a.textContent = item.label;
          td.appendChild(a);
        } else if (i === 1) {
          var b = document.createElement("span"); b.className = "badge cat"; b.textContent = text; td.appendChild(b);
        } else {
          td.textContent = text || "";
        }
        if (i === 0) td.className = "nowrap";
        if (i === 4) td.className = "muted small";
        tr.appendChild(td);
      });
      rows.insertBefore(tr, rows.firstChild);
      while (rows.rows.length > 200) rows.deleteRow(rows.rows.length - 1);
    });
    source.onopen = function () { if (state) state.textContent = "live"; };
    source.onerror = function () { if (state) state.textContent = "reconnecting…"; };
    window.addEventListener("pagehide", function () { if (source) source.close(); });
  }

  function ready(root) { setupFilters(root); setupLineage(root); }
  document.addEventListener("DOMContentLoaded", function () {
    setupSearchBox();
    setupFeed();
    ready(document);
    document.body.addEventListener("htmx:afterSettle", function (e) { ready(document); });
  });
  // Scripts of a page reached through htmx (the lineage tab) may arrive after DOMContentLoaded.
  window.addEventListener("load", function () { ready(document); });
})();
