//! `appotapay-gateway`: see the crate documentation and `--help`.

use clap::Parser;

#[tokio::main]
async fn main() {
    let code = appotapay_gateway::cli::run(appotapay_gateway::cli::Cli::parse()).await;
    std::process::exit(code);
}
