// ---- haven types (bindings/wasm/types.d.ts, spliced in by wasm-bindgen) ----
// The incident record is incident record v1, the decision decision v1, both in docs/contract.md and docs/schema/.
// Vocabulary tokens are strings: a policy may declare its own roles, facts and places.
// The known spellings are listed for editor completion; `(string & {})` keeps any other.

/** A name a policy's vocabulary may extend. */
export type Token<Known extends string> = Known | (string & {});

export type Modality = "must" | "must_not" | "should" | "should_not" | "may";
export type Verdict = "allowed" | "allowed_if" | "not_allowed" | "not_addressed";
export type TargetMode = "any" | "all";
export type Source = "school" | "baseline";
export type Severity = "error" | "warning";
export type Deadline = Token<
  | "immediately" | "same_day" | "end_of_day" | "within_1_working_day"
  | "as_soon_as_practicable" | "termly" | "annually"
>;
export type Role = Token<
  | "pupil" | "parent_carer" | "teacher" | "teaching_assistant" | "support_staff"
  | "office_staff" | "network_manager" | "computing_lead" | "online_safety_coordinator"
  | "dsl" | "deputy_dsl" | "slt" | "headteacher" | "line_manager" | "governor"
  | "safeguarding_governor" | "chair_of_governors" | "supply_staff" | "peripatetic_staff"
  | "student_teacher" | "volunteer" | "parent_helper" | "contractor" | "visitor"
  | "unknown_adult" | "practitioner" | "deputy_headteacher" | "head_of_year" | "lead_teacher"
>;
export type DeviceKind = Token<
  | "phone" | "tablet" | "laptop" | "desktop" | "camera" | "smartwatch" | "gaming_device"
  | "removable_media"
>;
export type DeviceOwner = "personal" | "school";
export type Location = Token<
  | "classroom" | "designated_area" | "staff_area" | "office" | "locker" | "safe" | "toilets"
  | "changing_room" | "playground" | "corridor" | "exam_room" | "parents_room"
  | "off_site_trip" | "off_site_event" | "off_site" | "home" | "online" | "video_call"
  | "nursery_room" | "cloakroom"
>;
export type Time = Token<
  | "lesson" | "break" | "lunch" | "ppa" | "meeting" | "exam" | "before_school"
  | "after_school" | "outside_school_hours" | "session" | "registration"
>;
export type Activity = Token<
  | "bring" | "use" | "photograph" | "record" | "personal_call" | "contact_pupil"
  | "contact_parent" | "access_school_data" | "connect_school_wifi" | "befriend_online"
  | "publish_images" | "install_software" | "call_emergency_services"
>;
export type Category = Token<
  | "csam" | "grooming" | "extreme_pornography" | "criminally_racist_material"
  | "terrorist_material" | "upskirting" | "sharing_nudes" | "sextortion" | "cyberbullying"
  | "child_on_child_abuse" | "radicalisation" | "self_harm_risk" | "disturbing_communication"
  | "accidental_access_inappropriate" | "accidental_access_not_reported"
  | "deliberate_access_inappropriate" | "filter_bypass" | "account_misuse"
  | "hacking_or_virus" | "data_protection_breach" | "unauthorised_download"
  | "copyright_breach" | "offensive_message" | "inappropriate_personal_use"
  | "staff_personal_comms_with_pupils" | "disrepute" | "professional_standing"
  | "unauthorised_device_use" | "unauthorised_images" | "private_business"
  | "online_gambling" | "age_inappropriate_content" | "impersonation_account"
  | "inappropriate_files_from_home" | "inappropriate_chat_use"
  | "negative_social_media_post" | "video_conference_misconduct" | "exam_device_possession"
  | "staff_misuse_concern" | "allegation_against_staff" | "online_contact_unknown_adult"
>;

/** A fact's value: `null` (or leaving it out) means unknown, never false. */
export type FactValue = boolean | number | string | null;

/** A person in an incident (docs/contract.md). Other keys are person facts the vocabulary declares. */
export interface Person {
  role?: Role | null;
  age?: number | null;
  /** 0 = Reception, -1 = Nursery. */
  year_group?: number | null;
  sen?: boolean | null;
  travels_alone?: boolean | null;
  vulnerable?: boolean | null;
  [personFact: string]: FactValue | undefined;
}

/** An incident record or permission request, version 1 (docs/contract.md). Every field is optional,
 * but `category` and/or `activity` must be given. Unknown keys are errors. */
export interface Incident {
  id?: string | number | null;
  category?: Category | null;
  activity?: Activity | null;
  actor?: Person | null;
  subject?: Person | null;
  reporter?: Person | null;
  others?: ReadonlyArray<Person> | null;
  device?: { kind?: DeviceKind | null; owner?: DeviceOwner | null } | null;
  location?: Location | null;
  time?: Time | null;
  /** When it happened: RFC 3339 with its offset, e.g. `2026-10-23T15:10:00+01:00`. */
  occurred_at?: string | null;
  /** When it was reported: RFC 3339 with its offset; actions with a deadline then gain `due`. */
  reported_at?: string | null;
  facts?: { readonly [fact: string]: FactValue | undefined } | null;
}

/** One action of a decision (docs/contract.md). */
export interface Action {
  modality: Modality;
  /** The action token, e.g. `refer`, `notify`, `store_device`. */
  action: string;
  /** Roles, agencies or places the action is directed at. */
  target: string[];
  /** Whether any one target (`any`) or all of them (`all`) is meant. */
  target_mode: TargetMode;
  /** The strictest deadline of the merged rules; `null` when the policy names none. */
  deadline: Deadline | null;
  /** The role that carries it out, when the policy says. */
  by: Role | null;
  /** The named holder(s) of the target role. */
  person: string | null;
  /** The first rule (or `table/N` row) that requires it. */
  rule: string | null;
  /** Every rule that requires it. */
  rules: string[];
  /** `school` for the root policy's own rules, `baseline` for a layer it extends. */
  source: Source;
  /** The id of the layer that set it: this policy's own id, or that of a layer it extends
   * (`baseline`, a trust or local-authority policy). */
  layer: string;
  /** Every cited sentence behind it. */
  cites: string[];
  /** When the deadline falls (RFC 3339, UK local time with its offset): present when the
   * record carries `reported_at`; `null` when the deadline names no time. */
  due?: string | null;
}

export interface PermissionCondition {
  kind: "approval" | "consent" | "place" | "time";
  value: string;
}

export interface Permission {
  /** `null` while an unanswered question could change it. */
  verdict: Verdict | null;
  conditions: PermissionCondition[];
  /** The first rule that decided it. */
  rule: string | null;
  /** Every rule that decided it. */
  rules: string[];
  cites: string[];
}

/** A fact whose answer could add or change actions. */
export interface Question {
  /** Path in the incident record, e.g. `facts.adult_involved`. */
  fact: string;
  ask: string;
  could_add: string[];
}

/** The decision, version 1 (docs/contract.md). Actions are sorted: modality, deadline, target. */
export interface Decision {
  policy: { id: string; version: string | null };
  /** The incident's `id`, when it had one. */
  incident_id?: string | number;
  status: "complete" | "incomplete";
  breach: boolean | null;
  permission: Permission | null;
  actions: Action[];
  /** Most severe first. */
  questions: Question[];
  notes: string[];
}

/** A labelled span of a diagnostic. Lines and columns are 1-based; offsets are UTF-8 bytes. */
export interface DiagnosticLabel {
  file: string;
  line: number;
  column: number;
  start: number;
  end: number;
  /** The underlined text. */
  text: string;
  message: string;
  primary: boolean;
}

/** A problem in a policy (or a wrong argument: then `line` is `null`). */
export interface Diagnostic {
  kind: "policy";
  severity: Severity;
  /** Stable code, e.g. `haven::check::unknown_role`. */
  code: string;
  message: string;
  help: string | null;
  file: string | null;
  line: number | null;
  column: number | null;
  labels: DiagnosticLabel[];
  /** rustc-style rendering with the source line underlined. */
  rendered: string;
}

/** A rejected incident record. `line`/`column` are set for JSON syntax errors. */
export interface IncidentError {
  kind: "incident";
  severity: "error";
  /** Stable code, e.g. `haven::incident::unknown_key`. */
  code: string;
  message: string;
  /** The offending key path, e.g. `actor.age`; empty for the record as a whole. */
  key: string;
  /** What was expected there. */
  expected: string;
  line: number | null;
  column: number | null;
}

export type HavenError = Diagnostic | IncidentError;

/** The serde envelope shared with the CLI's `--format json` and the Python binding. */
export type Answer =
  | {
      type: "success";
      decision: Decision;
      /** The policy's warnings: one frozen array, shared by every answer. */
      warnings: readonly Diagnostic[];
    }
  | { type: "failure"; errors: HavenError[] };

export type CompileResult =
  | { type: "success"; policy: Policy; warnings: readonly Diagnostic[] }
  | { type: "failure"; errors: Diagnostic[] };

/** What `compile` and `check` take besides the source. */
export interface CompileOptions {
  /**
   * Today's date (a `Date`, or `"YYYY-MM-DD"`): turns on the "review date has passed"
   * warning. Without it that check is skipped, so results do not depend on the clock.
   */
  today?: Date | string | null;
  /**
   * Modules for `use` and `extends`, by module path (`"trust/shared"`, `"baseline"`), found
   * before the bundled copies of `policies/`.
   */
  modules?: { readonly [module: string]: string } | null;
  /**
   * The school's `calendar.toml` text (docs/calendar.md): with it, each action of a decision
   * on a record carrying `reported_at` gets its `due` time on the school's term dates;
   * without it, weekends and bank holidays only, and the decision says so in `notes`.
   */
  calendar?: string | null;
}

/** A fact of the vocabulary, with its type (`values` for `enum`, `min`/`max` for `int`). */
export interface VocabularyFact {
  name: string;
  type: "bool" | "int" | "role" | "enum";
  /** The question asked while it is unknown. */
  ask: string | null;
  min?: number;
  max?: number;
  values?: string[];
}

/** A compiled policy's vocabulary (`policy.vocabulary`): its tokens by kind and its facts. */
export interface Vocabulary {
  tokens: {
    role: string[]; agency: string[]; device: string[]; owner: string[]; location: string[];
    time: string[]; activity: string[]; category: string[]; action: string[]; deadline: string[];
  };
  facts: VocabularyFact[];
  person_facts: VocabularyFact[];
}

/** A policy bundled into the module. */
export interface BundledPolicy {
  id: string;
  title: string | null;
  /** The file name to compile it under, e.g. `policies/kenilworth_2022/policy.haven`. */
  name: string;
  text: string;
}
// ---- explanations, guided questions and the diff (issue 15; `src/explain.rs`) ----

/** One changed field of an incident record. */
export interface Change {
  /** Its path in the record, e.g. `facts.adult_involved` or `actor.age`. */
  fact: string;
  /** Its value before (`null`: not given). */
  from: FactValue | Person | string[] | null;
  /** Its value after. */
  to: FactValue | Person | string[] | null;
}

/** A minimal set of fact changes that makes a claim true. */
export interface Counterfactual {
  changes: Change[];
  /** The claim it makes true, in words. */
  result: string;
  /** Criteria (`list.item`) whose truth the changes flip. */
  criteria: string[];
  /** The whole counterfactual in a sentence. */
  text: string;
}

/** Why one rule (or table row) applies. */
export interface RuleReason {
  rule: string;
  /** The layer that set it (a policy id, e.g. `baseline`). */
  layer: string;
  cites: string[];
  /** The parts of its condition that held, with the values they read. */
  held: string[];
  criteria: string[];
  exceptions_not_holding: string[];
}

export interface ActionExplanation {
  /** The action as the decision states it, e.g. `must refer police due immediately`. */
  action: string;
  because: RuleReason[];
  /** Minimal fact changes that would remove or weaken it. */
  counterfactuals: Counterfactual[];
  /** Whether the search covered every set up to the size bound. */
  searched_all: boolean;
}

export interface Overridden {
  rule: string;
  verdict: Verdict;
  by: string[];
}

export interface PermissionExplanation {
  verdict: Verdict | null;
  because: RuleReason[];
  overridden: Overridden[];
  counterfactuals: Counterfactual[];
  searched_all: boolean;
}

/** `decision.explain`: why each action and the permission are what they are. */
export interface Explanation {
  actions: ActionExplanation[];
  permission: PermissionExplanation | null;
  applied: string[];
  may_apply: string[];
}

/** Answers (one per question) each of which alone makes `action` required. */
export interface QuestionGroup {
  action: string;
  settled_by_any: Change[];
}

export interface NextQuestion {
  fact: string;
  ask: string;
  /** Mean number of rules still undecided after answering it (lower settles more); -1: not scored. */
  expected_open_rules: number;
}

/** Guided questions: what settles each open action, and the questions best asked next. */
export interface NextQuestions {
  groups: QuestionGroup[];
  questions: NextQuestion[];
}

/** The decision of `haven explain --format json`: a decision with its explanation. */
export interface ExplainedDecision extends Decision {
  explain: Explanation;
  /** Present while questions remain. */
  next_questions?: NextQuestions;
}

/** A rule that could produce what a why-not asks about, and what stands in its way. */
export interface Producer {
  rule: string;
  layer: string;
  /** Its condition in words. */
  when: string;
  /** Whether its condition holds on this incident (`null`: unknown). */
  holds: boolean | null;
  /** Exceptions or earlier rows that hold and pre-empt it. */
  blocked_by: string[];
}

/** `haven explain --why-not … --format json`. */
export interface WhyNot {
  goal: string;
  /** Whether the decision already satisfies it. */
  already: boolean;
  /** The rules that could produce it (empty: no rule of the policy can). */
  producers: Producer[];
  counterfactuals: Counterfactual[];
  searched_all: boolean;
  /** Why no counterfactual exists, when none was found. */
  reason: string | null;
}

export interface ExplainOptions {
  /** Ask why an action (or a verdict: `allowed`, `allowed_if`, `not_allowed`) is not decided. */
  whyNot?: { action: string; target?: string | null; modality?: Modality | null } | null;
}

export type ExplainAnswer =
  | { type: "success"; decision: ExplainedDecision }
  | { type: "success"; whyNot: WhyNot }
  | { type: "failure"; errors: HavenError[] };

export type NextQuestionsAnswer =
  | { type: "success"; nextQuestions: NextQuestions }
  | { type: "failure"; errors: HavenError[] };

/** An action as data, in a diff. */
export interface ActionKey {
  modality: Modality;
  action: string;
  targets: string[];
  target_mode: TargetMode;
  by: string | null;
  deadline: string | null;
}

export type Difference =
  | { kind: "action_added"; action: ActionKey }
  | { kind: "action_removed"; action: ActionKey }
  | { kind: "permission"; old: Verdict; new: Verdict }
  | { kind: "breach"; old: boolean; new: boolean };

/** What one policy decided on a witness, briefly. */
export interface Outcome {
  actions: string[];
  permission: Verdict | null;
  breach: boolean | null;
  rules: string[];
}

/** A class of incidents whose answers differ. */
export interface DiffClass {
  difference: Difference;
  change: string;
  summary: string;
  /** When it happens, in plain English. */
  condition: string;
  category: string | null;
  /** An incident record of the class, verified under both policies. */
  witness: Incident;
  old: Outcome;
  new: Outcome;
}

/** `haven diff --format json`. */
export interface DiffReport {
  old_policy: string;
  new_policy: string;
  classes: DiffClass[];
  searched: number;
  gave_up: number;
  unverified: number;
  unverified_classes: string[];
  gave_up_classes: string[];
  not_shared: string[];
}

export type DiffAnswer = { type: "success"; report: DiffReport };
// ---- end of haven types ----
