// micrograd explorer: the page's side. It sends what the learner does to the Python engine
// and draws what the engine answers; it computes no number of its own (only where on the
// screen a number goes, and how to write it).
"use strict";

(function () {
  const TOKEN = document.querySelector('meta[name="micrograd-token"]').content;
  const COLOURS = ["#e8743b", "#2f7fc1", "#3a9a4a"];
  const PLOT = 420; // the points' SVG is PLOT x PLOT user units
  const $ = (id) => document.getElementById(id);

  const page = {
    session: null,
    run: null, // which model the curves belong to
    loss: [], // every step's loss and accuracy, as the engine recorded them
    accuracy: [],
    weightTrace: [], // the chosen parameter's value, one entry per answer
    state: null,
    settingsShown: "",
    selected: null, // index of the selected point
    playing: false,
    networkBusy: false,
    networkAgain: false,
    stepper: null, // the step-through's controller, once mounted
  };

  // ------------------------------------------------------------------ talking to the engine

  class EngineError extends Error {}

  // The session answers over HTTP (micrograd serve) or, on the static site (site/explorer.html),
  // from a Web Worker running the same Python: window.MicrogradSession.call(name, body), set by
  // that page before this script, resolves to {doc} or {error} as the server's reply would be.
  async function api(name, extra = {}) {
    const body = { session: page.session, run: page.run, since: page.loss.length, weight: chosenWeight(), ...extra };
    if (window.MicrogradSession) {
      const answer = await window.MicrogradSession.call(name, body);
      if (answer.error !== undefined) throw new EngineError(answer.error);
      return answer.doc;
    }
    const response = await fetch("/api/" + name, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-Micrograd-Token": TOKEN },
      body: JSON.stringify(body),
    });
    const doc = await response.json();
    if (!response.ok) throw new EngineError(doc.error || response.statusText);
    return doc;
  }

  function showError(message) {
    const box = $("error");
    box.textContent = message;
    box.hidden = !message;
  }

  // Runs an action; an engine error is shown and the page redrawn from the engine's state.
  // An error stays until the learner's next action succeeds (playing on does not hide it).
  async function attempt(action, clearsError = true) {
    try {
      await action();
      if (clearsError) showError("");
      return true;
    } catch (error) {
      showError(error instanceof EngineError ? error.message : "the server did not answer: " + error.message);
      if (page.state) showSettings(page.state.settings, true); // back to what the engine holds
      return false;
    }
  }

  async function change(name, extra) {
    return attempt(async () => showState(await api(name, extra)));
  }

  // ------------------------------------------------------------------ the state, drawn

  function showState(doc) {
    if (doc.run !== page.run) {
      page.run = doc.run;
      page.loss = [];
      page.accuracy = [];
      page.weightTrace = [];
      showParameterNames(doc.parameters);
    }
    page.loss.length = doc.since;
    page.accuracy.length = Math.min(page.accuracy.length, doc.since);
    page.loss.push(...doc.loss);
    page.accuracy.push(...doc.accuracy);
    page.state = doc;
    showSettings(doc.settings, false);
    showClasses(doc.classes);
    if (page.selected !== null && page.selected >= doc.points.length) page.selected = null;
    drawRegions(doc.regions);
    drawPoints(doc);
    showNumbers(doc);
    drawCurves();
    showOptimizer(doc.optimizer);
    if ($("network-panel").open) refreshNetwork();
    showStale();
  }

  // While training goes on, the graph panel says which step it shows, with one click to catch up.
  function showStale() {
    const shown = page.graphStep;
    const stale = shown !== undefined && shown !== null && page.selected !== null && page.state && page.state.steps !== shown;
    $("graph-stale").hidden = !stale;
    if (stale) {
      $("graph-stale-text").textContent =
        `The graph and its backward pass show training step ${shown}; training is at step ${page.state.steps}.`;
      $("catch-up").textContent = `Catch up to step ${page.state.steps}`;
    }
  }

  function showSettings(settings, force) {
    const text = JSON.stringify(settings);
    if (!force && text === page.settingsShown) return; // leave what the learner is typing alone
    page.settingsShown = text;
    $("dataset").value = settings.dataset;
    $("samples").value = settings.samples;
    $("lr").value = String(settings.lr);
    $("optimizer").value = settings.optimizer;
    $("loss-fn").value = settings.loss;
    $("activation").value = settings.activation;
    $("hidden").value = settings.hidden.join(",");
    $("l2").value = String(settings.l2);
    $("seed").value = settings.seed;
  }

  function showClasses(count) {
    const box = $("classes");
    if (box.childElementCount === count) return;
    const chosen = currentClass();
    box.replaceChildren();
    for (let k = 0; k < count; k++) {
      const label = document.createElement("label");
      label.className = "class-choice";
      label.innerHTML = `<input type="radio" name="class" id="class-${k}" value="${k}"><span class="swatch" style="background:${COLOURS[k]}"></span> class ${k}`;
      box.append(label);
    }
    $("class-" + Math.min(chosen, count - 1)).checked = true;
  }

  function currentClass() {
    const checked = document.querySelector('input[name="class"]:checked');
    return checked ? Number(checked.value) : 0;
  }

  function showNumbers(doc) {
    const last = page.loss.length - 1;
    $("steps-done").textContent = doc.steps;
    const loss = $("loss");
    const accuracy = $("accuracy");
    if (last >= 0) {
      loss.textContent = page.loss[last].toFixed(4);
      loss.dataset.value = String(page.loss[last]);
      const acc = page.accuracy[last];
      accuracy.textContent = acc === undefined ? "–" : (100 * acc).toFixed(0) + "%";
      accuracy.dataset.value = acc === undefined ? "" : String(acc);
    } else {
      loss.textContent = accuracy.textContent = "–";
      loss.dataset.value = accuracy.dataset.value = "";
    }
    $("n-points").textContent = doc.points.length;
    if (document.activeElement !== $("samples")) $("samples").value = doc.points.length; // follows clicks too
  }

  // The decision regions: one pixel per lattice point, scaled up smoothly by the browser.
  function drawRegions(regions) {
    const canvas = $("regions");
    canvas.width = canvas.height = regions.size;
    const context = canvas.getContext("2d");
    const image = context.createImageData(regions.size, regions.size);
    regions.classes.forEach((k, i) => {
      const rgb = hexToRgb(COLOURS[k]);
      const strength = 0.12 + 0.4 * regions.confidence[i];
      for (let c = 0; c < 3; c++) image.data[4 * i + c] = Math.round(255 + (rgb[c] - 255) * strength);
      image.data[4 * i + 3] = 255;
    });
    context.putImageData(image, 0, 0);
  }

  function hexToRgb(hex) {
    return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  }

  function toScreen(view, x, y) {
    const [x0, x1, y0, y1] = view;
    return [((x - x0) / (x1 - x0)) * PLOT, ((y1 - y) / (y1 - y0)) * PLOT];
  }

  function toData(view, px, py) {
    const [x0, x1, y0, y1] = view;
    return [x0 + (px / PLOT) * (x1 - x0), y1 - (py / PLOT) * (y1 - y0)];
  }

  function drawPoints(doc) {
    const svg = $("points");
    const parts = [];
    doc.points.forEach(([x, y, k], i) => {
      const [px, py] = toScreen(doc.view, x, y);
      const selected = i === page.selected;
      parts.push(
        `<circle class="point${selected ? " selected" : ""}" data-index="${i}" cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" ` +
          `r="${selected ? 7 : 4.5}" fill="${COLOURS[k]}"><title>point ${i}: (${x.toFixed(3)}, ${y.toFixed(3)}), class ${k}</title></circle>`,
      );
    });
    svg.innerHTML = parts.join("");
  }

  // Loss (left axis, from 0 to its largest value) and accuracy (right axis, 0-100 %) per step;
  // long runs are thinned to at most 600 drawn points; the first steps are drawn as dots too.
  function drawCurves() {
    const svg = $("curves");
    const n = page.loss.length;
    const W = 420, H = 150, left = 40, right = 38, top = 8;
    if (!n) {
      svg.innerHTML = `<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="axis">press Step or Play</text>`;
      return;
    }
    const topLoss = page.loss.reduce((a, b) => Math.max(a, b), 0) || 1; // no spread: runs get long
    const stride = Math.max(1, Math.ceil(n / 600));
    const xAt = (i) => left + (n === 1 ? (W - left - right) / 2 : (i / (n - 1)) * (W - left - right));
    const yAt = (value, high) => top + (1 - value / high) * (H - top);
    const shown = (values) => {
      const at = [];
      for (let i = 0; i < values.length; i += stride) at.push(i);
      if (at[at.length - 1] !== values.length - 1) at.push(values.length - 1);
      return at;
    };
    const line = (values, high, kind) => {
      const at = shown(values);
      const pts = at.map((i) => `${xAt(i).toFixed(1)},${yAt(values[i], high).toFixed(1)}`).join(" ");
      const dots = at.length <= 20
        ? at.map((i) => `<circle class="${kind}-dot" cx="${xAt(i).toFixed(1)}" cy="${yAt(values[i], high).toFixed(1)}" r="2.5"/>`).join("")
        : "";
      return `<polyline class="${kind}-line" points="${pts}"/>${dots}`;
    };
    const parts = [
      `<line class="axis-line" x1="${left}" y1="${H}" x2="${W - right}" y2="${H}"/>`,
      `<line class="axis-line" x1="${left}" y1="${top}" x2="${left}" y2="${H}"/>`,
      `<line class="axis-line" x1="${W - right}" y1="${top}" x2="${W - right}" y2="${H}"/>`,
      `<text class="axis loss-axis" x="${left - 4}" y="${top + 8}" text-anchor="end">${topLoss.toPrecision(3)}</text>`,
      `<text class="axis loss-axis" x="${left - 4}" y="${H}" text-anchor="end">0</text>`,
      `<text class="axis acc-axis" x="${W - right + 4}" y="${top + 8}">100%</text>`,
      `<text class="axis acc-axis" x="${W - right + 4}" y="${H}">0%</text>`,
      `<text class="axis" x="${W - right}" y="${H + 14}" text-anchor="end">step ${n}</text>`,
      line(page.loss, topLoss, "loss"),
    ];
    if (page.accuracy.length) parts.push(line(page.accuracy, 1, "acc"));
    svg.innerHTML = parts.join("");
  }

  // ------------------------------------------------------------------ the optimiser's state

  function chosenWeight() {
    const select = $("weight");
    return select && select.value !== "" ? Number(select.value) : null;
  }

  function showParameterNames(names) {
    if (!names) return;
    const select = $("weight");
    const keep = select.value;
    select.replaceChildren(...names.map((name, i) => new Option(name, String(i))));
    select.value = keep !== "" && Number(keep) < names.length ? keep : "0";
  }

  const OPTIMIZER_ROWS = [
    ["value", "value"],
    ["grad", "∂C/∂p in the last step (whole batch, with L2)"],
    ["update", "change made by the last step"],
    ["lr", "learning rate"],
    ["buffer", "momentum buffer"],
    ["momentum", "momentum"],
    ["m", "first moment m"],
    ["v", "second moment v"],
    ["m_hat", "m̂ = m / (1 − β₁ᵗ)"],
    ["v_hat", "v̂ = v / (1 − β₂ᵗ)"],
    ["t", "steps t"],
  ];

  function showOptimizer(state) {
    const body = $("opt-table").tBodies[0];
    if (!state) {
      body.innerHTML = "";
      return;
    }
    if (page.weightTrace.index !== state.index) {
      page.weightTrace = [];
      page.weightTrace.index = state.index;
    }
    const last = page.weightTrace[page.weightTrace.length - 1];
    if (!last || last.steps !== page.state.steps) page.weightTrace.push({ steps: page.state.steps, value: state.value });
    if (page.weightTrace.length > 2000) page.weightTrace.splice(0, page.weightTrace.length - 2000); // the recent past
    body.innerHTML = OPTIMIZER_ROWS.filter(([key]) => key in state)
      .map(([key, name]) => {
        const x = state[key];
        const shown = x === null ? "–" : Number.isInteger(x) && key === "t" ? String(x) : formatNumber(x);
        return `<tr><th scope="row">${name}</th><td data-key="${key}" data-value="${x}">${shown}</td></tr>`;
      })
      .join("");
    drawWeightCurve();
  }

  function formatNumber(x) {
    return Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(6) : x.toExponential(4);
  }

  function drawWeightCurve() {
    const trace = page.weightTrace;
    const svg = $("weight-curve");
    if (trace.length < 2) {
      svg.innerHTML = `<text class="axis" x="210" y="45" text-anchor="middle">the value, as it trains</text>`;
      return;
    }
    const values = trace.map((e) => e.value);
    const low = values.reduce((a, b) => Math.min(a, b)), high = values.reduce((a, b) => Math.max(a, b));
    const span = high - low || 1;
    const pts = trace.map((e, i) => `${(40 + (i / (trace.length - 1)) * 372).toFixed(1)},${(6 + (1 - (e.value - low) / span) * 64).toFixed(1)}`);
    svg.innerHTML =
      `<text class="axis" x="36" y="12" text-anchor="end">${high.toPrecision(3)}</text>` +
      `<text class="axis" x="36" y="72" text-anchor="end">${low.toPrecision(3)}</text>` +
      `<polyline class="weight-line" points="${pts.join(" ")}"/>`;
  }

  // ------------------------------------------------------------------ the drawings

  async function refreshNetwork() {
    if (!page.state) return; // not started yet
    if (page.networkBusy) {
      page.networkAgain = true; // draw once more when this one is done
      return;
    }
    page.networkBusy = true;
    try {
      const doc = await api("network", { point: page.selected });
      $("network").innerHTML = doc.svg;
      $("network-caption").textContent =
        doc.point === null
          ? `at step ${doc.at_step}: weights and biases (select a point to see its forward and backward pass)`
          : `at step ${doc.at_step}, for point ${doc.point}: C = its loss = ${doc.loss.toFixed(4)}`;
    } catch (error) {
      $("network-caption").textContent = error.message;
    } finally {
      page.networkBusy = false;
      if (page.networkAgain) {
        page.networkAgain = false;
        if ($("network-panel").open) refreshNetwork();
      }
    }
  }

  // The graph of the selected point, and (unless only the drawing changes) its step-through.
  async function refreshGraph(withSteps = true) {
    if (page.selected === null) return;
    const point = page.selected;
    const stepping = withSteps ? refreshSteps(point) : null; // both requests at once
    await attempt(async () => {
      const doc = await api("graph", { point, parameters: $("show-params").checked });
      $("graph").innerHTML = doc.svg;
      $("graph-hint").hidden = true;
      $("graph-caption").textContent = `of point ${doc.point} at step ${doc.at_step}: C = ${doc.loss.toFixed(4)}`;
      page.graphStep = doc.at_step;
      showStale();
    });
    await stepping;
  }

  // The backward pass step by step, shown by the step-through page's own script.
  async function refreshSteps(point) {
    const box = $("steps");
    const note = $("steps-note");
    const view = $("steps-view").value;
    if (page.stepper) page.stepper.destroy(); // its timer and key listener go with it
    page.stepper = null;
    note.textContent = view === "neurons" ? "drawing the network once per neuron…" : "laying the graph out once…";
    try {
      const doc = await api("steps", { point, view });
      if (point !== page.selected) return; // the learner has moved on
      note.textContent = `point ${doc.point} at training step ${doc.at_step}: previous / next / play, the arrow keys, or click a row`;
      page.stepper = window.MicrogradSteps.mount(box, doc.page, {
        mistake: async (name) => (await api("steps", { point, mistake: name })).mistake,
      });
    } catch (error) {
      box.replaceChildren();
      note.textContent = error.message;
    }
  }

  // ------------------------------------------------------------------ training

  async function stepOnce() {
    const ok = await change("step", { steps: 1 });
    if (ok && $("graph-panel").open && page.selected !== null) refreshGraph();
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // Plays at the chosen rate: when an answer takes longer than one step's share of a second,
  // the next request asks for as many steps as are due, so the rate holds.
  async function playLoop() {
    let steps = 1;
    while (page.playing) {
      const started = performance.now();
      const rate = Number($("rate").value);
      const ok = await attempt(async () => showState(await api("step", { steps })), false);
      if (!ok) {
        setPlaying(false);
        break;
      }
      const spent = performance.now() - started;
      await sleep(Math.max(0, (steps * 1000) / rate - spent));
      const cycle = performance.now() - started;
      steps = Math.max(1, Math.min(100, Math.round((rate * Math.max(cycle, spent)) / 1000)));
    }
  }

  function setPlaying(on) {
    page.playing = on;
    $("play").textContent = on ? "Pause" : "Play";
    $("play").setAttribute("aria-pressed", String(on));
    document.body.classList.toggle("playing", on);
    if (on) playLoop();
  }

  // ------------------------------------------------------------------ the plot's clicks

  function onPlotClick(event) {
    const doc = page.state;
    if (!doc) return;
    const target = event.target.closest("circle.point");
    const removing = $("mode-remove").checked || event.shiftKey || event.altKey;
    if (target) {
      const index = Number(target.dataset.index);
      if (removing) removePoint(index);
      else selectPoint(index);
      return;
    }
    if (removing) return;
    const svg = $("points");
    const box = svg.getBoundingClientRect();
    const px = ((event.clientX - box.left) / box.width) * PLOT;
    const py = ((event.clientY - box.top) / box.height) * PLOT;
    const [x, y] = toData(doc.view, px, py);
    change("add", { x, y, label: currentClass() });
  }

  function selectPoint(index) {
    page.selected = index;
    drawPoints(page.state);
    $("graph-panel").open = true;
    refreshGraph();
    if ($("network-panel").open) refreshNetwork();
  }

  async function removePoint(index) {
    const ok = await change("remove", { index });
    if (!ok) return;
    if (page.selected === index) page.selected = null;
    else if (page.selected !== null && page.selected > index) page.selected -= 1;
    drawPoints(page.state);
  }

  // ------------------------------------------------------------------ controls

  function numberOrText(text) {
    const x = Number(text.trim());
    return text.trim() !== "" && Number.isFinite(x) ? x : text; // the engine names what was wrong
  }

  function changeSetting(key, value) {
    return change("settings", { settings: { [key]: value } });
  }

  // A new optimiser comes with its own usual learning rate unless the learner typed one
  // since the last change: either way the page says which rate is in use now.
  async function changeOptimizer() {
    const typed = page.typedLr;
    const before = page.state ? page.state.settings.lr : null;
    const chosen = $("optimizer").value;
    const ok = await change("settings", { settings: typed === undefined ? { optimizer: chosen } : { optimizer: chosen, lr: typed } });
    const now = page.state ? page.state.settings.lr : null;
    const note = $("lr-note");
    if (!ok || now === null) return;
    note.hidden = false;
    note.textContent =
      typed !== undefined
        ? `learning rate kept at ${now}, the one you typed`
        : now !== before
          ? `learning rate set to ${now}, ${chosen}'s usual rate (was ${before}); type another to change it`
          : `learning rate still ${now}`;
  }

  function saveSession() {
    attempt(async () => {
      const doc = await api("save");
      const blob = new Blob([JSON.stringify(doc, null, 1)], { type: "application/json" });
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = "micrograd-session.json";
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    });
  }

  async function loadSession(file) {
    let saved;
    try {
      saved = JSON.parse(await file.text());
    } catch (error) {
      showError(`${file.name} is not a saved session (not JSON)`);
      return;
    }
    page.selected = null;
    await change("load", { saved });
  }

  function wireControls() {
    $("points").addEventListener("click", onPlotClick);
    $("step").addEventListener("click", stepOnce);
    $("play").addEventListener("click", () => setPlaying(!page.playing));
    $("rate").addEventListener("input", () => ($("rate-shown").textContent = $("rate").value));
    $("reinit").addEventListener("click", () => change("reinit"));
    $("reset-data").addEventListener("click", () => {
      page.selected = null;
      change("reset");
    });
    $("clear-data").addEventListener("click", () => {
      page.selected = null;
      change("clear");
    });
    for (const id of ["dataset", "activation"]) $(id).addEventListener("change", () => changeSetting(id, $(id).value));
    $("optimizer").addEventListener("change", changeOptimizer);
    $("loss-fn").addEventListener("change", () => changeSetting("loss", $("loss-fn").value));
    for (const id of ["l2", "samples", "seed"]) $(id).addEventListener("change", () => changeSetting(id, numberOrText($(id).value)));
    $("lr").addEventListener("change", async () => {
      const value = numberOrText($("lr").value);
      if (await changeSetting("lr", value)) page.typedLr = page.state.settings.lr;
      $("lr-note").hidden = true;
    });
    $("hidden").addEventListener("change", () => changeSetting("hidden", $("hidden").value));
    $("weight").addEventListener("change", () => {
      page.weightTrace = [];
      change("state");
    });
    $("network-panel").addEventListener("toggle", () => $("network-panel").open && refreshNetwork());
    $("show-params").addEventListener("change", () => refreshGraph(false));
    $("redraw-graph").addEventListener("click", () => refreshGraph());
    $("catch-up").addEventListener("click", () => refreshGraph());
    $("steps-view").addEventListener("change", () => {
      if (page.selected !== null) refreshSteps(page.selected);
    });
    $("save").addEventListener("click", saveSession);
    $("load").addEventListener("change", (event) => {
      const file = event.target.files[0];
      event.target.value = "";
      if (file) loadSession(file);
    });
  }

  // Each tab has its own session (sessionStorage is per tab), kept across reloads.
  async function start() {
    wireControls();
    page.session = sessionStorage.getItem("micrograd-session");
    if (page.session) {
      try {
        showState(await api("state"));
        return;
      } catch (error) {
        page.session = null; // the server restarted: start a new session
      }
    }
    await attempt(async () => {
      const doc = await api("session");
      page.session = doc.session;
      sessionStorage.setItem("micrograd-session", doc.session);
      showState(doc);
    });
  }

  window.micrograd = { page }; // for the curious (and the tests): what the page holds
  start();
})();
