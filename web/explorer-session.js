/* site/explorer.html: the explorer's session in a Web Worker instead of `micrograd serve`.
 * explorer.js (the same script the server serves) calls window.MicrogradSession.call(name, body)
 * where it would POST /api/NAME; worker.js answers with micrograd.web.serve_api, which runs the
 * server's own endpoints over micrograd.serve's Session and views, in Pyodide.
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
  window.MicrogradSession = {
    call: function (name, body) {
      return new Promise(function (resolve) {
        var id = nextId++;
        pending[id] = resolve;
        worker.postMessage({ id: id, kind: "api", args: { name: name, body: body } });
      });
    },
  };
})();
