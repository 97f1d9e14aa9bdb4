// Shared by the Node tests and the Chromium e2e test.
"use strict";

/** The bundled policy the tests decide against; override with HAVEN_TEST_POLICY. */
const POLICY_ID = process.env.HAVEN_TEST_POLICY || "kenilworth_2022";

/** DESIGN §2, question 2: Year 6 pupil, use phone, classroom, lesson. */
const YEAR6_PHONE_IN_LESSON = Object.freeze({
  activity: "use",
  actor: { role: "pupil", year_group: 6 },
  device: { kind: "phone", owner: "personal" },
  location: "classroom",
  time: "lesson",
});

/**
 * A school policy as the playground fetches it. School policies are not bundled into the
 * module (only std/, shared/, baseline and example are): read `policies/<id>/policy.haven`.
 */
function schoolPolicy(id) {
  const { readFileSync } = require("node:fs");
  const { join } = require("node:path");
  const name = `policies/${id}/policy.haven`;
  const text = readFileSync(join(__dirname, "..", "..", "..", "..", name), "utf8");
  const title = /^policy\s+\w+\s+"([^"]*)"/m.exec(text)?.[1] ?? null;
  return { id, title, name, text };
}

/** Ids of the school policies under policies/ (each a directory with a policy.haven). */
function schoolPolicyIds() {
  const { existsSync, readdirSync } = require("node:fs");
  const { join } = require("node:path");
  const root = join(__dirname, "..", "..", "..", "..", "policies");
  return readdirSync(root)
    .filter((d) => !["std", "shared", "baseline", "example"].includes(d))
    .filter((d) => existsSync(join(root, d, "policy.haven")))
    .sort();
}

module.exports = { POLICY_ID, YEAR6_PHONE_IN_LESSON, schoolPolicy, schoolPolicyIds };
