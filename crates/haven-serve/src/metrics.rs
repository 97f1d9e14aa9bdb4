//! A small Prometheus registry: labelled counters and one latency histogram per route,
//! rendered in the text exposition format.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1.0,
];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, u16), u64>,
    latency: BTreeMap<String, Histogram>,
    decisions: BTreeMap<(&'static str, &'static str), u64>,
    reloads: BTreeMap<&'static str, u64>,
}

/// Every metric the server exports.
#[derive(Default)]
pub(crate) struct Metrics {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    /// One request answered.
    pub(crate) fn request(&self, route: &str, status: u16, seconds: f64) {
        if let Ok(mut m) = self.inner.lock() {
            *m.requests.entry((route.to_owned(), status)).or_default() += 1;
            let h = m.latency.entry(route.to_owned()).or_default();
            for (count, bound) in h.counts.iter_mut().zip(BUCKETS) {
                if seconds <= bound {
                    *count += 1;
                }
            }
            h.sum += seconds;
            h.count += 1;
        }
    }

    /// One decision given.
    pub(crate) fn decision(&self, status: &'static str, verdict: &'static str) {
        if let Ok(mut m) = self.inner.lock() {
            *m.decisions.entry((status, verdict)).or_default() += 1;
        }
    }

    /// One reload (`ok`, or `failed` when some policy did not compile).
    pub(crate) fn reload(&self, result: &'static str) {
        if let Ok(mut m) = self.inner.lock() {
            *m.reloads.entry(result).or_default() += 1;
        }
    }

    /// The text exposition format. `extra` adds gauges owned elsewhere.
    pub(crate) fn render(&self, extra: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        let Ok(m) = self.inner.lock() else {
            return out;
        };
        out.push_str("# HELP haven_http_requests_total HTTP requests answered, by route and status.\n# TYPE haven_http_requests_total counter\n");
        for ((route, status), n) in &m.requests {
            let _ = writeln!(
                out,
                "haven_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
            );
        }
        out.push_str("# HELP haven_http_request_duration_seconds Time to answer, by route.\n# TYPE haven_http_request_duration_seconds histogram\n");
        for (route, h) in &m.latency {
            for (count, bound) in h.counts.iter().zip(BUCKETS) {
                let _ = writeln!(
                    out,
                    "haven_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {count}"
                );
            }
            let _ = writeln!(
                out,
                "haven_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}\n\
                 haven_http_request_duration_seconds_sum{{route=\"{route}\"}} {}\n\
                 haven_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count, h.sum, h.count
            );
        }
        out.push_str("# HELP haven_decisions_total Decisions given, by status and permission verdict.\n# TYPE haven_decisions_total counter\n");
        for ((status, verdict), n) in &m.decisions {
            let _ = writeln!(
                out,
                "haven_decisions_total{{status=\"{status}\",verdict=\"{verdict}\"}} {n}"
            );
        }
        out.push_str("# HELP haven_policy_reloads_total Policy-set reloads, by result.\n# TYPE haven_policy_reloads_total counter\n");
        for (result, n) in &m.reloads {
            let _ = writeln!(out, "haven_policy_reloads_total{{result=\"{result}\"}} {n}");
        }
        for (name, help, value) in extra {
            let kind = if name.ends_with("_total") {
                "counter"
            } else {
                "gauge"
            };
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        out
    }
}
