//! Figures: per-phase latency percentiles and throughput, the ratio to the same-run
//! ceiling, and the text and Markdown tables.

use crate::RunArgs;
use std::fmt::{self, Write as _};
use std::time::Duration;

/// What is loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// The gateway's HTTP stack answering a static body.
    Ceiling,
    /// One gateway on SQLite.
    Sqlite,
    /// One gateway on PostgreSQL.
    #[value(name = "postgres-1")]
    Postgres1,
    /// Two gateways on one PostgreSQL database.
    #[value(name = "postgres-2")]
    Postgres2,
}

impl Scenario {
    /// A short tag for order ids.
    pub fn short(self) -> &'static str {
        match self {
            Scenario::Ceiling => "c",
            Scenario::Sqlite => "s",
            Scenario::Postgres1 => "p1",
            Scenario::Postgres2 => "p2",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scenario::Ceiling => "ceiling (static body, same HTTP stack)",
            Scenario::Sqlite => "gateway, SQLite",
            Scenario::Postgres1 => "gateway, PostgreSQL, 1 node",
            Scenario::Postgres2 => "gateway, PostgreSQL, 2 nodes",
        })
    }
}

/// One measured phase.
#[derive(Debug, Clone)]
pub struct Phase {
    /// Successful requests per second.
    pub throughput: f64,
    /// Successful requests.
    pub ok: u64,
    /// Failed requests (transport errors or answers other than 200 with errorCode 0).
    pub errors: u64,
    /// The first failure seen.
    pub first_error: Option<String>,
    /// Latency percentiles, microseconds.
    pub p50_us: u32,
    /// 99th percentile.
    pub p99_us: u32,
    /// 99.9th percentile.
    pub p999_us: u32,
    /// Slowest.
    pub max_us: u32,
    /// Server CPU time (user + system, all nodes) per successful request, microseconds.
    pub cpu_us_per_request: f64,
}

impl Phase {
    /// Computes the figures of a phase.
    pub fn from_latencies(
        mut latencies_us: Vec<u32>,
        errors: u64,
        first_error: Option<String>,
        length: Duration,
        server_cpu_seconds: f64,
    ) -> Phase {
        latencies_us.sort_unstable();
        let ok = latencies_us.len() as u64;
        let pct = |p: f64| -> u32 {
            if latencies_us.is_empty() {
                return 0;
            }
            // Nearest rank.
            let rank = ((p / 100.0) * latencies_us.len() as f64).ceil() as usize;
            latencies_us[rank.clamp(1, latencies_us.len()) - 1]
        };
        Phase {
            throughput: ok as f64 / length.as_secs_f64(),
            ok,
            errors,
            first_error,
            p50_us: pct(50.0),
            p99_us: pct(99.0),
            p999_us: pct(99.9),
            max_us: latencies_us.last().copied().unwrap_or(0),
            cpu_us_per_request: if ok == 0 { 0.0 } else { server_cpu_seconds * 1e6 / ok as f64 },
        }
    }

    /// One line.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "{:.0} req/s, p50 {}, p99 {}, p99.9 {}, max {}, server CPU {:.0} µs/req, {} ok, {} failed",
            self.throughput,
            ms(self.p50_us),
            ms(self.p99_us),
            ms(self.p999_us),
            ms(self.max_us),
            self.cpu_us_per_request,
            self.ok,
            self.errors
        );
        if let Some(e) = &self.first_error {
            let _ = write!(s, " (first failure: {})", e.chars().take(200).collect::<String>());
        }
        s
    }
}

/// A latency in milliseconds with two decimals.
fn ms(us: u32) -> String {
    format!("{:.2} ms", f64::from(us) / 1000.0)
}

/// What one scenario came to.
#[derive(Debug, Clone)]
pub struct ScenarioResult {
    /// Which.
    pub scenario: Scenario,
    /// Server processes.
    pub nodes: usize,
    /// Closed loop.
    pub saturation: Phase,
    /// Open loop at half the saturated throughput.
    pub half: Phase,
    /// The half phase's schedule, requests per second.
    pub target_rate: f64,
    /// Largest peak RSS of the scenario's processes, KiB.
    pub peak_rss_kib: u64,
    /// SQLite only: the writer's checkpoint pauses during the half phase (how many,
    /// milliseconds in all), from the gateway's `/metrics`.
    pub writer_pauses: Option<(u64, f64)>,
}

impl ScenarioResult {
    /// Failed requests in the measured phases.
    pub fn errors(&self) -> u64 {
        self.saturation.errors + self.half.errors
    }

    /// Both phases, one line each.
    pub fn summary(&self) -> String {
        format!(
            "  peak RSS {:.1} MiB{}",
            self.peak_rss_kib as f64 / 1024.0,
            if self.nodes > 1 { " (largest node)" } else { "" }
        )
    }
}

fn ceiling(results: &[ScenarioResult]) -> Option<f64> {
    results.iter().find(|r| r.scenario == Scenario::Ceiling).map(|r| r.saturation.throughput)
}

fn rows(results: &[ScenarioResult]) -> Vec<[String; 11]> {
    let ceiling = ceiling(results);
    results
        .iter()
        .map(|r| {
            let ratio = match ceiling {
                Some(c) if c > 0.0 => format!("{:.0} %", 100.0 * r.saturation.throughput / c),
                _ => "–".into(),
            };
            [
                r.scenario.to_string(),
                format!("{:.0}", r.saturation.throughput),
                ratio,
                ms(r.saturation.p50_us),
                ms(r.saturation.p99_us),
                format!("{:.0}", r.saturation.cpu_us_per_request),
                format!("{:.0} of {:.0}", r.half.throughput, r.target_rate),
                ms(r.half.p50_us),
                ms(r.half.p99_us),
                format!("{:.1}", r.peak_rss_kib as f64 / 1024.0),
                r.errors().to_string(),
            ]
        })
        .collect()
}

const HEADERS: [&str; 11] = [
    "scenario",
    "saturation req/s",
    "of ceiling",
    "sat. p50",
    "sat. p99",
    "server CPU µs/req",
    "half load req/s (done of due)",
    "half p50",
    "half p99",
    "peak RSS MiB",
    "failed",
];

/// A plain-text table.
pub fn table(results: &[ScenarioResult]) -> String {
    let rows = rows(results);
    let mut widths: Vec<usize> = HEADERS.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}", w = *w)).collect::<Vec<_>>().join("  ")
    };
    let mut out = line(HEADERS.to_vec());
    out.push('\n');
    for row in &rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

/// The results as Markdown: machine, settings, table, and the checks against the bar.
pub fn markdown(machine: &str, args: &RunArgs, results: &[ScenarioResult]) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "Machine: {}\n", machine.replace('\n', "; "));
    let _ = writeln!(
        md,
        "Settings: {} keep-alive connections, {} warm-up, {} per phase; saturation is closed loop, \
         the load phase is open loop at {:.0} % of the saturated throughput of the same scenario.\n",
        args.connections,
        humantime::format_duration(args.warmup),
        humantime::format_duration(args.duration),
        100.0 * args.load_fraction
    );
    let _ = writeln!(md, "| {} |", HEADERS.join(" | "));
    let _ = writeln!(md, "|{}", "---|".repeat(HEADERS.len()));
    for row in rows(results) {
        let _ = writeln!(md, "| {} |", row.join(" | "));
    }
    md.push('\n');
    // The bar is stated at half of saturation.
    let at_half = (args.load_fraction - 0.5).abs() < f64::EPSILON;
    if let (true, Some(c), Some(s)) =
        (at_half, ceiling(results), results.iter().find(|r| r.scenario == Scenario::Sqlite))
    {
        let ratio = 100.0 * s.saturation.throughput / c;
        let check = |ok: bool| if ok { "yes" } else { "**no**" };
        let _ = writeln!(md, "SQLite order creation against the bar:\n");
        let _ = writeln!(md, "- at least 30 % of the ceiling: {ratio:.0} % — {}", check(ratio >= 30.0));
        let _ = writeln!(
            md,
            "- p99 under 10 ms at half of saturation: {} — {}",
            ms(s.half.p99_us),
            check(s.half.p99_us < 10_000)
        );
        let _ = writeln!(
            md,
            "- peak RSS under 64 MB: {:.1} MiB — {}",
            s.peak_rss_kib as f64 / 1024.0,
            check(s.peak_rss_kib * 1024 < 64 * 1000 * 1000)
        );
        if let Some((n, ms)) = s.writer_pauses {
            let _ =
                writeln!(md, "\nThe SQLite writer paused for {n} checkpoints in the half phase, {ms:.1} ms in all.");
        }
    }
    md
}
