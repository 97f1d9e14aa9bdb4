//! The offline HTML report: one self-contained page (inline CSS and SVG, no scripts, no
//! network), with charts of late, missing and forbidden actions by month, rule and category.

use crate::summary::{Counts, Summary};
use crate::AuditReport;
use std::collections::BTreeMap;
use std::fmt::Write as _;

const LATE: &str = "#d98c00";
const MISSING: &str = "#c0392b";
const FORBIDDEN: &str = "#6c3483";
const JUDGED: &str = "#2e86c1";

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Stacked horizontal bars: late, not done, forbidden, judged per key.
fn bar_chart(id: &str, title: &str, rows: &[(&str, &Counts)]) -> String {
    let mut out = String::new();
    let max = rows
        .iter()
        .map(|(_, c)| c.misses() + c.judged)
        .max()
        .unwrap_or(0)
        .max(1);
    let label_w = 260.0;
    let bar_w = 460.0;
    let row_h = 22.0;
    let height = row_h * rows.len() as f64 + 34.0;
    let _ = write!(
        out,
        r#"<figure id="{id}"><figcaption>{}</figcaption><svg role="img" aria-label="{}" width="{}" height="{height}" viewBox="0 0 {} {height}" xmlns="http://www.w3.org/2000/svg">"#,
        esc(title),
        esc(title),
        label_w + bar_w + 70.0,
        label_w + bar_w + 70.0
    );
    for (i, (key, c)) in rows.iter().enumerate() {
        let y = i as f64 * row_h + 4.0;
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end" class="lbl">{}</text>"#,
            label_w - 6.0,
            y + 14.0,
            esc(key)
        );
        let mut x = label_w;
        for (n, colour, what) in [
            (c.late, LATE, "late"),
            (c.not_done, MISSING, "not done"),
            (c.forbidden, FORBIDDEN, "forbidden"),
            (c.judged, JUDGED, "judgement"),
        ] {
            if n == 0 {
                continue;
            }
            let w = bar_w * n as f64 / max as f64;
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="{y}" width="{w:.1}" height="{}" fill="{colour}"><title>{}: {n} {what}</title></rect>"#,
                row_h - 6.0,
                esc(key)
            );
            x += w;
        }
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{}" class="num">{}</text>"#,
            x + 4.0,
            y + 14.0,
            c.misses() + c.judged
        );
    }
    let legend_y = rows.len() as f64 * row_h + 20.0;
    let mut x = label_w;
    for (colour, what) in [
        (LATE, "late"),
        (MISSING, "not done"),
        (FORBIDDEN, "forbidden done"),
        (JUDGED, "professional judgement"),
    ] {
        let _ = write!(
            out,
            r#"<rect x="{x}" y="{}" width="12" height="12" fill="{colour}"/><text x="{}" y="{}" class="lbl">{what}</text>"#,
            legend_y - 10.0,
            x + 16.0,
            legend_y
        );
        x += 40.0 + what.len() as f64 * 7.0;
    }
    out.push_str("</svg></figure>\n");
    out
}

/// The `limit` keys with the most misses (then judgements), in that order.
fn top(map: &BTreeMap<String, Counts>, limit: usize) -> Vec<(&str, &Counts)> {
    let mut rows: Vec<(&str, &Counts)> = map
        .iter()
        .filter(|(_, c)| c.misses() + c.judged > 0)
        .map(|(k, c)| (k.as_str(), c))
        .collect();
    rows.sort_by(|a, b| {
        (b.1.misses() + b.1.judged)
            .cmp(&(a.1.misses() + a.1.judged))
            .then(a.0.cmp(b.0))
    });
    rows.truncate(limit);
    rows
}

fn table(title: &str, map: &BTreeMap<String, Counts>) -> String {
    let mut out = format!(
        "<details><summary>{}</summary><table><thead><tr><th>key</th><th>required</th><th>on time</th><th>late</th><th>school days late</th><th>not done</th><th>forbidden done</th><th>judgements</th></tr></thead><tbody>",
        esc(title)
    );
    for (k, c) in map {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(k),
            c.required,
            c.on_time,
            c.late,
            c.late_school_days,
            c.not_done,
            c.forbidden,
            c.judged
        );
    }
    out.push_str("</tbody></table></details>\n");
    out
}

/// The whole report as one HTML page. At most `max_findings` records with findings are
/// listed (the aggregates always cover every record).
pub fn html(report: &AuditReport, max_findings: usize) -> String {
    let s: &Summary = &report.summary;
    let t = &s.totals;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>haven audit: {policy}</title>
<link rel="icon" href="data:,">
<style>
body {{ font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 62rem; color: #222; padding: 0 1rem; }}
h1 {{ font-size: 1.5rem; }} h2 {{ font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }}
.tiles {{ display: flex; flex-wrap: wrap; gap: .75rem; }}
.tile {{ border: 1px solid #ccc; border-radius: 6px; padding: .5rem .9rem; min-width: 8rem; }}
.tile b {{ display: block; font-size: 1.4rem; }}
table {{ border-collapse: collapse; margin: .5rem 0; font-size: 13px; }}
td, th {{ border: 1px solid #ddd; padding: 2px 6px; text-align: left; }}
svg .lbl {{ font: 12px system-ui, sans-serif; fill: #333; }} svg .num {{ font: 11px system-ui, sans-serif; fill: #555; }}
figure {{ margin: 1rem 0; }} figcaption {{ font-weight: 600; margin-bottom: .3rem; }}
.late {{ color: {LATE}; }} .missing {{ color: {MISSING}; }} .forbidden {{ color: {FORBIDDEN}; }} .judged {{ color: {JUDGED}; }}
small {{ color: #666; }}
</style></head>
<body data-ready="1">
<h1>Audit of incident records against <code>{policy}</code>{version}</h1>
<p><small>Deadlines on the school calendar; {bank}.</small></p>
<div class="tiles">
<div class="tile">records<b id="n-records">{records}</b></div>
<div class="tile">required actions<b id="n-required">{required}</b></div>
<div class="tile">on time<b id="n-on-time">{on_time}</b></div>
<div class="tile late">late<b id="n-late">{late}</b></div>
<div class="tile missing">not done<b id="n-not-done">{not_done}</b></div>
<div class="tile forbidden">forbidden done<b id="n-forbidden">{forbidden}</b></div>
<div class="tile judged">professional judgements<b id="n-judged">{judged}</b></div>
<div class="tile">records with unanswered questions<b id="n-incomplete">{incomplete}</b></div>
<div class="tile">rejected records<b id="n-rejected">{rejected}</b></div>
</div>
"#,
        policy = esc(&report.policy),
        version = report
            .policy_version
            .as_deref()
            .map(|v| format!(" (version {})", esc(v)))
            .unwrap_or_default(),
        bank = esc(&report.bank_holidays),
        records = s.records,
        required = t.required,
        on_time = t.on_time,
        late = t.late,
        not_done = t.not_done,
        forbidden = t.forbidden,
        judged = t.judged,
        incomplete = s.incomplete,
        rejected = s.rejected.len(),
    );
    out.push_str("<h2>Late, missing and forbidden actions</h2>\n");
    let months: Vec<(&str, &Counts)> = s.by_month.iter().map(|(k, c)| (k.as_str(), c)).collect();
    out.push_str(&bar_chart("chart-month", "By month of report", &months));
    out.push_str(&bar_chart(
        "chart-rule",
        "By rule (the 20 with most)",
        &top(&s.by_rule, 20),
    ));
    out.push_str(&bar_chart(
        "chart-category",
        "By incident category (the 20 with most)",
        &top(&s.by_category, 20),
    ));
    out.push_str(&table("Every rule", &s.by_rule));
    out.push_str(&table("Every action", &s.by_action));
    out.push_str(&table("Every category", &s.by_category));
    out.push_str(&table("Every school", &s.by_school));
    out.push_str(&table("Every month", &s.by_month));

    out.push_str("<h2>Professional judgements</h2>\n<p>Departures the DSL recorded with a reason, reported apart from plain misses, per rule: what the annual policy review should look at.</p>\n");
    if s.judgements.is_empty() {
        out.push_str("<p>None recorded.</p>\n");
    } else {
        out.push_str("<table id=\"judgements\"><thead><tr><th>rule</th><th>count</th><th>not taken</th><th>taken differently</th><th>not reviewed</th><th>reasons</th></tr></thead><tbody>");
        for (rule, j) in &s.judgements {
            let reasons: Vec<String> = j
                .reasons
                .iter()
                .map(|(r, n)| format!("{} ({n})", esc(r)))
                .collect();
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(rule),
                j.count,
                j.not_taken,
                j.taken_differently,
                j.unreviewed,
                reasons.join("; ")
            );
        }
        out.push_str("</tbody></table>\n");
    }

    out.push_str("<h2>Questions never answered</h2>\n");
    if s.unanswered.is_empty() {
        out.push_str("<p>None.</p>\n");
    } else {
        out.push_str(
            "<table id=\"unanswered\"><thead><tr><th>fact</th><th>records</th></tr></thead><tbody>",
        );
        for (fact, n) in &s.unanswered {
            let _ = write!(out, "<tr><td>{}</td><td>{n}</td></tr>", esc(fact));
        }
        out.push_str("</tbody></table>\n");
    }

    if !s.rejected.is_empty() {
        out.push_str("<h2>Rejected records</h2>\n<table id=\"rejected\"><thead><tr><th>record</th><th>key</th><th>error</th></tr></thead><tbody>");
        for r in s.rejected.iter().take(max_findings) {
            let _ = write!(
                out,
                "<tr><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                esc(&r.id),
                esc(&r.key),
                esc(&r.message)
            );
        }
        out.push_str("</tbody></table>\n");
    }

    let _ = write!(
        out,
        "<h2>Records with findings</h2>\n<p>{} records; {}.</p>\n<table id=\"findings\"><thead><tr><th>record</th><th>reported</th><th>category</th><th>action</th><th>due</th><th>outcome</th><th>done</th></tr></thead><tbody>",
        report.findings.len(),
        if report.findings.len() > max_findings {
            format!("the first {max_findings} listed")
        } else {
            "all listed".to_owned()
        }
    );
    for r in report.findings.iter().take(max_findings) {
        for item in r
            .items
            .iter()
            .filter(|i| i.outcome != crate::Outcome::OnTime || i.judgement.is_some())
        {
            let outcome = match (&item.judgement, item.late_by_school_days) {
                (Some(j), _) => {
                    format!("{} (judgement: {})", item.outcome.as_str(), esc(&j.reason))
                }
                (None, Some(d)) => format!("late by {d} school days"),
                (None, None) => item.outcome.as_str().to_owned(),
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} {} {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.id),
                esc(&r.reported_at),
                esc(r.category.as_deref().unwrap_or("")),
                esc(&item.modality),
                esc(&item.action),
                esc(&item.target.join(if item.target_mode == "any" { " or " } else { " and " })),
                esc(item.due.as_deref().unwrap_or("")),
                outcome,
                esc(item.done_at.as_deref().unwrap_or("")),
            );
        }
        if !r.unanswered.is_empty() {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td colspan=\"4\">unanswered: {}</td></tr>",
                esc(&r.id),
                esc(&r.reported_at),
                esc(r.category.as_deref().unwrap_or("")),
                esc(&r.unanswered.join(", "))
            );
        }
    }
    out.push_str("</tbody></table>\n</body></html>\n");
    out
}
