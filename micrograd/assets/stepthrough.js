/* micrograd step-through: watch backward() add up the paths, one edge at a time.
 *
 * Interface (the standalone page and `micrograd serve` rely on it; keep it stable):
 *
 *   var steps = MicrogradSteps.mount(container, data);
 *
 *     Builds the whole step-through inside the element `container` (controls, drawing,
 *     the current step's arithmetic, the step table) and returns a controller:
 *       steps.go(k)     show frame k (0 = before any step, data.steps.length = the end)
 *       steps.next()    one step forward      steps.prev()   one step back
 *       steps.play()    advance until the end steps.pause()  stop playing
 *       steps.step      the frame shown now (read-only)
 *       steps.playing   whether it is playing (read-only)
 *     The arrow keys work while focus is inside `container` (it is made focusable).
 *     Calling mount again on the same container replaces what was there.
 *
 *   MicrogradSteps.bindKeys(steps, target)
 *     Also handle the arrow keys (and Home, End, space) on `target`, e.g. document.
 *
 *   MicrogradSteps.unpackFrames(packed) -> [svg, ...]
 *     The frames from Python's pack_frames() ({base, patches}), as the standalone page
 *     stores them to stay small: data.frames = MicrogradSteps.unpackFrames(data.packed_frames).
 *
 *   `data` is exactly the JSON of Python's BackwardSteps.page_data():
 *     title    the page's title
 *     heading  one line: "backward() of g: 45 steps, one per edge; 11 sums"
 *     columns  the step table's column names (7)
 *     steps    one row per step, in backward()'s order; steps[k - 1] is step k:
 *              {number, edge, cells (the 7 table cells, as text), child, parent (node ids),
 *               argument, local, upstream, contribution, before, after (numbers),
 *               term (which contribution to the parent: 1, 2, ...; 0 when skipped),
 *               first, summing, final, skipped (booleans), path_count,
 *               paths ([{route, product}], listed only when few), arithmetic (one line)}
 *     frames   frames[k] is the SVG (text) of the graph after k steps, k = 0..steps.length
 *     grads    grads[k] maps node id to the gradient known after k steps (absent: not yet)
 *     nodes    node id ("v3", as in the SVG's <title>) to its name ("a*b")
 *     output   the output's node id
 *     start    the sentence shown for frame 0
 *   Optional: interval_ms (play speed, default 800).
 *
 * Every number shown comes from the engine through `data`; nothing is recomputed here.
 */
(function (global) {
  "use strict";

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

  function buildTable(data, go) {
    var table = el("table", "mg-table");
    var head = el("thead");
    var headRow = el("tr");
    data.columns.forEach(function (name) { headRow.appendChild(el("th", "", name)); });
    head.appendChild(headRow);
    table.appendChild(head);
    var body = el("tbody");
    var rows = data.steps.map(function (step) {
      var tr = el("tr");
      tr.dataset.step = String(step.number);
      ["first", "summing", "final", "skipped"].forEach(function (mark) {
        if (step[mark]) tr.classList.add("mg-" + mark);
      });
      step.cells.forEach(function (cell) { tr.appendChild(el("td", "", cell)); });
      tr.addEventListener("click", function () { go(step.number); });
      body.appendChild(tr);
      return tr;
    });
    table.appendChild(body);
    return { table: table, rows: rows };
  }

  function describeStep(data, k, box) {
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
    if (step.final) title.appendChild(el("span", "mg-badge mg-badge-final", "final"));
    box.appendChild(title);
    box.appendChild(el("p", "mg-arithmetic", step.arithmetic));
    if (step.path_count > 1) {
      box.appendChild(el("p", "mg-paths-count",
        "This contribution is the sum over " + step.path_count + " paths from " +
        data.nodes[step.parent] + " to the output that start with this edge" +
        (step.paths.length ? ":" : ".")));
    }
    if (step.paths.length > 1) {
      var list = el("ul", "mg-paths");
      step.paths.forEach(function (path) {
        list.appendChild(el("li", "", path.route + "   (product " + path.product + ")"));
      });
      box.appendChild(list);
    }
  }

  function scrollRowIntoView(wrap, row) {
    // Only the table scrolls: scrollIntoView would move the whole page as well.
    var top = row.offsetTop - wrap.clientHeight / 2 + row.clientHeight / 2;
    wrap.scrollTop = Math.max(0, top);
  }

  function currentEdge(svg, step) {
    // The drawing names its edges "v<parent>->op<child>" (graphviz puts that in <title>).
    var name = step.parent + "->op" + step.child.slice(1);
    var edges = svg.querySelectorAll("g.edge");
    for (var i = 0; i < edges.length; i++) {
      var title = edges[i].querySelector("title");
      if (title && title.textContent === name) return edges[i];
    }
    return null;
  }

  function zoomTo(drawing, zoom) {
    var svg = drawing.querySelector("svg");
    if (!svg) return;
    if (!svg.dataset.width) {  // graphviz sizes in pt: remember the natural size once
      svg.dataset.width = String(parseFloat(svg.getAttribute("width")));
      svg.dataset.height = String(parseFloat(svg.getAttribute("height")));
    }
    if (zoom === "fit") {
      svg.setAttribute("width", "100%");
      svg.removeAttribute("height");
    } else {
      svg.setAttribute("width", (Number(svg.dataset.width) * zoom).toFixed(1) + "pt");
      svg.setAttribute("height", (Number(svg.dataset.height) * zoom).toFixed(1) + "pt");
    }
  }

  function centreOn(drawing, element) {
    // Scroll the drawing (only the drawing) so that the current edge is in view.
    var pane = drawing.getBoundingClientRect();
    var box = element.getBoundingClientRect();
    drawing.scrollLeft += box.left + box.width / 2 - (pane.left + pane.width / 2);
    drawing.scrollTop += box.top + box.height / 2 - (pane.top + pane.height / 2);
  }

  function mount(container, data) {
    var last = data.steps.length;
    var interval = data.interval_ms || 800;
    var state = { step: 0, timer: null };

    container.textContent = "";
    container.classList.add("mg-steps");
    if (!container.hasAttribute("tabindex")) container.tabIndex = 0;

    var header = el("div", "mg-header");
    header.appendChild(el("h1", "mg-title", data.title));
    header.appendChild(el("p", "mg-heading", data.heading));

    var controls = el("div", "mg-controls");
    var prevButton = button("◀ previous", "previous step (←)", function () { controller.prev(); });
    var playButton = button("▶ play", "play to the end (space)", function () {
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
    var zooms = ["fit", 0.5, 0.75, 1, 1.5];
    state.zoom = 2;
    var zoomOut = button("−", "smaller drawing", function () { setZoom(state.zoom - 1); });
    var zoomIn = button("+", "larger drawing", function () { setZoom(state.zoom + 1); });
    zoomOut.classList.add("mg-zoom");
    zoomIn.classList.add("mg-zoom");
    [prevButton, playButton, nextButton, slider, counter, zoomOut, zoomIn].forEach(function (c) {
      controls.appendChild(c);
    });

    var body = el("div", "mg-body");
    var drawing = el("figure", "mg-drawing");
    var side = el("aside", "mg-side");
    var what = el("div", "mg-current");
    var wrap = el("div", "mg-table-wrap");
    var built = buildTable(data, function (k) { go(k); });
    wrap.appendChild(built.table);
    side.appendChild(what);
    side.appendChild(wrap);
    body.appendChild(drawing);
    body.appendChild(side);

    container.appendChild(header);
    container.appendChild(controls);
    container.appendChild(body);

    function setZoom(z) {
      state.zoom = Math.max(0, Math.min(zooms.length - 1, z));
      zoomOut.disabled = state.zoom === 0;
      zoomIn.disabled = state.zoom === zooms.length - 1;
      render();
    }

    function render() {
      var k = state.step;
      drawing.innerHTML = data.frames[k];
      zoomTo(drawing, zooms[state.zoom]);
      var edge = k > 0 ? currentEdge(drawing, data.steps[k - 1]) : null;
      if (edge) centreOn(drawing, edge);
      slider.value = String(k);
      counter.textContent = k === 0 ? "before step 1 (of " + last + ")" : "step " + k + " of " + last;
      prevButton.disabled = k === 0;
      nextButton.disabled = k === last;
      built.rows.forEach(function (row, i) {
        row.classList.toggle("mg-current-row", i === k - 1);
        row.classList.toggle("mg-done", i < k - 1);
      });
      if (k > 0) scrollRowIntoView(wrap, built.rows[k - 1]);
      else wrap.scrollTop = 0;
      describeStep(data, k, what);
      container.dataset.step = String(k);
    }

    function go(k) {
      k = Math.max(0, Math.min(last, Math.round(Number(k)) || 0));
      state.step = k;
      render();
    }

    var controller = {
      go: go,
      next: function () { go(state.step + 1); },
      prev: function () { go(state.step - 1); },
      play: function () {
        if (state.timer) return;
        if (state.step >= last) go(0);
        playButton.textContent = "❚❚ pause";
        container.dataset.playing = "true";
        state.timer = setInterval(function () {
          if (state.step >= last) controller.pause();
          else go(state.step + 1);
          if (state.step >= last) controller.pause();
        }, interval);
      },
      pause: function () {
        if (state.timer) clearInterval(state.timer);
        state.timer = null;
        playButton.textContent = "▶ play";
        container.dataset.playing = "false";
      },
      get step() { return state.step; },
      get playing() { return state.timer !== null; },
    };

    container.addEventListener("keydown", function (event) { handleKey(controller, event); });
    render();
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
      return;
    }
    if (actions[event.key]) {
      actions[event.key]();
      event.preventDefault();
    }
  }

  function unpackFrames(packed) {
    var pieces = packed.base.slice();
    var frames = [pieces.join("")];
    packed.patches.forEach(function (patch) {
      patch.forEach(function (change) { pieces[change[0]] = change[1]; });
      frames.push(pieces.join(""));
    });
    return frames;
  }

  function bindKeys(controller, target) {
    target.addEventListener("keydown", function (event) { handleKey(controller, event); });
  }

  global.MicrogradSteps = { mount: mount, bindKeys: bindKeys, unpackFrames: unpackFrames, version: 1 };
})(typeof window !== "undefined" ? window : this);
