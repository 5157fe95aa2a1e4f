//! Figures: per-phase latency percentiles and throughput, the ratio to the same-run
//! ceiling, and the text and Markdown tables.

use crate::RunArgs;
use std::fmt::{self, Write as _};
use std::time::Duration;

/// What is loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// A plain axum server, no middleware, answering the same static body.
    Plain,
    /// The gateway's HTTP stack answering a static body.
    Ceiling,
    /// One gateway on SQLite.
    Sqlite,
    /// The same, with the sandbox's request log on (its default).
    #[value(name = "sqlite-log")]
    SqliteLog,
    /// One gateway on PostgreSQL.
    #[value(name = "postgres-1")]
    Postgres1,
    /// The same, with the sandbox's request log on (its default).
    #[value(name = "postgres-1-log")]
    Postgres1Log,
    /// Two gateways on one PostgreSQL database.
    #[value(name = "postgres-2")]
    Postgres2,
}

impl Scenario {
    /// A short tag for order ids.
    /// Whether the gateway keeps the sandbox's request log (off unless the scenario
    /// says so: it is a debugging aid whose cost the `-log` scenarios show apart).
    pub fn request_log(self) -> bool {
        matches!(self, Scenario::SqliteLog | Scenario::Postgres1Log)
    }

    /// A short tag for order ids.
    pub fn short(self) -> &'static str {
        match self {
            Scenario::Plain => "a",
            Scenario::Ceiling => "c",
            Scenario::Sqlite => "s",
            Scenario::SqliteLog => "sl",
            Scenario::Postgres1 => "p1",
            Scenario::Postgres1Log => "p1l",
            Scenario::Postgres2 => "p2",
        }
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scenario::Plain => "plain axum (static body, no middleware)",
            Scenario::Ceiling => "ceiling (static body, same HTTP stack)",
            Scenario::Sqlite => "gateway, SQLite",
            Scenario::SqliteLog => "gateway, SQLite, request log on",
            Scenario::Postgres1 => "gateway, PostgreSQL, 1 node",
            Scenario::Postgres1Log => "gateway, PostgreSQL, 1 node, request log on",
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
    /// PostgreSQL's CPU time (every server process) per successful request, µs.
    pub db_cpu_us_per_request: Option<f64>,
}

/// The nearest-rank percentile `p` of sorted values (0 when there are none).
pub fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
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
        let pct = |p: f64| percentile(&latencies_us, p);
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
            db_cpu_us_per_request: None,
        }
    }

    /// One line.
    pub fn summary(&self) -> String {
        let db = self.db_cpu_us_per_request.map(|d| format!(" + PostgreSQL {d:.0}")).unwrap_or_default();
        let mut s = format!(
            "{:.0} req/s, p50 {}, p99 {}, p99.9 {}, max {}, server CPU {:.0}{db} µs/req, {} ok, {} failed",
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
pub fn ms(us: u32) -> String {
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
    /// The IPN phases (gateway scenarios, when asked for).
    pub ipn: Option<crate::ipn::IpnLatency>,
}

impl ScenarioResult {
    /// Failed requests in the measured phases.
    pub fn errors(&self) -> u64 {
        self.saturation.errors + self.half.errors + self.ipn.as_ref().map_or(0, |i| i.failures())
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

fn baseline(results: &[ScenarioResult], scenario: Scenario) -> Option<f64> {
    results.iter().find(|r| r.scenario == scenario).map(|r| r.saturation.throughput).filter(|t| *t > 0.0)
}

fn share(of: Option<f64>, throughput: f64) -> String {
    of.map_or_else(|| "–".into(), |b| format!("{:.2}", throughput / b))
}

fn rows(results: &[ScenarioResult]) -> Vec<[String; 12]> {
    let plain = baseline(results, Scenario::Plain);
    let ceiling = baseline(results, Scenario::Ceiling);
    results
        .iter()
        .map(|r| {
            let cpu = match r.saturation.db_cpu_us_per_request {
                Some(db) => format!("{:.0} + {db:.0}", r.saturation.cpu_us_per_request),
                None => format!("{:.0}", r.saturation.cpu_us_per_request),
            };
            [
                r.scenario.to_string(),
                format!("{:.0}", r.saturation.throughput),
                share(plain, r.saturation.throughput),
                share(ceiling, r.saturation.throughput),
                ms(r.saturation.p50_us),
                ms(r.saturation.p99_us),
                cpu,
                format!("{:.0} of {:.0}", r.half.throughput, r.target_rate),
                ms(r.half.p50_us),
                ms(r.half.p99_us),
                format!("{:.1}", r.peak_rss_kib as f64 / 1024.0),
                r.errors().to_string(),
            ]
        })
        .collect()
}

const HEADERS: [&str; 12] = [
    "scenario",
    "saturation req/s",
    "of plain axum",
    "of ceiling",
    "sat. p50",
    "sat. p99",
    "server CPU µs/req (+ PostgreSQL)",
    "half load req/s (done of due)",
    "half p50",
    "half p99",
    "peak RSS MiB",
    "failed",
];

const IPN_HEADERS: [&str; 9] = [
    "scenario",
    "create + settle pairs/s (saturation)",
    "measured at pairs/s",
    "IPNs received",
    "from settle request p50",
    "p99",
    "from settle answer p50",
    "p99",
    "peak RSS MiB (after)",
];

fn ipn_rows(results: &[ScenarioResult]) -> Vec<[String; 9]> {
    results
        .iter()
        .filter_map(|r| r.ipn.as_ref().map(|i| (r.scenario, i)))
        .map(|(s, i)| {
            [
                s.to_string(),
                format!("{:.0}", i.saturation),
                format!("{:.0}", i.rate),
                format!("{} of {}", i.received, i.settled),
                ms(i.from_request_us.0),
                ms(i.from_request_us.1),
                ms(i.from_answer_us.0),
                ms(i.from_answer_us.1),
                format!("{:.1}", i.peak_rss_kib as f64 / 1024.0),
            ]
        })
        .collect()
}

/// A plain-text table.
pub fn table(results: &[ScenarioResult]) -> String {
    let mut out = text_table(&HEADERS, rows(results).iter().map(|r| r.as_slice()));
    let ipn = ipn_rows(results);
    if !ipn.is_empty() {
        out.push('\n');
        out.push_str(&text_table(&IPN_HEADERS, ipn.iter().map(|r| r.as_slice())));
    }
    out
}

fn text_table<'a>(headers: &[&str], rows: impl Iterator<Item = &'a [String]> + Clone) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows.clone() {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}", w = *w)).collect::<Vec<_>>().join("  ")
    };
    let mut out = line(headers.to_vec());
    out.push('\n');
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

fn markdown_table<'a>(md: &mut String, headers: &[&str], rows: impl Iterator<Item = &'a [String]>) {
    let _ = writeln!(md, "| {} |", headers.join(" | "));
    let _ = writeln!(md, "|{}", "---|".repeat(headers.len()));
    for row in rows {
        let _ = writeln!(md, "| {} |", row.join(" | "));
    }
    md.push('\n');
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
    markdown_table(&mut md, &HEADERS, rows(results).iter().map(|r| r.as_slice()));
    let ipn = ipn_rows(results);
    if !ipn.is_empty() {
        markdown_table(&mut md, &IPN_HEADERS, ipn.iter().map(|r| r.as_slice()));
    }
    md.push_str(&bar(args, results));
    md
}

/// The checks against the bar, stated at half of saturation and against plain axum.
fn bar(args: &RunArgs, results: &[ScenarioResult]) -> String {
    let mut md = String::new();
    let check = |ok: bool| if ok { "yes" } else { "**no**" };
    let find = |s: Scenario| results.iter().find(|r| r.scenario == s);
    let Some(plain) = baseline(results, Scenario::Plain) else { return md };
    let at_half = (args.load_fraction - 0.5).abs() < f64::EPSILON;
    let _ = writeln!(md, "Against the bar (shares of plain axum in this run):\n");
    if let Some(c) = find(Scenario::Ceiling) {
        let r = c.saturation.throughput / plain;
        let _ = writeln!(md, "- the gateway's HTTP stack at least 0.85: {r:.2} — {}", check(r >= 0.85));
    }
    if let Some(s) = find(Scenario::Sqlite) {
        let r = s.saturation.throughput / plain;
        let _ = writeln!(md, "- SQLite order creation at least 0.50: {r:.2} — {}", check(r >= 0.50));
        if at_half {
            let _ = writeln!(
                md,
                "- SQLite p99 under 5 ms at half of saturation: {} — {}",
                ms(s.half.p99_us),
                check(s.half.p99_us < 5_000)
            );
        }
        let _ = writeln!(
            md,
            "- SQLite peak RSS under 64 MB (creating orders): {:.1} MiB — {}",
            s.peak_rss_kib as f64 / 1024.0,
            check(s.peak_rss_kib * 1024 < 64 * 1000 * 1000)
        );
    }
    if let Some(p) = find(Scenario::Postgres1) {
        let r = p.saturation.throughput / plain;
        let _ = writeln!(md, "- PostgreSQL, one node, at least 0.25: {r:.2} — {}", check(r >= 0.25));
    }
    if let (Some(one), Some(two)) = (find(Scenario::Postgres1), find(Scenario::Postgres2)) {
        let per =
            |r: &ScenarioResult| r.saturation.cpu_us_per_request + r.saturation.db_cpu_us_per_request.unwrap_or(0.0);
        let _ = writeln!(
            md,
            "- PostgreSQL, two nodes no worse per order than one (gateway + PostgreSQL CPU): {:.0} against {:.0} µs — {}",
            per(two),
            per(one),
            check(per(two) <= per(one) * 1.05)
        );
    }
    for r in results {
        if let Some(i) = &r.ipn {
            let _ = writeln!(
                md,
                "- {}: IPN p99 under 20 ms under load: {} (from the settle request) — {}",
                r.scenario,
                ms(i.from_request_us.1),
                check(i.from_request_us.1 < 20_000 && i.failures() == 0)
            );
        }
    }
    for r in results {
        if let Some((n, ms)) = r.writer_pauses {
            let _ =
                writeln!(md, "\nThe SQLite writer paused for {n} checkpoints in the half phase, {ms:.1} ms in all.");
        }
    }
    md
}
