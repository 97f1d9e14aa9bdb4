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

module.exports = { POLICY_ID, YEAR6_PHONE_IN_LESSON };
