//! `appotapay-gateway`: see the crate documentation and `--help`.

use clap::Parser;

// Requests allocate and free many small buffers on two worker threads and the SQLite
// writer thread; mimalloc serves that pattern with less CPU than the system
// allocator (measured with the load generator, see BENCHMARKS.md).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let code = appotapay_gateway::cli::run(appotapay_gateway::cli::Cli::parse()).await;
    std::process::exit(code);
}
