//! The arguments of a binding's `compile`, `check` and `explain` calls, read from one JSON
//! text the binding makes from its caller's values, so no binding has argument errors of its
//! own. Every wrong type is a `haven::api::wrong_argument` error made here, naming what came
//! in JavaScript's words (`found a number`, `found an array`).
//!
//! The text is `[source, name, options]` (or the options alone for [`why_not`]). A value JSON
//! has no form for comes as a mark, `{"\u0000": "<typeof>"}` (`"undefined"`, `"function"`,
//! `"invalid Date"`, …); `undefined` and `null` mean "not given". Strings are read as UTF-16
//! came: an unpaired surrogate (`"\ud83d"`) in a policy or module text is a located
//! `haven::source::unpaired_surrogate` error, never a silently replaced character.

use super::{goal, Error};
use crate::check::{LoadError, Loader, MapLoader};
use crate::explain::Goal;
use crate::incident::IncidentError;
use crate::{CheckOptions, Date, Policy};
use serde::de::{Deserializer, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// The file name diagnostics show when the caller gives none.
pub const DEFAULT_NAME: &str = "policy.haven";

/// What `compile` and `check` take: the source, its file name, and the options.
#[derive(Clone, Debug, Default)]
pub struct Arguments {
    /// The policy text.
    pub source: String,
    /// The file name diagnostics show.
    pub name: String,
    /// The options.
    pub options: Options,
}

/// `compile`'s and `check`'s options.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Turns on the overdue-review warning.
    pub today: Option<Date>,
    /// Modules given by the caller (module path → text), found before any others.
    pub modules: MapLoader,
    /// The school's `calendar.toml` text, for the `due` times of deadlines.
    pub calendar: Option<String>,
}

impl Loader for Options {
    fn load(&self, module: &str) -> Result<Option<(String, String)>, LoadError> {
        self.modules.load(module)
    }

    fn calendar(&self) -> Result<Option<(String, String)>, LoadError> {
        let text = self.calendar.as_ref();
        Ok(text.map(|t| ("calendar.toml".to_owned(), t.clone())))
    }
}

impl Arguments {
    /// Read `[source, name?, options?]`.
    pub fn read(json: &str) -> Result<Arguments, Vec<Error>> {
        let values: Vec<&RawValue> = serde_json::from_str(json).map_err(|_| unreadable())?;
        let nth = |i: usize| values.get(i).copied().filter(|v| !absent(v));
        let source = nth(0).ok_or_else(|| wrong("source", "a string", values.first().copied()));
        let name = match nth(1) {
            None => DEFAULT_NAME.to_owned(),
            Some(v) => string(v).ok_or_else(|| wrong("name", "a string", Some(v)))?,
        };
        let source = text(source?, "source", &name)?;
        let mut options = Options::default();
        let Some(given) = nth(2) else {
            return Ok(Arguments {
                source,
                name,
                options,
            });
        };
        let given = object(given).ok_or_else(|| wrong("options", "an object", Some(given)))?;
        if let Some(today) = given.get("today").copied().filter(|v| !absent(v)) {
            let date = string(today).and_then(|t| Date::parse(&t));
            let expected = "a valid Date or a \"YYYY-MM-DD\" string";
            options.today =
                Some(date.ok_or_else(|| wrong("options.today", expected, Some(today)))?);
        }
        if let Some(modules) = given.get("modules").copied().filter(|v| !absent(v)) {
            let expected = "an object of module path to text";
            let modules =
                object(modules).ok_or_else(|| wrong("options.modules", expected, Some(modules)))?;
            for (module, value) in modules {
                let argument = format!("options.modules[{module:?}]");
                let file = format!("{module}.haven");
                let text = text(value, &argument, &file)?;
                options.modules.insert(module, file, text);
            }
        }
        if let Some(calendar) = given.get("calendar").copied().filter(|v| !absent(v)) {
            let expected = "the text of a calendar.toml";
            options.calendar = Some(text_as(
                calendar,
                "options.calendar",
                expected,
                "calendar.toml",
            )?);
        }
        Ok(Arguments {
            source,
            name,
            options,
        })
    }

    fn check_options(&self) -> CheckOptions {
        CheckOptions::with_today(self.options.today)
    }

    /// Compile the source; `loader` finds modules the options do not give. `Err` holds every
    /// diagnostic (errors and warnings).
    pub fn compile(&self, loader: &dyn Loader) -> Result<Policy, Vec<Error>> {
        Policy::compile(&self.name, &self.source, loader, &self.check_options())
            .map_err(|e| Error::policy(e.detailed()))
    }

    /// Every diagnostic of the source, errors and warnings, in source order.
    pub fn check(&self, loader: &dyn Loader) -> Vec<Error> {
        let report = crate::check(&self.name, &self.source, loader, &self.check_options());
        let detailed = report
            .diagnostics
            .iter()
            .map(|d| d.detailed(&report.sources));
        Error::policy(detailed.collect())
    }
}

/// `explain`'s options, `{ whyNot?: { action, target?, modality? } }`, as core's goal if a
/// why-not question is asked. The words are joined as `haven explain --why-not` takes them.
pub fn why_not(json: &str) -> Result<Option<Goal>, Vec<Error>> {
    let options: &RawValue = serde_json::from_str(json).map_err(|_| unreadable())?;
    if absent(options) {
        return Ok(None);
    }
    let options = object(options).ok_or_else(|| wrong("options", "an object", Some(options)))?;
    let Some(why) = options.get("whyNot").copied().filter(|v| !absent(v)) else {
        return Ok(None);
    };
    let expected = "an object { action, target? }";
    let why = object(why).ok_or_else(|| wrong("options.whyNot", expected, Some(why)))?;
    let mut words = Vec::new();
    for key in ["modality", "action", "target"] {
        let Some(v) = why.get(key).copied().filter(|v| !absent(v)) else {
            continue;
        };
        match string(v) {
            Some(word) if !word.trim().contains(char::is_whitespace) => words.push(word),
            _ => {
                return Err(wrong(
                    &format!("options.whyNot.{key}"),
                    "one token",
                    Some(v),
                ))
            }
        }
    }
    goal(&words.join(" ")).map(Some).map_err(|e| vec![*e])
}

/// How a JavaScript value is named in a message, from its `typeof` (`"number"` for `NaN`
/// and `±Infinity`), or `null`, `array` or `invalid Date`.
pub fn js_found(js_type: &str) -> String {
    match js_type {
        "null" | "undefined" => js_type.to_owned(),
        "array" | "object" | "invalid Date" => format!("an {js_type}"),
        _ => format!("a {js_type}"),
    }
}

/// The error for a JavaScript value refused on its way to JSON text, from where it sat
/// (`key`, empty for the record itself), its `typeof` (or `deep`: nested deeper than
/// `max_depth` or inside itself; `threw`: its `toJSON` or a getter threw `shown`) and how
/// JavaScript shows it (`NaN`, `-Infinity`).
pub fn refused(key: &str, js_type: &str, shown: &str, max_depth: usize) -> Error {
    let e = match js_type {
        "deep" => IncidentError::too_deep(key, max_depth),
        "threw" => IncidentError::not_data(key, shown),
        _ if key.is_empty() => IncidentError::not_a_record(&js_found(js_type)),
        "number" => IncidentError::not_finite(key, shown),
        _ => IncidentError::not_data(key, &js_found(js_type)),
    };
    Error::Incident((&e).into())
}

/// `evaluateMany` given something other than an array (`js_type` as for [`js_found`]).
pub fn not_incidents(js_type: &str) -> Error {
    Error::wrong_argument("incidents", "an array of incidents", &js_found(js_type))
}

fn unreadable() -> Vec<Error> {
    vec![Error::wrong_argument(
        "arguments",
        "plain data",
        "a value with no JSON form",
    )]
}

fn wrong(argument: &str, expected: &str, found: Option<&RawValue>) -> Vec<Error> {
    vec![Error::wrong_argument(
        argument,
        expected,
        &found.map_or_else(|| js_found("undefined"), describe),
    )]
}

/// The mark of a value with no JSON form: its `typeof`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Mark {
    #[serde(rename = "\u{0}")]
    js: String,
}

fn describe(v: &RawValue) -> String {
    let kind = match v.get().as_bytes().first() {
        Some(b'"') => "string",
        Some(b'[') => "array",
        Some(b'{') => {
            return serde_json::from_str::<Mark>(v.get())
                .map_or_else(|_| js_found("object"), |m| js_found(&m.js))
        }
        Some(b'n') => "null",
        Some(b't' | b'f') => "boolean",
        _ => "number",
    };
    js_found(kind)
}

fn absent(v: &RawValue) -> bool {
    v.get() == "null" || serde_json::from_str::<Mark>(v.get()).is_ok_and(|m| m.js == "undefined")
}

fn object(v: &RawValue) -> Option<BTreeMap<String, &RawValue>> {
    serde_json::from_str::<Mark>(v.get())
        .is_err()
        .then(|| serde_json::from_str(v.get()).ok())?
}

fn string(v: &RawValue) -> Option<String> {
    serde_json::from_str(v.get()).ok()
}

/// A text argument (`file` names it in a located error): a string, well-formed.
fn text(v: &RawValue, argument: &str, file: &str) -> Result<String, Vec<Error>> {
    text_as(v, argument, "a string", file)
}

fn text_as(v: &RawValue, argument: &str, expected: &str, file: &str) -> Result<String, Vec<Error>> {
    let mut de = serde_json::Deserializer::from_str(v.get());
    let bytes = if v.get().starts_with('"') {
        de.deserialize_bytes(Bytes).ok()
    } else {
        None
    };
    let bytes = bytes.ok_or_else(|| wrong(argument, expected, Some(v)))?;
    String::from_utf8(bytes).map_err(|e| {
        // serde_json keeps an unpaired surrogate as three bytes that are not UTF-8.
        let offset = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
        Error::policy(crate::unpaired_surrogate(file, text, offset).detailed())
    })
}

/// A JSON string's bytes, where an unpaired surrogate is kept rather than refused.
struct Bytes;

impl Visitor<'_> for Bytes {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string")
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<Vec<u8>, E> {
        Ok(v.to_vec())
    }

    fn visit_str<E>(self, v: &str) -> Result<Vec<u8>, E> {
        Ok(v.as_bytes().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(json: &str) -> String {
        match Arguments::read(json) {
            Ok(_) => String::new(),
            Err(e) => serde_json::to_value(&e).map_or_else(|_| String::new(), |v| v.to_string()),
        }
    }

    #[test]
    fn defaults_and_absent_values() {
        let args = Arguments::read(r#"["policy x", null, {"\u0000": "undefined"}]"#).ok();
        let args = args.unwrap_or_default();
        assert_eq!(
            (args.source.as_str(), args.name.as_str()),
            ("policy x", DEFAULT_NAME)
        );
        assert!(args.options.today.is_none() && args.options.calendar.is_none());
    }

    #[test]
    fn wrong_types_are_named_as_javascript_names_them() {
        let cases = [
            (r#"[42]"#, "`source` must be a string, found a number"),
            (
                r#"[{"\u0000":"undefined"}]"#,
                "`source` must be a string, found undefined",
            ),
            (
                r#"[{"\u0000":"function"}]"#,
                "`source` must be a string, found a function",
            ),
            (r#"["p", 7]"#, "`name` must be a string, found a number"),
            (
                r#"["p", null, [1]]"#,
                "`options` must be an object, found an array",
            ),
            (
                r#"["p", null, {"today": 5}]"#,
                "`options.today` must be a valid Date",
            ),
            (
                r#"["p", null, {"today": {"\u0000":"invalid Date"}}]"#,
                "found an invalid Date",
            ),
            (
                r#"["p", null, {"modules": "std"}]"#,
                "`options.modules` must be an object",
            ),
            (
                r#"["p", null, {"modules": {"a/b": 7}}]"#,
                r#"`options.modules[\"a/b\"]` must be a string"#,
            ),
            (r#"["p", null, {"calendar": true}]"#, "found a boolean"),
        ];
        for (json, message) in cases {
            let e = error(json);
            assert!(
                e.contains("haven::api::wrong_argument") && e.contains(message),
                "{json}: {e}"
            );
        }
    }

    #[test]
    fn options_are_read() {
        let json = r#"["p", "x.haven", {"today": "2025-06-01", "modules": {"a/b": "module a/b"}, "calendar": "c"}]"#;
        let args = Arguments::read(json).unwrap_or_default();
        assert_eq!(args.name, "x.haven");
        assert_eq!(args.options.today, Date::parse("2025-06-01"));
        assert!(
            matches!(args.options.load("a/b"), Ok(Some((f, t))) if f == "a/b.haven" && t == "module a/b")
        );
        assert!(matches!(args.options.calendar(), Ok(Some((_, t))) if t == "c"));
    }

    #[test]
    fn an_unpaired_surrogate_is_located_in_its_file() {
        let e = error(r#"["p", null, {"modules": {"a/b": "one\ntwo \ud83d"}}]"#);
        assert!(
            e.contains("haven::source::unpaired_surrogate") && e.contains("a/b.haven"),
            "{e}"
        );
        assert!(e.contains(r#""line":2"#), "{e}");
        // A pair is a character.
        assert_eq!(error(r#"["\ud83d\ude00"]"#), "");
    }

    #[test]
    fn refused_values_are_incident_errors_at_their_key() {
        let code = |e: Error| {
            serde_json::to_value(e).map(|v| v["code"].to_string() + &v["message"].to_string())
        };
        let finite = code(refused("actor.age", "number", "-Infinity", 32)).unwrap_or_default();
        assert!(
            finite.contains("`actor.age` must be a finite number, found -Infinity"),
            "{finite}"
        );
        let record = code(refused("", "undefined", "undefined", 32)).unwrap_or_default();
        assert!(
            record.contains("haven::incident::wrong_type") && record.contains("found undefined"),
            "{record}"
        );
        let deep = code(refused("self", "deep", "", 32)).unwrap_or_default();
        assert!(deep.contains("haven::incident::too_deep"), "{deep}");
        let data = code(refused("f", "symbol", "Symbol(x)", 32)).unwrap_or_default();
        assert!(
            data.contains("haven::incident::not_json") && data.contains("a symbol"),
            "{data}"
        );
    }

    #[test]
    fn why_not_reads_the_goal() {
        assert!(matches!(why_not("null"), Ok(None)));
        assert!(matches!(
            why_not(r#"{"whyNot": {"action": "refer", "target": "police"}}"#),
            Ok(Some(_))
        ));
        let e = why_not(r#"{"whyNot": {"action": "two words"}}"#)
            .err()
            .unwrap_or_default();
        let e = serde_json::to_string(&e).unwrap_or_default();
        assert!(
            e.contains("`options.whyNot.action` must be one token, found a string"),
            "{e}"
        );
        let e = why_not("[1]").err().unwrap_or_default();
        assert!(serde_json::to_string(&e)
            .unwrap_or_default()
            .contains("`options` must be an object"));
    }
}
