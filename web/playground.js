/* The playground (site/index.html): the page side. Python runs in worker.js (micrograd.web);
 * this file reads the form and the link, sends requests, and shows what comes back.
 *
 * Links: index.html#expr=EXPR&NAME=VALUE...&wrt=NAME&step=K, or #example=network&wrt=..&step=K.
 * Every value read from a link is checked; a bad one gives a one-line message and the defaults.
 * The Python tab's code never goes into a link.
 */
(function () {
  "use strict";

  var DEFAULT = { expr: "(a*b + a)*a", inputs: "a=2, b=-3", wrt: "a", step: 0 };
  var NAME = /^[A-Za-z_][A-Za-z0-9_]{0,30}$/;
  var NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$/;
  var RESERVED = { expr: 1, wrt: 1, step: 1, example: 1 };
  var MAX_EXPR = 1000, MAX_INPUTS = 50;

  function $(id) { return document.getElementById(id); }

  // ------------------------------------------------------------------ the worker

  var worker = new Worker("worker.js", { type: "module" });
  var pending = {}, nextId = 1;
  var readyResolve, readyReject;
  var ready = new Promise(function (resolve, reject) { readyResolve = resolve; readyReject = reject; });
  worker.onmessage = function (event) {
    var m = event.data;
    if (m.ready !== undefined) {
      if (m.ready) { document.body.dataset.boot = JSON.stringify(m.timings); readyResolve(m.seconds); } else readyReject(new Error(m.error));
      return;
    }
    var p = pending[m.id];
    delete pending[m.id];
    if (!p) return;
    if (m.error !== undefined) p.reject(new Error(m.error)); else p.resolve(m.result);
  };
  function request(kind, args) {
    return new Promise(function (resolve, reject) {
      var id = nextId++;
      pending[id] = { resolve: resolve, reject: reject };
      worker.postMessage({ id: id, kind: kind, args: args });
    });
  }

  // ------------------------------------------------------------------ numbers and inputs

  function fmt(x) {
    if (typeof x !== "number") return String(x);
    if (Number.isInteger(x) && Math.abs(x) < 1e15) return String(x);
    var s = x.toPrecision(6);
    if (s.indexOf("e") < 0 && s.indexOf(".") >= 0) s = s.replace(/0+$/, "").replace(/\.$/, "");
    return s;
  }

  // "a=2, b=-3" -> {a: 2, b: -3}; throws a one-line Error naming what is wrong.
  function readInputs(text) {
    var inputs = Object.create(null), count = 0;
    text.split(/[,;\s]+/).filter(Boolean).forEach(function (part) {
      var eq = part.indexOf("=");
      if (eq < 0) throw new Error("inputs are written name=value, got '" + part + "'");
      var name = part.slice(0, eq).trim(), value = part.slice(eq + 1).trim();
      if (!NAME.test(name) || RESERVED[name] || name.slice(0, 2) === "__") throw new Error("'" + name + "' cannot name an input");
      if (!NUMBER.test(value) || !isFinite(Number(value))) throw new Error("the value of " + name + " must be a number, got '" + value + "'");
      if (++count > MAX_INPUTS) throw new Error("at most " + MAX_INPUTS + " inputs");
      inputs[name] = Number(value);
    });
    return inputs;
  }

  function writeInputs(inputs) {
    return Object.keys(inputs).map(function (k) { return k + "=" + inputs[k]; }).join(", ");
  }

  // ------------------------------------------------------------------ links

  // The state a fragment asks for, checked; {state, problem} with problem a one-line message or "".
  function readLink(hash) {
    var state = { expr: DEFAULT.expr, inputs: DEFAULT.inputs, wrt: null, step: 0, example: "" };
    if (!hash || hash === "#") return { state: null, problem: "" };
    var params;
    try { params = new URLSearchParams(hash.replace(/^#/, "")); } catch (e) { return { state: state, problem: "this link could not be read; showing the defaults" }; }
    var problems = [], inputs = Object.create(null), count = 0;
    params.forEach(function (value, key) {
      if (key === "expr") {
        if (value.length > MAX_EXPR) problems.push("the link's expression is longer than " + MAX_EXPR + " characters");
        else state.expr = value;
      } else if (key === "example") {
        if (value === "network") state.example = value; else problems.push("the link names no example '" + value.slice(0, 20) + "'");
      } else if (key === "wrt") {
        if (NAME.test(value)) state.wrt = value; else problems.push("the link's wrt is not a name");
      } else if (key === "step") {
        if (/^\d{1,5}$/.test(value)) state.step = Number(value); else problems.push("the link's step must be a whole number, got '" + value.slice(0, 20) + "'");
      } else if (NAME.test(key) && key.slice(0, 2) !== "__" && NUMBER.test(value) && isFinite(Number(value)) && ++count <= MAX_INPUTS) {
        inputs[key] = Number(value);
      } else {
        problems.push("the link's '" + key.slice(0, 20) + "=" + value.slice(0, 20) + "' is not an input and its number");
      }
    });
    if (problems.length) {
      return { state: { expr: DEFAULT.expr, inputs: DEFAULT.inputs, wrt: DEFAULT.wrt, step: 0, example: "" },
               problem: problems[0] + "; showing the defaults" };
    }
    if (!state.example) state.inputs = count ? writeInputs(inputs) : "";
    return { state: state, problem: "" };
  }

  function writeLink() {
    var params = new URLSearchParams();
    if (current.kind === "network") {
      params.set("example", "network");
    } else {
      params.set("expr", current.args.expr);
      var inputs = current.args.inputs;
      Object.keys(inputs).forEach(function (k) { params.set(k, String(inputs[k])); });
    }
    if (shown) params.set("wrt", shown.wrt);
    params.set("step", String(steps ? steps.step : 0));
    return "#" + params.toString().replace(/%28/g, "(").replace(/%29/g, ")").replace(/%2C/g, ",");
  }

  // ------------------------------------------------------------------ showing a result

  var shown = null, steps = null, current = { kind: "explain", args: null }, generation = 0;

  function cell(tag, text, className) {
    var node = document.createElement(tag);
    node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  function show(view, step) {
    shown = view;
    $("results").hidden = false;
    $("value-name").textContent = view.output;
    $("value").textContent = fmt(view.value);
    $("value").dataset.value = String(view.value);
    var grads = $("grads").tBodies[0];
    grads.replaceChildren();
    view.inputs.forEach(function (name) {
      var tr = document.createElement("tr");
      tr.dataset.name = name;
      tr.appendChild(cell("th", "∂" + view.output + "/∂" + name));
      var td = cell("td", fmt(view.grads[name]), "pg-grad");
      td.dataset.value = String(view.grads[name]);
      tr.appendChild(td);
      grads.appendChild(tr);
    });
    var wrt = $("wrt");
    wrt.replaceChildren();
    view.inputs.forEach(function (name) {
      var option = cell("option", name);
      option.value = name;
      wrt.appendChild(option);
    });
    wrt.value = view.wrt;
    showPaths(view.paths);
    $("graph").innerHTML = view.svg;  // laid out by Graphviz (viz-js) from micrograd's own DOT
    showCode(view);
    steps = MicrogradSteps.mount($("steps"), view.steps, {
      layout: function (dot) { return request("layout", { dot: dot }); },
      onStep: markLine,
      mistake: function (name) { return request("mistake", { name: name }); },
      start: Math.min(step || 0, view.steps.steps.length),
    });
    return steps.ready.then(function () {
      bindEdges(view);
      markLine(steps.step);
    });
  }

  function showPaths(p) {
    $("paths-heading").textContent = p.heading + ": " + p.count + " path" + (p.count === 1 ? "" : "s");
    var body = $("paths").tBodies[0];
    body.replaceChildren();
    p.rows.forEach(function (row) {
      var tr = document.createElement("tr");
      row.forEach(function (text) { tr.appendChild(cell("td", text)); });
      body.appendChild(tr);
    });
    if (p.hidden) {
      var more = document.createElement("tr");
      more.appendChild(cell("td", "")); more.appendChild(cell("td", "… and " + p.hidden + " more (in the sum)"));
      body.appendChild(more);
    }
    var foot = $("paths").tFoot;
    foot.replaceChildren();
    [["sum of products", p.total, "pg-total"], ["backward()", p.backward, "pg-backward"]].forEach(function (r) {
      var tr = document.createElement("tr");
      tr.appendChild(cell("td", "")); tr.appendChild(cell("td", r[0])); tr.appendChild(cell("td", ""));
      var td = cell("td", fmt(r[1]) + (r[2] === "pg-backward" ? "  (" + p.agreement + ")" : ""), r[2]);
      td.dataset.value = String(r[1]);
      tr.appendChild(td);
      foot.appendChild(tr);
    });
  }

  function showCode(view) {
    var pre = $("code-view");
    pre.replaceChildren();
    if (!view.code) { pre.textContent = "(this graph could not be compiled)"; return; }
    var stepOf = {};
    view.step_lines.forEach(function (line, k) { if (line !== null) stepOf[line] = k + 1; });
    view.code.split("\n").forEach(function (text, n) {
      var line = cell("div", text || " ", "pg-line");
      line.dataset.line = String(n);
      if (stepOf[n]) {
        line.dataset.step = String(stepOf[n]);
        line.classList.add("pg-step-line");
        line.title = "step " + stepOf[n] + ": click to go there";
        line.addEventListener("click", function () { if (steps) steps.go(stepOf[n]); });
      }
      pre.appendChild(line);
    });
  }

  function markLine(k) {
    var pre = $("code-view");
    var old = pre.querySelector(".pg-current");
    if (old) old.classList.remove("pg-current");
    if (!shown || !k) return;
    var n = shown.step_lines[k - 1];
    if (n === null || n === undefined) return;
    var line = pre.querySelector('[data-line="' + n + '"]');
    if (line) {
      line.classList.add("pg-current");
      var top = line.offsetTop - pre.offsetTop;
      if (top < pre.scrollTop || top > pre.scrollTop + pre.clientHeight - line.offsetHeight) {
        pre.scrollTop = top - pre.clientHeight / 2;  // keeps the page itself where it is
      }
    }
  }

  // Clicking an edge of the step-through's drawing goes to its step (the first of that edge's).
  function bindEdges(view) {
    var byEdge = {};
    view.steps.steps.forEach(function (s) { if (!(s.edge_id in byEdge)) byEdge[s.edge_id] = s.number; });
    $("steps").querySelectorAll(".mg-canvas g.edge").forEach(function (g) {
      var id = g.id;
      if (id in byEdge) {
        g.classList.add("pg-clickable");
        g.addEventListener("click", function () { steps.go(byEdge[id]); });
      }
    });
  }

  // ------------------------------------------------------------------ requests

  function say(id, text) { $(id).textContent = text; }

  // The first view (build.py computed it natively): shown at once, while Python still starts.
  var prepared = fetch("prepared.json").then(function (r) { return r.ok ? r.json() : null; })
    .catch(function () { return null; });

  function samePrepared(p, kind, args) {
    return !!p && kind === "explain" && args.expr === p.args.expr && (args.wrt || p.args.wrt) === p.args.wrt &&
      JSON.stringify(args.inputs) === JSON.stringify(p.args.inputs);
  }

  var opened = false;  // only the page's opening view is the prepared one; what the learner types, Python computes
  function answer(kind, args) {
    var first = !opened;
    opened = true;
    return prepared.then(function (p) {
      if (first && samePrepared(p, kind, args)) return p.view;
      if (!pythonReady) say("status", "Python is starting in your browser…");
      return ready.then(function () { return request(kind, args); });
    });
  }

  function compute(kind, args, step, messageId) {
    var mine = ++generation;
    var t0 = performance.now();
    say("status", "computing…");
    return answer(kind, args).then(function (view) {
      if (mine !== generation) return;
      current = { kind: kind, args: args };
      say(messageId, "");
      return show(view, step).then(function () {
        say("status", "ready: " + Math.round(performance.now() - t0) + " ms");
        document.body.dataset.generation = String(mine);
        window.micrograd = { steps: steps, view: view, ms: performance.now() - t0, worker_ms: view.worker_ms };
      });
    }, function (error) {
      if (mine !== generation) return;
      say(messageId, error.message);  // the last good result stays
      say("status", "ready");
      document.body.dataset.generation = String(mine);
    });
  }

  function fromForm(step, wrt) {
    var inputs;
    try { inputs = readInputs($("inputs").value); } catch (error) {
      generation++;
      say("expr-message", error.message);
      document.body.dataset.generation = String(generation);
      return Promise.resolve();
    }
    var expr = $("expr").value;
    if (expr.length > MAX_EXPR) { say("expr-message", "the expression is longer than " + MAX_EXPR + " characters"); return Promise.resolve(); }
    return compute("explain", { expr: expr, inputs: inputs, wrt: wrt || null }, step, "expr-message");
  }

  // The network is built in Python (micrograd.web.network), not typed: the boxes say so.
  function networkForm() {
    $("expr").value = "";
    $("inputs").value = "";
    $("expr").placeholder = "the 2-3-3-2 network's cost C, built in Python as notebook 03 builds it";
  }

  var timer = null;
  // The learner changed something: the address no longer describes the page ("link" writes it).
  function leaveLink() {
    if (location.hash) history.replaceState(null, "", location.pathname + location.search);
  }

  function typed() {
    leaveLink();
    $("example").value = "";
    clearTimeout(timer);
    timer = setTimeout(function () { fromForm(0); }, 150);  // typing has paused
  }
  $("expr").addEventListener("input", typed);
  $("inputs").addEventListener("input", typed);

  $("example").addEventListener("change", function () {
    var name = $("example").value;
    leaveLink();
    var examples = {
      readme: ["(a*b + a)*a", "a=2, b=-3"],
      colah: ["(a+b)*(b+1)", "a=2, b=1"],
      neuron: ["sigmoid(w1*x1 + w2*x2 + b)", "w1=0.5, x1=1, w2=-1.5, x2=2, b=0.25"],
    };
    if (name === "network") {
      networkForm();
      compute("network", {}, 0, "expr-message");
    } else if (examples[name]) {
      $("expr").value = examples[name][0];
      $("inputs").value = examples[name][1];
      fromForm(0);
    }
  });

  $("wrt").addEventListener("change", function () {
    leaveLink();
    var step = steps ? steps.step : 0;
    var args = Object.assign({}, current.args, { wrt: $("wrt").value });
    compute(current.kind, args, step, current.kind === "run" ? "code-message" : "expr-message");
  });

  $("run").addEventListener("click", function () {
    leaveLink();
    compute("run", { code: $("code").value, name: $("code-name").value, wrt: null }, 0, "code-message");
  });

  $("link").addEventListener("click", function () {
    if (current.kind === "run") { say("link-note", "links carry data only: the Python tab's code is not put in a link"); return; }
    var hash = writeLink();
    history.replaceState(null, "", hash);
    var url = location.href;
    var done = function () { say("link-note", "link copied"); };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(url).then(done, function () { say("link-note", "copy this link: " + url); });
    } else {
      say("link-note", "copy this link: " + url);
    }
    $("link").dataset.href = url;
  });

  function tab(python) {
    $("tab-expr").setAttribute("aria-selected", String(!python));
    $("tab-python").setAttribute("aria-selected", String(python));
    $("pane-expr").hidden = python;
    $("pane-python").hidden = !python;
  }
  $("tab-expr").addEventListener("click", function () { tab(false); });
  $("tab-python").addEventListener("click", function () { tab(true); });

  function openLink() {
    var read = readLink(location.hash);
    var state = read.state || { expr: DEFAULT.expr, inputs: DEFAULT.inputs, wrt: null, step: 0, example: "" };
    say("expr-message", read.problem);
    if (state.example === "network") {
      $("example").value = "network";
      networkForm();
      return compute("network", { wrt: state.wrt }, state.step, "expr-message").then(function () {
        if (read.problem) say("expr-message", read.problem);
      });
    }
    $("expr").value = state.expr;
    $("inputs").value = state.inputs;
    return fromForm(state.step, state.wrt).then(function () {
      if (read.problem) say("expr-message", read.problem);
    });
  }

  window.addEventListener("hashchange", function () { openLink(); });
  var pythonReady = false;
  ready.then(function (seconds) {
    pythonReady = true;
    say("status", "Python ready in " + seconds.toFixed(1) + " s");
  }, function (error) {
    say("status", "Python could not start: " + error.message);
  });
  openLink();
})();
