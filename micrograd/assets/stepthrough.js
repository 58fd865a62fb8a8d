/* micrograd step-through: watch backward() add up the paths, one edge at a time.
 *
 * One script for every place the view appears: the standalone page (save_html), the
 * explorer (micrograd serve) and the Jupyter widget (anywidget). Interface, version 2:
 *
 *   var steps = MicrogradSteps.mount(container, data, options);
 *
 *     Builds the view inside the element `container` (controls, the current step with its
 *     running sum, the drawing, the step table) and returns a controller:
 *       steps.go(k)   show frame k (0 = before any step, data.steps.length = the end)
 *       steps.next()  steps.prev()  steps.play()  steps.pause()
 *       steps.destroy()  remove the view, its timers and its key listeners
 *       steps.step    the frame shown now          steps.playing  whether it plays
 *       steps.ready   a Promise, resolved once the drawing is laid out and shown
 *     Mounting again on the same container destroys the view that was there first, so a
 *     container never has more than one key listener.
 *
 *   options (all optional):
 *     keys     an element (or document) that also takes the arrow keys, Home, End, space
 *     layout   function (dot) -> SVG text or a Promise of it: lays the graph out when
 *              data.svg is null (the browser site runs Graphviz in WebAssembly)
 *     onStep   function (k), called whenever the frame changes
 *     start    the first frame to show (default 0)
 *     mistake  function (name) -> a Promise of data.mistakes[name], for a page that fetches a
 *              mistake's pass when the learner picks it (the explorer)
 *     bare     no header and no controls: a column beside another view
 *
 *   steps.mistake(name)  runs that mistake's pass in a second column beside this one (the
 *     selector does it; "" removes it), stepping together; a Promise of the second view
 *
 *   MicrogradSteps.bindKeys(controller, target) -> function that unbinds them again
 *
 *   `data` is the JSON of Python's BackwardSteps.page_data():
 *     version 2; mode "graph" (default) or "frames" (the neuron view)
 *     title, heading (one line), notice (a sentence shown above the view, or null), start
 *     columns  the step table's column names
 *     steps    one row per step in backward()'s order; steps[k - 1] is step k:
 *              {number, cells (the table's cells), edge, child, parent (node ids),
 *               edge_id (the drawing's id of the edge parent -> child), label (that edge's
 *               text while current), grad (the parent's box after this step), what (the
 *               edge and its product), sum (the parent's running sum written out), local,
 *               upstream, contribution, before, after, term, first, summing, final,
 *               skipped, path_count, paths ([{route, product}], when few), arithmetic}
 *     graph mode: svg (laid out once by Graphviz, or null), dot (its source), nodes (id ->
 *              name), output (its id), colours, summary ({grads: [{name, grad}], wrt,
 *              partial, paths: [{route, product}], total, grad}: the last frame's words)
 *     mistake_names  the mistakes the selector offers; mistakes: {name: {description, code,
 *              explanation, first_divergence, steps (rows as above, one per write of the
 *              wrong pass, with diverges marking the first wrong one), error}} (any subset)
 *     frames mode: frames[k], the SVG of frame k, k = 0..steps.length
 *     Optional: interval_ms (play speed, default 800).
 *
 * The drawing's ids: v<i> a value, op<i> the operation that made it, e<i>_<j> the edge from
 * its j-th parent, o<i> the edge from the operation into it. A step only changes text and
 * colours there, never the layout, so any step of a 500-value graph is drawn at once.
 * Every number shown comes from the engine through `data`; nothing is recomputed here.
 */
(function (global) {
  "use strict";

  var READABLE = 1.0;   // px per pt: the drawing's 12 pt text is then 12 px on screen
  var FOLLOW = 1.15;    // px per pt when following the current edge
  var LEAST = 0.95;     // px per pt: the least scale the view zooms out to, to keep an edge whole
  var MOST = 1.6;       // never blow a small graph up beyond this
  var MARGIN = 24;      // px kept free around what the view follows

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function button(label, title, onClick) {
    var b = el("button", "mg-button", label);
    b.type = "button";
    b.title = title;
    b.addEventListener("click", onClick);
    return b;
  }

  // A long name shortened in the middle, so that both its ends stay readable.
  function shorten(text, most) {
    if (text.length <= most || most < 5) return text;
    var head = Math.ceil((most - 1) / 2), tail = Math.floor((most - 1) / 2);
    return text.slice(0, head) + "…" + text.slice(text.length - tail);
  }

  // ------------------------------------------------------------------ the table

  function buildTable(data, widths, go) {
    var table = el("table", "mg-table");
    var colgroup = el("colgroup");
    widths.forEach(function (w) {
      var col = el("col");
      col.style.width = w;
      colgroup.appendChild(col);
    });
    table.appendChild(colgroup);
    var head = el("thead");
    var headRow = el("tr");
    data.columns.forEach(function (name) {
      var th = el("th", "", name);
      th.title = name;
      headRow.appendChild(th);
    });
    head.appendChild(headRow);
    table.appendChild(head);
    var body = el("tbody");
    var rows = data.steps.map(function (step) {
      var tr = el("tr");
      tr.dataset.step = String(step.number);
      ["first", "summing", "final", "skipped"].forEach(function (mark) {
        if (step[mark]) tr.classList.add("mg-" + mark);
      });
      step.cells.forEach(function (cell) {
        var td = el("td", "", cell);
        td.title = cell;
        tr.appendChild(td);
      });
      tr.addEventListener("click", function () { go(step.number); });
      body.appendChild(tr);
      return tr;
    });
    table.appendChild(body);
    return { table: table, rows: rows };
  }

  // Cells shortened in the middle to what their column holds (the full text on hover),
  // measured in the table's own font.
  var measure = null;
  function fitCells(table, rows) {
    var head = table.tHead.rows[0].cells;
    if (!head.length || !head[0].clientWidth) return;  // not shown yet: fitted on the next resize
    measure = measure || document.createElement("canvas").getContext("2d");
    var cell = rows.length ? rows[0].cells[0] : head[0];
    var style = getComputedStyle(cell);
    measure.font = style.fontWeight + " " + style.fontSize + " " + style.fontFamily;
    var room = Array.prototype.map.call(head, function (th) { return th.clientWidth - 14; });
    rows.forEach(function (tr) {
      Array.prototype.forEach.call(tr.cells, function (td, c) {
        var text = td.title, most = text.length;
        if (measure.measureText(text).width * 1.08 <= room[c]) {  // 8 % for the bold current row
          if (td.textContent !== text) td.textContent = text;
          return;
        }
        var low = 4, high = most;
        while (low < high) {  // the longest middle-shortened text that fits
          var mid = (low + high + 1) >> 1;
          if (measure.measureText(shorten(text, mid)).width * 1.08 <= room[c]) low = mid; else high = mid - 1;
        }
        td.textContent = shorten(text, low);
      });
    });
  }

  function scrollRowIntoView(wrap, row) {
    // Only the table scrolls: scrollIntoView would move the whole page as well.
    wrap.scrollTop = Math.max(0, row.offsetTop - wrap.clientHeight / 2 + row.clientHeight / 2);
  }

  // ------------------------------------------------------------------ the current step in words

  function describe(data, k, box) {
    box.textContent = "";
    if (k === 0) {
      box.appendChild(el("p", "mg-what", data.start));
      return;
    }
    var step = data.steps[k - 1];
    var title = el("p", "mg-what");
    title.appendChild(el("strong", "", "Step " + k + " of " + data.steps.length));
    if (step.summing) title.appendChild(el("span", "mg-badge", "a sum: term " + step.term));
    else if (step.skipped) title.appendChild(el("span", "mg-badge mg-badge-skip", "skipped"));
    else if (step.first) title.appendChild(el("span", "mg-badge mg-badge-first", "first contribution"));
    if (step.diverges) title.appendChild(el("span", "mg-badge mg-badge-wrong", "parts from backward() here"));
    if (step.final) title.appendChild(el("span", "mg-badge mg-badge-final", "final"));
    else if (step.term) title.appendChild(el("span", "mg-badge mg-badge-more", "more to come"));
    box.appendChild(title);
    box.appendChild(el("p", "mg-arithmetic", step.what));
    if (step.sum) {
      var sum = el("p", "mg-sum", step.skipped ? step.sum + "   (0 added: the upstream gradient is 0)" :
        step.sum + (step.final ? "" : "   so far"));
      box.appendChild(sum);
    }
    if (step.path_count > 1 && data.nodes) {
      box.appendChild(el("p", "mg-paths-count",
        "This contribution is the sum over " + step.path_count + " paths from " +
        data.nodes[step.parent] + " to the output that start with this edge" +
        (step.paths.length > 1 ? ":" : ".")));
      if (step.paths.length > 1) {
        var list = el("ul", "mg-paths");
        step.paths.forEach(function (path) {
          list.appendChild(el("li", "", path.route + "   (product " + path.product + ")"));
        });
        box.appendChild(list);
      }
    }
  }

  function summaryBox(summary) {
    var box = el("div", "mg-summary");
    box.appendChild(button("×", "hide this summary", function () { box.hidden = true; }));
    box.lastChild.classList.add("mg-close");
    box.appendChild(el("p", "mg-summary-head", "Done: every gradient, as backward() leaves it in .grad"));
    var shown = summary.grads.slice(0, 12).map(function (g) { return g.name + " = " + g.grad; });
    if (summary.grads.length > 12) shown.push("… " + (summary.grads.length - 12) + " more in the table");
    box.appendChild(el("p", "mg-arithmetic", shown.join(",  ")));
    if (summary.wrt) {
      box.appendChild(el("p", "", "The " + summary.paths.length + " paths from " + summary.wrt +
        " to the output, each the product of its local derivatives:"));
      var list = el("ul", "mg-paths");
      summary.paths.forEach(function (p) { list.appendChild(el("li", "", p.route + "   " + p.product)); });
      box.appendChild(list);
      box.appendChild(el("p", "mg-sum", summary.equation + "   (backward(): " + summary.grad + ")"));
    }
    return box;
  }

  // ------------------------------------------------------------------ the drawing, restyled per frame

  // Widths of Helvetica's characters in em, for centring an edge label's new text.
  function textWidth(text, size) {
    var w = 0;
    for (var i = 0; i < text.length; i++) {
      var c = text[i];
      w += c === "." ? 0.28 : c === "-" ? 0.33 : c === " " ? 0.28 : c === "×" ? 0.58 : 0.556;
    }
    return w * size;
  }

  function Graph(svg, data) {
    var byId = {};
    Array.prototype.forEach.call(svg.querySelectorAll("g[id]"), function (g) { byId[g.id] = g; });
    this.svg = svg;
    this.data = data;
    this.colours = data.colours;
    this.byId = byId;
    this.shown = {};   // element id -> the look it has now, so a frame only touches what changes
    this.nodes = {};   // node id -> {text, border, ink, centre}
    this.labels = {};  // edge id -> {text, original, centre}
    var self = this;
    Object.keys(data.nodes).forEach(function (id) {
      var g = byId[id];
      if (!g) return;  // a hidden leaf
      var texts = g.querySelectorAll("text");
      var polygons = g.querySelectorAll("polygon");
      var border = polygons[polygons.length - 1];
      var left = 0, right = 0;
      Array.prototype.forEach.call(polygons, function (p) {
        var xs = p.getAttribute("points").split(" ").map(function (pt) { return parseFloat(pt); });
        var low = Math.min.apply(null, xs), high = Math.max.apply(null, xs);
        if (high - low < 0.5) left = Math.max(left, low);   // a cell separator (<VR/>)
        right = Math.max(right, high);
      });
      var grad = texts[texts.length - 1];
      self.nodes[id] = {
        text: grad, border: border, ink: texts.length > 1 ? texts[texts.length - 2].getAttribute("fill") : null,
        centre: left ? (left + right) / 2 : null, original: grad.textContent,
        borderColour: border.getAttribute("stroke"),
      };
    });
    // Steps by edge, the first step of each child, and each node's writes in order.
    this.writes = {};
    this.firstOf = {};
    data.steps.forEach(function (step, s) {
      (self.writes[step.parent] = self.writes[step.parent] || []).push(s);
      if (!(step.child in self.firstOf)) self.firstOf[step.child] = s;
    });
  }

  Graph.prototype.set = function (key, look, apply) {
    if (this.shown[key] === look) return;
    this.shown[key] = look;
    apply();
  };

  Graph.prototype.styleEdge = function (id, kind, labelText) {
    var g = this.byId[id];
    if (!g) return;
    var c = this.colours;
    var colour = kind === "current" ? c.highlight : kind === "used" ? c.grad : c.dimmed;
    var self = this;
    this.set(id, kind + "|" + (labelText || ""), function () {
      var path = g.querySelector("path");
      if (path) {
        path.setAttribute("stroke", colour);
        path.setAttribute("stroke-width", kind === "current" ? "3" : kind === "used" ? "1.6" : "1");
        if (kind === "skipped") path.setAttribute("stroke-dasharray", "5,2");
        else path.removeAttribute("stroke-dasharray");
      }
      Array.prototype.forEach.call(g.querySelectorAll("polygon"), function (p) {
        p.setAttribute("fill", colour);
        p.setAttribute("stroke", colour);
      });
      var text = g.querySelector("text");
      if (!text) return;
      var label = self.labels[id];
      if (!label) {
        var size = parseFloat(text.getAttribute("font-size")) || 10;
        label = self.labels[id] = {
          original: text.textContent,
          centre: parseFloat(text.getAttribute("x")) + textWidth(text.textContent, size) / 2,
        };
        text.setAttribute("text-anchor", "middle");
        text.setAttribute("x", label.centre.toFixed(2));
      }
      text.textContent = labelText || label.original;
      text.setAttribute("fill", kind === "current" ? c.highlight : kind === "used" ? c.grad : "#9a9a9a");
      text.setAttribute("font-size", kind === "current" ? "12" : "10");
      text.setAttribute("font-weight", kind === "current" ? "bold" : "normal");
    });
  };

  Graph.prototype.styleNode = function (id, words, kind, marked) {
    var node = this.nodes[id];
    if (!node) return;
    var c = this.colours;
    this.set(id, words + "|" + kind + "|" + marked, function () {
      var text = node.text;
      if (node.centre !== null) {
        text.setAttribute("text-anchor", "middle");
        text.setAttribute("x", node.centre.toFixed(2));
      }
      text.textContent = words;
      var fill = kind === "unknown" ? "#9a9a9a" : kind === "pending" ? c.pending : node.ink;
      if (fill) text.setAttribute("fill", fill); else text.removeAttribute("fill");
      text.setAttribute("font-style", kind === "unknown" ? "italic" : "normal");
      node.border.setAttribute("stroke", marked ? c.highlight : node.borderColour);
      node.border.setAttribute("stroke-width", marked ? "2.5" : "1");
    });
  };

  Graph.prototype.styleOperation = function (i, kind) {
    var c = this.colours;
    var op = this.byId["op" + i];
    if (op) {
      this.set("op" + i, kind, function () {
        var ellipse = op.querySelector("ellipse");
        if (!ellipse) return;
        ellipse.setAttribute("stroke", kind === "current" ? c.highlight : "#8c8c8c");
        ellipse.setAttribute("stroke-width", kind === "current" ? "2.5" : "1");
      });
    }
    this.styleEdge("o" + i, kind, null);
  };

  // The last step at or before frame k that wrote to node `id` (-1: none).
  Graph.prototype.lastWrite = function (id, k) {
    var writes = this.writes[id];
    if (!writes) return -1;
    var low = 0, high = writes.length - 1, found = -1;
    while (low <= high) {
      var mid = (low + high) >> 1;
      if (writes[mid] < k) { found = writes[mid]; low = mid + 1; } else high = mid - 1;
    }
    return found;
  };

  // Frame k. From frame k ± 1 only the two steps around the move and their values change,
  // so only they are restyled; any other move restyles everything (each look is remembered,
  // so what has not changed is not touched).
  Graph.prototype.show = function (k) {
    var data = this.data, self = this, from = this.frame;
    this.frame = k;
    var moved = from !== undefined && Math.abs(k - from) === 1;
    var touched = moved ? [from - 1, k - 1].filter(function (s) { return s >= 0; }) : null;
    var steps = touched ? touched.map(function (s) { return data.steps[s]; }) : data.steps;
    var indices = touched || data.steps.map(function (_, s) { return s; });
    indices.forEach(function (s) { self.showEdge(s, k); });
    var children = {}, values = {};
    steps.forEach(function (step) {
      children[step.child] = true;
      values[step.child] = values[step.parent] = true;
    });
    Object.keys(touched ? children : this.firstOf).forEach(function (child) { self.showOperation(child, k); });
    Object.keys(touched ? values : this.nodes).forEach(function (id) { self.showValue(id, k); });
  };

  Graph.prototype.showEdge = function (s, k) {
    var step = this.data.steps[s];
    var kind = s === k - 1 ? "current" : s < k - 1 ? (step.skipped ? "skipped" : "used") : "waiting";
    this.styleEdge(step.edge_id, kind, kind === "current" ? step.label : null);
  };

  Graph.prototype.showOperation = function (child, k) {
    var current = k > 0 ? this.data.steps[k - 1] : null;
    var kind = current && current.child === child ? "current" : this.firstOf[child] < k ? "used" : "waiting";
    this.styleOperation(child.slice(1), kind);
  };

  Graph.prototype.showValue = function (id, k) {
    if (!this.nodes[id]) return;
    var data = this.data, current = k > 0 ? data.steps[k - 1] : null;
    var marked = !!current && (current.child === id || current.parent === id);
    if (id === data.output) {
      this.styleNode(id, this.nodes[id].original, "final", marked);
      return;
    }
    var s = this.lastWrite(id, k);
    if (s < 0) this.styleNode(id, "grad ?", "unknown", marked);
    else {
      var step = data.steps[s];
      this.styleNode(id, "grad " + step.grad + (step.final ? "" : " so far"), step.final ? "final" : "pending", marked);
    }
  };

  // A box around the elements with these ids (or elements), in the drawing's own units (its
  // viewBox). The layout never changes, so each element's box is measured once: measuring
  // makes the browser lay the page out, which is the dearest part of a step.
  Graph.prototype.box = function (ids) {
    var self = this, box = null;
    if (!this.boxes) {
      this.boxes = new Map();
      var graph = this.svg.querySelector("g.graph");
      var list = graph && graph.transform && graph.transform.baseVal;
      var whole = list && list.numberOfItems ? list.consolidate() : null;
      this.matrix = whole ? whole.matrix : { a: 1, b: 0, c: 0, d: 1, e: 0, f: 0 };
    }
    ids.forEach(function (id) {
      var g = typeof id === "string" ? self.byId[id] : id;
      if (!g || !g.getBBox) return;
      var next = self.boxes.get(g);
      if (next === undefined) {
        var b = g.getBBox(), m = self.matrix;
        if (!b.width && !b.height) return;  // not drawn yet (a hidden container): measured later
        var x0 = m.a * b.x + m.c * b.y + m.e, y0 = m.b * b.x + m.d * b.y + m.f;
        var x1 = m.a * (b.x + b.width) + m.c * (b.y + b.height) + m.e;
        var y1 = m.b * (b.x + b.width) + m.d * (b.y + b.height) + m.f;
        next = { x0: Math.min(x0, x1), y0: Math.min(y0, y1), x1: Math.max(x0, x1), y1: Math.max(y0, y1) };
        self.boxes.set(g, next);
      }
      box = box ? { x0: Math.min(box.x0, next.x0), y0: Math.min(box.y0, next.y0),
                    x1: Math.max(box.x1, next.x1), y1: Math.max(box.y1, next.y1) } : next;
    });
    return box;
  };

  // ------------------------------------------------------------------ the view: follow, zoom, overview

  function Camera(stage, svg, bounds, onMove) {
    this.stage = stage;
    this.svg = svg;
    this.bounds = bounds;  // {w, h}: the whole drawing in its units
    this.onMove = onMove;
    this.factor = 1;       // the learner's zoom, a factor on FOLLOW
    this.whole = false;    // "whole graph" chosen
    this.view = null;      // {cx, cy, s}
    this.frame = null;
  }

  Camera.prototype.size = function () {
    return { w: this.stage.clientWidth, h: this.stage.clientHeight };
  };

  Camera.prototype.fitScale = function () {
    var p = this.size();
    return Math.min(p.w / this.bounds.w, p.h / this.bounds.h);
  };

  Camera.prototype.fits = function () { return this.fitScale() >= READABLE; };

  // Where to look: the whole graph when it can be read whole, else `target` (boxes, most
  // important first) at a readable scale.
  Camera.prototype.aim = function (targets, animate) {
    var p = this.size();
    if (!p.w || !p.h) return;
    var fit = this.fitScale();
    var s, cx = this.bounds.w / 2, cy = this.bounds.h / 2;
    if (this.whole || (this.factor === 1 && fit >= READABLE)) {
      s = this.whole ? fit : Math.min(fit, MOST);
    } else {
      // The first target that can be shown whole at a readable scale (down to LEAST), at the
      // learner's scale where it fits; else the last (the edge's label alone).
      var want = Math.max(FOLLOW * this.factor, Math.min(fit, MOST));
      var chosen = null;
      s = want;
      for (var i = 0; i < targets.length; i++) {
        var t = targets[i];
        if (!t) continue;
        var room = Math.min((p.w - 2 * MARGIN) / Math.max(1, t.x1 - t.x0), (p.h - 2 * MARGIN) / Math.max(1, t.y1 - t.y0));
        chosen = t;
        if (room >= LEAST * this.factor) { s = Math.min(want, room); break; }
        s = want;
      }
      if (chosen) { cx = (chosen.x0 + chosen.x1) / 2; cy = (chosen.y0 + chosen.y1) / 2; }
    }
    this.moveTo({ cx: cx, cy: cy, s: s }, animate);
  };

  Camera.prototype.moveTo = function (target, animate) {
    var self = this;
    if (this.frame) cancelAnimationFrame(this.frame);
    var from = this.view;
    var reduced = global.matchMedia && global.matchMedia("(prefers-reduced-motion: reduce)").matches;
    if (!from || !animate || reduced) {
      this.apply(target);
      return;
    }
    var started = null, duration = 220;
    function tick(now) {
      if (started === null) started = now;
      var t = Math.min(1, (now - started) / duration), e = t * (2 - t);
      self.apply({ cx: from.cx + (target.cx - from.cx) * e, cy: from.cy + (target.cy - from.cy) * e,
                   s: from.s + (target.s - from.s) * e });
      if (t < 1) self.frame = requestAnimationFrame(tick); else self.frame = null;
    }
    this.frame = requestAnimationFrame(tick);
  };

  Camera.prototype.apply = function (view) {
    var p = this.size();
    this.view = view;
    var w = p.w / view.s, h = p.h / view.s;
    this.svg.setAttribute("viewBox", [view.cx - w / 2, view.cy - h / 2, w, h].map(function (n) {
      return n.toFixed(2);
    }).join(" "));
    if (this.onMove) this.onMove(view, w, h);
  };

  Camera.prototype.pan = function (dx, dy) {
    if (!this.view) return;
    this.apply({ cx: this.view.cx - dx / this.view.s, cy: this.view.cy - dy / this.view.s, s: this.view.s });
  };

  // ------------------------------------------------------------------ mount

  function mount(container, data, options) {
    options = options || {};
    if (container._micrograd) container._micrograd.destroy();
    var frames = data.mode === "frames";
    var last = data.steps.length;
    var interval = data.interval_ms || 800;
    var state = { step: 0, timer: null, graph: null, camera: null, unbind: [] };

    container.textContent = "";
    container.classList.add("mg-steps");
    if (!container.hasAttribute("tabindex")) container.tabIndex = 0;

    var bare = !!options.bare;  // a column beside another view (a mistake's pass): no header, no controls
    if (!bare) {
      var header = el("div", "mg-header");
      header.appendChild(el("h1", "mg-title", data.title));
      header.appendChild(el("p", "mg-heading", data.heading));
      container.appendChild(header);
      if (data.notice) container.appendChild(el("p", "mg-notice", data.notice));
    }

    var controls = el("div", "mg-controls");
    var prevButton = button("◀ previous", "previous step (←)", function () { controller.prev(); });
    var playButton = button("▶ play", "play, or pause where it is (space)", function () {
      if (state.timer) controller.pause(); else controller.play();
    });
    var nextButton = button("next ▶", "next step (→)", function () { controller.next(); });
    var slider = el("input", "mg-slider");
    slider.type = "range";
    slider.min = "0";
    slider.max = String(last);
    slider.step = "1";
    slider.value = "0";
    slider.setAttribute("aria-label", "step");
    slider.addEventListener("input", function () { go(Number(slider.value)); });
    var counter = el("span", "mg-counter");
    [prevButton, playButton, nextButton, slider, counter].forEach(function (c) { controls.appendChild(c); });
    var zoomOut = button("−", "smaller", function () { zoom(0.8); });
    var zoomIn = button("+", "larger", function () { zoom(1.25); });
    var whole = button("whole graph", "see the whole graph, or follow the current edge again", function () {
      if (!state.camera) return;
      state.camera.whole = !state.camera.whole;
      whole.textContent = state.camera.whole ? "follow the edge" : "whole graph";
      aim(true);
    });
    if (!frames) {
      var zooms = el("span", "mg-zooms");
      [zoomOut, zoomIn, whole].forEach(function (b) { b.classList.add("mg-zoom"); zooms.appendChild(b); });
      controls.appendChild(zooms);
    }
    var names = frames || bare ? [] : data.mistake_names || [];
    var chooser = el("select", "mg-mistake");
    if (names.length) {
      chooser.setAttribute("aria-label", "run a mistaken backward() beside the right one");
      chooser.title = "run a classic wrong backward pass on this graph, beside the right one, stepping together";
      chooser.appendChild(new Option("beside it: —", ""));
      names.forEach(function (name) { chooser.appendChild(new Option("beside it: " + name.replace(/_/g, " "), name)); });
      chooser.addEventListener("change", function () { showMistake(chooser.value); });
      controls.appendChild(chooser);
    }
    if (!bare) container.appendChild(controls);

    var columns = el("div", "mg-columns");
    var column = el("div", "mg-column");
    columns.appendChild(column);
    container.appendChild(columns);

    var now = el("div", "mg-now");
    now.setAttribute("aria-live", "polite");
    column.appendChild(now);

    var stage = el("div", "mg-stage");
    var canvas = el("div", "mg-canvas");
    stage.appendChild(canvas);
    var minimap = el("div", "mg-minimap");
    var minimapView = el("div", "mg-minimap-view");
    minimap.hidden = true;
    stage.appendChild(minimap);
    var summary = !frames && data.summary ? summaryBox(data.summary) : null;
    if (summary) stage.appendChild(summary);
    column.appendChild(stage);

    var wrap = el("div", "mg-table-wrap");
    var widths = frames ? ["4.5em", "30%", "auto"] : ["3.8em", "19%", "9.5%", "9.5%", "10.5%", "auto", "12%"];
    var built = buildTable(data, widths, function (k) { go(k); });
    wrap.appendChild(built.table);
    column.appendChild(wrap);

    // A mistake's pass in a second column over the same drawing, stepping with this one.
    function showMistake(name) {
      if (state.twin) state.twin.destroy();
      if (state.twinBox) state.twinBox.remove();
      state.twin = state.twinBox = null;
      container.classList.toggle("mg-compare", !!name);
      if (!name) return Promise.resolve(null);
      var box = state.twinBox = el("div", "mg-column mg-twin");
      columns.appendChild(box);
      var known = data.mistakes && data.mistakes[name];
      var found = known ? Promise.resolve(known) : options.mistake ? Promise.resolve(options.mistake(name)) :
        Promise.reject(new Error("this page carries no data for " + name));
      box.appendChild(el("p", "mg-wait", "running " + name + "…"));
      return found.then(function (entry) {
        if (state.twinBox !== box) return null;
        data.mistakes = data.mistakes || {};
        data.mistakes[name] = entry;
        box.textContent = "";
        var head = el("div", "mg-twin-head");
        head.appendChild(el("p", "mg-twin-name", name.replace(/_/g, " ") + ": " + entry.description));
        if (entry.explanation) {
          head.appendChild(el("p", "mg-twin-why", (entry.first_divergence ?
            "Parts from backward() at step " + entry.first_divergence + ": " : "") + entry.explanation));
        }
        box.appendChild(head);
        if (entry.error) {
          box.appendChild(el("p", "mg-notice", entry.error));
          return null;
        }
        var view = el("div", "mg-twin-view");
        box.appendChild(view);
        var twin = mount(view, {
          version: 2, mode: "graph", title: name, heading: entry.description, notice: null,
          columns: data.columns, steps: entry.steps, dot: data.dot, svg: data.svg, nodes: data.nodes,
          output: data.output, colours: data.colours, summary: null, mistake_names: [],
          start: "Before any step: the wrong pass starts where backward() does.",
        }, { bare: true, layout: options.layout, start: Math.min(state.step, entry.steps.length) });
        state.twin = twin;
        container.dataset.mistake = name;
        return twin.ready;
      }, function (error) {
        box.textContent = "";
        box.appendChild(el("p", "mg-notice", error.message));
        return null;
      });
    }

    function zoom(by) {
      if (!state.camera) return;
      state.camera.whole = false;
      whole.textContent = "whole graph";
      state.camera.factor = Math.max(0.25, Math.min(4, state.camera.factor * by));
      aim(true);
    }

    function targets() {
      var g = state.graph, k = state.step;
      if (!g || k === 0) return [g && g.box([data.output])];
      var step = data.steps[k - 1];
      var op = "op" + step.child.slice(1);
      var edge = g.byId[step.edge_id];
      var label = edge && edge.querySelector("text");
      return [
        g.box([step.edge_id, step.child, step.parent, op]),
        g.box([label || step.edge_id, step.parent]),
        g.box([label || step.edge_id, op]),
        g.box([label || step.edge_id]),
      ];
    }

    function aim(animate) {
      if (state.camera) state.camera.aim(targets(), animate);
    }

    function showMinimap(view, w, h) {
      var cam = state.camera;
      minimap.hidden = cam.fits() || cam.whole;
      if (minimap.hidden) return;
      var mw = minimap.clientWidth, mh = minimap.clientHeight;
      var s = Math.min(mw / cam.bounds.w, mh / cam.bounds.h);
      var ox = (mw - cam.bounds.w * s) / 2, oy = (mh - cam.bounds.h * s) / 2;
      minimapView.style.left = (ox + (view.cx - w / 2) * s).toFixed(1) + "px";
      minimapView.style.top = (oy + (view.cy - h / 2) * s).toFixed(1) + "px";
      minimapView.style.width = Math.max(4, w * s).toFixed(1) + "px";
      minimapView.style.height = Math.max(4, h * s).toFixed(1) + "px";
    }

    function buildMinimap(svg, bounds) {
      var copy = svg.cloneNode(true);
      Array.prototype.forEach.call(copy.querySelectorAll("[id]"), function (n) { n.removeAttribute("id"); });
      copy.removeAttribute("id");
      copy.setAttribute("width", "100%");
      copy.setAttribute("height", "100%");
      copy.setAttribute("viewBox", "0 0 " + bounds.w + " " + bounds.h);
      copy.setAttribute("aria-hidden", "true");
      minimap.appendChild(copy);
      minimap.appendChild(minimapView);
      minimap.title = "the whole graph: click to look there";
      minimap.addEventListener("click", function (event) {
        var cam = state.camera, r = minimap.getBoundingClientRect();
        var s = Math.min(r.width / bounds.w, r.height / bounds.h);
        var ox = (r.width - bounds.w * s) / 2, oy = (r.height - bounds.h * s) / 2;
        cam.moveTo({ cx: (event.clientX - r.left - ox) / s, cy: (event.clientY - r.top - oy) / s,
                     s: cam.view ? cam.view.s : FOLLOW }, true);
      });
    }

    function dragToPan() {
      var from = null;
      canvas.addEventListener("pointerdown", function (event) {
        from = { x: event.clientX, y: event.clientY };
        canvas.setPointerCapture(event.pointerId);
        canvas.classList.add("mg-dragging");
      });
      canvas.addEventListener("pointermove", function (event) {
        if (!from || !state.camera) return;
        state.camera.pan(event.clientX - from.x, event.clientY - from.y);
        from = { x: event.clientX, y: event.clientY };
      });
      var stop = function () { from = null; canvas.classList.remove("mg-dragging"); };
      canvas.addEventListener("pointerup", stop);
      canvas.addEventListener("pointercancel", stop);
    }

    function showSvg(text) {
      canvas.innerHTML = text;
      var svg = canvas.querySelector("svg");
      if (!svg) throw new Error("the layout gave no SVG drawing");
      var v = (svg.getAttribute("viewBox") || "").split(/[ ,]+/).map(Number);
      var bounds = v.length === 4 && v[2] > 0 ? { w: v[2], h: v[3] } :
        { w: parseFloat(svg.getAttribute("width")) || 100, h: parseFloat(svg.getAttribute("height")) || 100 };
      svg.setAttribute("width", "100%");
      svg.setAttribute("height", "100%");
      svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
      state.graph = new Graph(svg, data);
      state.camera = new Camera(stage, svg, bounds, showMinimap);
      buildMinimap(svg, bounds);
      dragToPan();
      render(false);
    }

    function showFrame(k) {
      canvas.innerHTML = data.frames[k];
      var svg = canvas.querySelector("svg");
      if (svg) {
        svg.setAttribute("width", "100%");
        svg.setAttribute("height", "100%");
        svg.setAttribute("preserveAspectRatio", "xMidYMid meet");
      }
    }

    function render(animate) {
      var k = state.step;
      if (frames) showFrame(k);
      else if (state.graph) {
        state.graph.show(k);
        aim(animate);
      }
      slider.value = String(k);
      counter.textContent = k === 0 ? "before step 1 of " + last : "step " + k + " of " + last;
      prevButton.disabled = k === 0;
      nextButton.disabled = k === last;
      if (state.row) state.row.classList.remove("mg-current-row");
      state.row = k > 0 ? built.rows[k - 1] : null;
      if (state.row) {
        state.row.classList.add("mg-current-row");
        scrollRowIntoView(wrap, state.row);
      } else wrap.scrollTop = 0;
      describe(data, k, now);
      if (summary) summary.hidden = k !== last;
      container.dataset.step = String(k);
    }

    function go(k, animate) {
      k = Math.max(0, Math.min(last, Math.round(Number(k)) || 0));
      var moved = k !== state.step;
      state.step = k;
      render(animate !== false && moved);
      if (state.twin) state.twin.go(Math.min(k, state.twin.length), animate);
      if (moved && options.onStep) options.onStep(k);
    }

    var controller = {
      go: go,
      next: function () { go(state.step + 1); },
      prev: function () { go(state.step - 1); },
      play: function () {
        if (state.timer) return;
        if (state.step >= last) go(0, false);
        playButton.textContent = "❚❚ pause";
        container.dataset.playing = "true";
        state.timer = setInterval(function () {
          if (state.step < last) go(state.step + 1);
          if (state.step >= last) controller.pause();
        }, interval);
      },
      pause: function () {
        if (state.timer) clearInterval(state.timer);
        state.timer = null;
        playButton.textContent = "▶ play";
        container.dataset.playing = "false";
      },
      mistake: showMistake,
      get length() { return last; },
      destroy: function () {
        controller.pause();
        if (state.twin) state.twin.destroy();
        state.unbind.forEach(function (unbind) { unbind(); });
        state.unbind = [];
        if (container._micrograd === controller) delete container._micrograd;
        container.textContent = "";
      },
      get step() { return state.step; },
      get playing() { return state.timer !== null; },
      get moving() { return !!(state.camera && state.camera.frame); },
    };
    container._micrograd = controller;

    if (!bare) state.unbind.push(bindKeys(controller, container));
    if (options.keys) state.unbind.push(bindKeys(controller, options.keys));
    if (global.ResizeObserver) {
      var observer = new ResizeObserver(function () {
        fitCells(built.table, built.rows);
        aim(false);
      });
      observer.observe(stage);
      state.unbind.push(function () { observer.disconnect(); });
    }

    state.step = Math.max(0, Math.min(last, Number(options.start) || 0));
    var ready;
    if (frames) {
      render(false);
      ready = Promise.resolve(controller);
    } else if (data.svg) {
      showSvg(data.svg);
      ready = Promise.resolve(controller);
    } else if (options.layout) {
      canvas.appendChild(el("p", "mg-wait", "laying the graph out…"));
      render(false);
      ready = Promise.resolve(options.layout(data.dot)).then(function (svg) {
        if (container._micrograd === controller) showSvg(svg);
        return controller;
      });
    } else {
      canvas.appendChild(el("p", "mg-wait", "no drawing: this page was made without a layout (data.svg is null)"));
      render(false);
      ready = Promise.resolve(controller);
    }
    controller.ready = ready;
    fitCells(built.table, built.rows);
    return controller;
  }

  function handleKey(controller, event) {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    var target = event.target;
    var tag = target && target.tagName;
    // The slider moves itself with the arrows; text fields keep their keys.
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) return;
    var actions = {
      ArrowRight: controller.next,
      ArrowLeft: controller.prev,
      Home: function () { controller.go(0); },
      End: function () { controller.go(Infinity); },
    };
    if (event.key === " " && tag !== "BUTTON") {
      if (controller.playing) controller.pause(); else controller.play();
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    if (actions[event.key]) {
      actions[event.key]();
      event.preventDefault();
      event.stopPropagation();  // JupyterLab would move between cells
    }
  }

  function bindKeys(controller, target) {
    var listener = function (event) { handleKey(controller, event); };
    target.addEventListener("keydown", listener);
    return function () { target.removeEventListener("keydown", listener); };
  }

  global.MicrogradSteps = { mount: mount, bindKeys: bindKeys, shorten: shorten, version: 2 };
})(typeof window !== "undefined" ? window : this);
