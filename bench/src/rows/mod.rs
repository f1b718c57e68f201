//! The rows of the performance budget (issue 12), in report order.
//!
//! A row is an id, a workload, the target, and a function that
//! measures it and returns an [`Outcome`] (figures, targets met or missed,
//! notes). To add one: write `fn wNN(bench: &Bench) -> Result<Outcome,
//! String>` in the module of its area (or a new module here) and add it to
//! [`ROWS`] as `Run::Measure(module::wNN)`. The
//! runner does the rest: `--quick`/`--only` selection, load average, the
//! tables and `report.json`.

mod attention;
mod browser;
mod compress;
mod echo;
pub(crate) mod flood;
mod idle;
mod pty;
mod scale;
mod start;
mod state;

use crate::Bench;
use crate::report::Outcome;

/// How a row is measured.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Run {
    /// By this function.
    Measure(fn(&Bench) -> Result<Outcome, String>),
}

/// One row of the budget.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    /// `W1`…
    pub id: &'static str,
    /// The workload, in a few words.
    pub workload: &'static str,
    /// The target.
    pub target: &'static str,
    /// Whether `--quick` runs it (each row keeps its own quick repetition
    /// counts short; see [`Bench::reps`]).
    pub quick: bool,
    /// How it is measured.
    pub run: Run,
}

/// Every row, in report order.
pub(crate) const ROWS: &[Row] = &[
    Row {
        id: "W1",
        workload: "`seq 1 4000000` then a marker in the attached pane",
        target: "time ≤ ttyd; CPU ≤ 0.7× ttyd",
        quick: true,
        run: Run::Measure(flood::w1),
    },
    Row {
        id: "W2",
        workload: "one printable byte in, its echo out, ×500",
        target: "p50 ≤ 0.9× ttyd, p99 ≤ ttyd",
        quick: true,
        run: Run::Measure(echo::w2),
    },
    Row {
        id: "W3",
        workload: "outside `tmux new-window` → `tmux_state` at the client, ×20",
        target: "p99 ≤ 20 ms",
        quick: true,
        run: Run::Measure(state::w3),
    },
    Row {
        id: "W4",
        workload: "one client attached, idle 60 s",
        target: "0 tmux processes; ≤ 0.05 % CPU",
        quick: true,
        run: Run::Measure(idle::w4),
    },
    Row {
        id: "W5",
        workload: "server RSS with 0, 1, 10, 100 clients attached",
        target: "≤ 8 MB idle; ≤ 0.5 MB per extra client",
        quick: true,
        run: Run::Measure(idle::w5),
    },
    Row {
        id: "W6",
        workload: "50 clients on one session; one runs W1",
        target: "all 50 see the marker ≤ 1.5× W1",
        quick: false,
        run: Run::Measure(flood::w6),
    },
    Row {
        id: "W7",
        workload: "process start → port accepting",
        target: "≤ 20 ms",
        quick: true,
        run: Run::Measure(start::w7),
    },
    Row {
        id: "W8",
        workload: "one client never reads while another runs W1",
        target: "RSS growth ≤ 16 MB; fast client ≥ 0.9× solo speed",
        quick: false,
        run: Run::Measure(flood::w8),
    },
    Row {
        id: "W9",
        workload: "pty-bridge alone: 200 MB through the PTY",
        target: "≥ 0.9× a plain blocking read",
        quick: true,
        run: Run::Measure(pty::w9),
    },
    Row {
        id: "W10",
        workload: "release binary; first-load page weight (gzip, fonts excluded)",
        target: "≤ 8 MB; ≤ 150 KB",
        quick: true,
        run: Run::Measure(start::w10),
    },
    Row {
        id: "W11",
        workload: "100 clients attach, each opens its own window and types a marker",
        target: "all 100 see theirs ≤ 10 s",
        quick: false,
        run: Run::Measure(scale::w11),
    },
    Row {
        id: "W12",
        workload: "`capture_scrollback` of 50 000 lines × 200 chars",
        target: "≤ 1 s to the last byte; RSS growth ≤ 32 MB",
        quick: false,
        run: Run::Measure(scale::w12),
    },
    Row {
        id: "W13",
        workload: "bell in a background window → `attention`",
        target: "p99 ≤ 50 ms",
        quick: true,
        run: Run::Measure(attention::w13),
    },
    Row {
        id: "W14",
        workload: "keystroke → glyph at 300 ms RTT (link shaper), with / without prediction",
        target: "median ≤ 20 ms with prediction",
        quick: false,
        run: Run::Measure(browser::w14),
    },
    Row {
        id: "W15",
        workload: "bytes on the wire, W1 and an agent-style recording, raw vs compressed",
        target: "ratio ≤ 0.35; W1 CPU ≤ 1.3× raw; echo unchanged",
        quick: true,
        run: Run::Measure(compress::w15),
    },
];
