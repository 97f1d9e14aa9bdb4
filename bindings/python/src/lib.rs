//! `haven._haven`: the native half of the `haven` Python package (DESIGN §7).
//!
//! The binding holds no policy logic. It converts Python data to the JSON values haven-core
//! reads (`convert`), calls haven-core (`Policy::compile`, `haven_core::check`,
//! `Policy::incident_from_value`, `Policy::evaluate`) and converts the answers back: a
//! `Decision` serialises itself, the contract `Decision::to_json` gives, straight into Python
//! objects (`pyser`), and errors become `haven.PolicyError`/`haven.IncidentError` (`errors`). Evaluation runs with the GIL released in
//! `evaluate_many`; a compiled policy is `Send + Sync`, so one object serves every thread.

mod audit;
mod convert;
mod errors;
mod pyser;

use errors::{incident_error, incident_errors, policy_error, Diagnostic, IncidentFields};
use haven_core::{CheckOptions, Date, Decision, Limits};
use haven_modules::FsLoader;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyMapping, PyModule, PyString};
use pyser::StrCache;
use serde_json::Value;
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

/// Records converted, evaluated with the GIL released, and converted back per chunk in
/// `evaluate_many`: bounds memory, and gives other threads the GIL between chunks.
const CHUNK: usize = 2048;

/// Run haven-core code so that a bug there (a panic) surfaces as a Python `RuntimeError`,
/// not a `PanicException` (which `except Exception` does not catch).
fn guarded<T>(f: impl FnOnce() -> T) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| {
        PyRuntimeError::new_err(
            "internal error in haven-core (a bug: please report it with the input that caused it)",
        )
    })
}

/// Read an incident record the same way: pyo3 panics if Python code (a mapping's `items`,
/// say) changes a dict while it is being read.
fn guarded_read<T>(f: impl FnOnce() -> T) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f))
        .map_err(|_| PyRuntimeError::new_err("the incident record changed while it was being read"))
}

/// Pauses Python's cyclic garbage collector while a chunk of decisions is built, if it was
/// running. The objects built are fresh trees of dicts, lists and strings: they cannot form
/// cycles, yet without the pause every few hundred of them would trigger a collection, and
/// the growing list of results makes the full collections among them cost more each time
/// (a third of the time of a large batch). No Python code runs while the pause lasts, so no
/// other thread can see it; it ends, restoring the collector, when this value is dropped.
struct GcPause<'py> {
    gc: Option<Bound<'py, PyModule>>,
}

impl<'py> GcPause<'py> {
    fn new(py: Python<'py>) -> Self {
        let gc = py.import(intern!(py, "gc")).ok().filter(|gc| {
            gc.call_method0(intern!(py, "isenabled"))
                .and_then(|on| on.is_truthy())
                .unwrap_or(false)
                && gc.call_method0(intern!(py, "disable")).is_ok()
        });
        GcPause { gc }
    }
}

impl Drop for GcPause<'_> {
    fn drop(&mut self) {
        if let Some(gc) = &self.gc {
            // Nothing useful can be done if re-enabling fails; the collector stays as it was.
            let _ = gc.call_method0(intern!(gc.py(), "enable"));
        }
    }
}

/// A compiled policy. Compile once with `Policy.from_file` or `Policy.from_source`, then
/// evaluate any number of incidents, from any number of threads.
#[pyclass(frozen, module = "haven", name = "Policy")]
struct Policy {
    inner: haven_core::Policy,
    /// Python strings shared between the decisions of this policy. Only ever `try_lock`ed:
    /// a thread that finds it busy builds its strings afresh, so it can never deadlock
    /// against the GIL.
    strings: Mutex<RefCell<StrCache>>,
}

impl Policy {
    fn new(inner: haven_core::Policy) -> Self {
        Policy {
            inner,
            strings: Mutex::new(RefCell::new(StrCache::default())),
        }
    }

    /// Serialise with the shared string cache when it is free, else with a fresh one.
    fn to_py<'py, T: serde::Serialize>(
        &self,
        py: Python<'py>,
        values: &[T],
        mut push: impl FnMut(Bound<'py, PyAny>),
    ) -> PyResult<()> {
        let mut run = |cache: &RefCell<StrCache>| -> PyResult<()> {
            for value in values {
                push(guarded(|| pyser::to_py(py, cache, value))??);
            }
            Ok(())
        };
        match self.strings.try_lock() {
            Ok(guard) => run(&guard),
            Err(_) => run(&RefCell::new(StrCache::default())),
        }
    }
}

/// Validate and evaluate one record.
fn decide<'p>(
    policy: &'p haven_core::Policy,
    record: &Value,
) -> Result<Decision<'p>, Vec<haven_core::IncidentError>> {
    let incident = policy.incident_from_value_all(record)?;
    Ok(policy.evaluate(&incident))
}

fn options(today: Option<Date>) -> CheckOptions {
    CheckOptions {
        today,
        ..CheckOptions::default()
    }
}

fn compile(
    py: Python<'_>,
    name: String,
    text: String,
    loader: FsLoader,
    today: Option<Date>,
    calendar: Option<String>,
) -> PyResult<Policy> {
    let opts = options(today);
    let res = py.detach(move || {
        guarded(|| {
            let policy = haven_core::Policy::compile(&name, &text, &loader, &opts)?;
            match &calendar {
                Some(cal) => policy.with_calendar_toml("calendar.toml", cal),
                None => Ok(policy),
            }
        })
    })?;
    match res {
        Ok(inner) => Ok(Policy::new(inner)),
        Err(err) => Err(policy_error(py, &err)),
    }
}

/// Policy text from a Python `str`. A `str` can hold a lone surrogate, which has no UTF-8
/// form: that is a located policy error (the inner `Err`), not a `UnicodeEncodeError`
/// without a line, and never silently replaced.
fn source_text(
    text: &Bound<'_, PyString>,
    name: &str,
) -> PyResult<Result<String, haven_core::CompileError>> {
    if let Ok(text) = text.to_cow() {
        return Ok(Ok(text.into_owned()));
    }
    let py = text.py();
    let encoded = text.call_method1(intern!(py, "encode"), ("utf-16-le", "surrogatepass"))?;
    let units = encoded
        .cast::<PyBytes>()?
        .as_bytes()
        .chunks_exact(2)
        .map(|pair| {
            u16::from_le_bytes([
                pair.first().copied().unwrap_or(0),
                pair.get(1).copied().unwrap_or(0),
            ])
        });
    let mut lossy = String::new();
    let mut first = None;
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => lossy.push(c),
            Err(_) => {
                first.get_or_insert(lossy.len());
                lossy.push('\u{fffd}');
            }
        }
    }
    Ok(Err(haven_core::unpaired_surrogate(
        name,
        lossy,
        first.unwrap_or(0),
    )))
}

/// Read a policy file: I/O errors as `OSError`, bytes that are not UTF-8 as a `PolicyError`
/// at the first bad byte.
fn read_policy(py: Python<'_>, path: &Path) -> PyResult<(PathBuf, String)> {
    let file = haven_modules::policy_file(path);
    let name = file.display().to_string();
    match std::fs::read(&file) {
        Ok(bytes) => match haven_core::decode_source(&name, bytes) {
            Ok(text) => Ok((file, text)),
            Err(err) => Err(policy_error(py, &err)),
        },
        Err(e) => Err(match e.raw_os_error() {
            // OSError(errno, strerror, filename) picks the subclass (FileNotFoundError, …).
            Some(errno) => PyOSError::new_err((errno, e.to_string(), name)),
            None => PyOSError::new_err(format!("{name}: {e}")),
        }),
    }
}

fn date_from_py(today: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Date>> {
    let Some(today) = today else { return Ok(None) };
    let year: u16 = today.getattr("year")?.extract()?;
    let month: u8 = today.getattr("month")?.extract()?;
    let day: u8 = today.getattr("day")?.extract()?;
    Ok(Some(Date {
        year,
        month,
        day: Some(day),
    }))
}

/// The limits every incident is held to: haven-core's defaults, as the CLI uses.
fn limits() -> Limits {
    Limits::default()
}

#[pymethods]
impl Policy {
    /// Compile the policy at `path`: a `policy.haven` file, or a directory holding one.
    /// `use` and `extends` are resolved beside it (the nearest ancestor directory with
    /// `std/vocabulary.haven`), then from the copies bundled into this module.
    #[staticmethod]
    #[pyo3(signature = (path, *, today = None))]
    fn from_file(
        py: Python<'_>,
        path: PathBuf,
        today: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let today = date_from_py(today)?;
        let (file, text) = read_policy(py, &path)?;
        let loader = FsLoader::for_policy(&file);
        compile(py, file.display().to_string(), text, loader, today, None)
    }

    /// Compile policy source text. `name` labels it in diagnostics. `use` and `extends`
    /// are resolved from `modules` (a policies directory holding `std/`, `baseline/`, …)
    /// when given, then from the copies bundled into this module.
    #[staticmethod]
    #[pyo3(signature = (text, name = "<source>", *, modules = None, today = None, calendar = None))]
    fn from_source(
        py: Python<'_>,
        text: &Bound<'_, PyString>,
        name: &str,
        modules: Option<PathBuf>,
        today: Option<&Bound<'_, PyAny>>,
        calendar: Option<String>,
    ) -> PyResult<Self> {
        let today = date_from_py(today)?;
        let text = source_text(text, name)?.map_err(|err| policy_error(py, &err))?;
        compile(
            py,
            name.to_owned(),
            text,
            FsLoader::new(modules),
            today,
            calendar,
        )
    }

    /// Compile a policy bundled into this module (`"kenilworth_2022"`, `"baseline"`, …; see
    /// `bundled_ids`), with the bundled modules it uses. Raises `ValueError` for an id that
    /// is not a bundled policy.
    #[staticmethod]
    #[pyo3(signature = (id, *, today = None))]
    fn bundled(py: Python<'_>, id: &str, today: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let today = date_from_py(today)?;
        let ids = haven_modules::Bundled::policies();
        let text = ids
            .contains(&id)
            .then(|| haven_modules::Bundled::text(id))
            .flatten()
            .ok_or_else(|| {
                PyValueError::new_err(format!(
                    "no bundled policy `{id}`: the bundled policies are {}",
                    ids.join(", ")
                ))
            })?;
        compile(
            py,
            format!("policies/{id}/policy.haven"),
            text.to_owned(),
            FsLoader::new(None),
            today,
            None,
        )
    }

    /// The ids of the policies bundled into this module, sorted.
    #[staticmethod]
    fn bundled_ids() -> Vec<&'static str> {
        let mut ids = haven_modules::Bundled::policies();
        ids.sort_unstable();
        ids
    }

    /// Run the scenarios of a `scenarios.toml` text against this policy: one dict per
    /// scenario (`name`, `cites`, `passed`, `failures`), in file order. Raises `ValueError`
    /// when the text is not a scenario file.
    fn run_scenarios<'py>(&self, py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyList>> {
        let scenarios =
            haven_core::scenario::parse_scenarios(text).map_err(PyValueError::new_err)?;
        let policy = &self.inner;
        let results = py.detach(|| {
            guarded(|| {
                scenarios
                    .iter()
                    .map(|s| haven_core::scenario::run_scenario(policy, s))
                    .collect::<Vec<_>>()
            })
        })?;
        let out = PyList::empty(py);
        for r in results {
            let d = PyDict::new(py);
            d.set_item("passed", r.passed())?;
            d.set_item("name", r.name)?;
            d.set_item("cites", r.cites)?;
            d.set_item("failures", r.failures)?;
            out.append(d)?;
        }
        Ok(out)
    }

    /// The policy id, e.g. `"kenilworth_2022"`.
    #[getter]
    fn id(&self) -> &str {
        self.inner.id()
    }

    /// The version string from the policy header, if any.
    #[getter]
    fn version(&self) -> Option<&str> {
        self.inner.version()
    }

    /// The title from the policy header, if any.
    #[getter]
    fn title(&self) -> Option<&str> {
        self.inner.title()
    }

    /// Warnings found while compiling.
    #[getter]
    fn warnings(&self) -> Vec<Diagnostic> {
        let sources = self.inner.sources();
        self.inner
            .warnings()
            .iter()
            .map(|d| Diagnostic::from(d.detailed(sources)))
            .collect()
    }

    /// Evaluate one incident record (a dict in the shape of docs/contract.md) and return the
    /// decision as a dict (docs/contract.md). Raises `IncidentError` for an invalid record.
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        incident: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let record = guarded_read(|| convert::incident_to_json(incident, &limits()))?
            .map_err(|e| incident_error(py, IncidentFields::from(&e), None))?;
        let decision =
            guarded(|| decide(&self.inner, &record))?.map_err(|e| incident_errors(py, &e, None))?;
        let mut out = None;
        self.to_py(py, std::slice::from_ref(&decision), |d| out = Some(d))?;
        Ok(out.unwrap_or_else(|| py.None().into_bound(py)))
    }

    /// Evaluate every record of an iterable; return the decisions as a list in the same
    /// order. Records are converted in chunks and evaluated with the GIL released. The
    /// first invalid record raises `IncidentError` whose `index` is its position and whose
    /// `key` starts with it, e.g. `[17].actor.age`; no decisions are returned then.
    fn evaluate_many<'py>(
        &self,
        py: Python<'py>,
        incidents: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyList>> {
        if incidents.is_instance_of::<PyDict>() || incidents.cast::<PyMapping>().is_ok() {
            return Err(PyTypeError::new_err(
                "evaluate_many takes an iterable of incident dicts; use evaluate for a single incident",
            ));
        }
        let limits = limits();
        let mut iter = incidents.try_iter()?;
        let mut decisions = Vec::new();
        let mut chunk: Vec<Value> = Vec::with_capacity(CHUNK);
        let mut start = 0usize;
        loop {
            chunk.clear();
            // An error while reading the chunk (a bad record, or one raised by the iterable)
            // waits until the records before it are evaluated: errors come in input order.
            let mut pending: Option<PyErr> = None;
            for item in iter.by_ref().take(CHUNK) {
                let converted = item.and_then(|item| {
                    guarded_read(|| convert::incident_to_json(&item, &limits))?.map_err(|e| {
                        incident_error(py, IncidentFields::from(&e), Some(start + chunk.len()))
                    })
                });
                match converted {
                    Ok(record) => chunk.push(record),
                    Err(e) => {
                        pending = Some(e);
                        break;
                    }
                }
            }
            if chunk.is_empty() {
                return match pending {
                    Some(e) => Err(e),
                    None => PyList::new(py, decisions),
                };
            }
            let policy = &self.inner;
            let records = &chunk;
            let evaluated = py.detach(move || {
                guarded(|| {
                    records
                        .iter()
                        .enumerate()
                        .map(|(i, record)| decide(policy, record).map_err(|e| (i, e)))
                        .collect::<Result<Vec<Decision<'_>>, _>>()
                })
            })?;
            let evaluated = evaluated.map_err(|(i, e)| incident_errors(py, &e, Some(start + i)))?;
            if let Some(e) = pending {
                return Err(e);
            }
            let pause = GcPause::new(py);
            self.to_py(py, &evaluated, |d| decisions.push(d))?;
            drop(pause);
            start += chunk.len();
            if chunk.len() < CHUNK {
                break;
            }
        }
        PyList::new(py, decisions)
    }

    fn __repr__(&self) -> String {
        match self.inner.version() {
            Some(v) => format!("<haven.Policy {} version {v}>", self.inner.id()),
            None => format!("<haven.Policy {}>", self.inner.id()),
        }
    }
}

/// Parse and check policy source text without compiling it for use: every error and
/// warning, in source order (an empty list when the policy is clean).
#[pyfunction]
#[pyo3(signature = (text, name = "<source>", *, modules = None, today = None))]
fn check(
    py: Python<'_>,
    text: &Bound<'_, PyString>,
    name: &str,
    modules: Option<PathBuf>,
    today: Option<&Bound<'_, PyAny>>,
) -> PyResult<Vec<Diagnostic>> {
    let opts = options(date_from_py(today)?);
    let text = match source_text(text, name)? {
        Ok(text) => text,
        Err(err) => return Ok(err.detailed().into_iter().map(Diagnostic::from).collect()),
    };
    let loader = FsLoader::new(modules);
    let name = name.to_owned();
    py.detach(move || {
        guarded(|| {
            let report = haven_core::check(&name, &text, &loader, &opts);
            report
                .diagnostics
                .iter()
                .map(|d| Diagnostic::from(d.detailed(&report.sources)))
                .collect()
        })
    })
}

/// For `bench/bench.py`: run `n` evaluations of the JSON text `incident` entirely in Rust
/// and return the seconds taken. `stage` picks what is timed:
/// - `"json"`: parse the text, validate, evaluate, serialise the decision to JSON text (the
///   native JSON path, what `haven eval --format json` does per record);
/// - `"value"`: validate a parsed `serde_json::Value` and evaluate it (what `Policy.evaluate`
///   does between converting the dict in and the decision out);
/// - `"evaluate"`: evaluate an already validated incident (the engine alone).
#[pyfunction]
fn _bench_native(
    py: Python<'_>,
    policy: &Bound<'_, Policy>,
    incident: String,
    n: usize,
    stage: &str,
) -> PyResult<f64> {
    #[derive(Clone, Copy)]
    enum Stage {
        Json,
        Value,
        Evaluate,
    }
    let stage = match stage {
        "json" => Stage::Json,
        "value" => Stage::Value,
        "evaluate" => Stage::Evaluate,
        other => {
            return Err(PyValueError::new_err(format!(
                "unknown stage {other:?}: expected \"json\", \"value\" or \"evaluate\""
            )))
        }
    };
    let policy = &policy.get().inner;
    let bad = |e: haven_core::IncidentError| PyValueError::new_err(e.message);
    py.detach(move || {
        guarded(|| {
            let record: Value = serde_json::from_str(&incident)
                .map_err(|e| PyValueError::new_err(e.to_string()))?;
            let validated = policy.incident_from_value(&record).map_err(bad)?;
            let mut sink = 0usize;
            let start = Instant::now();
            for _ in 0..n {
                match stage {
                    Stage::Json => {
                        let decision = policy.evaluate_json(&incident).map_err(bad)?;
                        let text = serde_json::to_string(&decision)
                            .map_err(|e| PyValueError::new_err(e.to_string()))?;
                        sink = sink.wrapping_add(text.len());
                    }
                    Stage::Value => {
                        let decision = decide(policy, &record).map_err(|e| {
                            PyValueError::new_err(
                                e.first().map(|e| e.message.clone()).unwrap_or_default(),
                            )
                        })?;
                        sink = sink.wrapping_add(decision.questions().len());
                    }
                    Stage::Evaluate => {
                        let decision = policy.evaluate(&validated);
                        sink = sink.wrapping_add(decision.questions().len());
                    }
                }
            }
            let elapsed = start.elapsed().as_secs_f64();
            std::hint::black_box(sink);
            Ok(elapsed)
        })?
    })
}

/// For the test suite: a panic inside haven code reaches Python as a `RuntimeError`.
#[pyfunction]
fn _check_panic_handling() -> PyResult<()> {
    guarded(|| {
        #[expect(
            clippy::panic,
            reason = "proves that a panic becomes an ordinary exception"
        )]
        {
            panic!("deliberate panic to test the panic guard")
        }
    })
}

/// The native half of the `haven` package. Import `haven`, not this module.
#[pymodule]
mod _haven {
    #[pymodule_export]
    use super::audit::{audit_html, merge_summaries, Auditor};
    #[pymodule_export]
    use super::errors::{Diagnostic, IncidentError, PolicyError};
    #[pymodule_export]
    use super::{_bench_native, _check_panic_handling, check, Policy};

    #[pymodule_init]
    fn init(m: &pyo3::Bound<'_, pyo3::types::PyModule>) -> pyo3::PyResult<()> {
        use pyo3::types::PyModuleMethods as _;
        m.add("__version__", env!("CARGO_PKG_VERSION"))
    }
}
