// The page script of kg/templates/network.html.jinja (inlined there, allowed by its hash).
(function () {
  "use strict";
  const payload = JSON.parse(document.getElementById("kg-data").textContent);
  const options = typeof payload.options === "string" ? JSON.parse(payload.options) : payload.options;
  const nodes = new vis.DataSet(payload.nodes);
  const edges = new vis.DataSet(payload.edges);
  const status = document.getElementById("kg-status");
  const started = performance.now();
  const network = new vis.Network(document.getElementById("kg-network"), { nodes, edges }, options);
  const view = (window.kgView = { network, nodes, edges, stabilized: false, settleMs: null });

  function settled() {
    network.setOptions({ physics: { enabled: false } });
    view.settleMs = Math.round(performance.now() - started);
    view.stabilized = true;
    status.textContent = nodes.length + " nodes, " + edges.length + " edges; layout settled in " +
      (view.settleMs / 1000).toFixed(1) + " s";
    network.fit();
  }
  network.on("stabilizationProgress", function (p) {
    status.textContent = "laying out " + p.iterations + "/" + p.total;
  });
  network.once("stabilizationIterationsDone", settled);
  if (nodes.length === 0) settled();

  document.querySelectorAll("input[data-class]").forEach(function (box) {
    box.addEventListener("change", function () {
      const chosen = nodes.get({ filter: function (n) { return n.cls === box.dataset.class; } });
      nodes.update(chosen.map(function (n) { return { id: n.id, hidden: !box.checked }; }));
    });
  });

  const flat = function (n) { return String(n.label).replace(/\n/g, " "); };
  const list = document.getElementById("kg-labels");
  Array.from(new Set(nodes.get().map(flat))).sort().forEach(function (label) {
    const option = document.createElement("option");
    option.value = label;
    list.appendChild(option);
  });
  const search = document.getElementById("kg-search");
  const found = document.getElementById("kg-found");
  search.addEventListener("input", function () {
    const q = search.value.trim().toLowerCase();
    if (!q) { network.unselectAll(); found.textContent = ""; return; }
    const ids = nodes.get({
      filter: function (n) { return !n.hidden && flat(n).toLowerCase().includes(q); }
    }).map(function (n) { return n.id; });
    network.selectNodes(ids);
    found.textContent = ids.length + (ids.length === 1 ? " node found" : " nodes found");
    if (ids.length) network.fit({ nodes: ids, animation: false });
  });

  const details = document.getElementById("kg-details");
  network.on("click", function (p) {
    const item = p.nodes.length ? nodes.get(p.nodes[0]) : p.edges.length ? edges.get(p.edges[0]) : null;
    if (item) details.textContent = item.title || item.label || "";
  });
})();
