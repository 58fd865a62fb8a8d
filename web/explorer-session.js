/* site/explorer.html: the explorer's session in a Web Worker instead of `micrograd serve`.
 * explorer.js (the same script the server serves) calls window.MicrogradSession.call(name, body)
 * where it would POST /api/NAME; worker.js answers with micrograd.web.serve_api, which runs the
 * server's own endpoints over micrograd.serve's Session and views, in Pyodide.
 *
 * Links: explorer.html#dataset=moons&hidden=4,4&activation=tanh&seed=1337 (also samples, loss,
 * optimizer, lr, l2) opens the explorer with those settings. They are checked by the session
 * itself, as the controls' are (a bad one: its one-line message, and the defaults). The "link"
 * button writes the current settings into the address and copies it, with the points
 * (points=x,y,class;x,y,class;... to 3 decimals) when they fit in a link; the session checks
 * a link's points as it checks a loaded file's.
 */
(function () {
  "use strict";
  var worker = new Worker("worker.js", { type: "module" });
  var pending = {}, nextId = 1;
  worker.onmessage = function (event) {
    var m = event.data;
    if (m.ready !== undefined) {
      if (!m.ready) {
        Object.keys(pending).forEach(function (id) { pending[id]({ error: "Python could not start: " + m.error }); });
        pending = {};
      }
      document.body.dataset.python = m.ready ? "ready" : "failed";
      return;
    }
    var resolve = pending[m.id];
    delete pending[m.id];
    if (resolve) resolve(m.error !== undefined ? { error: m.error } : m.result);
  };
  function ask(name, body) {
    return new Promise(function (resolve) {
      var id = nextId++;
      pending[id] = resolve;
      worker.postMessage({ id: id, kind: "api", args: { name: name, body: body } });
    });
  }

  var KEYS = ["dataset", "samples", "hidden", "activation", "loss", "optimizer", "lr", "l2", "seed"];
  var NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,3})?$/;
  var last = null;  // the settings the session answered last
  var lastPoints = null;  // and its points
  var MOST_POINTS_TEXT = 2000;  // characters of points a link carries; more, and the points are left out
  var POINT = /^([+-]?(?:\d+\.?\d*|\.\d+)),([+-]?(?:\d+\.?\d*|\.\d+)),(\d{1,2})$/;

  function readPoints(value) {
    if (value.length > MOST_POINTS_TEXT + 200) return { problem: "the link's points are too long" };
    var points = [];
    var parts = value === "" ? [] : value.split(";");
    for (var i = 0; i < parts.length; i++) {
      var m = POINT.exec(parts[i]);
      if (!m) return { problem: "the link's point " + (i + 1) + " is not x,y,class" };
      points.push([Number(m[1]), Number(m[2]), Number(m[3])]);
    }
    return { points: points };
  }

  function writePoints(points) {
    var round = function (x) { return String(Math.round(x * 1000) / 1000); };
    return points.map(function (p) { return round(p[0]) + "," + round(p[1]) + "," + p[2]; }).join(";");
  }

  // The settings a fragment asks for, as JSON for the session to check; {settings, problem}.
  function linkSettings(hash) {
    var settings = {}, problem = "", points = null;
    if (!hash || hash === "#") return { settings: null, problem: "" };
    new URLSearchParams(hash.replace(/^#/, "")).forEach(function (value, key) {
      if (problem) return;
      if (key === "points") {
        var read = readPoints(value);
        if (read.problem) problem = read.problem; else points = read.points;
        return;
      }
      if (KEYS.indexOf(key) < 0) { problem = "the link's '" + key.slice(0, 20) + "' is not a setting"; return; }
      if (value.length > 100) { problem = "the link's " + key + " is too long"; return; }
      if (key === "hidden") {
        var parts = value === "" ? [] : value.split(",");
        if (!parts.every(function (p) { return /^\d{1,4}$/.test(p); })) { problem = "the link's hidden must be sizes like 4,4"; return; }
        settings.hidden = parts.map(Number);
      } else if (["samples", "seed", "lr", "l2"].indexOf(key) >= 0) {
        if (!NUMBER.test(value)) { problem = "the link's " + key + " must be a number"; return; }
        settings[key] = Number(value);
      } else {
        settings[key] = value;
      }
    });
    return { settings: problem ? null : settings, points: problem ? null : points, problem: problem };
  }

  // Its own line under the header (explorer.js clears #error on the learner's next action).
  function showProblem(text) {
    var box = document.getElementById("link-message");
    if (!box) {
      box = document.createElement("p");
      box.id = "link-message";
      box.setAttribute("role", "alert");
      var error = document.getElementById("error");
      error.parentNode.insertBefore(box, error);
    }
    box.textContent = text;
  }

  // The link's points in place of the generated ones: the session's own save, its points
  // replaced, loaded back (load checks points as it checks a file's).
  function withPoints(shown, points) {
    var doc = shown.doc;
    return ask("save", { session: doc.session }).then(function (saved) {
      if (saved.error !== undefined) return shown;
      var file = Object.assign({}, saved.doc || saved, { points: points });
      return ask("load", { session: doc.session, run: doc.run, since: 0, weight: null, saved: file });
    }).then(function (loaded) {
      if (loaded === shown) return shown;
      if (loaded.error !== undefined) {
        showProblem("the link's points: " + loaded.error + "; showing the generated points");
        return shown;
      }
      lastPoints = loaded.doc.points;
      return { doc: Object.assign({ session: doc.session }, loaded.doc) };
    });
  }

  function call(name, body) {
    return ask(name, body).then(function (answer) {
      if (answer.doc && answer.doc.settings) last = answer.doc.settings;
      if (answer.doc && answer.doc.points) lastPoints = answer.doc.points;
      if (name !== "session" || answer.error !== undefined) return answer;
      // A new session: apply the link's settings, checked by the session like the controls'.
      var read = linkSettings(location.hash);
      if (read.problem) { showProblem(read.problem + "; showing the defaults"); return answer; }
      if (!read.settings) return answer;
      var doc = answer.doc;
      return ask("settings", { session: doc.session, run: doc.run, since: 0, weight: null, settings: read.settings })
        .then(function (changed) {
          if (changed.error !== undefined) {
            showProblem("the link: " + changed.error + "; showing the defaults");
            return answer;
          }
          last = changed.doc.settings;
          var shown = { doc: Object.assign({ session: doc.session }, changed.doc) };
          return read.points ? withPoints(shown, read.points) : shown;
        });
    });
  }

  function writeLink() {
    if (!last) return "";
    var params = new URLSearchParams();
    KEYS.forEach(function (key) {
      if (key in last) params.set(key, key === "hidden" ? last.hidden.join(",") : String(last[key]));
    });
    var points = lastPoints ? writePoints(lastPoints) : "";
    if (points && points.length <= MOST_POINTS_TEXT) params.set("points", points);
    return "#" + params.toString().replace(/%2C/g, ",").replace(/%3B/g, ";");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var save = document.getElementById("save");
    if (!save) return;
    var button = document.createElement("button");
    button.type = "button";
    button.id = "link";
    button.textContent = "link";
    button.title = "copy a link to these settings and points (points left out when too many for a link)";
    button.addEventListener("click", function () {
      history.replaceState(null, "", writeLink());
      button.dataset.href = location.href;
      if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(location.href).catch(function () {});
    });
    save.parentNode.insertBefore(button, save);
  });

  window.MicrogradSession = { call: call };
})();
