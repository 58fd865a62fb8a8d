/* The site's Web Worker: the real micrograd package on Pyodide, Graphviz (viz-js) beside it.
 *
 * Messages in:  {id, kind, args}   kind: "explain" {expr, inputs, wrt} | "network" {wrt}
 *                                        | "run" {code, name, wrt} | "layout" {dot}
 *                                        | "mistake" {name} (of the last view's step-through)
 *                                        | "api" {name, body}: the explorer's session (micrograd serve's API)
 * Messages out: {ready: true, seconds} once loaded; {id, result} or {id, error} per request
 * (error: one line, the Python exception's own message). Everything is computed by
 * micrograd.web in Python; this file only passes messages and lays DOT out.
 */
import { loadPyodide } from "./pyodide/pyodide.mjs";
import { instance as vizInstance } from "./viz/viz.js";

const started = performance.now();
let python = null;
let viz = null;
let timings = null;
const marks = {};

function render(source, engine, format) {
  return viz.renderString(source, { engine: engine || "dot", format: format || "svg" });
}

async function boot() {
  const mark = (promise, name) => promise.then((x) => { marks[name] = (performance.now() - started) / 1000; return x; });
  const [pyodide, graphviz, wheels] = await Promise.all([
    mark(loadPyodide({ indexURL: new URL("./pyodide/", import.meta.url).href }), "pyodide"),
    mark(vizInstance(), "viz"),
    fetch("./wheels.json").then((r) => r.json()),
  ]);
  const loaded = performance.now();
  viz = graphviz;
  self.mgRender = render;
  for (const name of wheels) {
    const buffer = await (await fetch("./" + name)).arrayBuffer();
    pyodide.unpackArchive(buffer, "wheel");
  }
  pyodide.runPython(`
import json, js
import micrograd.web as web
web.use_layout(lambda source, engine, format: js.mgRender(source, engine, format))

def _call(kind, args):
    args = json.loads(args)
    if kind == "explain":
        view = web.explain(args["expr"], args["inputs"], wrt=args.get("wrt"), layout=False)
    elif kind == "network":
        view = web.network(wrt=args.get("wrt"), layout=False)
    elif kind == "api":
        return json.dumps(web.serve_api(args["name"], args["body"]))
    elif kind == "mistake":
        return json.dumps(web.mistake(args["name"]))
    elif kind == "run":
        view = web.run_code(args["code"], args["name"], wrt=args.get("wrt"), layout=False)
    else:
        raise ValueError(f"unknown request {kind!r}")
    return json.dumps(view)

def _error(exc):
    return f"{type(exc).__name__}: {exc}" if not isinstance(exc, ValueError) else str(exc)
`);
  python = pyodide;
  timings = { load: (loaded - started) / 1000, micrograd: (performance.now() - loaded) / 1000, ...marks };
  return (performance.now() - started) / 1000;
}

const ready = boot();
ready.then(
  (seconds) => self.postMessage({ ready: true, seconds, timings }),
  (error) => self.postMessage({ ready: false, error: String(error && error.message || error) }),
);

function call(kind, args) {
  const call = python.globals.get("_call");
  try {
    const t0 = performance.now();
    const view = JSON.parse(call(kind, JSON.stringify(args)));
    const t1 = performance.now();
    if (kind !== "mistake" && kind !== "api") view.svg = render(view.dot, "dot", "svg");
    if (kind !== "api") view.worker_ms = { python: t1 - t0, graph: performance.now() - t1 };
    return view;
  } finally {
    call.destroy();
  }
}

function oneLine(error) {
  // A Python exception reaches JS as a PythonError whose message is the traceback: keep its last
  // line, without the class for the input errors (ValueError, ExpressionError: the message says
  // what was wrong), with its short name otherwise (NameError: ...).
  const lines = String((error && error.message) || error).trim().split("\n");
  const last = lines[lines.length - 1];
  const m = last.match(/^([\w.]+): (.*)$/);
  if (!m) return last;
  const name = m[1].split(".").pop();
  return name === "ValueError" || name === "ExpressionError" ? m[2] : name + ": " + m[2];
}

self.onmessage = async (event) => {
  const { id, kind, args } = event.data;
  try {
    await ready;
    const result = kind === "layout" ? render(args.dot, "dot", "svg") : call(kind, args);
    self.postMessage({ id, result });
  } catch (error) {
    self.postMessage({ id, error: oneLine(error) });
  }
};
