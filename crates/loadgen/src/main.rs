//! `appotapay-loadgen`: measures order creation (`POST /api/v1/orders/payment/bank`)
//! and the IPN's latency over loopback, against two baselines measured in the same
//! run.
//!
//! Why it is built this way:
//! - **Same-run baselines.** Absolute figures on a shared 2-core machine say little.
//!   Two servers answer the same request with a static JSON body of a real answer's
//!   size, each in a child process of this binary on the gateway's runtime: **plain**
//!   axum with no middleware at all (`appotapay-loadgen plain`), and the **ceiling**,
//!   the gateway's own HTTP stack ([`appotapay_gateway::api::http_stack`]) around the
//!   same handler (`appotapay-loadgen ceiling`). Every scenario is reported as a
//!   share of both: of plain axum, what the gateway costs in all; of the ceiling,
//!   what its own work (JWT, signature, validation, storage) costs.
//! - **A cheap client.** The client shares the two cores with the servers, so what
//!   it spends per request is taken from them, and the faster the server, the more
//!   a heavy client flattens the ratios. Requests are rendered straight to bytes and
//!   answers read by `Content-Length` ([`client`]); `--wrk` loads the plain server
//!   with wrk too, to compare.
//! - **Real processes.** Every server under test is a child process started from the
//!   release binaries, so its peak RSS and CPU time are its own (`/proc`), and
//!   PostgreSQL's CPU time is read from its own processes.
//! - **Valid, unique, signed requests.** Each request is a fresh order, signed like a
//!   merchant signs it (the protocol crate's field list), with a JWT reused as the SDK
//!   does. The baselines get exactly the same client work, so the ratio is fair.
//! - **Saturation, then half of it, open loop.** Saturation is closed loop (each
//!   connection sends its next request when the answer arrives). The latency figure
//!   that matters is taken at half of that throughput, open loop on a fixed
//!   schedule: a request that has to wait for its connection is timed from when it
//!   was due, so a stall shows in p99 instead of hiding (coordinated omission).
//! - **IPNs under load.** For each gateway scenario, orders are then created and
//!   settled (sandbox helper API) in pairs, at saturation and at half of it, with a
//!   merchant endpoint of this process receiving the IPNs ([`ipn`]).
//!
//! Run it with `scripts/bench` (builds the release binaries first).

mod client;
mod ipn;
mod load;
mod machine;
mod report;
mod servers;

use clap::{Parser, Subcommand};

// The gateway's own allocator: the ceiling is the gateway's HTTP stack and must pay
// what a gateway pays for its allocations, and plain axum gets the same, so that the
// two differ only by the stack. (With the system allocator, the stack's own
// instructions per request were 13 % more: BENCHMARKS.md.)
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Parser)]
#[command(name = "appotapay-loadgen", about = "Order-creation load test of the gateway against a same-run ceiling")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the ceiling: the gateway's HTTP stack answering a static JSON body.
    Ceiling {
        /// Address to listen on.
        #[arg(long)]
        listen: SocketAddr,
    },
    /// Serve the plain baseline: axum without middleware answering the same body.
    Plain {
        /// Address to listen on.
        #[arg(long)]
        listen: SocketAddr,
    },
}

/// What `run` (the default) measures.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Scenarios, in order: plain (axum without middleware, static body), ceiling
    /// (the gateway's HTTP stack, static body), sqlite, postgres-1 (one node),
    /// postgres-2 (two nodes on one database, connections spread over both);
    /// sqlite-log and postgres-1-log are the same with the sandbox's request log on
    /// (the others run with it off).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "plain,ceiling,sqlite,sqlite-log,postgres-1,postgres-1-log,postgres-2"
    )]
    scenarios: Vec<report::Scenario>,
    /// Leave out the IPN phases (creating and settling orders, IPN latency) of the
    /// gateway scenarios.
    #[arg(long)]
    no_ipn: bool,
    /// Also load the plain server with this wrk binary (same connections, one
    /// thread, same length), to compare this client with it.
    #[arg(long)]
    wrk: Option<PathBuf>,
    /// Length of each measured phase.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "10s")]
    duration: Duration,
    /// Closed-loop warm-up before the measured phases of each scenario.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "3s")]
    warmup: Duration,
    /// The fraction of the saturated throughput the open-loop phase is run at.
    #[arg(long, default_value_t = 0.5)]
    load_fraction: f64,
    /// Concurrent keep-alive connections.
    #[arg(long, default_value_t = 32)]
    connections: usize,
    /// The gateway binary (default: `appotapay-gateway` beside this binary).
    #[arg(long)]
    gateway_bin: Option<PathBuf>,
    /// PostgreSQL server on which each postgres scenario creates (and drops) a fresh
    /// database; the role needs CREATEDB.
    #[arg(long, env = "APPOTAPAY_TEST_POSTGRES_URL", default_value = "postgres://postgres@127.0.0.1:5432/test")]
    postgres_url: String,
    /// Also write the results as Markdown (machine, table) to this file.
    #[arg(long)]
    markdown: Option<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Ceiling { listen }) => {
            // The gateway's own runtime: `#[tokio::main]`, one worker per core.
            serve(servers::serve_ceiling(listen))
        }
        Some(Command::Plain { listen }) => serve(servers::serve_plain(listen)),
        None => {
            // One thread for the client: the servers get the rest of the machine.
            let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            match rt.block_on(run(cli.run)) {
                Ok(clean) if clean => ExitCode::SUCCESS,
                Ok(_) => {
                    eprintln!("some requests failed: the figures above are not valid");
                    ExitCode::FAILURE
                }
                Err(e) => {
                    eprintln!("error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// Serves a baseline on the gateway's own runtime: `#[tokio::main]`, one worker per core.
fn serve(server: impl std::future::Future<Output = Result<(), String>>) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(server) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs every scenario; `Ok(false)` when some request failed.
async fn run(args: RunArgs) -> Result<bool, String> {
    if cfg!(debug_assertions) {
        eprintln!("warning: a debug build; measure with `scripts/bench` (release)");
    }
    let gateway_bin = match &args.gateway_bin {
        Some(p) => p.clone(),
        None => servers::sibling_binary("appotapay-gateway")?,
    };
    let machine = machine::describe();
    println!("{machine}");
    println!(
        "{} connections, {} warm-up, {} per phase\n",
        args.connections,
        humantime::format_duration(args.warmup),
        humantime::format_duration(args.duration)
    );
    let mut client_check = None;
    let merchant = if args.no_ipn { None } else { Some(ipn::Merchant::start()?) };
    let mut results = Vec::new();
    let mut wrk = None;
    for scenario in &args.scenarios {
        println!("== {scenario}");
        let nodes = servers::start(*scenario, &gateway_bin, &args.postgres_url).await?;
        let gateway = !matches!(scenario, report::Scenario::Plain | report::Scenario::Ceiling);
        let result = load::measure(*scenario, &nodes, &args, merchant.as_ref().filter(|_| gateway)).await;
        if let (Some(bin), report::Scenario::Plain, Ok(_)) = (&args.wrk, scenario, &result) {
            wrk = Some(servers::wrk(bin, nodes.addrs()[0], &args).await?);
        }
        nodes.stop().await;
        let result = result?;
        println!("{}\n", result.summary());
        results.push(result);
    }
    if let (Some(w), Some(ours)) = (wrk, results.iter().find(|r| r.scenario == report::Scenario::Plain)) {
        let line = format!(
            "Client check, plain axum: wrk (1 thread, {} connections) {w:.0} req/s, this client {:.0} req/s ({:.2} of wrk)",
            args.connections,
            ours.saturation.throughput,
            ours.saturation.throughput / w
        );
        println!("{line}\n");
        client_check = Some(line);
    }
    let table = report::table(&results);
    println!("{table}");
    if let Some(path) = &args.markdown {
        let mut md = report::markdown(&machine, &args, &results);
        if let Some(line) = &client_check {
            md.push_str(&format!("\n{line}.\n"));
        }
        std::fs::write(path, md).map_err(|e| format!("writing {}: {e}", path.display()))?;
        println!("written to {}", path.display());
    }
    Ok(results.iter().all(|r| r.errors() == 0))
}
