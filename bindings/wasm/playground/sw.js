// Offline support: network first (so a rebuilt engine or policy is picked up at once),
// falling back to the copy cached on the last successful load.
const CACHE = "haven-playground-v1";
const ASSETS = ["./", "./index.html", "./style.css", "./app.js", "./diff-worker.js", "./pkg/haven.js", "./pkg/haven_bg.wasm", "./policies/index.json"];

// The school policies build.sh copied beside the page (policies/index.json lists them): cached
// at install too, so a policy never opened online still opens offline.
async function schoolPolicyPaths() {
  try {
    const list = await (await fetch("./policies/index.json")).json();
    return Array.isArray(list) ? list.map((p) => `./${p.name}`) : [];
  } catch {
    return [];
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    schoolPolicyPaths()
      .then((policies) => caches.open(CACHE).then((c) => c.addAll([...ASSETS, ...policies])))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  event.respondWith(
    fetch(request)
      .then((response) => {
        if (response.ok) {
          // Kept alive until stored, so a reload straight after finds the copy.
          const copy = response.clone();
          event.waitUntil(caches.open(CACHE).then((c) => c.put(request, copy)));
        }
        return response;
      })
      .catch(() => caches.match(request, { ignoreSearch: true }).then((hit) => hit ?? Response.error())),
  );
});
