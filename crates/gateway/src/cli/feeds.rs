//! The command line of real QR payments and their follow-up: partners' collecting
//! accounts and bank feeds, the credits the feeds reported, and refunds paid back by
//! hand. Each command is one call of the core, printing JSON lines.

use crate::config::Config;
use crate::core::{ByHand, CreditQuery, FeedInfo, Gateway, NewFeed};
use crate::domain::credit::{BankAccount, CreditStatus, FeedAuth};
use crate::server;
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub(super) enum CreditsCommand {
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
pub(super) enum RefundCommand {
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
pub(super) enum AccountCommand {
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
pub(super) enum FeedCommand {
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
pub(super) enum PartnerCreditsCommand {
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

pub(super) async fn account(gw: &Gateway, cmd: AccountCommand) -> Result<(), String> {
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

pub(super) async fn feed(gw: &Gateway, cmd: FeedCommand) -> Result<(), String> {
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

/// `partner credits list`.
pub(super) async fn partner_credits(gw: &Gateway, cmd: PartnerCreditsCommand) -> Result<(), String> {
    let PartnerCreditsCommand::List { code, status, limit } = cmd;
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
    Ok(())
}

pub(super) async fn credits(config: Config, cmd: CreditsCommand) -> Result<(), String> {
    let gw = server::open_admin(config).await.map_err(|e| e.to_string())?;
    match cmd {
        CreditsCommand::Resolve { id, note } => {
            if !crate::api::admin::valid_note(&note) {
                return Err("--note must be 1 to 1000 characters".into());
            }
            match gw.resolve_credit(id, note.trim()).await.map_err(|e| e.to_string())? {
                Some(true) => {
                    let who = crate::domain::console::Admin::cli();
                    gw.audit(&who, "credit.resolve", &id.to_string(), serde_json::json!({ "note": note.trim() }))
                        .await
                        .map_err(|e| e.to_string())?;
                    println!("credit {id} resolved");
                }
                Some(false) => return Err(format!("credit {id} is not open")),
                None => return Err(format!("no credit {id}")),
            }
        }
    }
    Ok(())
}

pub(super) async fn refund(config: Config, cmd: RefundCommand) -> Result<(), String> {
    let gw = server::open_admin(config).await.map_err(|e| e.to_string())?;
    match cmd {
        RefundCommand::Mark { refund_id, status } => match gw
            .finish_refund_by_hand(&refund_id, status == "success")
            .await
        {
            Ok(ByHand::Done(r)) => {
                let who = crate::domain::console::Admin::cli();
                gw.audit(&who, "refund.by_hand", &refund_id, serde_json::json!({ "paid": status == "success" }))
                    .await
                    .map_err(|e| e.to_string())?;
                println!("refund {} is {}", r.refund_id, r.status.as_str());
            }
            Ok(ByHand::Unknown) => return Err(format!("no refund {refund_id}")),
            Ok(ByHand::NotByHand(r)) => {
                return Err(format!("refund {refund_id} is {} and not waiting to be paid by hand", r.status.as_str()));
            }
            Err(e) => return Err(e.to_string()),
        },
    }
    Ok(())
}
