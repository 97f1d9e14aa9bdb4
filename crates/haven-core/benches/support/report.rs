//! After a measuring run, read criterion's estimates back and print every figure as a ratio
//! to a baseline measured in the same run (the machine is shared and noisy: absolute times
//! move between runs, ratios much less). Also written next to criterion's own reports.

use std::fmt::Write as _;
use std::path::PathBuf;

/// Where criterion wrote its estimates: `$CRITERION_HOME`, else `<target dir>/criterion`
/// (the target dir found from this executable: `<target>/release/deps/<bench>`).
fn criterion_dir() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(dir).join("criterion");
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.parent()?.join("criterion")))
        .unwrap_or_else(|| PathBuf::from("target/criterion"))
}

/// Median time of one iteration of benchmark `id` (`group/function[/parameter]`), in ns.
pub(crate) fn median_ns(id: &str) -> Option<f64> {
    let path = criterion_dir().join(id).join("new").join("estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("median")?.get("point_estimate")?.as_f64()
}

/// Per-element time of a batch benchmark: its median divided by `per_iter` elements.
pub(crate) fn per(id: &str, per_iter: f64) -> Option<f64> {
    median_ns(id).map(|t| t / per_iter)
}

pub(crate) fn fmt_ns(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

/// A Markdown table of `(what, time, baseline name, baseline time, target)` rows.
pub(crate) struct Table {
    out: String,
}

impl Table {
    pub(crate) fn new(title: &str) -> Self {
        let mut out = String::new();
        let _ = writeln!(out, "\n### {title}\n");
        let _ = writeln!(
            out,
            "| measurement | time | baseline (same run) | baseline time | ratio | target |"
        );
        let _ = writeln!(out, "|---|---:|---|---:|---:|---|");
        Table { out }
    }

    pub(crate) fn row(
        &mut self,
        what: &str,
        time: Option<f64>,
        base_name: &str,
        base: Option<f64>,
        target: &str,
    ) {
        let show = |t: Option<f64>| t.map_or_else(|| "—".to_owned(), fmt_ns);
        let ratio = match (time, base) {
            (Some(t), Some(b)) if b > 0.0 => format!("{:.2}x", t / b),
            _ => "—".to_owned(),
        };
        let _ = writeln!(
            self.out,
            "| {what} | {} | {base_name} | {} | {ratio} | {target} |",
            show(time),
            show(base)
        );
    }

    pub(crate) fn finish(self) -> String {
        self.out
    }
}

fn emit(name: &str, text: &str) {
    println!("{text}");
    let path = criterion_dir().join(name);
    if std::fs::write(&path, text).is_ok() {
        println!("(written to {})", path.display());
    }
}

/// The haven-core report (benches/engine.rs).
pub(crate) fn print_core() {
    let mut out = String::from("## haven-core: ratios from one run\n");
    let b1k = |id: &str| per(&format!("batch/{id}/1000"), 1000.0);
    let oracle_typed = b1k("oracle_typed");
    let oracle_json = b1k("oracle_json");

    let mut t =
        Table::new("Evaluation, per incident (batch of 1 000 over the 1 024-incident corpus)");
    t.row(
        "haven, typed incident, decision policy",
        b1k("haven_typed"),
        "oracle, typed struct",
        oracle_typed,
        "≤ 10x",
    );
    t.row(
        "haven, typed incident, full Basnett policy",
        b1k("haven_typed_basnett"),
        "oracle, typed struct",
        oracle_typed,
        "(context)",
    );
    t.row(
        "haven, JSON text → decision, decision policy",
        b1k("haven_json"),
        "oracle, JSON text → map",
        oracle_json,
        "≤ 2x",
    );
    t.row(
        "haven, JSON text → decision, full Basnett policy",
        b1k("haven_json_basnett"),
        "oracle, JSON text → map",
        oracle_json,
        "(context)",
    );
    t.row(
        "oracle, JSON text → map",
        oracle_json,
        "oracle, typed struct",
        oracle_typed,
        "(the JSON floor)",
    );
    out.push_str(&t.finish());

    let mut t = Table::new("One incident per iteration (cycling through the corpus)");
    let one = |id: &str| median_ns(&format!("one/{id}"));
    for (id, base, what) in [
        (
            "haven_typed",
            "oracle_typed",
            "haven, typed, decision policy",
        ),
        (
            "haven_typed_basnett",
            "oracle_typed",
            "haven, typed, full Basnett",
        ),
        (
            "haven_json",
            "oracle_json",
            "haven, JSON → decision, decision policy",
        ),
        (
            "haven_json_basnett",
            "oracle_json",
            "haven, JSON → decision, full Basnett",
        ),
        (
            "haven_json_to_json_basnett",
            "oracle_json",
            "haven, JSON → decision JSON text, full Basnett",
        ),
    ] {
        let target = match id {
            "haven_typed" => "≤ 10x",
            "haven_json_to_json_basnett" => "≤ 3x",
            _ => "",
        };
        t.row(what, one(id), base, one(base), target);
    }
    out.push_str(&t.finish());

    let mut t = Table::new("Parse + check (compile) of each seed policy, modules included");
    let parse = median_ns("compile/parse_only_basnett_files");
    for (id, _) in super::SEEDS {
        t.row(
            &format!("compile {id}"),
            median_ns(&format!("compile/{id}")),
            "parse only (Basnett's 4 files)",
            parse,
            "< 1 ms",
        );
    }
    for (id, _) in super::SCHOOLS {
        let cold = median_ns(&format!("compile/cold/{id}"));
        t.row(
            &format!("compile {id}, module cache cold"),
            cold,
            "parse only (Basnett's 4 files)",
            parse,
            "< 2 ms",
        );
        t.row(
            &format!("compile {id}, module cache warm"),
            median_ns(&format!("compile/warm/{id}")),
            "the same, cache cold",
            cold,
            "< 1 ms",
        );
    }
    t.row(
        "compile bench_decisions",
        median_ns("compile/bench_decisions"),
        "parse only (Basnett's 4 files)",
        parse,
        "",
    );
    out.push_str(&t.finish());

    let mut t = Table::new("Scaling with batch size (per incident)");
    for id in ["haven_typed", "haven_typed_basnett", "haven_json_basnett"] {
        let base = b1k(id);
        for size in [10_000usize, 100_000] {
            t.row(
                &format!("{id}, batch {size}"),
                per(&format!("batch/{id}/{size}"), size as f64),
                &format!("{id}, batch 1000"),
                base,
                "≈ 1x (linear)",
            );
        }
    }
    out.push_str(&t.finish());

    let mut t = Table::new("Scaling with policy size (generated policies; per rule)");
    let corpus = super::corpus::SIZE as f64;
    let eval = |n: usize| per(&format!("rules_eval/{n}"), n as f64 * corpus);
    let comp = |n: usize| per(&format!("rules_compile/{n}"), n as f64);
    for n in [100usize, 1_000, 10_000] {
        t.row(
            &format!("evaluate, {n} rules, per rule per incident"),
            eval(n),
            "10 rules",
            eval(10),
            "≈ 1x (linear)",
        );
    }
    for n in [100usize, 1_000, 10_000] {
        t.row(
            &format!("compile, {n} rules, per rule"),
            comp(n),
            "10 rules",
            comp(10),
            "≈ 1x (linear)",
        );
    }
    out.push_str(&t.finish());

    let mut t =
        Table::new("Explanation off costs nothing (full Basnett, one incident per iteration)");
    let plain = median_ns("explain/evaluate");
    t.row(
        "`evaluate` (explanation off)",
        plain,
        "`one/haven_typed_basnett` (same call)",
        median_ns("one/haven_typed_basnett"),
        "≈ 1x",
    );
    t.row(
        "`evaluate_explained` (explanation, counterfactuals, next questions)",
        median_ns("explain/evaluate_explained"),
        "`evaluate`",
        plain,
        "(what it costs when asked for)",
    );
    out.push_str(&t.finish());
    emit("haven-ratios.md", &out);
}

/// The peer-engine report (crates/haven-peers/benches/peers.rs).
pub(crate) fn print_peers() {
    let n = super::corpus::SIZE as f64;
    let p = |id: &str| per(&format!("peers/{id}"), n);
    let mut out = String::from("## haven beside the peer engines: ratios from one run\n");
    let mut t =
        Table::new("Typed input (each engine's native input built beforehand), per incident");
    let haven = p("haven_typed");
    t.row(
        "haven",
        haven,
        "oracle, typed struct",
        p("oracle_typed"),
        "≤ 10x",
    );
    for (id, what, target) in [
        (
            "cedar_typed",
            "Cedar (`is_authorized`)",
            "haven ≥ 2x faster",
        ),
        (
            "regorus_typed",
            "regorus (`Engine::eval_rule`)",
            "haven ≥ 5x faster",
        ),
        (
            "regorus_compiled_typed",
            "regorus (`CompiledPolicy::eval_with_input`)",
            "haven ≥ 5x faster",
        ),
        ("zen_typed", "zen (`Decision::evaluate`, precompiled)", ""),
    ] {
        t.row(what, p(id), "haven", haven, target);
    }
    out.push_str(&t.finish());
    let mut t = Table::new("From the incident's JSON text, per incident");
    let haven = p("haven_json");
    t.row(
        "haven",
        haven,
        "oracle, JSON text → map",
        p("oracle_json"),
        "≤ 2x",
    );
    for (id, what) in [
        (
            "cedar_json",
            "Cedar (text → Value → Context → Request → answer)",
        ),
        ("regorus_json", "regorus (text → Value → compiled policy)"),
        ("zen_json", "zen (text → Value → Variable → answer)"),
    ] {
        t.row(what, p(id), "haven", haven, "");
    }
    out.push_str(&t.finish());
    emit("peers-ratios.md", &out);
}
