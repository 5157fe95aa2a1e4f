//! The command line: `serve` (default), `partner …` (with collecting accounts, bank
//! feeds and credits), `credits resolve`, `refund mark`, `conformance`, `migrate`, and the
//! sandbox merchant test kit's `sign`, `token` and `logs tail` (`cli/kit.rs`), `openapi`,
//! which prints the OpenAPI document, and the console's `admin token …` and
//! `ipn resend|redrive` (`cli/admin.rs`).

use crate::config::{Config, Overrides};
use crate::core::conformance::ConformanceRun;
use crate::core::{Gateway, Rotated};
use crate::crypto::random_token;
use crate::domain::records::Allowed;
use crate::server;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

mod admin;
mod feeds;
mod kit;

/// An AppotaPay v1 compatible payment gateway.
#[derive(Debug, Parser)]
#[command(name = "appotapay-gateway", version, about)]
pub struct Cli {
    /// Config file (TOML), layered over the defaults and under the environment.
    #[arg(long, global = true)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    overrides: OverrideArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Args)]
struct OverrideArgs {
    /// Address and port to listen on (APPOTAPAY_LISTEN).
    #[arg(long, global = true)]
    listen: Option<String>,
    /// Base URL of payment links (APPOTAPAY_PUBLIC_URL).
    #[arg(long, global = true)]
    public_url: Option<String>,
    /// sqlite://path or postgres://user:pass@host/db (APPOTAPAY_DATABASE_URL).
    #[arg(long, global = true)]
    database_url: Option<String>,
    /// Data directory (APPOTAPAY_DATA_DIR).
    #[arg(long, global = true)]
    data_dir: Option<String>,
    /// sandbox or production (APPOTAPAY_MODE).
    #[arg(long, global = true)]
    mode: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the gateway (the default).
    Serve,
    /// Manage partners.
    #[command(subcommand)]
    Partner(PartnerCommand),
    /// Apply database migrations and exit.
    Migrate,
    /// Bank credits that paid nothing.
    #[command(subcommand)]
    Credits(feeds::CreditsCommand),
    /// Refunds paid back by hand.
    #[command(subcommand)]
    Refund(feeds::RefundCommand),
    /// Test a merchant's IPN handler (sandbox only): send its notify URL the
    /// notifications of a pending order it created (a valid one, a retry, forgeries it
    /// must refuse), judge the answers, then settle the order as a success. Exits 0
    /// only when every case that must pass passed.
    Conformance {
        /// The partner's orderId (or the appotapayTransId) of a pending order.
        #[arg(long)]
        order_id: String,
        /// The partner (default: the one of an appotapayTransId, else the sandbox partner).
        #[arg(long)]
        partner: Option<String>,
        /// Send to this URL instead of the order's notifyUrl.
        #[arg(long)]
        notify_url: Option<String>,
        /// Report format.
        #[arg(long, default_value = "text", value_parser = ["text", "json", "junit"])]
        format: String,
        /// Write the report to this file (standard output by default).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Print the canonical signed string and the signature of a JSON body, offline.
    Sign(kit::SignArgs),
    /// Print a partner API token (`X-APPOTAPAY-AUTH`), offline: the public sandbox
    /// partner's unless told otherwise.
    Token(kit::TokenArgs),
    /// The sandbox's log of partner API calls.
    #[command(subcommand)]
    Logs(kit::LogsCommand),
    /// The console's and the admin API's access: admin tokens.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// IPNs: send one again, or every failing one of a partner.
    #[command(subcommand)]
    Ipn(admin::IpnCommand),
    /// Print the OpenAPI 3.1 document of the HTTP API (what `GET /openapi.json`
    /// serves), offline: the sandbox document, as kept in docs/openapi.json.
    Openapi {
        /// The production document: without the sandbox helpers.
        #[arg(long)]
        production: bool,
    },
}

#[derive(Debug, Subcommand)]
enum PartnerCommand {
    /// Create a partner and print its credentials as JSON.
    Create {
        /// Partner code.
        #[arg(long)]
        code: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Send IPNs for failed payments too.
        #[arg(long)]
        notify_failures: bool,
    },
    /// List partners as JSON lines (no secrets).
    List,
    /// Limit the payment methods and banks a partner may use (API v2 answers 140 and
    /// 141 for others). An empty list ("") allows every one; an option left out keeps
    /// its list.
    Set {
        /// Partner code.
        #[arg(long)]
        code: String,
        /// Comma-separated methods (ATM, CC, ALL, VA, EWALLET, MM, ISTM).
        #[arg(long)]
        methods: Option<String>,
        /// Comma-separated bank codes.
        #[arg(long)]
        banks: Option<String>,
    },
    /// Lock a partner: its calls answer 13.
    Lock {
        /// Partner code.
        code: String,
    },
    /// Unlock a partner.
    Unlock {
        /// Partner code.
        code: String,
    },
    /// Give a partner a new API key and secret, printed as JSON. With --grace the
    /// old ones keep working, and keep signing responses and IPNs, for that long.
    #[command(name = "rotate-keys")]
    RotateKeys {
        /// Partner code.
        #[arg(long)]
        code: String,
        /// How long the old credentials stay valid (e.g. 24h, 30m); none: they stop
        /// at once.
        #[arg(long, value_parser = crate::config::parse_duration)]
        grace: Option<std::time::Duration>,
        /// Rotate even while an earlier rotation's grace period runs: that period's
        /// old credentials stop at once.
        #[arg(long)]
        force: bool,
    },
    /// Manage sub-accounts.
    #[command(subcommand, name = "sub-account")]
    SubAccount(SubAccountCommand),
    /// The partner's own collecting account for QR payments.
    #[command(subcommand)]
    Account(feeds::AccountCommand),
    /// The partner's bank feeds (SePay, Casso).
    #[command(subcommand, name = "bank-feed")]
    BankFeed(feeds::FeedCommand),
    /// The bank credits the partner's feeds reported.
    #[command(subcommand)]
    Credits(feeds::PartnerCreditsCommand),
}

#[derive(Debug, Subcommand)]
enum SubAccountCommand {
    /// Create a sub-account and print its id.
    Create {
        /// Owning partner.
        #[arg(long)]
        partner: String,
        /// Owner-type sub-account.
        #[arg(long)]
        owner: bool,
    },
}

/// Runs the command line; returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    // Offline: no configuration, no database.
    match &cli.command {
        Some(Command::Sign(args)) => return finish(kit::sign(args)),
        Some(Command::Token(args)) => return finish(kit::token(args)),
        Some(Command::Openapi { production }) => {
            print!("{}", crate::api::openapi::json(!production));
            return 0;
        }
        _ => {}
    }
    let o = cli.overrides;
    let overrides = Overrides {
        listen: o.listen,
        public_url: o.public_url,
        database_url: o.database_url,
        data_dir: o.data_dir,
        mode: o.mode,
    };
    let config = match Config::load(cli.config.as_deref(), &overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return 2;
        }
    };
    crate::init_tracing(config.log_json);
    let command = cli.command.unwrap_or(Command::Serve);
    if !matches!(command, Command::Serve) {
        // On standard error: what the commands print on standard output stays
        // machine-readable. `serve` says it in its banner.
        eprintln!("mode: {}", config.mode.as_str());
    }
    if let Command::Conformance { order_id, partner, notify_url, format, out } = command {
        return match conformance(config, &order_id, partner.as_deref(), notify_url.as_deref(), &format, out).await {
            Ok(true) => 0,
            Ok(false) => 1,
            Err(e) => {
                eprintln!("error: {e}");
                2
            }
        };
    }
    let result = match command {
        Command::Serve => server::serve(config).await.map_err(|e| e.to_string()),
        Command::Conformance { .. } => Ok(()),
        Command::Migrate => {
            server::open_admin(config).await.map(|_| println!("migrations applied")).map_err(|e| e.to_string())
        }
        Command::Partner(cmd) => partner(config, cmd).await,
        Command::Credits(cmd) => feeds::credits(config, cmd).await,
        Command::Refund(cmd) => feeds::refund(config, cmd).await,
        Command::Sign(args) => kit::sign(&args),
        Command::Token(args) => kit::token(&args),
        Command::Openapi { production } => {
            print!("{}", crate::api::openapi::json(!production));
            Ok(())
        }
        Command::Logs(cmd) => logs(config, cmd).await,
        Command::Admin(cmd) => match server::open_admin(config).await {
            Ok(gw) => admin::admin(&gw, cmd).await,
            Err(e) => Err(e.to_string()),
        },
        Command::Ipn(cmd) => match server::open_admin(config).await {
            Ok(gw) => admin::ipn(&gw, cmd).await,
            Err(e) => Err(e.to_string()),
        },
    };
    finish(result)
}

/// The exit code of a command's result, its error printed.
fn finish(result: Result<(), String>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

async fn logs(config: Config, cmd: kit::LogsCommand) -> Result<(), String> {
    let gw = server::open_admin(config).await.map_err(|e| e.to_string())?;
    kit::logs(&gw, cmd).await
}

async fn partner(config: Config, cmd: PartnerCommand) -> Result<(), String> {
    let gw = server::open_admin(config).await.map_err(|e| e.to_string())?;
    match cmd {
        PartnerCommand::Create { code, name, notify_failures } => {
            if !crate::domain::console::valid_partner_code(&code) {
                return Err(format!("--code must be {}", crate::domain::console::PARTNER_CODE_RULE));
            }
            let api_key = random_token(32);
            let secret = random_token(32);
            if !gw.create_partner(&code, &name, &api_key, &secret, notify_failures).await.map_err(|e| e.to_string())? {
                return Err(format!("partner {code} already exists"));
            }
            println!("{}", serde_json::json!({"partnerCode": code, "apiKey": api_key, "secretKey": secret}));
        }
        PartnerCommand::List => {
            for p in gw.partners().await.map_err(|e| e.to_string())? {
                println!(
                    "{}",
                    serde_json::json!({"partnerCode": p.code, "name": p.name, "apiKey": p.api_key, "locked": p.locked,
                        "notifyFailures": p.notify_failures})
                );
            }
        }
        PartnerCommand::Set { code, methods, banks } => set_allowed(&gw, &code, methods, banks).await?,
        PartnerCommand::Lock { code } | PartnerCommand::Unlock { code } if code.is_empty() => {
            return Err("a partner code is required".into());
        }
        PartnerCommand::Lock { code } => set_locked(&gw, &code, true).await?,
        PartnerCommand::RotateKeys { code, grace, force } => {
            rotate(&gw, &code, grace.unwrap_or_default(), force).await?
        }
        PartnerCommand::Unlock { code } => set_locked(&gw, &code, false).await?,
        PartnerCommand::SubAccount(SubAccountCommand::Create { partner, owner }) => {
            let Some(sub) = gw.create_sub_account(&partner, owner).await.map_err(|e| e.to_string())? else {
                return Err(format!("unknown partner {partner}"));
            };
            println!("{}", sub.id);
        }
        PartnerCommand::Account(cmd) => feeds::account(&gw, cmd).await?,
        PartnerCommand::BankFeed(cmd) => feeds::feed(&gw, cmd).await?,
        PartnerCommand::Credits(cmd) => feeds::partner_credits(&gw, cmd).await?,
    }
    Ok(())
}

/// Runs the conformance cases; `Ok(passed)`, or why the run could not start.
async fn conformance(
    config: Config,
    order: &str,
    partner: Option<&str>,
    notify_url: Option<&str>,
    format: &str,
    out: Option<PathBuf>,
) -> Result<bool, String> {
    let gw = server::open_admin(config).await.map_err(|e| e.to_string())?;
    let poster = crate::notify::IpnPoster::new(gw.outbound().delivery_guard(), gw.config().ipn_timeout)
        .map_err(|e| e.to_string())?;
    let run = ConformanceRun { partner_code: partner, order, notify_url };
    let report = gw.run_conformance(run, &poster).await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
    let text = match format {
        "json" => format!("{:#}\n", report.to_json()),
        "junit" => report.to_junit(),
        _ => report.to_text(),
    };
    match out {
        Some(path) => {
            std::fs::write(&path, &text).map_err(|e| format!("writing {}: {e}", path.display()))?;
            eprint!("{}", report.to_text());
        }
        None => print!("{text}"),
    }
    Ok(report.passed())
}

async fn set_allowed(gw: &Gateway, code: &str, methods: Option<String>, banks: Option<String>) -> Result<(), String> {
    let Some(current) = gw.partner(code).await.map_err(|e| e.to_string())? else {
        return Err(format!("unknown partner {code}"));
    };
    let mut allowed = current.allowed.clone();
    if let Some(m) = methods {
        allowed.methods = Allowed::parse_methods(&m)?;
    }
    if let Some(b) = banks {
        allowed.banks = Allowed::parse_banks(&b)?;
    }
    if !gw.set_partner_allowed(code, &allowed).await.map_err(|e| e.to_string())? {
        return Err(format!("unknown partner {code}"));
    }
    println!("{}", serde_json::json!({"partnerCode": code, "methods": allowed.methods, "banks": allowed.banks}));
    Ok(())
}

async fn set_locked(gw: &Gateway, code: &str, locked: bool) -> Result<(), String> {
    if gw.set_partner_locked(code, locked).await.map_err(|e| e.to_string())? {
        println!("partner {code} {}", if locked { "locked" } else { "unlocked" });
        Ok(())
    } else {
        Err(format!("unknown partner {code}"))
    }
}

async fn rotate(gw: &Gateway, code: &str, grace: std::time::Duration, force: bool) -> Result<(), String> {
    match gw.rotate_partner_keys(code, grace, force).await.map_err(|e| e.to_string())? {
        Rotated::Done { keys, grace_until_ms } => {
            println!(
                "{}",
                serde_json::json!({"partnerCode": code, "apiKey": keys.api_key, "secretKey": keys.secret.expose(),
                    "oldKeysValidUntil": grace_until_ms.map(rfc3339)})
            );
            Ok(())
        }
        Rotated::UnknownPartner => Err(format!("unknown partner {code}")),
        Rotated::InGrace { until_ms } => Err(format!(
            "partner {code}'s previous rotation keeps its old keys valid until {}: rotate again after that, or \
             now with --force (those old keys then stop at once)",
            rfc3339(until_ms)
        )),
    }
}

/// A Unix time in milliseconds as RFC 3339 (UTC, seconds).
fn rfc3339(ms: i64) -> String {
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_millis(u64::try_from(ms).unwrap_or_default());
    humantime::format_rfc3339_seconds(t).to_string()
}
