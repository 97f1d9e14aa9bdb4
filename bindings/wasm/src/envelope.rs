//! Compiling, checking and listing policies with haven-core, natively (no `JsValue`, so it
//! is tested with `cargo test`). Answers and errors are core's `api` types; this module only
//! gathers the caller's modules and serialises what core returns.

use haven_core::api::{Answer, Error};
use haven_core::{CheckOptions, Date, LoadError, Loader, MapLoader, Policy};
use haven_modules::{Bundled, WithBundled};
use serde::Serialize;

/// The file name diagnostics show when the caller gives none.
pub const DEFAULT_NAME: &str = "policy.haven";

/// A compiled policy and its warnings (kept once: every answer shares them).
#[derive(Clone, Debug)]
pub struct Compiled {
    /// The policy.
    pub policy: Policy,
    /// Its warnings as answer errors.
    pub warnings: Vec<Error>,
}

/// JSON text of core's serde data. Serialising it cannot fail; `null` if it ever does.
pub fn to_json<T: Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned())
}

/// A failure answer as JSON text.
pub fn failure(errors: Vec<Error>) -> String {
    to_json(&Answer::failure(errors))
}

/// What `compile` and `check` take besides the source.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Turns on the overdue-review warning.
    pub today: Option<Date>,
    /// Modules given by the caller (module path → text), found before the bundled ones.
    pub modules: MapLoader,
    /// The school's `calendar.toml` text, for the `due` times of deadlines.
    pub calendar: Option<String>,
}

impl Options {
    fn check_options(&self) -> CheckOptions {
        CheckOptions {
            today: self.today,
            ..CheckOptions::default()
        }
    }
}

impl Loader for Options {
    fn load(&self, module: &str) -> Result<Option<(String, String)>, LoadError> {
        WithBundled(&self.modules).load(module)
    }

    fn calendar(&self) -> Result<Option<(String, String)>, LoadError> {
        Ok(self
            .calendar
            .as_ref()
            .map(|text| ("calendar.toml".to_owned(), text.clone())))
    }
}

/// Compile against the caller's modules, then the bundled `std/vocabulary` and `baseline`.
/// `Err` holds every diagnostic (errors and warnings).
pub fn compile(source: &str, name: &str, options: &Options) -> Result<Compiled, Vec<Error>> {
    match Policy::compile(name, source, options, &options.check_options()) {
        Ok(policy) => Ok(Compiled {
            warnings: policy.warning_errors(),
            policy,
        }),
        Err(e) => Err(Error::policy(e.detailed())),
    }
}

/// Every diagnostic of `source`, errors and warnings.
pub fn check(source: &str, name: &str, options: &Options) -> Vec<Error> {
    let report = haven_core::check(name, source, options, &options.check_options());
    let detailed = report
        .diagnostics
        .iter()
        .map(|d| d.detailed(&report.sources));
    Error::policy(detailed.collect())
}

/// One bundled policy for the picker.
#[derive(Serialize)]
pub struct BundledPolicy {
    id: &'static str,
    title: Option<String>,
    name: String,
    text: &'static str,
}

/// Every bundled policy (not the `std` modules): schools first, then `baseline`, then the
/// rest, each group by id.
pub fn bundled() -> Vec<BundledPolicy> {
    let mut ids = Bundled::policies();
    ids.sort_by_key(|id| {
        (
            usize::from(*id == "baseline") + 2 * usize::from(*id == "example"),
            *id,
        )
    });
    let policy = |id: &'static str| {
        let text = Bundled::text(id)?;
        let (file, _) =
            haven_core::syntax::parse(haven_core::SourceId(0), text, &Default::default());
        let title = file.and_then(|f| f.header.title.map(|t| t.node));
        let name = format!("policies/{id}/policy.haven");
        Some(BundledPolicy {
            id,
            title,
            name,
            text,
        })
    };
    ids.into_iter().filter_map(policy).collect()
}
