// The page script of kg/templates/view.html.jinja (inlined there, allowed by its hash).
// Draws the view's opening nodes at the positions computed in Python (physics off), adds
// neighbours on demand, keeps a table of the selection's results beside the graph, and never
// turns data into markup: every string reaches the page through textContent or a text node.
(function () {
  "use strict";
  const perf = (window.kgPerf = window.kgPerf || {});
  perf.scriptStart = performance.now();
  const $ = (id) => document.getElementById(id);
  const view = (window.kgView = { ready: false });

  const FONT = 16; // canvas units; the opening zoom keeps labels at READABLE px or more
  const READABLE = 11.5;
  const WRAP = 150; // labels wrap at this width, in canvas units
  const CAP = 250; // nodes one expansion adds at most
  const TABLE_ROWS = 300; // rows rendered before "show all"
  const RESULT_KEYS = ["ArmResult", "ComparativeResult", "AdverseEventResult"];
  const STUDY_KEYS = ["RandomizedControlledTrial", "RegistryStudy", "ObservationalStudy", "ClinicalStudy"];
  const COLUMNS = {
    results: ["Study", "Arm", "Endpoint", "Value", "CI", "p", "n/N", "Time point"],
    aes: ["Study", "Arm", "Term", "Grade", "n/N", "%", "Notes"],
  };
  const NUMERIC = { results: [3, 4, 5, 6, 7], aes: [4, 5] };
  const WIDTHS = { results: [14, 15, 18, 13, 11, 10, 10, 9], aes: [14, 21, 24, 9, 10, 8, 14] };

  function text(tag, content, cls) {
    const el = document.createElement(tag);
    if (content !== undefined && content !== null) el.textContent = String(content);
    if (cls) el.className = cls;
    return el;
  }
  function safeHref(href) {
    return typeof href === "string" && /^https?:\/\/[^\s<>"]+$/i.test(href) ? href : "";
  }
  function toText(href, quote) {
    // a link that opens the document at the quoted words, where the browser supports it
    const words = (quote || "").replace(/\s+/g, " ").trim().split(" ");
    if (words.length < 4) return href;
    const part = (list) => encodeURIComponent(list.join(" ")).replace(/-/g, "%2D");
    const range = words.length > 8 ? part(words.slice(0, 4)) + "," + part(words.slice(-4))
      : part(words);
    return href.split("#")[0] + "#:~:text=" + range;
  }
  function link(href, content) {
    const a = text("a", content);
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }
  function clip(s, n) {
    return s.length > n ? s.slice(0, n - 1) + "…" : s;
  }
  function plural(n, word) {
    return n.toLocaleString("en") + " " + word + (n === 1 ? "" : "s");
  }

  function boot() {
    const data = JSON.parse($("kg-data").textContent);
    perf.parsed = performance.now();
    const N = data.nodes, E = data.edges, S = data.spans, R = data.rows, C = data.classes;
    const L = data.labels;
    const key = (i) => C[N[i].c].key;
    const isResult = (i) => RESULT_KEYS.includes(key(i));
    const index = new Map(N.map((n, i) => [n.id, i]));
    const adj = N.map(() => []);
    E.forEach((e, k) => {
      adj[e[0]].push(k);
      if (e[1] !== e[0]) adj[e[1]].push(k);
    });
    const other = (k, i) => (E[k][0] === i ? E[k][1] : E[k][0]);

    const st = {
      layout: "force",
      drawn: new Set(),
      edgesDrawn: new Set(),
      initial: new Set(data.initial),
      expanded: new Map(), // node -> nodes its expansion added
      owner: new Map(), // node -> node whose expansion or reveal added it
      placed: [], // [anchor, [nodes]] in the order they were added
      history: [],
      selected: -1,
      selectedEdge: -1,
      labelled: new Set(),
      tab: data.query ? "query" : "results",
      sort: { results: [-1, 1], aes: [-1, 1], query: [-1, 1] },
      showAll: false,
      hiddenClasses: new Set(),
      filters: { types: new Set(STUDY_KEYS), phase: "", grade: 0, percent: 0, p: null, n: 0 },
      matches: [],
      matchAt: -1,
    };
    let pos = { force: new Map(), layered: new Map() };
    data.initial.forEach((i) => {
      pos.force.set(i, [N[i].x || 0, N[i].y || 0]);
      pos.layered.set(i, [N[i].hx || 0, N[i].hy || 0]);
    });

    // -- filters ------------------------------------------------------------------------------
    const F = st.filters;
    function studyOk(s) {
      if (s < 0) return true;
      if (!F.types.has(key(s))) return false;
      return !F.phase || (N[s].ph || "not stated") === F.phase;
    }
    function rowOk(r) {
      const row = R[r];
      if (!studyOk(row.st)) return false;
      if (F.n > 0 && !(row.n !== null && row.n >= F.n)) return false;
      if (row.k === 1) {
        if (F.grade > 0 && !(row.g1 !== null && row.g1 >= F.grade)) return false;
        if (F.percent > 0 && !(row.pc !== null && row.pc >= F.percent)) return false;
      } else if (F.p !== null && !(row.p !== null && row.p <= F.p)) {
        return false;
      }
      return true;
    }
    function passes(i) {
      const k = key(i);
      if (st.hiddenClasses.has(k)) return false;
      if (isResult(i)) return (N[i].r || []).every(rowOk);
      if (STUDY_KEYS.includes(k)) return studyOk(i);
      if (k === "StudyArm" || k === "CohortGroup") return studyOk(N[i].st);
      return true;
    }

    // -- what vis draws -----------------------------------------------------------------------
    function spanText(s) {
      const [doc, section, start, end, quote] = S[s];
      const where = "source: " + doc + (section ? ", " + section : "");
      if (quote) return where + "\n“" + clip(quote, 420) + "”";
      return where + ", characters " + start + "-" + end +
        "\n(the graph holds no text for this span: build with --documents DIR, or run kg viz --documents DIR)";
    }
    function tipOf(i) {
      return [N[i].t].concat((N[i].sp || []).map(spanText)).join("\n\n");
    }
    function edgeTip(k) {
      const e = E[k];
      return [e[5] || L[e[2]]].concat((e[7] || []).map(spanText)).join("\n\n");
    }
    function visNode(i) {
      const n = N[i], p = pos[st.layout].get(i) || [0, 0];
      return { id: i, label: n.l, title: tipOf(i), size: n.s, x: p[0], y: p[1], hidden: !passes(i) };
    }

    // -- drawing a node: its class's glyph, faded or outlined by its evidence; its label below ---
    const glyphs = C.map((c) => c.paths.map(([d, mode]) => [new Path2D(d), mode]));
    const wrapped = new Map();
    const ruler = document.createElement("canvas").getContext("2d");
    ruler.font = FONT + "px system-ui, sans-serif";
    let scaleNow = 1;
    function lines(i) {
      if (wrapped.has(i)) return wrapped.get(i);
      const out = [];
      let line = "";
      for (const word of N[i].l.split(/\s+/)) {
        const next = line ? line + " " + word : word;
        if (line && ruler.measureText(next).width > WRAP) {
          out.push(line);
          line = word;
        } else {
          line = next;
        }
      }
      if (line) out.push(line);
      wrapped.set(i, out);
      return out;
    }
    function render({ ctx, id, x, y, state }) {
      const n = N[id], c = C[n.c], size = n.s;
      return {
        drawNode() {
          ctx.globalAlpha = n.f ? 0.42 : 1;
          if (state.selected || state.hover) {
            ctx.beginPath();
            ctx.arc(x, y, size + 7, 0, 2 * Math.PI);
            ctx.fillStyle = state.selected ? "rgba(255, 200, 0, 0.5)" : "rgba(60, 70, 80, 0.12)";
            ctx.fill();
          }
          ctx.translate(x - size, y - size);
          ctx.scale(size / 32, size / 32);
          ctx.lineJoin = "round";
          glyphs[n.c].forEach(([path, mode]) => {
            if (mode === "fill") {
              ctx.fillStyle = c.color;
              ctx.fill(path);
              ctx.lineWidth = n.g ? 6 : 2.5;
              ctx.strokeStyle = n.g ? "#111111" : "#ffffff";
              ctx.stroke(path);
            } else if (mode === "white") {
              ctx.fillStyle = "#ffffff";
              ctx.fill(path);
            } else {
              ctx.lineWidth = 3;
              ctx.strokeStyle = "#ffffff";
              ctx.stroke(path);
            }
          });
        },
        drawExternalLabel() {
          if (FONT * scaleNow < 4) return; // too small to read: not drawn
          ctx.font = (state.selected ? "bold " : "") + FONT + "px system-ui, sans-serif";
          ctx.textAlign = "center";
          ctx.textBaseline = "top";
          ctx.lineJoin = "round";
          ctx.lineWidth = 4;
          ctx.strokeStyle = "rgba(255, 255, 255, 0.92)";
          ctx.fillStyle = "#15191d";
          ctx.globalAlpha = n.f ? 0.75 : 1;
          lines(id).forEach((line, k) => {
            const top = y + size + 3 + k * FONT * 1.2;
            ctx.strokeText(line, x, top);
            ctx.fillText(line, x, top);
          });
        },
        nodeDimensions: { width: 2 * size, height: 2 * size },
      };
    }
    function edgeLabel(k) {
      // a summary that names a hazard ratio says more than the predicate (the rest: on hover)
      const short = E[k][6] || "";
      const best = short.indexOf("best HR");
      return best >= 0 ? short.slice(best) : L[E[k][2]];
    }
    function visEdge(k) {
      const e = E[k], kind = e[3];
      const edge = {
        id: k, from: e[0], to: e[1], width: e[4], title: edgeTip(k), dashes: kind !== 0,
        arrows: { to: { enabled: kind === 0, scaleFactor: 0.55 } },
        label: st.labelled.has(k) ? edgeLabel(k) : "",
      };
      if (kind === 2) edge.color = { color: "#d62728", highlight: "#a01010", hover: "#a01010" };
      return edge;
    }
    const nodes = new vis.DataSet();
    const edges = new vis.DataSet();
    const options = {
      autoResize: true,
      physics: { enabled: false },
      layout: { improvedLayout: false, randomSeed: 7 },
      interaction: { hover: true, tooltipDelay: 150, hideEdgesOnDrag: N.length > 1500,
        hideEdgesOnZoom: N.length > 1500, keyboard: false, multiselect: false },
      nodes: { shape: "custom", ctxRenderer: render, font: { size: FONT } },
      edges: {
        smooth: false, selectionWidth: 1.5, hoverWidth: 0.5,
        // many edges drawn at once: fainter, so that labels and glyphs stay legible
        color: { color: data.initial.length > 80 ? "rgba(130, 140, 150, 0.45)" : "#9aa3ad",
          highlight: "#1d232a", hover: "#4a5560", inherit: false },
        font: { size: FONT, color: "#34404b", strokeWidth: 4, strokeColor: "#ffffff", align: "middle" },
      },
    };
    const network = new vis.Network($("kg-network"), { nodes, edges }, options);
    perf.network = performance.now();
    network.on("beforeDrawing", () => { scaleNow = network.getScale(); });

    function draw(list) {
      const fresh = list.filter((i) => !st.drawn.has(i));
      fresh.forEach((i) => st.drawn.add(i));
      nodes.add(fresh.map(visNode));
      const add = [];
      fresh.forEach((i) => adj[i].forEach((k) => {
        if (!st.edgesDrawn.has(k) && st.drawn.has(other(k, i))) {
          st.edgesDrawn.add(k);
          add.push(k);
        }
      }));
      edges.add(add.map(visEdge));
    }
    function undraw(list) {
      const gone = [];
      list.forEach((i) => adj[i].forEach((k) => {
        if (st.edgesDrawn.delete(k)) gone.push(k);
      }));
      edges.remove(gone);
      nodes.remove(list);
      list.forEach((i) => {
        st.drawn.delete(i);
        pos.force.delete(i);
        pos.layered.delete(i);
      });
    }

    // -- placing nodes added on demand ----------------------------------------------------------
    function grid(P) {
      const cells = new Map();
      P.forEach((p, i) => {
        if (!st.drawn.has(i)) return;
        const c = Math.floor(p[0] / 140) + ":" + Math.floor(p[1] / 70);
        if (!cells.has(c)) cells.set(c, []);
        cells.get(c).push(p);
      });
      return {
        free(x, y) {
          const cx = Math.floor(x / 140), cy = Math.floor(y / 70);
          for (let a = cx - 1; a <= cx + 1; a++) {
            for (let b = cy - 1; b <= cy + 1; b++) {
              for (const p of cells.get(a + ":" + b) || []) {
                if (Math.abs(p[0] - x) < 130 && Math.abs(p[1] - y) < 62) return false;
              }
            }
          }
          return true;
        },
        add(x, y) {
          const c = Math.floor(x / 140) + ":" + Math.floor(y / 70);
          if (!cells.has(c)) cells.set(c, []);
          cells.get(c).push([x, y]);
        },
      };
    }
    function centre(P) {
      let x = 0, y = 0, n = 0;
      P.forEach((p, i) => {
        if (st.drawn.has(i)) { x += p[0]; y += p[1]; n++; }
      });
      return n ? [x / n, y / n] : [0, 0];
    }
    function place(anchor, list) {
      const P = pos[st.layout];
      const middle = network.getViewPosition();
      const at = anchor >= 0 && P.has(anchor) ? P.get(anchor) : [middle.x, middle.y];
      const free = grid(P);
      if (st.layout === "force") {
        const c = centre(P);
        let base = Math.atan2(at[1] - c[1], at[0] - c[0]);
        if (Math.abs(at[0] - c[0]) + Math.abs(at[1] - c[1]) < 1) base = Math.PI / 2;
        let done = 0, radius = 170;
        while (done < list.length) {
          const left = list.length - done;
          const spread = left <= 3 ? Math.PI * 0.55 : Math.min(Math.PI * 1.8, left * 0.5);
          const m = Math.min(left, Math.max(1, Math.floor((spread * radius) / 120) + 1));
          for (let j = 0; j < m; j++) {
            const t = m === 1 ? 0 : (j / (m - 1) - 0.5) * spread;
            let r = radius, x, y, tries = 0;
            do {
              x = at[0] + r * Math.cos(base + t);
              y = at[1] + r * Math.sin(base + t);
              r += 60;
            } while (!free.free(x, y) && ++tries < 10);
            P.set(list[done + j], [x, y]);
            free.add(x, y);
          }
          done += m;
          radius += 130;
        }
      } else {
        const level = (i) => C[N[i].c].level;
        const rows = new Map();
        list.forEach((i) => {
          const d = anchor >= 0 ? level(i) - level(anchor) : 1;
          const y = at[1] + (d === 0 ? 150 : d * 190);
          if (!rows.has(y)) rows.set(y, []);
          rows.get(y).push(i);
        });
        rows.forEach((row, y) => {
          row.forEach((i, j) => {
            const ideal = at[0] + (j - (row.length - 1) / 2) * 150;
            let x = ideal;
            for (let step = 0; step < 400 && !free.free(x, y); step++) {
              x = ideal + (step % 2 === 0 ? 1 : -1) * 150 * Math.ceil((step + 1) / 2);
            }
            P.set(i, [x, y]);
            free.add(x, y);
          });
        });
      }
    }

    // -- history: expand, collapse, hide, reveal, back, reset -----------------------------------
    function snapshot() {
      return {
        drawn: [...st.drawn],
        expanded: [...st.expanded].map(([k, v]) => [k, v.slice()]),
        owner: [...st.owner],
        placed: st.placed.map(([a, l]) => [a, l.slice()]),
        pos: { force: new Map(pos.force), layered: new Map(pos.layered) },
      };
    }
    function remember() {
      st.history.push(snapshot());
      if (st.history.length > 60) st.history.shift();
    }
    function restore(h) {
      st.expanded = new Map(h.expanded);
      st.owner = new Map(h.owner);
      st.placed = h.placed.map(([a, l]) => [a, l.slice()]);
      const want = new Set(h.drawn);
      undraw([...st.drawn].filter((i) => !want.has(i)));
      pos = { force: new Map(h.pos.force), layered: new Map(h.pos.layered) };
      draw(h.drawn);
      nodes.update(h.drawn.map((i) => {
        const p = pos[st.layout].get(i) || [0, 0];
        return { id: i, x: p[0], y: p[1] };
      }));
      refreshLabels();
      report();
    }
    function neighbours(i) {
      const spans = ["StudyArm", ...RESULT_KEYS].includes(key(i));
      const found = new Set();
      adj[i].forEach((k) => {
        const o = other(k, i);
        if (!st.drawn.has(o) && (spans || key(o) !== "TextSpan")) found.add(o);
      });
      return [...found].sort((a, b) => C[N[a].c].level - C[N[b].c].level || N[b].s - N[a].s ||
        N[a].l.localeCompare(N[b].l));
    }
    function expand(i) {
      if (i < 0 || st.expanded.has(i)) return 0;
      let add = neighbours(i);
      if (!add.length) {
        say("Nothing more to add around " + N[i].l + ".");
        return 0;
      }
      remember();
      const total = add.length;
      add = add.slice(0, CAP);
      place(i, add);
      add.forEach((o) => st.owner.set(o, i));
      st.expanded.set(i, add);
      st.placed.push([i, add]);
      draw(add);
      show([i, ...add]);
      refreshLabels();
      report(total > add.length ? "Added the first " + add.length + " of " + total +
        " neighbours of " + N[i].l + "; search or filter to find the rest." : "");
      return add.length;
    }
    function collapse(i) {
      if (!st.expanded.has(i)) return 0;
      remember();
      const gone = [];
      const walk = (j) => {
        const kids = st.expanded.get(j) || [];
        st.expanded.delete(j);
        kids.forEach((o) => {
          if (st.owner.get(o) === j && !st.initial.has(o) && st.drawn.has(o) && o !== i) {
            walk(o);
            gone.push(o);
            st.owner.delete(o);
          }
        });
      };
      walk(i);
      const goneSet = new Set(gone);
      st.placed = st.placed
        .filter(([a]) => a !== i && !goneSet.has(a))
        .map(([a, l]) => [a, l.filter((o) => !goneSet.has(o))]);
      undraw(gone);
      if (goneSet.has(st.selected)) unselect();
      refreshLabels();
      report();
      return gone.length;
    }
    function toggle(i) {
      return st.expanded.has(i) ? -collapse(i) : expand(i);
    }
    function hide(i) {
      if (i < 0 || !st.drawn.has(i)) return;
      remember();
      undraw([i]);
      unselect();
      report();
    }
    function nearestDrawn(i) {
      for (const k of adj[i]) if (st.drawn.has(other(k, i))) return other(k, i);
      return -1;
    }
    function reveal(i) {
      if (st.drawn.has(i)) return;
      const chain = [];
      let j = i;
      while (j >= 0 && !st.drawn.has(j) && !chain.includes(j)) {
        chain.push(j);
        j = N[j].p;
      }
      chain.reverse();
      remember();
      let anchor = j >= 0 && st.drawn.has(j) ? j : nearestDrawn(chain[0]);
      chain.forEach((c) => {
        place(anchor, [c]);
        st.owner.set(c, anchor);
        st.placed.push([anchor, [c]]);
        draw([c]);
        anchor = c;
      });
      refreshLabels();
      report();
    }

    // -- layout and zoom ------------------------------------------------------------------------
    function openingZoom() {
      const hint = $("kg-hint");
      hint.textContent = data.kind === "overview"
        ? "Overview of a large graph: entities only, evidence summed on the edges."
          + " For arms, results and sources: kg viz --drug NAME, --study ID or --disease NAME."
        : data.overview
          ? "Overview: entities only. Double-click a node to add its arms, results and sources."
          : "Double-click a node to add or remove its neighbours.";
      const shown = visible();
      let scale = fitTo(shown, 1);
      if (shown.length && scale * FONT < READABLE) {
        // as close to the focus as the picture allows, without showing empty canvas beyond it
        scale = READABLE / FONT;
        hint.textContent += " Zoomed in so labels can be read: drag or scroll to see the rest, or fit all.";
        const focus = data.focus.find((f) => st.drawn.has(f));
        const at = focus !== undefined ? network.getPositions([focus])[focus] : network.getViewPosition();
        const box = extent(shown), room = frame();
        const halfW = room.width / scale / 2, halfH = room.height / scale / 2;
        const within = (v, low, high) => (low > high ? (low + high) / 2 : Math.min(Math.max(v, low), high));
        at.x = within(at.x, box.left + halfW, box.right - halfW);
        at.y = within(at.y, box.top + halfH, box.bottom - halfH);
        const below = ($("kg-hint").offsetHeight || 0) / 2 / scale;
        network.moveTo({ position: { x: at.x, y: at.y + below }, scale, animation: false });
      }
    }
    function extent(list) {
      // the box the nodes and their labels take, in canvas units
      const P = network.getPositions(list);
      let left = Infinity, right = -Infinity, top = Infinity, bottom = -Infinity;
      list.forEach((i) => {
        const p = P[i], n = N[i], text = lines(i);
        const half = Math.max(n.s, ...text.map((t) => ruler.measureText(t).width / 2));
        left = Math.min(left, p.x - half);
        right = Math.max(right, p.x + half);
        top = Math.min(top, p.y - n.s);
        bottom = Math.max(bottom, p.y + n.s + 3 + text.length * FONT * 1.2);
      });
      return { left, right, top, bottom };
    }
    function frame() {
      // the part of the canvas not under the hint bar, in CSS pixels
      const canvas = $("kg-network"), hint = $("kg-hint");
      return { width: canvas.clientWidth, height: canvas.clientHeight - (hint.offsetHeight || 0) };
    }
    function fitTo(list, most) {
      if (!list.length) return network.getScale();
      const box = extent(list), room = frame();
      const scale = Math.min(most, 0.97 * Math.min(room.width / (box.right - box.left),
        room.height / (box.bottom - box.top)));
      const below = ($("kg-hint").offsetHeight || 0) / 2 / scale;
      network.moveTo({ position: { x: (box.left + box.right) / 2, y: (box.top + box.bottom) / 2 + below },
        scale, animation: false });
      return scale;
    }
    function visible() {
      return [...st.drawn].filter(passes);
    }
    function show(list) {
      // pan (and zoom out, never below readable labels) so that the nodes in list are in view
      const canvas = $("kg-network");
      const w = canvas.clientWidth, h = canvas.clientHeight;
      const at = list.map((i) => network.canvasToDOM(network.getPositions([i])[i]));
      if (at.every((p) => p.x > 40 && p.x < w - 40 && p.y > 30 && p.y < h - 60)) return;
      const scale = network.getScale();
      const fitted = fitTo(list, scale);
      if (fitted < READABLE / FONT) network.moveTo({ scale: READABLE / FONT, animation: false });
    }
    function setLayout(name) {
      if (!pos[name]) return;
      st.layout = name;
      const P = pos[name];
      P.clear();
      data.initial.forEach((i) => {
        if (st.drawn.has(i)) P.set(i, name === "force" ? [N[i].x || 0, N[i].y || 0] : [N[i].hx || 0, N[i].hy || 0]);
      });
      st.placed.forEach(([a, list]) => place(a, list.filter((i) => st.drawn.has(i) && !P.has(i))));
      nodes.update([...st.drawn].map((i) => {
        const p = P.get(i) || [0, 0];
        return { id: i, x: p[0], y: p[1] };
      }));
      openingZoom();
    }

    // -- edge labels: all when few edges are drawn, else those of the selection -------------------
    function refreshLabels() {
      const want = new Set();
      // a drug-disease summary naming a hazard ratio is always labelled: few edges carry one
      st.edgesDrawn.forEach((k) => E[k][3] === 1 && E[k][6].includes("HR") && want.add(k));
      if (st.edgesDrawn.size <= 40) st.edgesDrawn.forEach((k) => E[k][8] || want.add(k));
      if (st.selected >= 0) {
        // a hub's labels would pile up on each other: its edges say what they are on hover
        const mine = adj[st.selected].filter((k) => st.edgesDrawn.has(k));
        if (mine.length <= 6) mine.forEach((k) => want.add(k));
      }
      if (st.selectedEdge >= 0 && st.edgesDrawn.has(st.selectedEdge)) want.add(st.selectedEdge);
      const change = [];
      want.forEach((k) => { if (!st.labelled.has(k)) change.push(k); });
      st.labelled.forEach((k) => { if (!want.has(k) && st.edgesDrawn.has(k)) change.push(k); });
      st.labelled = want;
      edges.update(change.map((k) => ({ id: k, label: want.has(k) ? edgeLabel(k) : "" })));
    }

    // -- details --------------------------------------------------------------------------------
    const details = $("kg-details");
    function sourcesInto(parent, spans) {
      spans.forEach((s) => {
        const [doc, section, start, end, quote, href] = S[s];
        if (quote) parent.appendChild(text("blockquote", quote));
        const where = doc + (section ? ", " + section : "") +
          (quote ? "" : ", characters " + start + "-" + end + " (no text in the graph)");
        const line = text("div", null, "kg-note");
        if (safeHref(href)) line.appendChild(link(toText(safeHref(href), quote), where));
        else line.textContent = where;
        parent.appendChild(line);
      });
    }
    function showNode(i) {
      details.replaceChildren();
      const n = N[i];
      details.appendChild(text("h3", n.l));
      const lines = n.t.split("\n");
      details.appendChild(text("p", lines[1] || "", "kg-kind"));
      details.appendChild(text("pre", lines.slice(2).filter((l) => !l.startsWith("identifiers: ")).join("\n")));
      const ids = (n.ids || []).filter(([, href]) => safeHref(href));
      if (ids.length) {
        const list = text("ul");
        ids.forEach(([curie, href]) => {
          const item = text("li");
          item.appendChild(link(safeHref(href), curie));
          list.appendChild(item);
        });
        details.appendChild(text("div", "Identifiers", "kg-note"));
        details.appendChild(list);
      }
      if (!n.id.startsWith("group:")) details.appendChild(text("div", n.id, "kg-note"));
      if ((n.sp || []).length) {
        details.appendChild(text("div", "Sources", "kg-note"));
        sourcesInto(details, n.sp);
      }
      const hint = st.expanded.has(i) ? "Double-click (or collapse) to remove what was added."
        : "Double-click (or expand) to add its neighbours.";
      details.appendChild(text("p", hint, "kg-note"));
    }
    function showEdge(k) {
      details.replaceChildren();
      const e = E[k];
      details.appendChild(text("h3", N[e[0]].l + " → " + N[e[1]].l));
      details.appendChild(text("p", ["stated in the graph", "summarised from arms and results",
        "sources disagree"][e[3]] + ": " + L[e[2]], "kg-kind"));
      if (e[5]) details.appendChild(text("pre", e[5]));
      if ((e[7] || []).length) sourcesInto(details, e[7]);
    }
    function select(i) {
      if (!st.drawn.has(i)) reveal(i);
      st.selected = i;
      st.selectedEdge = -1;
      network.selectNodes([i], false);
      showNode(i);
      refreshLabels();
      st.showAll = false;
      renderTable();
    }
    function selectEdge(k) {
      st.selected = -1;
      st.selectedEdge = k;
      showEdge(k);
      refreshLabels();
      st.showAll = false;
      renderTable();
    }
    function unselect() {
      st.selected = -1;
      st.selectedEdge = -1;
      network.unselectAll();
      details.replaceChildren(text("p", "Nothing selected: the table shows the whole view.", "kg-note"));
      refreshLabels();
      renderTable();
    }

    // -- the table ------------------------------------------------------------------------------
    function selectionRows() {
      if (st.selected >= 0) return N[st.selected].r || [];
      if (st.selectedEdge >= 0) {
        const a = new Set(N[E[st.selectedEdge][0]].r || []);
        return (N[E[st.selectedEdge][1]].r || []).filter((r) => a.has(r));
      }
      return R.map((_, r) => r);
    }
    function cellValue(cell) {
      const m = /-?\d+(?:\.\d+)?/.exec(cell);
      return m ? parseFloat(m[0]) : null;
    }
    function compare(tab, col) {
      return (a, b) => {
        if (NUMERIC[tab] && NUMERIC[tab].includes(col)) {
          const x = cellValue(a[col]), y = cellValue(b[col]);
          if (x !== null && y !== null && x !== y) return x - y;
          if (x === null && y !== null) return 1;
          if (y === null && x !== null) return -1;
        }
        return String(a[col]).localeCompare(String(b[col]), "en", { numeric: true });
      };
    }
    function currentTable() {
      if (st.tab === "query") {
        const q = data.query;
        let rows = q.rows.map((row) => row.map((c) => c[0]));
        const order = q.rows.map((_, r) => r);
        const [col, dir] = st.sort.query;
        if (col >= 0) order.sort((a, b) => dir * compare("query", col)(rows[a], rows[b]));
        return { columns: q.columns, order, cells: rows, raw: q.rows };
      }
      const kind = st.tab === "results" ? 0 : 1;
      const order = selectionRows().filter((r) => R[r].k === kind && rowOk(r));
      const cells = {};
      order.forEach((r) => { cells[r] = R[r].c; });
      const [col, dir] = st.sort[st.tab];
      if (col >= 0) order.sort((a, b) => dir * compare(st.tab, col)(cells[a], cells[b]));
      return { columns: COLUMNS[st.tab], order, cells };
    }
    const tabs = {};
    (data.query ? ["query", "results", "aes"] : ["results", "aes"]).forEach((name) => {
      const b = text("button");
      b.type = "button";
      b.setAttribute("role", "tab");
      b.dataset.tab = name;
      b.addEventListener("click", () => { st.tab = name; st.showAll = false; renderTable(); });
      $("kg-tabs").appendChild(b);
      tabs[name] = b;
    });
    function renderTabs() {
      const rows = selectionRows();
      const count = (k) => rows.filter((r) => R[r].k === k && rowOk(r)).length;
      tabs.results.textContent = "Results (" + count(0) + ")";
      tabs.aes.textContent = "Adverse events (" + count(1) + ")";
      if (tabs.query) tabs.query.textContent = "Query answer (" + data.query.rows.length + ")";
      Object.entries(tabs).forEach(([name, b]) => b.setAttribute("aria-selected", String(st.tab === name)));
    }
    function sourceCell(td, spans) {
      td.className = "kg-quote";
      if (!spans.length) td.appendChild(text("span", "no source span", "kg-note"));
      spans.forEach((s) => {
        const [doc, section, start, end, quote, href] = S[s];
        const div = text("div");
        if (quote) {
          const q = text("q", clip(quote, 160));
          q.title = quote;
          div.appendChild(q);
          div.appendChild(document.createTextNode(" "));
        }
        const where = (quote ? "— " : "") + doc + (section ? ", " + section : "") +
          (quote ? "" : ", characters " + start + "-" + end);
        if (safeHref(href)) div.appendChild(link(toText(safeHref(href), quote), where));
        else div.appendChild(text("span", where));
        td.appendChild(div);
      });
    }
    function renderTable() {
      renderTabs();
      const table = currentTable();
      const head = $("kg-table").tHead, body = $("kg-table").tBodies[0];
      $("kg-table").className = st.tab === "query" ? "kg-wide" : "";
      head.replaceChildren();
      body.replaceChildren();
      const tr = text("tr");
      const [sortCol, sortDir] = st.sort[st.tab];
      table.columns.forEach((name, col) => {
        const th = text("th", name);
        th.scope = "col";
        if (WIDTHS[st.tab]) th.style.width = WIDTHS[st.tab][col] + "%";
        if (col === sortCol) th.setAttribute("aria-sort", sortDir > 0 ? "ascending" : "descending");
        {
          th.addEventListener("click", () => {
            const [c, d] = st.sort[st.tab];
            st.sort[st.tab] = [col, c === col ? -d : 1];
            renderTable();
          });
        }
        tr.appendChild(th);
      });
      head.appendChild(tr);
      const shown = st.showAll ? table.order : table.order.slice(0, TABLE_ROWS);
      const fragment = document.createDocumentFragment();
      shown.forEach((r) => {
        const row = text("tr");
        if (st.tab === "query") {
          table.raw[r].forEach(([value, node, href]) => {
            const td = text("td");
            if (node >= 0) {
              td.appendChild(text("span", value));
              td.title = N[node].id;
              row.dataset.node = String(node);
            } else if (safeHref(href)) {
              td.appendChild(link(safeHref(href), value));
            } else {
              td.textContent = value;
            }
            row.appendChild(td);
          });
          if (st.selected >= 0 && table.raw[r].some((c) => c[1] === st.selected)) row.className = "kg-current";
        } else {
          table.cells[r].forEach((value, col) => {
            const numeric = NUMERIC[st.tab].includes(col);
            // "< 0.001" on one line: the relation stays with its number
            const shown = numeric ? String(value).replace(/^([<>≤≥=~]+) /, "$1\u00a0") : value;
            row.appendChild(text("td", shown, numeric ? "kg-num" : ""));
          });
          row.dataset.node = String(R[r].i);
          if (R[r].i === st.selected) row.className = "kg-current";
          fragment.appendChild(row);
          // the quoted source under its row, across the columns
          const quote = text("tr", null, "kg-src" + (R[r].i === st.selected ? " kg-current" : ""));
          quote.dataset.node = String(R[r].i);
          const td = text("td");
          td.colSpan = table.columns.length;
          sourceCell(td, R[r].sp || []);
          quote.appendChild(td);
          fragment.appendChild(quote);
          return;
        }
        fragment.appendChild(row);
      });
      body.appendChild(fragment);
      const more = $("kg-more");
      more.hidden = shown.length === table.order.length;
      more.textContent = "show all " + table.order.length.toLocaleString("en") + " rows";
      const what = st.selected >= 0 ? N[st.selected].l + " (" + C[N[st.selected].c].label + ")"
        : st.selectedEdge >= 0 ? N[E[st.selectedEdge][0]].l + " → " + N[E[st.selectedEdge][1]].l
        : "the whole view";
      $("kg-table-caption").textContent = st.tab === "query" ? plural(table.order.length, "row") +
        " of the query's answer" : plural(table.order.length, "row") + " of " + what +
        (table.order.length > shown.length ? " (first " + shown.length + " shown)" : "");
    }
    $("kg-table").tBodies[0].addEventListener("click", (event) => {
      if (event.target.closest("a")) return;
      const row = event.target.closest("tr");
      if (!row || row.dataset.node === undefined) return;
      const i = Number(row.dataset.node);
      reveal(i);
      network.focus(i, { scale: Math.max(network.getScale(), 0.9), animation: false });
      select(i);
    });
    $("kg-more").addEventListener("click", () => { st.showAll = true; renderTable(); });

    function csvCell(value) {
      let s = String(value === null || value === undefined ? "" : value);
      if (/^[=+@\t\r]/.test(s) || /^-[^\d.]/.test(s)) s = "'" + s; // no formula in a spreadsheet
      return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
    }
    function csvText() {
      const table = currentTable();
      const lines = [];
      if (st.tab === "query") {
        lines.push(table.columns.map(csvCell).join(","));
        table.order.forEach((r) => lines.push(table.raw[r].map((c) =>
          csvCell(c[1] >= 0 ? N[c[1]].id : c[2] || c[0])).join(",")));
      } else {
        const head = COLUMNS[st.tab].concat(["source text", "source", "node"]);
        lines.push(head.map(csvCell).join(","));
        table.order.forEach((r) => {
          const spans = (R[r].sp || []).map((s) => S[s]);
          const quotes = spans.map((s) => s[4]).filter(Boolean).join(" | ");
          const where = spans.map((s) => s[0] + (s[1] ? ", " + s[1] : "") + " [" + s[2] + "-" + s[3] + "]").join(" | ");
          lines.push(R[r].c.concat([quotes, where, N[R[r].i].id]).map(csvCell).join(","));
        });
      }
      return "\ufeff" + lines.join("\r\n") + "\r\n";
    }
    function slug(s) {
      return s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "").slice(0, 60) || "view";
    }
    function download(name, blob) {
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = name;
      document.body.appendChild(a);
      a.click();
      setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 2000);
    }
    function csvName() {
      const what = st.selected >= 0 ? N[st.selected].l : data.title;
      return slug(what) + "-" + { results: "results", aes: "adverse-events", query: "answer" }[st.tab] + ".csv";
    }
    $("kg-csv").addEventListener("click", () =>
      download(csvName(), new Blob([csvText()], { type: "text/csv;charset=utf-8" })));
    function pngBlob(done) {
      const source = $("kg-network").querySelector("canvas");
      const out = document.createElement("canvas");
      out.width = source.width;
      out.height = source.height;
      const ctx = out.getContext("2d");
      ctx.fillStyle = "#ffffff";
      ctx.fillRect(0, 0, out.width, out.height);
      ctx.drawImage(source, 0, 0);
      out.toBlob(done, "image/png");
    }
    $("kg-png").addEventListener("click", () => pngBlob((blob) => download(slug(data.title) + ".png", blob)));

    // -- search ---------------------------------------------------------------------------------
    let keys = null;
    function find(query) {
      const q = query.trim().toLowerCase();
      if (!q) return [];
      if (!keys) keys = N.map((n) => [n.l].concat(n.k || []).map((s) => s.toLowerCase()));
      const found = [];
      keys.forEach((names, i) => {
        let best = 9, via = 0;
        names.forEach((k, j) => {
          const score = k === q ? 0 : k.startsWith(q) ? 1 : (k.includes(" " + q) || k.includes("-" + q)) ? 2 : k.includes(q) ? 3 : 9;
          if (score < best) { best = score; via = j; }
        });
        if (best < 9) found.push({ i, best, via });
      });
      found.sort((a, b) => a.best - b.best || Number(!C[N[a.i].c].entity) - Number(!C[N[b.i].c].entity) ||
        C[N[a.i].c].level - C[N[b.i].c].level || N[a.i].l.localeCompare(N[b.i].l) || a.i - b.i);
      return found.map((f) => ({ i: f.i, via: f.via === 0 ? "" : ([N[f.i].l].concat(N[f.i].k || []))[f.via] }));
    }
    const box = $("kg-search"), foundText = $("kg-found");
    function searchFor(q) {
      st.query = q;
      st.matches = find(q);
      st.matchAt = -1;
      const drawnHits = st.matches.filter((m) => st.drawn.has(m.i)).map((m) => m.i);
      network.selectNodes(drawnHits.slice(0, 200), false);
      foundText.textContent = q.trim() ? (st.matches.length ? plural(st.matches.length, "match") +
        ": Enter or next to go through them" : "no match") : "";
      return st.matches.length;
    }
    function go(step) {
      if (box.value !== st.query) searchFor(box.value);
      if (!st.matches.length) return -1;
      const m = st.matches.length;
      st.matchAt = ((st.matchAt + step) % m + m) % m;
      const hit = st.matches[st.matchAt];
      reveal(hit.i);
      select(hit.i);
      network.focus(hit.i, { scale: Math.max(network.getScale(), READABLE / FONT), animation: false });
      foundText.textContent = (st.matchAt + 1) + " of " + m + ": " + N[hit.i].l + " (" +
        C[N[hit.i].c].label + ")" + (hit.via ? ", matched " + hit.via : "");
      return hit.i;
    }
    let typing = 0;
    st.query = "";
    box.addEventListener("input", () => {
      clearTimeout(typing);
      typing = setTimeout(() => searchFor(box.value), 120);
    });
    box.addEventListener("keydown", (event) => {
      if (event.key === "Enter") {
        event.preventDefault();
        clearTimeout(typing);
        go(event.shiftKey ? -1 : 1);
      }
    });
    $("kg-next").addEventListener("click", () => go(1));
    $("kg-prev").addEventListener("click", () => go(-1));

    // -- side bar: legend, filters, buttons -------------------------------------------------------
    function say(message) {
      $("kg-hint").textContent = message;
    }
    function report(extra) {
      const visible = [...st.drawn].filter(passes).length;
      $("kg-status").textContent = plural(st.drawn.size, "node") + " drawn of " +
        N.length.toLocaleString("en") + (visible < st.drawn.size ? " (" + (st.drawn.size - visible) +
        " hidden by filters)" : "") + "; " + plural(st.edgesDrawn.size, "edge") + ".";
      if (extra) say(extra);
    }
    function applyFilters() {
      nodes.update([...st.drawn].map((i) => ({ id: i, hidden: !passes(i) })));
      renderTable();
      report();
    }
    function legendGlyph(c) {
      const ns = "http://www.w3.org/2000/svg";
      const svg = document.createElementNS(ns, "svg");
      svg.setAttribute("viewBox", "-4 -4 72 72");
      svg.setAttribute("aria-hidden", "true");
      c.paths.forEach(([d, mode]) => {
        const path = document.createElementNS(ns, "path");
        path.setAttribute("d", d);
        path.setAttribute("fill", mode === "fill" ? c.color : mode === "white" ? "#fff" : "none");
        if (mode !== "white") {
          path.setAttribute("stroke", "#fff");
          path.setAttribute("stroke-width", mode === "line" ? "3" : "2.5");
        }
        svg.appendChild(path);
      });
      return svg;
    }
    const legend = $("kg-legend");
    const counts = C.map(() => 0);
    N.forEach((n) => counts[n.c]++);
    C.forEach((c, ci) => {
      const item = text("li");
      const label = text("label");
      const check = document.createElement("input");
      check.type = "checkbox";
      check.checked = true;
      check.dataset.class = c.key;
      check.addEventListener("change", () => {
        if (check.checked) st.hiddenClasses.delete(c.key);
        else st.hiddenClasses.add(c.key);
        applyFilters();
      });
      label.append(check, legendGlyph(c), document.createTextNode(c.label + " "),
        text("span", "(" + counts[ci] + ")", "kg-count"));
      item.appendChild(label);
      legend.appendChild(item);
    });
    const types = $("kg-study-types");
    C.filter((c) => STUDY_KEYS.includes(c.key)).forEach((c) => {
      const label = text("label");
      const check = document.createElement("input");
      check.type = "checkbox";
      check.checked = true;
      check.dataset.studyType = c.key;
      check.addEventListener("change", () => {
        if (check.checked) F.types.add(c.key);
        else F.types.delete(c.key);
        applyFilters();
      });
      label.append(check, document.createTextNode(" " + c.label));
      types.appendChild(label);
    });
    const phase = $("kg-phase");
    [...new Set(N.filter((n, i) => STUDY_KEYS.includes(key(i))).map((n) => n.ph || "not stated"))].sort()
      .forEach((p) => {
        const option = text("option", p);
        option.value = p;
        phase.appendChild(option);
      });
    phase.addEventListener("change", () => { F.phase = phase.value; applyFilters(); });
    $("kg-grade").addEventListener("change", (e) => { F.grade = Number(e.target.value) || 0; applyFilters(); });
    const number = (id, apply) => ["input", "change"].forEach((event) =>
      $(id).addEventListener(event, (e) => {
        const v = e.target.value.trim();
        apply(v === "" || isNaN(Number(v)) ? null : Number(v));
        applyFilters();
      }));
    number("kg-percent", (v) => { F.percent = v || 0; });
    number("kg-p", (v) => { F.p = v; });
    number("kg-n", (v) => { F.n = v || 0; });
    const glossary = $("kg-glossary");
    data.glossary.forEach(([abbr, meaning]) => glossary.append(text("dt", abbr), text("dd", meaning)));
    document.querySelectorAll('input[name="kg-layout"]').forEach((radio) =>
      radio.addEventListener("change", () => radio.checked && setLayout(radio.value)));
    $("kg-expand").addEventListener("click", () => expand(st.selected));
    $("kg-collapse").addEventListener("click", () => collapse(st.selected));
    $("kg-hide").addEventListener("click", () => hide(st.selected));
    $("kg-back").addEventListener("click", () => { const h = st.history.pop(); if (h) restore(h); });
    $("kg-reset").addEventListener("click", () => { remember(); restore(start); setLayout(st.layout); });
    $("kg-fit").addEventListener("click", () => fitTo(visible(), 1));

    network.on("click", (p) => {
      if (p.nodes.length) select(p.nodes[0]);
      else if (p.edges.length) selectEdge(p.edges[0]);
      else unselect();
    });
    network.on("doubleClick", (p) => { if (p.nodes.length) toggle(p.nodes[0]); });
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && document.activeElement !== box) unselect();
    });

    // -- open -----------------------------------------------------------------------------------
    draw(data.initial);
    perf.drawn = performance.now();
    const start = snapshot();
    refreshLabels();
    openingZoom();
    perf.zoomed = performance.now();
    const focus = data.focus.find((f) => st.drawn.has(f));
    if (focus !== undefined) select(focus);
    else renderTable();
    perf.table = performance.now();
    report(data.overview ? "" : undefined);
    network.once("afterDrawing", () => {
      perf.firstDraw = performance.now();
      requestAnimationFrame(() => {
        perf.ready = performance.now();
        view.ready = true;
      });
    });
    network.redraw();
    Object.assign(view, {
      network, nodes, edges, data, state: st, index,
      expand, collapse, toggle, hide, reveal, select, unselect, setLayout,
      search: (q) => { box.value = q; return searchFor(q); },
      next: () => go(1), previous: () => go(-1), csv: csvText, table: currentTable,
      png: pngBlob, passes, back: () => { const h = st.history.pop(); if (h) restore(h); },
      fontSize: FONT,
    });
  }

  function run() {
    try {
      boot();
    } catch (error) {
      $("kg-status").textContent = "This page could not be drawn: " + error;
      throw error;
    }
  }
  // let the side bar paint (and say what is loading) before the work starts
  if (document.visibilityState === "hidden") setTimeout(run, 0);
  else requestAnimationFrame(() => requestAnimationFrame(() => {
    perf.framesBefore = 2; // a frame has been rendered (the side bar, "Loading…") before the work
    setTimeout(run, 0);
  }));
})();
