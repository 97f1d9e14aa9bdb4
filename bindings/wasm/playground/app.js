// haven playground: a static page over the `--target web` package in ./pkg/.
// No server logic. The modules a policy builds on (std/vocabulary, baseline, shared/) are
// bundled into the wasm module; the school policies are static files next to this page
// (policies/index.json and policies/<id>/policy.haven, copied there by build.sh), fetched
// from the same origin when picked.
import init, { bundledPolicies, compile, diff, version } from "./pkg/haven.js";

// ------------------------------------------------------------------ vocabulary for the form
// The starting vocabulary of DESIGN §4; anything else goes in the JSON box (the form adds
// unknown values it finds there to its lists).
const VOCAB = {
  category: [
    "sharing_nudes", "sextortion", "grooming", "online_contact_unknown_adult", "csam",
    "cyberbullying", "child_on_child_abuse", "upskirting", "radicalisation", "self_harm_risk",
    "disturbing_communication", "extreme_pornography", "criminally_racist_material",
    "terrorist_material", "accidental_access_inappropriate", "accidental_access_not_reported",
    "deliberate_access_inappropriate", "age_inappropriate_content", "filter_bypass",
    "account_misuse", "hacking_or_virus", "data_protection_breach", "unauthorised_download",
    "copyright_breach", "offensive_message", "inappropriate_personal_use",
    "inappropriate_chat_use", "inappropriate_files_from_home", "impersonation_account",
    "negative_social_media_post", "video_conference_misconduct", "unauthorised_device_use",
    "unauthorised_images", "exam_device_possession", "online_gambling", "private_business",
    "staff_personal_comms_with_pupils", "staff_misuse_concern", "allegation_against_staff",
    "disrepute", "professional_standing",
  ],
  activity: [
    "use", "bring", "photograph", "record", "personal_call", "contact_pupil", "contact_parent",
    "access_school_data", "connect_school_wifi", "befriend_online", "publish_images",
    "install_software", "call_emergency_services",
  ],
  role: [
    "pupil", "parent_carer", "teacher", "teaching_assistant", "support_staff", "office_staff",
    "network_manager", "computing_lead", "online_safety_coordinator", "dsl", "deputy_dsl", "slt",
    "headteacher", "deputy_headteacher", "head_of_year", "lead_teacher", "line_manager",
    "practitioner", "supply_staff", "peripatetic_staff", "student_teacher", "governor",
    "safeguarding_governor", "chair_of_governors", "volunteer", "parent_helper", "contractor",
    "visitor", "unknown_adult",
  ],
  location: [
    "classroom", "playground", "corridor", "toilets", "changing_room", "cloakroom", "office",
    "staff_area", "designated_area", "parents_room", "exam_room", "nursery_room", "locker", "safe",
    "off_site_trip", "off_site_event", "off_site", "home", "online", "video_call",
  ],
  time: [
    "lesson", "break", "lunch", "registration", "before_school", "after_school",
    "outside_school_hours", "ppa", "meeting", "exam", "session",
  ],
  device: [
    "phone", "tablet", "laptop", "desktop", "camera", "smartwatch", "gaming_device",
    "removable_media",
  ],
  owner: ["personal", "school"],
};

// [fact, label, type]; type "bool" (unknown / yes / no), "int" or "role".
const FACTS = [
  ["adult_involved", "An adult is involved", "bool"],
  ["sexual_acts", "Imagery shows sexual acts", "bool"],
  ["coerced_blackmailed_or_groomed", "Coerced, blackmailed or groomed", "bool"],
  ["immediate_risk_of_harm", "Immediate risk of harm", "bool"],
  ["significant_harm_risk", "Could lead to significant harm", "bool"],
  ["deliberate", "Deliberate", "bool"],
  ["emergency", "Emergency", "bool"],
  ["consent_given", "Consent given", "bool"],
  ["prior_incidents", "Prior incidents", "int"],
  ["approved_by", "Approved by", "role"],
];

const PRESETS = {
  phone: {
    activity: "use",
    actor: { role: "pupil", year_group: 6 },
    device: { kind: "phone", owner: "personal" },
    location: "classroom",
    time: "lesson",
  },
  nudes: { category: "sharing_nudes", actor: { role: "pupil" }, subject: { role: "pupil" } },
  head: { category: "staff_misuse_concern", actor: { role: "headteacher" }, reporter: { role: "teacher" } },
  clear: {},
};

const STARTER = `// Your own policy. It can use the shared vocabulary and extend the national baseline.
policy my_school "My School — Online Safety Policy" {
  version "0.1"
  adopted 2025-09
  review_by 2026-09
  extends baseline
  use std/vocabulary
}

person "A. Lead" holds dsl, online_safety_coordinator

rule report_everything {
  cites "§1 Reporting": "All online-safety incidents are reported to the DSL on the same day."
  when category is any
  must notify dsl due same_day
  must log_incident
}

rule pupil_phones {
  cites "§2 Phones": "Pupils do not use personal phones in lessons; phones are handed in to the office."
  when activity is use and actor is pupil and device is phone and device.owner is personal and time is lesson
  permission not_allowed
  must store_device office
}
`;

const MODALITIES = [
  ["must", "Must"],
  ["must_not", "Must not"],
  ["should", "Should"],
  ["should_not", "Should not"],
  ["may", "May"],
];

const ACRONYMS = {
  dsl: "DSL", slt: "SLT", lado: "LADO", iwf: "IWF", ceop: "CEOP", aup: "AUP", la: "LA",
  hr: "HR", sen: "SEN", ppa: "PPA", wifi: "Wi-Fi", ai: "AI",
};

const CUSTOM = "__custom";
const STORE = { policy: "haven.playground.policy", draft: "haven.playground.draft", incident: "haven.playground.incident" };

// ------------------------------------------------------------------ helpers
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
const esc = (s) =>
  String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
const human = (token) =>
  String(token)
    .split("_")
    .map((w) => ACRONYMS[w] ?? w)
    .join(" ");
/** Humanise the tokens in a phrase such as `must refer police due immediately by dsl`. */
const humanWords = (phrase) =>
  String(phrase)
    .split(" ")
    .map((w) => (w.includes("_") || w in ACRONYMS ? human(w) : w))
    .join(" ");
const capitalise = (s) => s.charAt(0).toUpperCase() + s.slice(1);
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

function debounce(fn, ms) {
  let timer = 0;
  const run = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  run.now = (...args) => {
    clearTimeout(timer);
    fn(...args);
  };
  return run;
}

function store(key, value) {
  try {
    localStorage.setItem(key, value);
  } catch {
    /* private mode: fine */
  }
}
function load(key) {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------ state
let policies = [];
/** @type {import("./pkg/haven.js").Policy | null} */
let compiled = null;
let fileName = "policy.haven";
let incident = {};

const els = {
  select: $("policy-select"),
  text: /** @type {HTMLTextAreaElement} */ ($("policy-text")),
  gutter: $("gutter"),
  backdrop: $("backdrop"),
  status: $("policy-status"),
  hint: $("policy-hint"),
  diagnostics: $("diagnostics"),
  form: /** @type {HTMLFormElement} */ ($("incident-form")),
  json: /** @type {HTMLTextAreaElement} */ ($("incident-json")),
  jsonStatus: $("incident-json-status"),
  decision: $("decision"),
  decisionJson: $("decision-json"),
};

// ------------------------------------------------------------------ policy editor
function selectedPolicy() {
  return policies.find((p) => p.id === els.select.value) ?? null;
}

function fillPolicySelect() {
  const schools = policies.filter((p) => p.id !== "baseline" && p.id !== "example");
  const others = policies.filter((p) => p.id === "baseline" || p.id === "example");
  const option = (p) => `<option value="${esc(p.id)}">${esc(p.title ?? p.id)}</option>`;
  els.select.innerHTML =
    `<optgroup label="School policies">${schools.map(option).join("")}</optgroup>` +
    `<optgroup label="Reference">${others.map(option).join("")}</optgroup>` +
    `<optgroup label="Draft"><option value="${CUSTOM}">Your own policy (paste or write)…</option></optgroup>`;
  els.select.disabled = false;
}

/** The text of a policy: bundled ones have it; a school policy is fetched once. */
async function policyText(p) {
  if (typeof p.text === "string") return p.text;
  const response = await fetch(p.name);
  if (!response.ok) throw new Error(`${p.name}: HTTP ${response.status}`);
  p.text = await response.text();
  return p.text;
}

/** The school policies build.sh copied next to the page; none when the index is missing. */
async function schoolPolicies() {
  try {
    const response = await fetch("policies/index.json");
    if (!response.ok) return [];
    const list = await response.json();
    return Array.isArray(list) ? list.map((p) => ({ id: p.id, title: p.title ?? null, name: p.name, text: undefined })) : [];
  } catch {
    return [];
  }
}

async function choosePolicy(id) {
  els.select.value = id;
  if (els.select.value !== id) els.select.selectedIndex = 0;
  const p = selectedPolicy();
  if (p) {
    fileName = p.name;
    let text;
    try {
      text = await policyText(p);
    } catch (e) {
      els.hint.textContent = `Could not fetch ${p.name} (${e}). Serve the playground folder that build.sh filled.`;
      return;
    }
    if (els.select.value !== id) return; // another policy was picked meanwhile
    els.text.value = text;
    els.hint.innerHTML = `${p.bundled ? "Bundled copy" : "Copy"} of <code>${esc(p.name)}</code>. Edit freely: your changes are checked as you type and are not saved.`;
  } else {
    fileName = "my_policy.haven";
    els.text.value = load(STORE.draft) ?? STARTER;
    els.hint.innerHTML = `Your draft is kept in this browser only. It may <code>use std/vocabulary</code> and <code>extends baseline</code>.`;
  }
  store(STORE.policy, els.select.value);
  if (document.getElementById("diff-old")?.childElementCount) defaultDiffChoices();
  els.text.scrollTop = 0;
  els.text.scrollLeft = 0;
  syncScroll();
  renderGutter(els.text.value, new Map());
  renderBackdrop(els.text.value, []);
  recompile.now();
}

function onPolicyInput() {
  if (els.select.value === CUSTOM) store(STORE.draft, els.text.value);
  els.editor.classList.add("stale");
  const lines = lineCount(els.text.value);
  if (lines !== renderedLines) renderGutter(els.text.value, lastLineMarks);
  recompile();
}

function lineCount(text) {
  let n = 1;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** UTF-8 byte offset → UTF-16 index, for the label offsets haven reports. */
function byteIndex(text) {
  const map = new Uint32Array(new TextEncoder().encode(text).length + 1);
  let b = 0;
  let u = 0;
  for (const ch of text) {
    const cp = ch.codePointAt(0) ?? 0;
    const bytes = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    for (let k = 0; k < bytes; k++) map[b + k] = u;
    b += bytes;
    u += ch.length;
  }
  map[b] = u;
  return (offset) => map[Math.min(offset, b)];
}

let renderedLines = 0;
let lastLineMarks = new Map();

function renderGutter(text, marks) {
  const n = lineCount(text);
  renderedLines = n;
  lastLineMarks = marks;
  let html = "";
  for (let i = 1; i <= n; i++) {
    const m = marks.get(i);
    html += m
      ? `<span class="ln ${m.severity}" data-line="${i}" title="${esc(m.message)}">${i}</span>\n`
      : `<span class="ln">${i}</span>\n`;
  }
  els.gutter.innerHTML = html;
}

/** Mirror of the text with the diagnostics' spans marked and their messages at line ends. */
function renderBackdrop(text, spans, lineMarks = new Map()) {
  const lines = text.split("\n");
  let pos = 0;
  let html = "";
  lines.forEach((line, i) => {
    const start = pos;
    const end = pos + line.length;
    const here = spans
      .filter((s) => (s.end > s.start ? s.start <= end && s.end > start : s.start >= start && s.start <= end))
      .map((s) => ({ ...s, start: Math.max(s.start, start) - start, end: Math.min(s.end, end) - start }))
      .sort((a, b) => a.start - b.start);
    let cursor = 0;
    for (const s of here) {
      if (s.start < cursor) continue;
      html += esc(line.slice(cursor, s.start));
      if (s.end > s.start) {
        html += `<mark class="${s.severity}">${esc(line.slice(s.start, s.end))}</mark>`;
      } else {
        html += `<mark class="${s.severity} caret"></mark>`;
      }
      cursor = Math.max(cursor, s.end);
    }
    html += esc(line.slice(cursor));
    const m = lineMarks.get(i + 1);
    if (m) html += `<span class="lens ${m.severity}">${esc(m.lens)}</span>`;
    html += "\n";
    pos = end + 1;
  });
  els.backdrop.innerHTML = html;
}

function syncScroll() {
  const { scrollTop, scrollLeft } = els.text;
  els.backdrop.style.transform = `translate(${-scrollLeft}px, ${-scrollTop}px)`;
  els.gutter.style.transform = `translateY(${-scrollTop}px)`;
}

function jumpTo(start, end, line) {
  els.text.focus();
  els.text.setSelectionRange(start, end);
  const lh = parseFloat(getComputedStyle(els.text).lineHeight) || 20;
  els.text.scrollTop = Math.max(0, (line - 4) * lh);
  syncScroll();
}

const recompile = debounce(() => {
  const text = els.text.value;
  const t0 = performance.now();
  const result = compile(text, fileName, { today: new Date() });
  const ms = performance.now() - t0;
  if (compiled) compiled.free();
  compiled = result.type === "success" ? result.policy : null;
  if (compiled) {
    fillChoices(compiled.vocabulary);
    fillWhyNot();
  }
  const diags = result.type === "success" ? [...result.warnings] : result.errors;
  renderDiagnostics(text, diags);
  renderPolicyStatus(result, diags, ms);
  els.editor.classList.remove("stale");
  evaluate.now();
}, 220);

function renderDiagnostics(text, diags) {
  const toUtf16 = byteIndex(text);
  const rank = (d) => (d.severity === "error" ? 0 : 1);
  const sorted = [...diags].sort((a, b) => rank(a) - rank(b) || (a.line ?? 0) - (b.line ?? 0));
  const inThisFile = (file) => file === fileName || file === null;

  const lineMarks = new Map();
  const spans = [];
  for (const d of sorted) {
    if (!inThisFile(d.file) || d.line === null) continue;
    const primary = d.labels.find((l) => l.primary);
    if (primary && inThisFile(primary.file)) {
      spans.push({ start: toUtf16(primary.start), end: toUtf16(primary.end), severity: d.severity });
    }
    const m = lineMarks.get(d.line);
    if (!m) {
      lineMarks.set(d.line, { severity: d.severity, message: d.message, lens: `  ${d.severity === "error" ? "✖" : "▲"} ${d.message}`, count: 1 });
    } else {
      m.count++;
      m.message += `\n${d.message}`;
      m.lens = m.lens.replace(/ \(\+\d+ more\)$/, "") + ` (+${m.count - 1} more)`;
    }
  }
  renderGutter(text, lineMarks);
  renderBackdrop(text, spans, lineMarks);

  const limit = 60;
  els.diagnostics.innerHTML = sorted
    .slice(0, limit)
    .map((d, i) => {
      const primary = d.labels.find((l) => l.primary);
      const local = inThisFile(d.file) && d.line !== null;
      const where = d.line === null ? "" : `${local ? "" : `${d.file}:`}line ${d.line}, col ${d.column}`;
      const loc = local && primary
        ? `<button type="button" class="loc" data-start="${toUtf16(primary.start)}" data-end="${toUtf16(primary.end)}" data-line="${d.line}">${esc(where)}</button>`
        : `<span class="loc">${esc(where || "no location")}</span>`;
      const label = primary && primary.message ? `<span class="label-msg">${esc(primary.message)}</span>` : "";
      return `<li class="diag ${d.severity}" data-line="${d.line ?? ""}">
        <div class="diag-head">${loc}<span class="sev">${d.severity}</span><span class="msg">${esc(d.message)}</span></div>
        ${label}
        ${d.help ? `<p class="help"><span>help:</span> ${esc(d.help)}</p>` : ""}
        <details><summary>${esc(d.code)}</summary><pre>${esc(d.rendered)}</pre></details>
      </li>`;
    })
    .join("") + (sorted.length > limit ? `<li class="more">…and ${sorted.length - limit} more</li>` : "");
}

function renderPolicyStatus(result, diags, ms) {
  const errors = diags.filter((d) => d.severity === "error").length;
  const warnings = diags.length - errors;
  if (result.type === "success") {
    const p = result.policy;
    els.status.className = "status-bar ok";
    els.status.innerHTML = `<span class="icon" aria-hidden="true">✓</span> <strong>${esc(p.id)}</strong>${p.version ? ` version ${esc(p.version)}` : ""} compiles` +
      ` <span class="sub">· ${plural(warnings, "warning")} · ${ms.toFixed(0)} ms</span>`;
  } else {
    els.status.className = "status-bar bad";
    els.status.innerHTML = `<span class="icon" aria-hidden="true">✖</span> <strong>${plural(errors, "error")}</strong>` +
      `${warnings ? `, ${plural(warnings, "warning")}` : ""} <span class="sub">· fix them to see a decision</span>`;
  }
}

// ------------------------------------------------------------------ incident form
function options(list, unknownLabel) {
  return `<option value="">${esc(unknownLabel)}</option>` + list.map((v) => `<option value="${esc(v)}">${esc(human(v))}</option>`).join("");
}

function buildForm() {
  $("f-category").innerHTML = options(VOCAB.category, "— none —");
  $("f-activity").innerHTML = options(VOCAB.activity, "— none —");
  $("f-location").innerHTML = options(VOCAB.location, "unknown");
  $("f-time").innerHTML = options(VOCAB.time, "unknown");
  $("f-actor-role").innerHTML = options(VOCAB.role, "unknown");
  $("f-device-kind").innerHTML = options(VOCAB.device, "unknown");
  $("f-device-owner").innerHTML = options(VOCAB.owner, "unknown");
  const facts = $("facts");
  for (const [fact, label, type] of FACTS) {
    const id = `fact-${fact}`;
    const wrap = document.createElement("div");
    wrap.className = `field ${type === "bool" ? "" : "narrow"}`;
    let control;
    if (type === "bool") {
      control = `<select id="${id}" data-path="facts.${fact}" data-type="bool"><option value="">unknown</option><option value="true">yes</option><option value="false">no</option></select>`;
    } else if (type === "int") {
      control = `<input id="${id}" data-path="facts.${fact}" data-type="int" type="number" inputmode="numeric" min="0" placeholder="unknown">`;
    } else {
      control = `<select id="${id}" data-path="facts.${fact}">${options(["none", ...VOCAB.role], "unknown")}</select>`;
    }
    wrap.innerHTML = `<label for="${id}">${esc(label)}</label>${control}`;
    facts.append(wrap);
  }
}

/** The form's choices are the loaded policy's vocabulary (its own tokens, its modules' and
 * its layers'); rebuilt only when the lists change, keeping what the incident says. */
let shownVocabulary = "";
function fillChoices(vocabulary) {
  const t = vocabulary?.tokens;
  if (!t) return;
  const lists = [
    ["f-category", t.category, "— none —"],
    ["f-activity", t.activity, "— none —"],
    ["f-location", t.location, "unknown"],
    ["f-time", t.time, "unknown"],
    ["f-actor-role", t.role, "unknown"],
    ["f-device-kind", t.device, "unknown"],
    ["f-device-owner", t.owner, "unknown"],
    ["fact-approved_by", ["none", ...t.role], "unknown"],
  ];
  const key = JSON.stringify(lists.map(([, list]) => list));
  if (key === shownVocabulary) return;
  shownVocabulary = key;
  for (const [id, list, unknown] of lists) {
    const el = document.getElementById(id);
    if (el && list) el.innerHTML = options(list, unknown);
  }
  writeForm();
}

const controls = () => /** @type {NodeListOf<HTMLInputElement | HTMLSelectElement>} */ (els.form.querySelectorAll("[data-path]"));

function getPath(obj, path) {
  return path.split(".").reduce((o, k) => (o && typeof o === "object" ? o[k] : undefined), obj);
}

function setPath(obj, path, value) {
  const keys = path.split(".");
  const last = keys.pop();
  const parents = [];
  let o = obj;
  for (const k of keys) {
    if (o[k] === null || typeof o[k] !== "object" || Array.isArray(o[k])) {
      if (value === undefined) return;
      o[k] = {};
    }
    parents.push([o, k]);
    o = o[k];
  }
  if (value === undefined) delete o[last];
  else o[last] = value;
  // drop objects the form emptied
  for (let i = parents.length - 1; i >= 0; i--) {
    const [p, k] = parents[i];
    if (Object.keys(p[k]).length === 0) delete p[k];
  }
}

function controlValue(el) {
  const raw = el.value.trim();
  if (raw === "") return undefined;
  if (el.dataset.type === "bool") return raw === "true";
  if (el instanceof HTMLInputElement && el.type === "number") {
    const n = Number(raw);
    return Number.isFinite(n) ? n : raw;
  }
  return raw;
}

function writeForm() {
  for (const el of controls()) {
    const v = getPath(incident, el.dataset.path ?? "");
    const text = v === undefined || v === null ? "" : String(v);
    if (el instanceof HTMLSelectElement && text !== "" && ![...el.options].some((o) => o.value === text)) {
      el.add(new Option(human(text), text));
    }
    el.value = text;
  }
}

function writeJson() {
  els.json.value = JSON.stringify(incident, null, 2);
  els.jsonStatus.textContent = "";
  els.jsonStatus.className = "json-status";
  store(STORE.incident, els.json.value);
}

function onFormInput(event) {
  const el = event.target;
  if (!(el instanceof HTMLElement) || !el.dataset.path) return;
  setPath(incident, el.dataset.path, controlValue(el));
  writeJson();
  evaluate();
}

function onJsonInput() {
  store(STORE.incident, els.json.value);
  try {
    const parsed = JSON.parse(els.json.value);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
      incident = parsed;
      writeForm();
      els.jsonStatus.textContent = "";
      els.jsonStatus.className = "json-status";
    }
  } catch (e) {
    els.jsonStatus.textContent = "Not valid JSON yet: the decision shows where.";
    els.jsonStatus.className = "json-status bad";
  }
  evaluate();
}

function usePreset(name) {
  skipped.clear();
  incident = structuredClone(PRESETS[name] ?? {});
  writeForm();
  writeJson();
  evaluate.now();
}

// ------------------------------------------------------------------ decision
const evaluate = debounce(() => {
  if (!compiled) {
    els.decision.innerHTML = `<p class="empty">The policy has errors. Fix them (see the list under the editor) to see a decision.</p>`;
    els.decisionJson.textContent = "";
    return;
  }
  const text = els.json.value.trim();
  if (text === "" || text === "{}") {
    els.decision.innerHTML = `<p class="empty">Describe an incident: pick an <strong>incident category</strong> or an <strong>activity</strong>, or choose an example above.</p>`;
    els.decisionJson.textContent = "";
    return;
  }
  const answer = compiled.evaluate(text);
  shown = { text, explained: null };
  if (answer.type === "failure") {
    renderIncidentErrors(answer.errors);
    els.decisionJson.textContent = JSON.stringify(answer, null, 2);
  } else {
    renderDecision(answer.decision);
    els.decisionJson.textContent = JSON.stringify(answer.decision, null, 2);
  }
}, 120);

function renderIncidentErrors(errors) {
  els.decision.innerHTML = `<div class="rejected" role="alert"><h3>The incident record was rejected</h3><ul>${errors
    .map((e) => {
      const where = e.line !== null ? `line ${e.line}, col ${e.column}: ` : e.kind === "incident" && e.key ? `${e.key}: ` : "";
      const expected = e.kind === "incident" && e.expected ? `<p class="expected">expected ${esc(e.expected)}</p>` : "";
      return `<li><code>${esc(where)}</code>${esc(e.message)}${expected}<span class="code">${esc(e.code)}</span></li>`;
    })
    .join("")}</ul></div>`;
}

/** `source §Section: "sentence"` → [source §Section, sentence]. */
function splitCite(cite) {
  const m = /^(.*?):\s*"([\s\S]*)"\s*$/.exec(cite);
  return m ? [m[1], m[2]] : [cite, ""];
}

/**
 * Cited sentences. Each sentence is quoted once per decision, where it first appears; later
 * uses point back to it by section (full text on hover). More than three new sentences fold away.
 */
function citesHtml(cites, seen) {
  const one = (c, repeat) => {
    const [where, sentence] = splitCite(c);
    const body = sentence ? `<p>“${esc(sentence)}”</p>` : "";
    return repeat
      ? ""
      : `<blockquote class="cite">${body}<footer>${esc(where)}</footer></blockquote>`;
  };
  const fresh = cites.filter((c) => !seen.has(c));
  const repeats = cites.filter((c) => seen.has(c));
  for (const c of fresh) seen.add(c);
  const shown = fresh.slice(0, 3).map((c) => one(c, false)).join("");
  const folded = fresh.length > 3
    ? `<details class="more-cites"><summary>${fresh.length - 3} more cited sentence${fresh.length - 3 === 1 ? "" : "s"}</summary>${fresh.slice(3).map((c) => one(c, false)).join("")}</details>`
    : "";
  const sections = [...new Set(repeats.map((c) => splitCite(c)[0]))];
  const pointer = sections.length
    ? `<p class="cite-ref" title="${esc(repeats.join("\n"))}">↑ as cited above: ${esc(sections.join("; "))}</p>`
    : "";
  return shown + folded + pointer;
}

/** Whether a question is answered yes or no ("Is …?", "Has …?"), not with a number or a role. */
function isYesNo(ask) {
  return /^(is|are|was|were|does|do|did|has|have|had|can|could|will|would|should)\b/i.test(ask.trim());
}

function targetText(a) {
  if (a.target.length === 0) return "";
  return a.target.map(human).join(a.target_mode === "any" ? " or " : " and ");
}

function renderDecision(d) {
  const parts = [];
  const seen = new Set();
  const status = d.status === "complete"
    ? `<span class="pill ok">Complete</span>`
    : `<span class="pill warn">Incomplete · ${plural(d.questions.length, "open question")}</span>`;
  const breach = d.breach === true
    ? `<span class="pill bad">Breach of policy</span>`
    : d.breach === false ? `<span class="pill ok">No breach</span>` : `<span class="pill muted">Breach: unknown</span>`;
  parts.push(`<div class="summary">${status}${breach}<span class="policy-ref">${esc(d.policy.id)}${d.policy.version ? ` v${esc(d.policy.version)}` : ""}</span></div>`);

  if (d.questions.length > 0) {
    const item = (q) =>
      `<li><p class="ask">${esc(q.ask)}</p><code class="fact">${esc(q.fact)}</code>` +
      (q.could_add.length ? `<p class="could"><span>${isYesNo(q.ask) ? "If so:" : "Depending on the answer:"}</span> ${q.could_add.map((c) => esc(humanWords(c))).join(" · ")}</p>` : "") +
      `</li>`;
    const shown = 5;
    const rest = d.questions.slice(shown);
    parts.push(`<section class="questions" aria-label="Open questions"><h3>Open questions <span class="sub">most severe first: the answers could add or change actions</span></h3>` +
      `<ol>${d.questions.slice(0, shown).map(item).join("")}</ol>` +
      (rest.length ? `<details><summary>${rest.length} more question${rest.length === 1 ? "" : "s"}</summary><ol start="${shown + 1}">${rest.map(item).join("")}</ol></details>` : "") +
      `</section>`);
    parts.push(guidedHtml());
  }

  if (d.permission) {
    const p = d.permission;
    const verdict = p.verdict ?? "undecided";
    const word = { allowed: "Allowed", allowed_if: "Allowed if…", not_allowed: "Not allowed", not_addressed: "Not addressed: the policy is silent (no breach)", undecided: "Undecided: answer the questions" }[verdict];
    const conditions = p.conditions.length
      ? `<ul class="conditions">${p.conditions.map((c) => `<li><span>${esc(c.kind)}</span> ${esc(human(c.value))}</li>`).join("")}</ul>`
      : "";
    parts.push(`<section class="permission ${verdict}" aria-label="Permission"><div class="verdict"><span class="label">Permission</span> ${word}` +
      `<button type="button" class="why" data-why="permission" aria-expanded="false" title="the rules deciding it, and what would change it">why?</button></div>` +
      `<div class="why-out" hidden></div>${conditions}${citesHtml(p.cites, seen)}</section>`);
  }

  for (const [modality, title] of MODALITIES) {
    const actions = d.actions.filter((a) => a.modality === modality);
    if (actions.length === 0) continue;
    parts.push(`<section class="group ${modality}" aria-label="${title}"><h3>${title} <span class="count">${actions.length}</span></h3><ul class="actions">${actions
      .map((a) => {
        const target = targetText(a);
        const chips = [
          a.deadline ? `<span class="chip deadline" title="deadline">⏱ ${esc(human(a.deadline))}</span>` : "",
          a.by ? `<span class="chip by">by ${esc(human(a.by))}</span>` : "",
          a.person ? `<span class="chip person">${esc(a.person)}</span>` : "",
          a.source === "baseline" ? `<span class="chip source" title="national guidance the school policy extends">baseline</span>` : "",
        ].join("");
        return `<li class="action"><div class="action-line"><span class="verb">${esc(capitalise(human(a.action)))}</span>${target ? `<span class="target">${esc(target)}</span>` : ""}${chips}` +
          `<button type="button" class="why" data-why="action" data-key="${esc(actionKeyText(a))}" aria-expanded="false" title="the rule, its sentence, the conditions that held, and what would change it">why?</button></div>` +
          `<div class="why-out" hidden></div>${citesHtml(a.cites, seen)}</li>`;
      })
      .join("")}</ul></section>`);
  }
  if (d.actions.length === 0 && !d.permission) {
    parts.push(`<p class="empty">No rule of this policy applies${d.questions.length ? " unless the questions above say otherwise" : ""}.</p>`);
  }
  if (d.notes.length) {
    parts.push(`<section class="notes" aria-label="Notes"><h3>Notes</h3><ul>${d.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul></section>`);
  }
  els.decision.innerHTML = parts.join("");
}

// ------------------------------------------------------------------ why, why not, guided questions
// `policy.explain`, `policy.nextQuestions` and `diff` (src/explain.rs): the same JSON as
// `haven explain --format json`, `--why-not` and `haven diff --format json`.

/** The incident text the decision shows, and its explanation once asked for. */
let shown = { text: "", explained: null };

/** `must refer police due immediately by dsl`, as haven-core names a decided action. */
function actionKeyText(a) {
  let s = `${a.modality} ${a.action}`;
  const targets = [...a.target].sort();
  if (targets.length) s += ` ${targets.join(a.target_mode === "all" ? " and " : " or ")}`;
  if (a.deadline) s += ` due ${a.deadline}`;
  if (a.by) s += ` by ${a.by}`;
  return s;
}

function explanation() {
  if (!compiled) return null;
  if (!shown.explained) {
    const r = compiled.explain(shown.text);
    shown.explained = r.type === "success" && "decision" in r ? r.decision.explain : null;
  }
  return shown.explained;
}

const valueText = (v) => (v === null || v === undefined ? "unknown" : typeof v === "object" ? JSON.stringify(v) : String(v));

function changesHtml(changes) {
  return changes
    .map((c) => `<code class="change"><span class="fact">${esc(c.fact)}</span> ${esc(valueText(c.from))} → <strong>${esc(valueText(c.to))}</strong></code>`)
    .join(" ");
}

function counterfactualsHtml(cfs, searchedAll, title, none) {
  if (cfs.length === 0) return `<p class="cf-none">${esc(none)}</p>`;
  return `<p class="why-h">${esc(title)}</p><ul class="counterfactuals">${cfs
    .map((c) => `<li>${changesHtml(c.changes)}<p class="cf-text">${esc(c.text)}</p>` +
      `<button type="button" class="try-cf" data-changes="${esc(JSON.stringify(c.changes))}">Try this in the incident</button></li>`)
    .join("")}</ul>${searchedAll ? "" : `<p class="sub">The search stopped at its budget: there may be more.</p>`}`;
}

function reasonsHtml(because) {
  return `<ul class="reasons">${because
    .map((r) => `<li class="reason"><div class="reason-head"><span class="why-h">Rule</span> <code class="rule">${esc(r.rule)}</code>` +
      `<span class="chip layer" title="the policy layer that set it">layer ${esc(r.layer)}</span></div>` +
      r.cites.map((c) => {
        const [where, sentence] = splitCite(c);
        return `<blockquote class="cite">${sentence ? `<p>“${esc(sentence)}”</p>` : ""}<footer>${esc(where)}</footer></blockquote>`;
      }).join("") +
      (r.held.length ? `<p class="why-h">Conditions that held</p><ul class="held">${r.held.map((h) => `<li>${esc(h)}</li>`).join("")}</ul>` : "") +
      (r.criteria.length ? `<p class="criteria"><span class="why-h">Criteria met</span> ${r.criteria.map((c) => `<code>${esc(c)}</code>`).join(" ")}</p>` : "") +
      (r.exceptions_not_holding.length ? `<p class="exceptions"><span class="why-h">Exceptions that did not hold</span> ${r.exceptions_not_holding.map((c) => `<code>${esc(c)}</code>`).join(" ")}</p>` : "") +
      `</li>`)
    .join("")}</ul>`;
}

function whyHtml(button) {
  const e = explanation();
  if (!e) return `<p class="cf-none">No explanation: the incident was not accepted.</p>`;
  if (button.dataset.why === "permission") {
    const p = e.permission;
    if (!p) return `<p class="cf-none">No permission was asked about.</p>`;
    const overridden = p.overridden.length
      ? `<p class="why-h">Overridden</p><ul class="overridden">${p.overridden.map((o) => `<li><code>${esc(o.rule)}</code> would say ${esc(human(o.verdict))}, but ${o.by.map((b) => `<code>${esc(b)}</code>`).join(", ")} held</li>`).join("")}</ul>`
      : "";
    return reasonsHtml(p.because) + overridden +
      counterfactualsHtml(p.counterfactuals, p.searched_all, "The verdict would change if", "No change of up to two facts changes the verdict.");
  }
  const key = button.dataset.key ?? "";
  const a = e.actions.find((x) => x.action === key);
  if (!a) return `<p class="cf-none">No explanation found for ${esc(key)}.</p>`;
  return reasonsHtml(a.because) +
    counterfactualsHtml(a.counterfactuals, a.searched_all, "It would no longer be required if", "No change of up to two facts removes it: it follows from what the incident is.");
}

function toggleWhy(button) {
  const out = button.closest(".action, .permission")?.querySelector(".why-out");
  if (!(out instanceof HTMLElement)) return;
  const open = button.getAttribute("aria-expanded") !== "true";
  button.setAttribute("aria-expanded", String(open));
  button.textContent = open ? "hide why" : "why?";
  if (open) out.innerHTML = whyHtml(button);
  out.hidden = !open;
}

/** Apply fact changes (a counterfactual, a witness, an answer) to the incident. */
function applyChanges(changes) {
  for (const c of changes) setPath(incident, c.fact, c.to === null ? undefined : c.to);
  writeForm();
  writeJson();
  evaluate.now();
}

// The guided questions: what settles each open action, and the next best question.
const skipped = new Set();

function factType(path) {
  const v = compiled?.vocabulary;
  const [head, name] = path.split(".");
  if (!v) return { type: "text" };
  if (head === "facts") return v.facts.find((f) => f.name === name) ?? { type: "text" };
  if (name === "age" || name === "year_group") return { type: "int" };
  if (name === "role") return { type: "role", values: v.tokens.role };
  return v.person_facts.find((f) => f.name === name) ?? { type: "text" };
}

function answerControls(fact) {
  const t = factType(fact);
  const button = (value, label) => `<button type="button" class="answer" data-fact="${esc(fact)}" data-value="${esc(JSON.stringify(value))}">${esc(label)}</button>`;
  if (t.type === "bool") return button(true, "Yes") + button(false, "No");
  const values = t.type === "role" ? compiled?.vocabulary.tokens.role ?? [] : t.type === "enum" ? t.values ?? [] : null;
  const input = values
    ? `<select class="answer-input" aria-label="Answer">${values.map((v) => `<option value="${esc(v)}">${esc(human(v))}</option>`).join("")}</select>`
    : `<input class="answer-input" aria-label="Answer" ${t.type === "int" ? `type="number" inputmode="numeric"` : `type="text"`}>`;
  return `${input}<button type="button" class="answer" data-fact="${esc(fact)}" data-from-input="${t.type === "int" ? "int" : "text"}">Answer</button>`;
}

function guidedHtml() {
  if (!compiled) return "";
  const r = compiled.nextQuestions(shown.text);
  if (r.type !== "success") return "";
  const { groups, questions } = r.nextQuestions;
  const pending = questions.filter((q) => !skipped.has(q.fact));
  const next = pending[0];
  const group = groups
    .filter((g) => g.settled_by_any.length > 0)
    .slice(0, 2)
    .map((g) => `<li><span class="why-h">${g.settled_by_any.length > 1 ? `Any one of these ${g.settled_by_any.length} answers makes` : "This answer makes"}</span> <strong>${esc(humanWords(g.action))}</strong> required:` +
      ` ${g.settled_by_any.map((c) => `<code class="change">${esc(c.fact)} = ${esc(valueText(c.to))}</code>`).join(" ")}</li>`)
    .join("");
  const ask = next
    ? `<div class="next-question"><p class="why-h">Best next question <span class="sub">${plural(pending.length, "open question")}</span></p>` +
      `<p class="ask">${esc(next.ask)}</p><code class="fact">${esc(next.fact)}</code>` +
      `<div class="answers">${answerControls(next.fact)}<button type="button" class="skip quiet" data-fact="${esc(next.fact)}">Don't know</button></div></div>`
    : `<p class="sub">Every remaining question was skipped.</p>`;
  return `<section class="guided" aria-label="Guided questions"><h3>Guided questions <span class="sub">the fewest questions that settle the most severe action</span></h3>` +
    (group ? `<ul class="groups">${group}</ul>` : "") + ask + `</section>`;
}

function onDecisionClick(event) {
  const t = event.target instanceof Element ? event.target.closest("button") : null;
  if (!(t instanceof HTMLButtonElement)) return;
  if (t.classList.contains("why")) toggleWhy(t);
  else if (t.classList.contains("try-cf")) applyChanges(JSON.parse(t.dataset.changes ?? "[]"));
  else if (t.classList.contains("skip")) {
    skipped.add(t.dataset.fact ?? "");
    evaluate.now();
  } else if (t.classList.contains("answer")) {
    const fact = t.dataset.fact ?? "";
    let value;
    if (t.dataset.value !== undefined) value = JSON.parse(t.dataset.value);
    else {
      const input = t.parentElement?.querySelector(".answer-input");
      const raw = input instanceof HTMLInputElement || input instanceof HTMLSelectElement ? input.value.trim() : "";
      if (raw === "") return;
      value = t.dataset.fromInput === "int" && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    }
    applyChanges([{ fact, from: null, to: value }]);
  }
}

// Why not: the minimal fact changes that would make an action required, or why none can.
let whyNotChoices = "";
function fillWhyNot() {
  const t = compiled?.vocabulary?.tokens;
  if (!t) return;
  const key = JSON.stringify([t.action, t.agency, t.role, t.location]);
  if (key === whyNotChoices) return;
  whyNotChoices = key;
  const action = /** @type {HTMLSelectElement} */ ($("wn-action"));
  const target = /** @type {HTMLSelectElement} */ ($("wn-target"));
  const keep = [action.value, target.value];
  action.innerHTML = `<optgroup label="Actions">${t.action.map((a) => `<option value="${esc(a)}">${esc(human(a))}</option>`).join("")}</optgroup>` +
    `<optgroup label="Permission verdicts">${["allowed", "allowed_if", "not_allowed"].map((v) => `<option value="${v}">permission ${esc(human(v))}</option>`).join("")}</optgroup>`;
  const group = (label, list) => `<optgroup label="${label}">${list.map((v) => `<option value="${esc(v)}">${esc(human(v))}</option>`).join("")}</optgroup>`;
  target.innerHTML = `<option value="">— none —</option>` + group("Agencies", t.agency) + group("Roles", t.role) + group("Places", t.location);
  if (keep[0]) action.value = keep[0];
  if (keep[1]) target.value = keep[1];
}

function whyNot(event) {
  event.preventDefault();
  const out = $("why-not-out");
  if (!compiled) {
    out.innerHTML = `<p class="cf-none">The policy has errors.</p>`;
    return;
  }
  const action = /** @type {HTMLSelectElement} */ ($("wn-action")).value;
  const target = /** @type {HTMLSelectElement} */ ($("wn-target")).value;
  const r = compiled.explain(shown.text, { whyNot: { action, target: target || null } });
  if (r.type !== "success" || !("whyNot" in r)) {
    out.innerHTML = `<p class="cf-none">${esc(r.type === "failure" ? r.errors.map((e) => e.message).join("; ") : "no answer")}</p>`;
    return;
  }
  const w = r.whyNot;
  const producers = w.producers.length
    ? `<p class="why-h">Rules that could require it</p><ul class="producers">${w.producers
        .map((p) => `<li><code class="rule">${esc(p.rule)}</code> <span class="chip layer">layer ${esc(p.layer)}</span>` +
          ` <span class="holds ${p.holds === true ? "yes" : p.holds === false ? "no" : "unknown"}">${p.holds === true ? "its condition holds" : p.holds === false ? "its condition does not hold" : "its condition is not known yet"}</span>` +
          `<p class="when">when ${esc(p.when)}</p>` +
          (p.blocked_by.length ? `<p class="blocked">blocked by ${p.blocked_by.map((b) => `<code>${esc(b)}</code>`).join(", ")}</p>` : "") + `</li>`)
        .join("")}</ul>`
    : `<p class="cf-none">No rule of this policy requires it.</p>`;
  out.innerHTML = `<p class="goal">${esc(w.goal)}${w.already ? ` <span class="pill ok">already so</span>` : ""}</p>` + producers +
    (w.already ? "" : counterfactualsHtml(w.counterfactuals, w.searched_all, "It would be required if", w.reason ?? "No change of up to two facts makes it required.")) +
    (w.reason && w.counterfactuals.length ? `<p class="reason-text">${esc(w.reason)}</p>` : "");
}

// ------------------------------------------------------------------ compare (diff)
const EDITOR = "__editor";

function fillDiffChoices() {
  const options = policies.map((p) => `<option value="${esc(p.id)}">${esc(p.title ?? p.id)}</option>`).join("") +
    `<option value="${EDITOR}">The text in the editor</option>`;
  const old = /** @type {HTMLSelectElement} */ ($("diff-old"));
  const next = /** @type {HTMLSelectElement} */ ($("diff-new"));
  old.innerHTML = options;
  next.innerHTML = options;
  defaultDiffChoices();
}

/** By default: the selected policy as published against the text in the editor. */
function defaultDiffChoices() {
  const old = /** @type {HTMLSelectElement} */ ($("diff-old"));
  const next = /** @type {HTMLSelectElement} */ ($("diff-new"));
  const p = selectedPolicy();
  old.value = p ? p.id : "baseline";
  next.value = EDITOR;
}

/** The source text of a choice in the compare form; null when there is no such policy. */
async function choiceSource(id) {
  if (id === EDITOR) return { text: els.text.value, name: fileName };
  const p = policies.find((x) => x.id === id);
  return p ? { text: await policyText(p), name: p.name } : null;
}

// The diff runs in a dedicated worker (diff-worker.js) so the page repaints and answers clicks
// while it searches, and Cancel can stop it (by terminating the worker). Where Workers are
// unavailable (or the worker fails to start) it runs here, on the main thread, as before.
/** @type {Worker | null} */
let diffWorker = null;
let workersUsable = typeof Worker === "function";
/** Stops the diff in flight, if any (set while one runs in the worker). @type {(() => void) | null} */
let cancelDiff = null;
/** Counts Compare clicks, so a superseded run never writes its answer. */
let diffRun = 0;

/** @typedef {{ type: "done", report: any, ms: number } | { type: "failure", which: "old" | "new" } | { type: "cancelled" }} DiffAnswer */

/** @returns {Promise<DiffAnswer>} */
function diffInWorker(old, next) {
  return new Promise((resolve, reject) => {
    diffWorker ??= new Worker(new URL("./diff-worker.js", import.meta.url), { type: "module" });
    const w = diffWorker;
    const stop = () => {
      w.terminate();
      if (diffWorker === w) diffWorker = null;
      cancelDiff = null;
    };
    w.onmessage = (e) => {
      cancelDiff = null;
      if (e.data?.type === "error") {
        stop();
        reject(new Error(e.data.message));
      } else {
        resolve(e.data);
      }
    };
    w.onerror = (e) => {
      // The worker script did not load or threw outside the handler: no worker from now on.
      e.preventDefault();
      stop();
      workersUsable = false;
      reject(Object.assign(new Error(e.message || "the diff worker failed to start"), { workerFailed: true }));
    };
    cancelDiff = () => {
      stop();
      resolve({ type: "cancelled" });
    };
    w.postMessage({ old, new: next });
  });
}

/** The same job as diff-worker.js, on the main thread (the page is frozen while it runs). @returns {DiffAnswer} */
function diffOnMainThread(old, next) {
  const a = compile(old.text, old.name);
  const b = compile(next.text, next.name);
  if (a.type !== "success" || b.type !== "success") {
    if (a.type === "success") a.policy.free();
    if (b.type === "success") b.policy.free();
    return { type: "failure", which: a.type !== "success" ? "old" : "new" };
  }
  const t0 = performance.now();
  const { report } = diff(a.policy, b.policy);
  const ms = performance.now() - t0;
  a.policy.free();
  b.policy.free();
  return { type: "done", report, ms };
}

/** @returns {Promise<DiffAnswer>} */
async function runDiffJob(old, next) {
  if (workersUsable) {
    try {
      return await diffInWorker(old, next);
    } catch (e) {
      if (!(e instanceof Error && "workerFailed" in e)) throw e;
    }
  }
  await new Promise((r) => setTimeout(r, 0)); // let the status paint
  return diffOnMainThread(old, next);
}

let diffClasses = [];

/** Shows or clears the "comparing…" state: Compare disabled, Cancel shown (when it can cancel). */
function diffBusy(on) {
  /** @type {HTMLButtonElement} */ ($("diff-go")).disabled = on;
  $("diff-cancel").hidden = !(on && workersUsable);
  $("diff-status").classList.toggle("busy", on);
  $("diff-out").setAttribute("aria-busy", String(on));
}

async function runDiff(event) {
  event.preventDefault();
  cancelDiff?.();
  const run = ++diffRun;
  const status = $("diff-status");
  const out = $("diff-out");
  const oldId = /** @type {HTMLSelectElement} */ ($("diff-old")).value;
  const newId = /** @type {HTMLSelectElement} */ ($("diff-new")).value;
  status.textContent = "Comparing…";
  out.innerHTML = "";
  diffBusy(true);
  let a;
  let b;
  try {
    a = await choiceSource(oldId);
    b = await choiceSource(newId);
  } catch (e) {
    if (run !== diffRun) return;
    diffBusy(false);
    status.textContent = `Could not load a policy: ${e}`;
    return;
  }
  /** @type {DiffAnswer} */
  let answer;
  try {
    answer = a && b ? await runDiffJob(a, b) : { type: "failure", which: a ? "new" : "old" };
  } catch (e) {
    if (run !== diffRun) return;
    diffBusy(false);
    status.textContent = `The comparison failed: ${e instanceof Error ? e.message : e}`;
    return;
  }
  if (run !== diffRun) return;
  diffBusy(false);
  if (answer.type === "cancelled") {
    status.textContent = "Comparison cancelled.";
    return;
  }
  if (answer.type === "failure") {
    status.textContent = `${answer.which === "old" ? "The old" : "The new"} policy does not compile: fix it first.`;
    return;
  }
  const { report, ms } = answer;
  diffClasses = report.classes;
  const n = report.classes.length;
  status.innerHTML = `<strong>${n} ${n === 1 ? "class" : "classes"}</strong> of incidents answered differently` +
    ` <span class="sub">· ${esc(report.old_policy)} → ${esc(report.new_policy)} · ${report.searched} conditions searched · ${(ms / 1000).toFixed(1)} s` +
    `${report.gave_up ? ` · ${report.gave_up} searches stopped at the budget` : ""}</span>`;
  if (report.classes.length === 0) {
    out.innerHTML = `<p class="empty">No incident is answered differently${report.gave_up ? " (as far as the search went)" : ""}.</p>`;
    return;
  }
  const shownMax = 60;
  out.innerHTML = `<ol class="diff-classes">${report.classes.slice(0, shownMax)
    .map((c, i) => `<li class="diff-class ${esc(c.difference.kind)}"><div class="diff-head"><span class="chip change">${esc(c.change)}</span>` +
      (c.category ? `<span class="chip">${esc(human(c.category))}</span>` : "") + `<span class="summary-text">${esc(humanWords(c.summary))}</span></div>` +
      `<p class="condition"><span class="why-h">Condition</span> ${esc(c.condition)}</p>` +
      `<details class="witness"><summary>Witness incident and both answers</summary><pre>${esc(JSON.stringify(c.witness, null, 2))}</pre>` +
      `<p><span class="why-h">Old</span> ${esc(c.old.actions.join("; ") || "no actions")}${c.old.permission ? ` · permission ${esc(c.old.permission)}` : ""}</p>` +
      `<p><span class="why-h">New</span> ${esc(c.new.actions.join("; ") || "no actions")}${c.new.permission ? ` · permission ${esc(c.new.permission)}` : ""}</p></details>` +
      `<button type="button" class="load-witness" data-i="${i}">Load the witness into the incident</button></li>`)
    .join("")}</ol>` + (report.classes.length > shownMax ? `<p class="sub">…and ${report.classes.length - shownMax} more (the JSON of <code>haven diff</code> has them all).</p>` : "");
}

function loadWitness(event) {
  const t = event.target instanceof Element ? event.target.closest("button.load-witness") : null;
  if (!(t instanceof HTMLButtonElement)) return;
  const c = diffClasses[Number(t.dataset.i)];
  if (!c) return;
  incident = structuredClone(c.witness);
  writeForm();
  writeJson();
  evaluate.now();
  $("incident-heading").focus();
  window.scrollTo(0, 0);
}

function wireExplain() {
  els.decision.addEventListener("click", onDecisionClick);
  $("why-not-form").addEventListener("submit", whyNot);
  $("why-not-out").addEventListener("click", onDecisionClick);
  $("diff-form").addEventListener("submit", runDiff);
  $("diff-cancel").addEventListener("click", () => {
    if (cancelDiff) return cancelDiff();
    // Still loading the policies' text: drop the run before it reaches the worker.
    diffRun++;
    diffBusy(false);
    $("diff-status").textContent = "Comparison cancelled.";
  });
  $("diff-out").addEventListener("click", loadWitness);
}

// ------------------------------------------------------------------ start
function wire() {
  els.editor = $("editor");
  els.select.addEventListener("change", () => choosePolicy(els.select.value));
  els.text.addEventListener("input", onPolicyInput);
  els.text.addEventListener("scroll", syncScroll);
  els.diagnostics.addEventListener("click", (e) => {
    const b = e.target instanceof Element ? e.target.closest("button.loc") : null;
    if (b instanceof HTMLElement) jumpTo(Number(b.dataset.start), Number(b.dataset.end), Number(b.dataset.line));
  });
  els.form.addEventListener("input", onFormInput);
  els.form.addEventListener("change", onFormInput);
  els.form.addEventListener("submit", (e) => e.preventDefault());
  els.json.addEventListener("input", onJsonInput);
  for (const b of document.querySelectorAll("[data-preset]")) {
    b.addEventListener("click", () => usePreset(/** @type {HTMLElement} */ (b).dataset.preset ?? "clear"));
  }
  document.addEventListener("keydown", (e) => {
    if (!e.altKey || e.ctrlKey || e.metaKey) return;
    const target = { 1: els.text, 2: $("f-category"), 3: $("decision-heading") }[e.key];
    if (target) {
      e.preventDefault();
      if (target.id === "decision-heading") target.setAttribute("tabindex", "-1");
      target.focus();
    }
  });
}

// ------------------------------------------------------------------ share, export, import
// A share link carries the state in the URL hash (`#s=` + base64url of UTF-8 JSON): the policy
// id, its text when it is a draft or edited, and the incident. Nothing is sent anywhere.
function toBase64Url(text) {
  let bin = "";
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

function shareLink() {
  const state = { p: els.select.value, i: incident };
  const bundled = selectedPolicy();
  if (!bundled || bundled.text !== els.text.value) state.t = els.text.value;
  const url = new URL(location.href);
  url.hash = `s=${toBase64Url(JSON.stringify(state))}`;
  return url.href;
}

/** Apply a `#s=` hash; false when there is none or it cannot be read (the hint says why). */
async function applySharedState() {
  if (!location.hash.startsWith("#s=")) return false;
  let state;
  try {
    state = JSON.parse(fromBase64Url(location.hash.slice(3)));
  } catch {
    els.hint.textContent = "The link's saved state could not be read (was it cut short?); showing the last policy instead.";
    return false;
  }
  if (!state || typeof state !== "object") return false;
  if (state.i && typeof state.i === "object" && !Array.isArray(state.i)) {
    incident = state.i;
    writeForm();
    writeJson();
  }
  const id = typeof state.p === "string" ? state.p : CUSTOM;
  if (typeof state.t === "string" && (id === CUSTOM || !policies.some((p) => p.id === id))) {
    store(STORE.draft, state.t);
    choosePolicy(CUSTOM);
  } else {
    await choosePolicy(id);
    if (typeof state.t === "string") {
      els.text.value = state.t;
      onPolicyInput();
      recompile.now();
    }
  }
  return true;
}

function exportDraft() {
  const blob = new Blob([els.text.value], { type: "text/plain;charset=utf-8" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = fileName.split("/").pop() || "policy.haven";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 0);
}

async function importDraft(event) {
  const input = /** @type {HTMLInputElement} */ (event.target);
  const file = input.files?.[0];
  if (!file) return;
  const text = await file.text();
  store(STORE.draft, text);
  choosePolicy(CUSTOM);
  fileName = file.name;
  input.value = "";
}

function wireDraftTools() {
  const url = /** @type {HTMLInputElement} */ ($("share-url"));
  $("share-link").addEventListener("click", () => {
    const link = shareLink();
    history.replaceState(null, "", link);
    url.value = link;
    url.hidden = false;
    url.select();
    navigator.clipboard?.writeText(link).catch(() => {});
  });
  $("export-draft").addEventListener("click", exportDraft);
  $("import-draft").addEventListener("change", importDraft);
}

async function main() {
  try {
    await init({ module_or_path: new URL("./pkg/haven_bg.wasm", import.meta.url) });
  } catch (e) {
    $("engine-meta").textContent = `The engine failed to load: ${e}`;
    return;
  }
  const bundled = bundledPolicies().map((p) => ({ ...p, bundled: true }));
  const schools = await schoolPolicies();
  policies = [...schools, ...bundled.filter((b) => !schools.some((s) => s.id === b.id))];
  $("engine-meta").innerHTML = `haven ${esc(version())} · WebAssembly · ${plural(schools.length, "school policy").replace(/policys$/, "policies")} · ${bundled.length} bundled`;
  wire();
  wireExplain();
  buildForm();
  fillPolicySelect();
  fillDiffChoices();
  const savedIncident = load(STORE.incident);
  try {
    incident = savedIncident ? JSON.parse(savedIncident) : structuredClone(PRESETS.phone);
  } catch {
    incident = structuredClone(PRESETS.phone);
  }
  if (!incident || typeof incident !== "object" || Array.isArray(incident)) incident = structuredClone(PRESETS.phone);
  writeForm();
  writeJson();
  const saved = load(STORE.policy);
  const first = policies.find((p) => p.id === "kenilworth_2022") ?? policies[0];
  wireDraftTools();
  if (!(await applySharedState())) {
    await choosePolicy(saved && (saved === CUSTOM || policies.some((p) => p.id === saved)) ? saved : first?.id ?? CUSTOM);
  }
  document.body.dataset.ready = "1";

  if ("serviceWorker" in navigator && location.protocol.startsWith("http")) {
    navigator.serviceWorker.register("./sw.js").catch(() => {});
  }
}

main();
