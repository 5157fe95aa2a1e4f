//! The command line: `serve` (default), `partner …` (with collecting accounts, bank
//! feeds and credits), `credits resolve`, `refund mark`, `conformance`, `migrate`, and the
//! sandbox merchant test kit's `sign` and `logs tail` (`cli/kit.rs`).

use crate::config::{Config, Overrides};
use crate::core::conformance::ConformanceRun;
use crate::core::{ByHand, CreditQuery, FeedInfo, Gateway, NewFeed, Rotated};
use crate::crypto::random_token;
use crate::domain::credit::{BankAccount, CreditStatus, FeedAuth};
use crate::server;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

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
    Credits(CreditsCommand),
    /// Refunds paid back by hand.
    #[command(subcommand)]
    Refund(RefundCommand),
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
    /// The sandbox's log of partner API calls.
    #[command(subcommand)]
    Logs(kit::LogsCommand),
}

#[derive(Debug, Subcommand)]
enum CreditsCommand {
    /// Mark an open (or unreadable) credit as handled, with a note saying how. It moves
    /// no money: pay the customer back first, then record it here.
    Resolve {
        /// The credit's id (`partner credits list`).
        id: i64,
        /// How it was handled (1 to 1000 characters).
        #[arg(long)]
        note: String,
    },
}

#[derive(Debug, Subcommand)]
enum RefundCommand {
    /// Record the outcome of a refund waiting to be paid by hand (a QR payment
    /// received through a bank feed): `success` once the merchant paid it back,
    /// `error` if it will not be.
    Mark {
        /// The gateway's refund id (`RF…`).
        refund_id: String,
        /// `success` or `error`.
        #[arg(long, value_parser = ["success", "error"])]
        status: String,
    },
}

#[derive(Debug, Subcommand)]
enum AccountCommand {
    /// Set the account the partner's QR orders are paid into.
    Set {
        /// Partner code.
        #[arg(long)]
        code: String,
        /// The bank's VietQR BIN (6 digits, e.g. 970436 for Vietcombank).
        #[arg(long)]
        bin: String,
        /// Account number.
        #[arg(long)]
        account: String,
        /// Account holder's name, as the bank shows it.
        #[arg(long)]
        name: String,
    },
    /// Show the partner's collecting account as JSON.
    Show {
        /// Partner code.
        #[arg(long)]
        code: String,
    },
    /// Remove the partner's account: its QR orders use the gateway's again.
    Clear {
        /// Partner code.
        #[arg(long)]
        code: String,
    },
}

#[derive(Debug, Subcommand)]
enum FeedCommand {
    /// Add a bank feed watching the partner's collecting account; prints it as JSON.
    /// Give exactly one webhook credential. A credential given as `-` is read from
    /// standard input.
    Add {
        /// Partner code.
        #[arg(long)]
        code: String,
        /// `sepay` or `casso`.
        #[arg(long, value_parser = ["sepay", "casso"])]
        provider: String,
        /// SePay: the API key its webhooks send (`Authorization: Apikey K`).
        #[arg(long)]
        api_key: Option<String>,
        /// SePay: the HMAC-SHA256 secret of `X-SePay-Signature`.
        #[arg(long)]
        hmac_secret: Option<String>,
        /// Casso (webhook v2): the checksum key of `X-Casso-Signature`.
        #[arg(long)]
        checksum_key: Option<String>,
        /// Casso (webhook v1, legacy): the `Secure-Token` it sends.
        #[arg(long)]
        secure_token: Option<String>,
        /// Reconciliation: the provider API token the transaction list is read with
        /// (SePay: an API token; Casso: an API key).
        #[arg(long, requires = "reconcile_every")]
        api_token: Option<String>,
        /// Reconciliation: how often (e.g. 15m).
        #[arg(long, value_parser = crate::config::parse_duration, requires = "api_token")]
        reconcile_every: Option<std::time::Duration>,
        /// Reconciliation: the provider API's base URL (default: the provider's own).
        #[arg(long, requires = "api_token")]
        api_url: Option<String>,
    },
    /// List the partner's feeds as JSON lines (no credentials).
    List {
        /// Partner code.
        #[arg(long)]
        code: String,
    },
    /// Remove a feed: its webhooks are refused from now on.
    Remove {
        /// Partner code.
        #[arg(long)]
        code: String,
        /// The feed's id.
        #[arg(long)]
        id: String,
    },
}

#[derive(Debug, Subcommand)]
enum PartnerCreditsCommand {
    /// List the partner's bank credits as JSON lines, newest first.
    List {
        /// Partner code.
        #[arg(long)]
        code: String,
        /// Only this status: open, resolved, settled, ignored, unreadable, received.
        #[arg(long)]
        status: Option<String>,
        /// At most this many (1 to 500).
        #[arg(long, default_value_t = 100)]
        limit: u32,
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
    Account(AccountCommand),
    /// The partner's bank feeds (SePay, Casso).
    #[command(subcommand, name = "bank-feed")]
    BankFeed(FeedCommand),
    /// The bank credits the partner's feeds reported.
    #[command(subcommand)]
    Credits(PartnerCreditsCommand),
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
    if let Some(Command::Sign(args)) = &cli.command {
        return finish(kit::sign(args));
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
        Command::Credits(cmd) => credits(config, cmd).await,
        Command::Refund(cmd) => refund(config, cmd).await,
        Command::Sign(args) => kit::sign(&args),
        Command::Logs(cmd) => logs(config, cmd).await,
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
            if code.is_empty() || code.len() > 32 || !code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err("--code must be 1 to 32 characters of A-Z a-z 0-9 _".into());
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
        PartnerCommand::Account(cmd) => account(&gw, cmd).await?,
        PartnerCommand::BankFeed(cmd) => feed(&gw, cmd).await?,
        PartnerCommand::Credits(PartnerCreditsCommand::List { code, status, limit }) => {
            let status = match status.as_deref() {
                None => None,
                Some(s) => Some(CreditStatus::parse(s).ok_or_else(|| format!("unknown credit status {s:?}"))?),
            };
            if !(1..=500).contains(&limit) {
                return Err("--limit must be 1 to 500".into());
            }
            let q = CreditQuery { partner_code: Some(&code), status, offset: 0, limit };
            for c in gw.credits(&q).await.map_err(|e| e.to_string())? {
                println!("{}", crate::api::admin::credit_json(&c));
            }
        }
    }
    Ok(())
}

async fn account(gw: &Gateway, cmd: AccountCommand) -> Result<(), String> {
    match cmd {
        AccountCommand::Set { code, bin, account, name } => {
            gw.set_partner_account(&code, BankAccount { bin, account, name }).await.map_err(|e| e.to_string())?;
            println!("partner {code}: QR orders are paid into this account from now on");
        }
        AccountCommand::Show { code } => match gw.partner_account(&code).await.map_err(|e| e.to_string())? {
            Some(a) => println!(
                "{}",
                serde_json::json!({"partnerCode": code, "bin": a.bin, "account": a.account, "name": a.name})
            ),
            None => {
                let a = gw.collecting_account();
                println!(
                    "{}",
                    serde_json::json!({"partnerCode": code, "bin": a.bin, "account": a.account, "name": a.name,
                        "gatewayAccount": true})
                );
            }
        },
        AccountCommand::Clear { code } => {
            if !gw.clear_partner_account(&code).await.map_err(|e| e.to_string())? {
                return Err(format!("partner {code} has no account of its own"));
            }
            println!("partner {code}: QR orders use the gateway's account from now on");
        }
    }
    Ok(())
}

fn feed_json(f: &FeedInfo) -> serde_json::Value {
    serde_json::json!({"id": f.id, "partnerCode": f.partner_code, "provider": f.provider.as_str(),
        "auth": f.auth.as_str(), "apiUrl": f.api_url, "reconcileEveryMs": f.reconcile_every_ms,
        "nextReconcileAtMs": f.next_reconcile_at_ms, "webhookPath": format!("/bank-feeds/{}/{}", f.provider.as_str(), f.partner_code)})
}

async fn feed(gw: &Gateway, cmd: FeedCommand) -> Result<(), String> {
    match cmd {
        FeedCommand::Add {
            code,
            provider,
            api_key,
            hmac_secret,
            checksum_key,
            secure_token,
            api_token,
            reconcile_every,
            api_url,
        } => {
            let (api_key, hmac_secret, checksum_key, secure_token, api_token) = (
                from_stdin(api_key)?,
                from_stdin(hmac_secret)?,
                from_stdin(checksum_key)?,
                from_stdin(secure_token)?,
                from_stdin(api_token)?,
            );
            let given = [
                (FeedAuth::SepayApiKey, api_key),
                (FeedAuth::SepayHmac, hmac_secret),
                (FeedAuth::CassoChecksum, checksum_key),
                (FeedAuth::CassoSecureToken, secure_token),
            ];
            let mut given: Vec<_> = given.into_iter().filter_map(|(a, s)| s.map(|s| (a, s))).collect();
            let (auth, secret) = match (given.pop(), given.is_empty()) {
                (Some(one), true) => one,
                _ => {
                    return Err("give exactly one of --api-key, --hmac-secret (sepay), --checksum-key, \
                         --secure-token (casso)"
                        .into());
                }
            };
            if auth.provider().as_str() != provider {
                return Err(format!("that credential is not one of {provider}'s"));
            }
            let new = NewFeed { auth, secret, api_token, api_url, reconcile_every };
            let info = gw.add_feed(&code, new).await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
            println!("{}", feed_json(&info));
        }
        FeedCommand::List { code } => {
            for f in gw.feeds(&code).await.map_err(|e| e.to_string())? {
                println!("{}", feed_json(&f));
            }
        }
        FeedCommand::Remove { code, id } => {
            if !gw.remove_feed(&code, &id).await.map_err(|e| e.to_string())? {
                return Err(format!("partner {code} has no feed {id}"));
            }
            println!("feed {id} removed");
        }
    }
    Ok(())
}

/// A credential given as `-` is read from standard input (one line), so that it
/// appears in no process listing or shell history.
fn from_stdin(value: Option<String>) -> Result<Option<String>, String> {
    match value.as_deref() {
        Some("-") => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).map_err(|e| format!("reading a credential from stdin: {e}"))?;
            Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
        }
        _ => Ok(value),
    }
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

async fn credits(config: Config, cmd: CreditsCommand) -> Result<(), String> {
    let gw = server::open_admin(config).await.map_err(|e| e.to_string())?;
    match cmd {
        CreditsCommand::Resolve { id, note } => {
            if !crate::api::admin::valid_note(&note) {
                return Err("--note must be 1 to 1000 characters".into());
            }
            match gw.resolve_credit(id, note.trim()).await.map_err(|e| e.to_string())? {
                Some(true) => println!("credit {id} resolved"),
                Some(false) => return Err(format!("credit {id} is not open")),
                None => return Err(format!("no credit {id}")),
            }
        }
    }
    Ok(())
}

async fn refund(config: Config, cmd: RefundCommand) -> Result<(), String> {
    let gw = server::open_admin(config).await.map_err(|e| e.to_string())?;
    match cmd {
        RefundCommand::Mark { refund_id, status } => match gw
            .finish_refund_by_hand(&refund_id, status == "success")
            .await
        {
            Ok(ByHand::Done(r)) => println!("refund {} is {}", r.refund_id, r.status.as_str()),
            Ok(ByHand::Unknown) => return Err(format!("no refund {refund_id}")),
            Ok(ByHand::NotByHand(r)) => {
                return Err(format!("refund {refund_id} is {} and not waiting to be paid by hand", r.status.as_str()));
            }
            Err(e) => return Err(e.to_string()),
        },
    }
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
