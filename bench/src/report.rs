//! What a run produces: per row, its figures (repeated measurements and
//! their summary), its targets met or missed, notes, and the load average
//! around it; printed as Markdown tables (pasted into docs/BENCHMARKS.md)
//! and written as `target/bench/report.json`.

use serde_json::{Value, json};

use crate::stats::Samples;

/// How a figure is summarised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Many small events (keystrokes, pushes): p50 and p99.
    Event,
    /// A few whole runs (a flood, a start): median with min and max.
    Run,
}

/// One measured quantity.
#[derive(Debug, Clone)]
pub(crate) struct Figure {
    /// What was measured, e.g. `time to marker`.
    pub name: String,
    /// Who was measured: `tmux-mobile`, `ttyd`, or `ratio` for a quotient.
    pub subject: &'static str,
    /// Unit of the values (`s`, `ms`, `MB`, `%`, `×`, `count`…).
    pub unit: &'static str,
    /// How it is summarised.
    pub kind: Kind,
    /// The measurements.
    pub samples: Samples,
}

impl Figure {
    /// The summary as printed: `p50 1.2 / p99 3.4 ms` or `1.23 s (1.10–1.40)`.
    pub(crate) fn summary(&self) -> String {
        let s = &self.samples;
        let unit = if self.unit == "count" { "" } else { self.unit };
        let sep = if unit.is_empty() || unit == "%" || unit == "×" {
            ""
        } else {
            " "
        };
        if s.is_empty() {
            return "—".into();
        }
        match (self.kind, s.median()) {
            (_, None) => "—".into(),
            (Kind::Event, Some(m)) => format!(
                "p50 {}{sep}{unit} / p99 {}{sep}{unit}",
                num(m),
                num(s.p99().unwrap_or(m))
            ),
            (Kind::Run, Some(m)) if s.len() == 1 => format!("{}{sep}{unit}", num(m)),
            (Kind::Run, Some(m)) => format!(
                "{}{sep}{unit} ({}–{})",
                num(m),
                num(s.min().unwrap_or(m)),
                num(s.max().unwrap_or(m))
            ),
        }
    }

    fn to_json(&self) -> Value {
        let s = &self.samples;
        let mut v = json!({
            "name": self.name,
            "subject": self.subject,
            "unit": self.unit,
            "n": s.len(),
            "values": s.values(),
        });
        match self.kind {
            Kind::Event => {
                v["p50"] = json!(s.median());
                v["p99"] = json!(s.p99());
            }
            Kind::Run => {
                v["min"] = json!(s.min());
                v["median"] = json!(s.median());
                v["max"] = json!(s.max());
            }
        }
        v
    }
}

/// A number with about three significant digits.
pub(crate) fn num(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else if a >= 0.01 {
        format!("{v:.3}")
    } else {
        format!("{v:.4}")
    }
}

/// A target of the issue, and whether this run met it.
#[derive(Debug, Clone)]
pub(crate) struct Check {
    /// The target, as the issue states it (`p99 ≤ 20 ms`).
    pub target: String,
    /// What was measured against it.
    pub measured: String,
    /// Whether it was met.
    pub met: bool,
}

/// Everything a row measured.
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    /// Figures, in the order they are printed.
    pub figures: Vec<Figure>,
    /// Targets met or missed.
    pub checks: Vec<Check>,
    /// Remarks for the reader (what was skipped, what is noisy, why).
    pub notes: Vec<String>,
}

impl Outcome {
    /// Adds a figure and returns its index.
    pub(crate) fn figure(
        &mut self,
        name: impl Into<String>,
        subject: &'static str,
        unit: &'static str,
        kind: Kind,
        samples: Samples,
    ) -> usize {
        self.figures.push(Figure {
            name: name.into(),
            subject,
            unit,
            kind,
            samples,
        });
        self.figures.len() - 1
    }

    /// Adds a target with its verdict.
    pub(crate) fn check(
        &mut self,
        target: impl Into<String>,
        measured: impl Into<String>,
        met: bool,
    ) {
        self.checks.push(Check {
            target: target.into(),
            measured: measured.into(),
            met,
        });
    }

    /// Adds a note.
    pub(crate) fn note(&mut self, note: impl Into<String>) {
        self.notes.push(note.into());
    }
}

/// How a row ended.
#[derive(Debug, Clone)]
pub(crate) enum Status {
    /// It ran.
    Measured(Outcome),
    /// It was left out of this run (`--quick`, `--only`).
    Skipped(&'static str),
    /// It could not be measured; the reason.
    Failed(String),
}

/// One row of the report.
#[derive(Debug, Clone)]
pub(crate) struct RowReport {
    /// `W1`…
    pub id: &'static str,
    /// The workload, in a few words.
    pub workload: &'static str,
    /// How it ended.
    pub status: Status,
    /// 1-minute load average before and after the row.
    pub load: (f64, f64),
    /// Wall time the row took, in seconds.
    pub seconds: f64,
}

impl RowReport {
    fn to_json(&self) -> Value {
        let mut v = json!({
            "id": self.id,
            "workload": self.workload,
            "load_before": self.load.0,
            "load_after": self.load.1,
            "seconds": (self.seconds * 10.0).round() / 10.0,
        });
        match &self.status {
            Status::Measured(o) => {
                v["status"] = json!("measured");
                v["figures"] = o.figures.iter().map(Figure::to_json).collect();
                v["checks"] = o
                    .checks
                    .iter()
                    .map(|c| json!({"target": c.target, "measured": c.measured, "met": c.met}))
                    .collect();
                v["notes"] = json!(o.notes);
            }
            Status::Skipped(why) => {
                v["status"] = json!("skipped");
                v["notes"] = json!([why]);
            }
            Status::Failed(e) => {
                v["status"] = json!("failed");
                v["error"] = json!(e);
            }
        }
        v
    }
}

/// Escapes `|` for a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// The figures table, the targets table and the notes, in Markdown.
pub(crate) fn markdown(rows: &[RowReport]) -> String {
    let mut out =
        String::from("| id | workload | figure | value | n | load |\n|---|---|---|---|---|---|\n");
    for r in rows {
        let load = format!("{:.1}→{:.1}", r.load.0, r.load.1);
        match &r.status {
            Status::Measured(o) if o.figures.is_empty() => out.push_str(&format!(
                "| {} | {} | — | no figure (see its target) | | {load} |\n",
                r.id,
                cell(r.workload)
            )),
            Status::Measured(o) => {
                for (i, f) in o.figures.iter().enumerate() {
                    let workload = if i == 0 {
                        cell(r.workload)
                    } else {
                        String::new()
                    };
                    let id = if i == 0 { r.id } else { "" };
                    let name = match f.subject {
                        "tmux-mobile" => f.name.clone(),
                        other => format!("{other}: {}", f.name),
                    };
                    out.push_str(&format!(
                        "| {id} | {workload} | {} | {} | {} | {} |\n",
                        cell(&name),
                        cell(&f.summary()),
                        f.samples.len(),
                        if i == 0 { load.as_str() } else { "" }
                    ));
                }
            }
            Status::Skipped(why) => out.push_str(&format!(
                "| {} | {} | — | skipped ({why}) | | |\n",
                r.id,
                cell(r.workload)
            )),
            Status::Failed(e) => out.push_str(&format!(
                "| {} | {} | — | failed: {} | | {load} |\n",
                r.id,
                cell(r.workload),
                cell(&first_line(e))
            )),
        }
    }
    out.push_str("\n| id | target | measured | verdict |\n|---|---|---|---|\n");
    for r in rows {
        match &r.status {
            Status::Measured(o) => {
                for c in &o.checks {
                    out.push_str(&format!(
                        "| {} | {} | {} | {} |\n",
                        r.id,
                        cell(&c.target),
                        cell(&c.measured),
                        if c.met { "met" } else { "**missed**" }
                    ));
                }
            }
            Status::Skipped(_) => {}
            Status::Failed(_) => out.push_str(&format!("| {} | — | failed | see error |\n", r.id)),
        }
    }
    let notes: Vec<String> = rows
        .iter()
        .flat_map(|r| match &r.status {
            Status::Measured(o) => o.notes.iter().map(|n| format!("- {}: {n}", r.id)).collect(),
            Status::Failed(e) => vec![format!("- {}: failed: {e}", r.id)],
            _ => Vec::new(),
        })
        .collect();
    if !notes.is_empty() {
        out.push('\n');
        out.push_str(&notes.join("\n"));
        out.push('\n');
    }
    out
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("");
    if line.chars().count() > 120 {
        format!("{}…", line.chars().take(120).collect::<String>())
    } else {
        line.to_owned()
    }
}

/// The whole run as JSON: `header` (machine, tmux, commit, options) plus
/// every row.
pub(crate) fn to_json(mut header: Value, rows: &[RowReport]) -> Value {
    header["rows"] = rows.iter().map(RowReport::to_json).collect();
    header
}
