// The semantic diff off the page's main thread: Kingsbury → Kenilworth searches for seconds, and
// on the main thread the page would not repaint or answer a click meanwhile. app.js starts this
// module worker, posts `{ old: { text, name }, new: { text, name } }` and gets back one of
//   { type: "done", report, ms }              the JSON of `haven diff --format json`, ms of the search
//   { type: "failure", which: "old" | "new" }  that policy does not compile
//   { type: "error", message }                 the engine failed to load or threw
// Cancel is the page terminating this worker.
import init, { compile, diff } from "./pkg/haven.js";

/** @type {Promise<unknown> | null} */
let ready = null;

self.addEventListener("message", async (event) => {
  const { old, new: next } = event.data ?? {};
  try {
    ready ??= init({ module_or_path: new URL("./pkg/haven_bg.wasm", import.meta.url) });
    await ready;
    const a = compile(String(old?.text ?? ""), String(old?.name ?? "old.haven"));
    const b = compile(String(next?.text ?? ""), String(next?.name ?? "new.haven"));
    if (a.type !== "success" || b.type !== "success") {
      if (a.type === "success") a.policy.free();
      if (b.type === "success") b.policy.free();
      self.postMessage({ type: "failure", which: a.type !== "success" ? "old" : "new" });
      return;
    }
    const t0 = performance.now();
    const { report } = diff(a.policy, b.policy);
    const ms = performance.now() - t0;
    a.policy.free();
    b.policy.free();
    self.postMessage({ type: "done", report, ms });
  } catch (e) {
    self.postMessage({ type: "error", message: String(e) });
  }
});
