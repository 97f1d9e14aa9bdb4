// Compiled (not run) by test/types.test.mjs with `tsc --strict`: the public types are precise.
import {
  bundledPolicies,
  check,
  compile,
  diff,
  type DiffReport,
  type ExplainedDecision,
  type NextQuestions,
  type WhyNot,
  type Action,
  type Answer,
  type Decision,
  type Diagnostic,
  type HavenError,
  type Incident,
  type Modality,
} from "../../pkg-node/haven";

const source: string = bundledPolicies()[0]?.text ?? "";
const diagnostics: Diagnostic[] = check(source, "policy.haven", { today: new Date() });
check(source, undefined, { today: "2025-09-01", modules: { "trust/shared": "module shared {}" } });
// @ts-expect-error modules map paths to text
check(source, undefined, { modules: { "trust/shared": 1 } });
const lines: (number | null)[] = diagnostics.map((d) => d.line);

const incident: Incident = {
  activity: "use",
  actor: { role: "pupil", year_group: 6 },
  device: { kind: "phone", owner: "personal" },
  location: "classroom",
  time: "lesson",
  facts: { emergency: false, prior_incidents: 2, approved_by: "none" },
};

const compiled = compile(source);
if (compiled.type === "success") {
  const answer: Answer = compiled.policy.evaluate(incident);
  if (answer.type === "success") {
    const decision: Decision = answer.decision;
    const first: Action | undefined = decision.actions[0];
    const modality: Modality | undefined = first?.modality;
    const deadline: string | null | undefined = first?.deadline;
    const verdict: "allowed" | "allowed_if" | "not_allowed" | "not_addressed" | null | undefined = decision.permission?.verdict;
    void [modality, deadline, verdict];
  } else {
    const errors: HavenError[] = answer.errors;
    for (const e of errors) {
      // the kind tag narrows the union
      const where: string = e.kind === "incident" ? e.key : `${e.file ?? "?"}:${e.line ?? "?"}`;
      void where;
    }
  }
  const many: Answer[] = compiled.policy.evaluateMany([incident, JSON.stringify(incident)]);
  void many;
  const explained = compiled.policy.explain(incident);
  if (explained.type === "success" && "decision" in explained) {
    const d: ExplainedDecision = explained.decision;
    const held: string[] | undefined = d.explain.actions[0]?.because[0]?.held;
    void held;
  }
  const whyNot = compiled.policy.explain(incident, { whyNot: { action: "refer", target: "police" } });
  if (whyNot.type === "success" && "whyNot" in whyNot) {
    const w: WhyNot = whyNot.whyNot;
    void w.counterfactuals[0]?.changes[0]?.fact;
  }
  // @ts-expect-error whyNot needs an action
  compiled.policy.explain(incident, { whyNot: { target: "police" } });
  const next = compiled.policy.nextQuestions(incident);
  if (next.type === "success") {
    const n: NextQuestions = next.nextQuestions;
    void n.groups[0]?.settled_by_any;
  }
  const report: DiffReport = diff(compiled.policy, compiled.policy).report;
  void report.classes[0]?.witness;
  // @ts-expect-error unknown keys are type errors, as they are runtime errors
  compiled.policy.evaluate({ category: "sharing_nudes", colour: "red" });
  // @ts-expect-error a number is not an incident
  compiled.policy.evaluate(42);
  // @ts-expect-error a person's age is a number
  compiled.policy.evaluate({ category: "cyberbullying", actor: { age: "twelve" } });
} else {
  // @ts-expect-error a failed compile has no policy
  compiled.policy;
  const e: Diagnostic | undefined = compiled.errors[0];
  void e?.rendered;
}

// @ts-expect-error the source must be a string
compile(42);
void lines;
