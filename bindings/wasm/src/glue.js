// JavaScript values → JSON text for haven-core. This is the body of a `new Function()` (made
// once, in glue.rs) returning its helpers. No messages are made here: a value with no JSON
// form comes back as its key path and `typeof`, and haven-core makes the error.
"use strict";

const typeOf = (v) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);
const noJsonForm = (v) => {
  const t = typeof v;
  return (t === "number" && !isFinite(v)) || t === "bigint" || t === "function" || t === "symbol";
};

// An incident record as JSON text; else what was refused, `[key path, typeof, String(value)]`:
// a value with no JSON form (an `undefined` record too), `"deep"` for an object nested deeper
// than `maxDepth` or inside itself, `"threw"` with what a `toJSON` or getter threw.
// With `batch` (an array of records, for evaluateMany): the text, or `undefined` when any
// element would be refused, and the caller goes record by record.
function record(value, maxDepth, batch) {
  if (batch) {
    try {
      return JSON.stringify(value, function (key, v) {
        if (noJsonForm(v) || (v === undefined && this === value)) throw null;
        return v;
      });
    } catch (e) {
      return undefined;
    }
  }
  const seen = new Map(); // object → { key, holder, depth }
  const pathOf = (holder, key) => {
    let path = "";
    for (let h = holder, k = key; seen.has(h); ({ key: k, holder: h } = seen.get(h))) {
      const segment = Array.isArray(h) ? `[${k}]` : k;
      path = path && !path.startsWith("[") ? `${segment}.${path}` : segment + path;
    }
    return path;
  };
  try {
    return JSON.stringify(value, function (key, v) {
      const up = seen.get(this);
      if (noJsonForm(v) || (v === undefined && !up)) throw [pathOf(this, key), typeOf(v), String(v)];
      if (typeof v === "object" && v !== null) {
        const depth = up ? up.depth + 1 : 0;
        let inside = depth > maxDepth;
        for (let h = this; !inside && seen.has(h); h = seen.get(h).holder) inside = h === v;
        if (inside) throw [pathOf(this, key), "deep", ""];
        seen.set(v, { key, holder: this, depth });
      }
      return v;
    });
  } catch (e) {
    return Array.isArray(e) ? e : ["", "threw", String(e instanceof Error ? e.message : e)];
  }
}

// Call arguments as JSON text for haven-core's `api::options`: a `Date` as its local
// "YYYY-MM-DD" and every value with no JSON form as the mark `{"\u0000": typeof}`.
function args(value) {
  const pad = (n, w) => String(n).padStart(w, "0");
  try {
    return JSON.stringify(value, function (key, v) {
      const d = this[key];
      if (d instanceof Date) {
        if (isNaN(d.getTime())) return { "\u0000": "invalid Date" };
        return `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1, 2)}-${pad(d.getDate(), 2)}`;
      }
      return v === undefined || noJsonForm(v) ? { "\u0000": typeof v } : v;
    });
  } catch (e) {
    return "";
  }
}

// Point every success's `warnings: null` at the policy's one frozen array, in one call.
function share(answers, warnings) {
  for (const a of [].concat(answers)) if (a !== null && a.warnings === null) a.warnings = warnings;
  return answers;
}

// Freeze the warnings array and each warning in it.
function freeze(warnings) {
  for (const w of warnings) Object.freeze(w);
  return Object.freeze(warnings);
}

return [record, args, share, freeze, typeOf];
