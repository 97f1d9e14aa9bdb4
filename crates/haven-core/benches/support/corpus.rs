//! A pre-generated corpus of varied incident records (deterministic: a fixed-seed xorshift
//! generator, no dependency). Categories, roles, ages, facts and the `others` list vary, and
//! about 40% of the facts are left unknown, so evaluation takes many different paths and
//! branch prediction cannot learn one.

use serde_json::{json, Map, Value};

/// The number of incidents benchmarks cycle through.
pub(crate) const SIZE: usize = 1024;

/// xorshift64*: small, fast, deterministic.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }

    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() >> 33) as usize % n
    }

    /// True with probability `percent`/100.
    pub(crate) fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    pub(crate) fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
}

/// One person in a generated incident.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Person {
    pub(crate) role: Option<&'static str>,
    pub(crate) age: Option<i64>,
    pub(crate) sen: Option<bool>,
}

/// One generated incident, in neutral form: every engine's input is converted from it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Case {
    pub(crate) id: String,
    pub(crate) category: Option<&'static str>,
    pub(crate) activity: Option<&'static str>,
    pub(crate) actor: Option<Person>,
    pub(crate) subject: Option<Person>,
    /// `None`: the `others` list is unknown.
    pub(crate) others: Option<Vec<Person>>,
    /// Known incident facts (absent ones are unknown).
    pub(crate) facts: Vec<(&'static str, bool)>,
    pub(crate) device: Option<(&'static str, &'static str)>,
    pub(crate) location: Option<&'static str>,
}

/// The facts the benchmark decision reads.
pub(crate) const DECISION_FACTS: [&str; 8] = [
    "adult_involved",
    "coerced_blackmailed_or_groomed",
    "capacity_to_consent_concern",
    "unusual_or_violent_acts",
    "sexual_acts",
    "immediate_risk_of_harm",
    "illegal_content_suspected",
    "deliberate",
];

/// Facts other rules of the seed policies read (noise for the benchmark decision).
const OTHER_FACTS: [&str; 6] = [
    "malicious",
    "financial_extortion",
    "imagery_on_device",
    "shared_widely",
    "consensual",
    "ai_generated",
];

const UKCIS_CATS: [&str; 2] = ["sharing_nudes", "sextortion"];

/// Every category a `staff_sanctions` row names.
const STAFF_CATS: [&str; 19] = [
    "deliberate_access_inappropriate",
    "csam",
    "extreme_pornography",
    "criminally_racist_material",
    "inappropriate_personal_use",
    "unauthorised_download",
    "account_misuse",
    "data_protection_breach",
    "hacking_or_virus",
    "offensive_message",
    "cyberbullying",
    "staff_personal_comms_with_pupils",
    "professional_standing",
    "disrepute",
    "filter_bypass",
    "accidental_access_not_reported",
    "pornography",
    "copyright_breach",
    "deliberate_access_inappropriate",
];

const OTHER_CATS: [&str; 8] = [
    "grooming",
    "upskirting",
    "self_harm_risk",
    "radicalisation",
    "online_gambling",
    "unauthorised_device_use",
    "allegation_against_staff",
    "online_contact_unknown_adult",
];

const ACTIVITIES: [&str; 5] = [
    "use",
    "bring",
    "photograph",
    "contact_parent",
    "personal_call",
];

const STAFF_ROLES: [&str; 9] = [
    "teacher",
    "headteacher",
    "office_staff",
    "network_manager",
    "teaching_assistant",
    "dsl",
    "line_manager",
    "supply_staff",
    "staff",
];

const ADULT_ROLES: [&str; 6] = [
    "parent_carer",
    "visitor",
    "contractor",
    "unknown_adult",
    "volunteer",
    "governor",
];

fn tri(rng: &mut Rng, p_true: usize, p_false: usize) -> Option<bool> {
    let r = rng.below(100);
    if r < p_true {
        Some(true)
    } else if r < p_true + p_false {
        Some(false)
    } else {
        None
    }
}

fn pupil(rng: &mut Rng) -> Person {
    Person {
        role: Some("pupil"),
        age: rng.chance(70).then(|| 4 + rng.below(15) as i64),
        sen: tri(rng, 15, 40),
    }
}

fn actor(rng: &mut Rng) -> Option<Person> {
    let r = rng.below(100);
    Some(if r < 35 {
        pupil(rng)
    } else if r < 75 {
        Person {
            role: Some(rng.pick(&STAFF_ROLES)),
            age: rng.chance(30).then(|| 21 + rng.below(45) as i64),
            sen: None,
        }
    } else if r < 90 {
        Person {
            role: Some(rng.pick(&ADULT_ROLES)),
            age: rng.chance(30).then(|| 18 + rng.below(60) as i64),
            sen: None,
        }
    } else if r < 95 {
        Person {
            role: None,
            age: rng.chance(60).then(|| 5 + rng.below(50) as i64),
            sen: None,
        }
    } else {
        return None;
    })
}

/// Generate `n` incidents from `seed`.
pub(crate) fn generate(n: usize, seed: u64) -> Vec<Case> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let r = rng.below(100);
            let (category, activity) = if r < 30 {
                (Some(rng.pick(&UKCIS_CATS)), None)
            } else if r < 78 {
                (Some(rng.pick(&STAFF_CATS)), None)
            } else if r < 92 {
                (Some(rng.pick(&OTHER_CATS)), None)
            } else {
                (None, Some(rng.pick(&ACTIVITIES)))
            };
            let subject = rng.chance(50).then(|| pupil(&mut rng));
            let others = match rng.below(10) {
                0..=3 => None,
                4 | 5 => Some(Vec::new()),
                _ => Some((0..1 + rng.below(3)).map(|_| pupil(&mut rng)).collect()),
            };
            let mut facts = Vec::new();
            for f in DECISION_FACTS {
                if let Some(b) = tri(&mut rng, 20, 40) {
                    facts.push((f, b));
                }
            }
            for f in OTHER_FACTS {
                if let Some(b) = tri(&mut rng, 15, 15) {
                    facts.push((f, b));
                }
            }
            settle(&mut facts);
            // Shuffled: the text's key order varies wherever serde_json keeps insertion order.
            for k in (1..facts.len()).rev() {
                facts.swap(k, rng.below(k + 1));
            }
            Case {
                id: format!("inc-{seed:x}-{i:06}"),
                category,
                activity,
                actor: actor(&mut rng),
                subject,
                others,
                facts,
                device: activity.map(|_| {
                    (
                        rng.pick(&["phone", "tablet", "laptop"]),
                        rng.pick(&["personal", "school"]),
                    )
                }),
                location: rng
                    .chance(30)
                    .then(|| rng.pick(&["classroom", "online", "playground", "home"])),
            }
        })
        .collect()
}

/// The standard corpus.
pub(crate) fn standard() -> Vec<Case> {
    generate(SIZE, 0x5eed_2024)
}

fn person_json(p: &Person) -> Value {
    let mut m = Map::new();
    if let Some(r) = p.role {
        m.insert("role".into(), json!(r));
    }
    if let Some(a) = p.age {
        m.insert("age".into(), json!(a));
    }
    if let Some(s) = p.sen {
        m.insert("sen".into(), json!(s));
    }
    Value::Object(m)
}

impl Case {
    /// The incident record as the contract writes it.
    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id));
        if let Some(c) = self.category {
            m.insert("category".into(), json!(c));
        }
        if let Some(a) = self.activity {
            m.insert("activity".into(), json!(a));
        }
        if let Some(p) = &self.actor {
            m.insert("actor".into(), person_json(p));
        }
        if let Some(p) = &self.subject {
            m.insert("subject".into(), person_json(p));
        }
        if let Some(o) = &self.others {
            m.insert(
                "others".into(),
                Value::Array(o.iter().map(person_json).collect()),
            );
        }
        if let Some((kind, owner)) = self.device {
            m.insert("device".into(), json!({ "kind": kind, "owner": owner }));
        }
        if let Some(l) = self.location {
            m.insert("location".into(), json!(l));
        }
        let mut f = Map::new();
        for (k, v) in &self.facts {
            f.insert((*k).into(), json!(v));
        }
        m.insert("facts".into(), Value::Object(f));
        Value::Object(m)
    }

    pub(crate) fn to_text(&self) -> String {
        self.to_json().to_string()
    }

    pub(crate) fn fact(&self, name: &str) -> Option<bool> {
        self.facts.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }

    /// Everyone `any(people: …)` ranges over: the actor, the subject, the others.
    pub(crate) fn people(&self) -> impl Iterator<Item = &Person> {
        self.actor
            .iter()
            .chain(self.subject.iter())
            .chain(self.others.iter().flatten())
    }
}

/// A yes/no fact and the value that makes it true.
type Literal = (&'static str, bool);

/// The vocabulary's fact relations among the generated facts (`policies/std`): the corpus
/// only holds records that respect them, with every fact a relation would settle already
/// stated, so relations derive nothing here and the oracle needs no copy of them.
const RELATIONS: [(Literal, Literal); 3] = [
    (("unusual_or_violent_acts", true), ("sexual_acts", true)),
    (
        ("financial_extortion", true),
        ("coerced_blackmailed_or_groomed", true),
    ),
    (
        ("consensual", true),
        ("coerced_blackmailed_or_groomed", false),
    ),
];

fn settle(facts: &mut Vec<(&'static str, bool)>) {
    // Extortion and consent cannot both hold (they settle coercion opposite ways).
    let extorted = facts.contains(&("financial_extortion", true));
    if extorted {
        for f in facts.iter_mut() {
            if f.0 == "consensual" {
                f.1 = false;
            }
        }
    }
    for _ in 0..RELATIONS.len() + 1 {
        for ((a, av), (b, bv)) in RELATIONS {
            let get = |f: &[(&str, bool)], k: &str| f.iter().find(|(n, _)| *n == k).map(|x| x.1);
            let put = |f: &mut Vec<(&'static str, bool)>, k: &'static str, v: bool| match f
                .iter_mut()
                .find(|(n, _)| *n == k)
            {
                Some(slot) => slot.1 = v,
                None => f.push((k, v)),
            };
            match (get(facts, a), get(facts, b)) {
                // The antecedent holds: state the consequent.
                (Some(x), _) if x == av => put(facts, b, bv),
                // The consequent fails: the antecedent cannot hold.
                (None, Some(y)) if y != bv => put(facts, a, !av),
                _ => {}
            }
        }
    }
}
