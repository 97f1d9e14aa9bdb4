//! `haven._haven`: the native half of the `haven` Python package, an adapter over
//! haven-core. Python values go in through core's host reader (`api::host`, with `pythonize`
//! for what is not a dict or list) and core's one incident reader
//! (`Policy::incident_from_data`, which makes every error code and message); answers come out
//! as core's nodes (`api::batch`) turned into dicts and lists. Errors become
//! `haven.PolicyError`/`haven.IncidentError` with core's fields (`errors`). A compiled policy
//! is `Send + Sync`: one object serves every thread, and batches evaluate with the GIL
//! released.

mod audit;
mod errors;

use errors::{diagnostics, incident_errors, policy_error, value_error, Diagnostic};
use haven_core::api;
use haven_core::api::batch::{Build, Node, Nodes};
use haven_core::api::host::{Host, Reader, Shape};
use haven_core::{CheckOptions, Date, DiffOptions, ExplainOptions, Incident, IncidentError};
use haven_modules::FsLoader;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyMapping, PyString, PyTuple};
use pyo3::IntoPyObjectExt as _;
use pythonize::{Depythonizer, PythonizeError};
use serde::de::{Deserializer as _, Visitor};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::Instant;
use std::vec::Drain;

/// Records read, then evaluated with the GIL released, per chunk of `evaluate_many`.
const CHUNK: usize = 1024;

/// Run haven-core code so that a bug there (a panic) is a Python `RuntimeError`, not a
/// `PanicException` (which `except Exception` does not catch).
fn guarded<T>(f: impl FnOnce() -> T) -> PyResult<T> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|_| PyRuntimeError::new_err(api::usage::INTERNAL))
}

/// Serde data (a decision, an explanation, a diff) as plain Python dicts and lists. One
/// answer goes through `pythonize`: for a single small decision it is quicker than core's
/// nodes (1.9 µs against 3.9 µs for Kenilworth's phone request), whose shared strings pay
/// off across a batch.
fn to_py<'py, T: serde::Serialize>(py: Python<'py>, value: &T) -> PyResult<Bound<'py, PyAny>> {
    Ok(pythonize::pythonize(py, value)?)
}

/// Python objects from core's nodes (`Nodes::build`): each distinct string is made once
/// for all of them (a batch's decisions repeat their keys, names and citations).
struct Objects<'py>(Python<'py>);

impl<'py> Build for Objects<'py> {
    type Value = Bound<'py, PyAny>;
    type Error = PyErr;
    fn string(&mut self, text: &str) -> PyResult<Self::Value> {
        Ok(PyString::new(self.0, text).into_any())
    }
    fn scalar(&mut self, node: Node) -> PyResult<Self::Value> {
        match node {
            Node::Bool(b) => b.into_bound_py_any(self.0),
            Node::Int(i) => i.into_bound_py_any(self.0),
            Node::UInt(u) => u.into_bound_py_any(self.0),
            Node::Float(f) => f.into_bound_py_any(self.0),
            _ => Ok(self.0.None().into_bound(self.0)),
        }
    }
    fn list(&mut self, items: Drain<'_, Self::Value>) -> PyResult<Self::Value> {
        Ok(PyList::new(self.0, items)?.into_any())
    }
    fn map(&mut self, mut entries: Drain<'_, Self::Value>) -> PyResult<Self::Value> {
        let dict = PyDict::new(self.0);
        while let (Some(key), Some(value)) = (entries.next(), entries.next()) {
            dict.set_item(key, value)?;
        }
        Ok(dict.into_any())
    }
}

/// A Python value for core's host reader (`api::host`): core walks exact dicts and lists,
/// past `pythonize`'s dataclass probe (`pythonize` asks every dict for
/// `__dataclass_fields__`; before Python 3.13 each miss makes and drops an `AttributeError`,
/// a third of the time of reading a small record). Every other value is `pythonize`'s.
struct Value<'py>(Bound<'py, PyAny>);

impl<'py> Host for Value<'py> {
    type Items = Bound<'py, PyList>;
    type Error = PythonizeError;
    fn shape(&self) -> Shape<Bound<'py, PyList>> {
        match (self.0.cast_exact::<PyDict>(), self.0.cast_exact::<PyList>()) {
            (Ok(dict), _) => Shape::Map(dict.keys(), dict.values()),
            (_, Ok(list)) => Shape::List(list.clone()),
            _ => Shape::Other,
        }
    }
    fn len(items: &Bound<'py, PyList>) -> usize {
        items.len()
    }
    fn get(items: &Bound<'py, PyList>, i: usize) -> Result<Self, PythonizeError> {
        Ok(Value(items.get_item(i)?))
    }
    fn read_other<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, PythonizeError> {
        Depythonizer::from_object(&self.0).deserialize_any(visitor)
    }
}

/// Run `f` with Python's cyclic garbage collector paused if `pause` and it was running. A batch's
/// decisions are fresh trees of dicts and lists that cannot form cycles, yet every few
/// hundred would trigger a collection over the growing results (3.4x slower on Kenilworth's
/// referral decisions). `evaluate_many` pauses it per chunk, or for the whole call over a
/// list or tuple (then only a record's own mapping methods, if it is not a dict, run with
/// the collector paused).
fn gc_paused<T>(py: Python<'_>, pause: bool, f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    let gc = py.import("gc")?;
    let running = pause && gc.call_method0("isenabled")?.is_truthy()?;
    if running {
        gc.call_method0("disable")?;
    }
    let out = f();
    if running {
        gc.call_method0("enable")?;
    }
    out
}

/// A compiled policy. Compile once with `Policy.from_file`, `from_source` or `bundled`, then
/// evaluate any number of incidents, from any number of threads.
#[pyclass(frozen, module = "haven", name = "Policy")]
struct Policy {
    inner: haven_core::Policy,
}

/// Read one record with core's reader: every error, core's codes.
fn read(
    policy: &haven_core::Policy,
    record: &Bound<'_, PyAny>,
) -> PyResult<Result<Incident, Vec<IncidentError>>> {
    if record.cast::<PyMapping>().is_err() {
        let found = record.get_type().qualname()?.to_string();
        return Ok(Err(vec![IncidentError::not_a_record(&found)]));
    }
    guarded(|| policy.incident_from_data(Reader(Value(record.clone()))))
}

fn incident(policy: &haven_core::Policy, record: &Bound<'_, PyAny>) -> PyResult<Incident> {
    read(policy, record)?.map_err(|e| incident_errors(record.py(), e, None))
}

/// The check options for `today` (a `datetime.date`, for the date-dependent warnings),
/// read by core's date reader.
fn options(today: Option<&Bound<'_, PyAny>>) -> PyResult<CheckOptions> {
    let date = |today: &Bound<'_, PyAny>| {
        let text: String = today.call_method1("strftime", ("%Y-%m-%d",))?.extract()?;
        Date::parse(&text).ok_or_else(|| value_error(api::usage::not_a("a date", &text)))
    };
    Ok(CheckOptions::with_today(today.map(date).transpose()?))
}

fn compile(
    py: Python<'_>,
    name: &str,
    text: &str,
    loader: FsLoader,
    opts: CheckOptions,
) -> PyResult<Policy> {
    let compile = || haven_core::Policy::compile(name, text, &loader, &opts);
    let inner = py
        .detach(|| guarded(compile))?
        .map_err(|err| policy_error(py, &err))?;
    Ok(Policy { inner })
}

/// Policy text from a Python `str`. A lone surrogate (no UTF-8 form) is a located policy
/// error at its position (core's), not a `UnicodeEncodeError` without a line.
fn source_text(
    text: &Bound<'_, PyString>,
    name: &str,
) -> PyResult<Result<String, haven_core::CompileError>> {
    if let Ok(text) = text.to_cow() {
        return Ok(Ok(text.into_owned()));
    }
    let bytes = text.call_method1("encode", ("utf-16-le", "surrogatepass"))?;
    Ok(api::source::from_utf16_le(
        name,
        &bytes.extract::<Vec<u8>>()?,
    ))
}

/// Read a text file: its name and text. I/O errors are `OSError(errno, strerror, filename)`
/// (which picks the subclass, e.g. `FileNotFoundError`), bytes that are not UTF-8 a
/// `PolicyError`.
fn read_text(py: Python<'_>, file: &Path) -> PyResult<(String, String)> {
    let name = file.display().to_string();
    let bytes = std::fs::read(file).map_err(|e| match e.raw_os_error() {
        Some(errno) => PyOSError::new_err((errno, e.to_string(), name.clone())),
        None => PyErr::from(e),
    })?;
    let text = haven_core::decode_source(&name, bytes).map_err(|err| policy_error(py, &err))?;
    Ok((name, text))
}

#[pymethods]
impl Policy {
    /// Compile the policy at `path`: a `policy.haven` file, or a directory holding one.
    /// `use` and `extends` resolve beside it, then from the copies bundled into this module.
    #[staticmethod]
    #[pyo3(signature = (path, *, today = None))]
    fn from_file(
        py: Python<'_>,
        path: PathBuf,
        today: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let file = haven_modules::policy_file(&path);
        let (name, text) = read_text(py, &file)?;
        let loader = FsLoader::for_policy(&file);
        compile(py, &name, &text, loader, options(today)?)
    }

    /// Compile policy source text. `name` labels it in diagnostics. `use` and `extends`
    /// resolve from `modules` (a policies directory) when given, then the bundled copies.
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
        let text = source_text(text, name)?.map_err(|err| policy_error(py, &err))?;
        let loader = FsLoader::new(modules).with_calendar_text(calendar);
        compile(py, name, &text, loader, options(today)?)
    }

    /// Compile a policy bundled into this module (`"kenilworth_2022"`, `"baseline"`, …).
    /// Raises `ValueError` for an id that is not a bundled policy.
    #[staticmethod]
    #[pyo3(signature = (id, *, today = None))]
    fn bundled(py: Python<'_>, id: &str, today: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        let (name, text) = haven_modules::Bundled::policy(id).map_err(value_error)?;
        compile(py, name, text, FsLoader::new(None), options(today)?)
    }

    /// The ids of the policies bundled into this module, sorted.
    #[staticmethod]
    fn bundled_ids() -> Vec<&'static str> {
        haven_modules::Bundled::policies()
    }

    /// Run the scenarios of a `scenarios.toml` text: one dict per scenario (`name`, `cites`,
    /// `passed`, `failures`), in file order. Raises `ValueError` for a text that is not one.
    fn run_scenarios<'py>(&self, py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
        let run = || haven_core::scenario::run_scenarios(&self.inner, text);
        let results = py.detach(|| guarded(run))?.map_err(value_error)?;
        let outcomes = results.iter().map(api::ScenarioOutcome::from);
        to_py(py, &outcomes.collect::<Vec<_>>())
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
    fn warnings(&self) -> PyResult<Vec<Diagnostic>> {
        diagnostics(&self.inner.detailed_warnings())
    }

    /// Evaluate one incident record (a dict in the shape of docs/contract.md); return the
    /// decision as a dict. Raises `IncidentError` (every error of the record) if invalid.
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        incident: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let incident = self::incident(&self.inner, incident)?;
        to_py(py, &guarded(|| self.inner.evaluate(&incident))?)
    }

    /// Evaluate every record of an iterable; return the decisions in order. Records are read
    /// in chunks and evaluated with the GIL released. The first invalid record raises
    /// `IncidentError` whose `index` is its position and whose `key` starts with `[index]`.
    fn evaluate_many<'py>(
        &self,
        py: Python<'py>,
        incidents: &Bound<'py, PyAny>,
    ) -> PyResult<Vec<Bound<'py, PyAny>>> {
        if incidents.cast::<PyMapping>().is_ok() {
            return Err(PyTypeError::new_err(api::usage::MANY_NOT_ONE));
        }
        // A list or tuple runs none of the caller's code between chunks: pause throughout.
        let whole = incidents.is_exact_instance_of::<PyList>()
            || incidents.is_exact_instance_of::<PyTuple>();
        let all = || {
            let (mut out, mut items) = (Vec::new(), incidents.try_iter()?.peekable());
            while items.peek().is_some() {
                let mut chunk = Vec::with_capacity(CHUNK);
                for item in items.by_ref().take(CHUNK) {
                    let index = Some(out.len() + chunk.len());
                    let read = read(&self.inner, &item?)?;
                    chunk.push(read.map_err(|e| incident_errors(py, e, index))?);
                }
                let evaluate = || Nodes::decisions(&self.inner, &chunk);
                let nodes = py.detach(|| guarded(evaluate))?.map_err(value_error)?;
                out.extend(gc_paused(py, !whole, || nodes.build(&mut Objects(py)))?);
            }
            Ok(out)
        };
        gc_paused(py, whole, all)
    }

    /// Why the decision on `incident` is what it is: the decision with `explain` (rules,
    /// cited sentences, layers, conditions, counterfactuals) and `next_questions`, as
    /// `haven explain --format json` prints it. With `why_not` (`"refer police"`,
    /// `"must_not confiscate_device"`, `"allowed"`): the minimal fact changes that would make
    /// it so, or why none can, as `haven explain --why-not … --format json` prints it.
    #[pyo3(signature = (incident, why_not = None))]
    fn explain<'py>(
        &self,
        py: Python<'py>,
        incident: &Bound<'py, PyAny>,
        why_not: Option<&str>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let incident = self::incident(&self.inner, incident)?;
        let goal = why_not
            .map(api::goal)
            .transpose()
            .map_err(|e| value_error(e.message()))?;
        let opts = ExplainOptions::default();
        guarded(|| match goal {
            Some(goal) => to_py(py, &self.inner.why_not(&incident, &goal, &opts)),
            None => to_py(py, &self.inner.evaluate_explained(&incident, &opts)),
        })?
    }

    /// The open questions grouped by the action they settle, best question first (the
    /// decision's `next_questions` in `haven explain --format json`).
    fn next_questions<'py>(
        &self,
        py: Python<'py>,
        incident: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let incident = self::incident(&self.inner, incident)?;
        to_py(py, &guarded(|| self.inner.next_questions(&incident))?)
    }

    fn __repr__(&self) -> String {
        let version = self.inner.version().map(|v| format!(" version {v}"));
        format!(
            "<haven.Policy {}{}>",
            self.inner.id(),
            version.unwrap_or_default()
        )
    }
}

/// The classes of incidents `old` and `new` answer differently, each with a witness incident
/// verified under both, as `haven diff --format json` prints them.
#[pyfunction]
fn diff<'py>(
    py: Python<'py>,
    old: &Bound<'py, Policy>,
    new: &Bound<'py, Policy>,
) -> PyResult<Bound<'py, PyAny>> {
    let (old, new, opts) = (&old.get().inner, &new.get().inner, DiffOptions::default());
    let report = py.detach(|| guarded(|| haven_core::diff(old, new, &opts)))?;
    to_py(py, &report)
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
    let opts = options(today)?;
    let detailed = match source_text(text, name)? {
        Err(err) => err.detailed(),
        Ok(text) => {
            let check = || haven_core::check(name, &text, &FsLoader::new(modules), &opts);
            py.detach(|| guarded(|| check().detailed()))?
        }
    };
    diagnostics(&detailed)
}

/// For `bench/bench.py`: seconds for `n` runs of `stage` on `incident`: core's stages
/// (`api::bench::time`: `"json"`, `"value"`, `"evaluate"`) on its JSON text, or the binding's
/// own: `"read"` (core's reader on the Python value: the cost in) and `"out"` (the decision
/// into Python objects: the cost out).
#[pyfunction]
fn _bench_native(
    py: Python<'_>,
    policy: &Bound<'_, Policy>,
    incident: &Bound<'_, PyAny>,
    n: usize,
    stage: &str,
) -> PyResult<f64> {
    let policy = &policy.get().inner;
    if !matches!(stage, "read" | "out") {
        let text: String = (py.import("json")?.call_method1("dumps", (incident,))?).extract()?;
        let time = api::bench::time(policy, &text, stage, n).map_err(value_error)?;
        return Ok(time.as_secs_f64());
    }
    let decision = policy.evaluate(&self::incident(policy, incident)?);
    let start = Instant::now();
    for _ in 0..n {
        match stage {
            "read" => drop(std::hint::black_box(read(policy, incident)?)),
            _ => drop(std::hint::black_box(to_py(py, &decision)?)),
        }
    }
    Ok(start.elapsed().as_secs_f64())
}

/// For the test suite: a panic inside haven code reaches Python as a `RuntimeError`.
#[pyfunction]
fn _check_panic_handling() -> PyResult<()> {
    #[expect(
        clippy::panic,
        reason = "proves that a panic becomes an ordinary exception"
    )]
    guarded(|| panic!("deliberate panic to test the panic guard"))
}

/// The native half of the `haven` package. Import `haven`, not this module.
#[pymodule]
mod _haven {
    #[pymodule_export]
    use super::audit::{audit_html, merge_summaries, Auditor};
    #[pymodule_export]
    use super::errors::{Diagnostic, IncidentError, PolicyError};
    #[pymodule_export]
    use super::{_bench_native, _check_panic_handling, check, diff, Policy};

    #[pymodule_init]
    fn init(m: &pyo3::Bound<'_, pyo3::types::PyModule>) -> pyo3::PyResult<()> {
        use pyo3::types::PyModuleMethods as _;
        m.add("__version__", env!("CARGO_PKG_VERSION"))
    }
}
