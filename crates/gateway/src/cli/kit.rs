//! The command line of the sandbox merchant test kit: `sign`, which prints the
//! canonical `data` string and the signature of a body offline (no configuration,
//! no database: a merchant checks their own signing code against it), `token`,
//! which prints an `X-APPOTAPAY-AUTH` token (for curl or an API fuzzer), and
//! `logs tail`, which prints the sandbox's request log and follows it, as
//! `stripe logs tail` does.

use crate::core::Gateway;
use crate::domain::request_log::{LogFilter, RequestEntry, StatusFilter};
use appotapay_protocol::signing::{self, SignatureSpec};
use appotapay_protocol::{SecretKey, sandbox_partner};
use clap::{Args, Subcommand};
use serde_json::{Value, json};
use std::io::Read;
use std::time::Duration;

/// `sign`.
#[derive(Debug, Args)]
pub struct SignArgs {
    /// Which message the body is: bank_req, qr_req, status_req, refund_req, or result
    /// (an IPN body or redirect's fields).
    #[arg(long, value_parser = ["bank_req", "qr_req", "status_req", "refund_req", "result"])]
    kind: String,
    /// The JSON body, from this file; `-` reads standard input.
    #[arg(long)]
    json: String,
    /// The secret key to sign with (default: `APPOTAPAY_SIGN_SECRET` when set, else
    /// the public sandbox partner's). Prefer the environment variable for a real
    /// secret: a command-line argument shows in process listings and shell history.
    #[arg(long)]
    secret: Option<String>,
}

/// The field list of a `--kind`.
fn spec_of(kind: &str) -> Option<&'static SignatureSpec> {
    match kind {
        "bank_req" => Some(&signing::BANK_PAYMENT_REQUEST),
        "qr_req" => Some(&signing::QR_PAYMENT_REQUEST),
        "status_req" => Some(&signing::STATUS_REQUEST),
        "refund_req" => Some(&signing::REFUND_REQUEST),
        "result" => Some(&signing::NOTIFICATION),
        _ => None,
    }
}

/// Prints `{"kind", "data", "signature"}` as one JSON line, and `"matches"` when the
/// body carries a `signature` of its own. Nothing else is read: no configuration,
/// no database.
pub fn sign(args: &SignArgs) -> Result<(), String> {
    let spec = spec_of(&args.kind).ok_or_else(|| format!("unknown --kind {}", args.kind))?;
    let text = if args.json == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).map_err(|e| format!("reading standard input: {e}"))?;
        s
    } else {
        std::fs::read_to_string(&args.json).map_err(|e| format!("reading {}: {e}", args.json))?
    };
    let body: Value = serde_json::from_str(&text).map_err(|e| format!("the body is not JSON: {e}"))?;
    if !body.is_object() {
        return Err("the body is not a JSON object".into());
    }
    let secret = args
        .secret
        .clone()
        .or_else(|| std::env::var("APPOTAPAY_SIGN_SECRET").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| sandbox_partner::SECRET_KEY.to_owned());
    let key = SecretKey::new(secret);
    let data = signing::canonical_data_json(spec, &body);
    let signature = signing::sign_data(&key, &data);
    let mut out = json!({"kind": args.kind, "data": data, "signature": signature});
    if let Some(given) = body.get("signature").and_then(Value::as_str) {
        out["matches"] = json!(signing::verify_data(&key, &data, given).is_ok());
    }
    if let Err(e) = signing::check_boundaries(spec, &body) {
        out["warning"] = json!(format!("the gateway refuses this body (errorCode 1): {e}"));
    }
    println!("{out}");
    Ok(())
}

/// `token`.
#[derive(Debug, Args)]
pub struct TokenArgs {
    /// Partner code (default: the public sandbox partner's).
    #[arg(long, default_value = sandbox_partner::PARTNER_CODE)]
    partner: String,
    /// API key (default: the sandbox partner's).
    #[arg(long, default_value = sandbox_partner::API_KEY)]
    api_key: String,
    /// How long the token is valid, in seconds (at most the gateway's
    /// `jwt_max_lifetime`, 7 days by default).
    #[arg(long, default_value_t = 3600)]
    ttl: i64,
}

/// Prints a token signed with `APPOTAPAY_SIGN_SECRET` when set, else the sandbox
/// partner's secret (as `sign` does).
pub fn token(args: &TokenArgs) -> Result<(), String> {
    if args.ttl <= 0 {
        return Err("--ttl must be positive".into());
    }
    let secret = std::env::var("APPOTAPAY_SIGN_SECRET")
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| sandbox_partner::SECRET_KEY.to_owned());
    let now = crate::now_ms() / 1000;
    println!(
        "{}",
        appotapay_protocol::jwt::build(&args.partner, &args.api_key, &SecretKey::new(secret), now, args.ttl)
    );
    Ok(())
}

/// `logs …`.
#[derive(Debug, Subcommand)]
pub enum LogsCommand {
    /// Print the latest partner API calls of the sandbox as JSON lines, oldest
    /// first, then follow new ones as they come (from every node on the database).
    Tail {
        /// Only this partner's calls.
        #[arg(long)]
        partner: Option<String>,
        /// Only these HTTP statuses: one (200) or a class (4xx).
        #[arg(long)]
        status: Option<String>,
        /// Only this path (a prefix when it ends with *).
        #[arg(long)]
        path: Option<String>,
        /// How many earlier calls to print first (0: only new ones).
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Print and exit instead of following.
        #[arg(long, alias = "no-follow")]
        once: bool,
        /// How often to look for new calls while following (e.g. 500ms, 2s).
        #[arg(long, value_parser = crate::config::parse_duration, default_value = "500ms")]
        interval: Duration,
    },
}

/// Rows read per query.
const PAGE: u32 = 200;

/// Runs `logs tail`.
pub async fn logs(gw: &Gateway, cmd: LogsCommand) -> Result<(), String> {
    let LogsCommand::Tail { partner, status, path, limit, once, interval } = cmd;
    let status = match status.as_deref() {
        None => None,
        Some(s) => Some(StatusFilter::parse(s).ok_or_else(|| format!("--status {s:?}: expected e.g. 200 or 4xx"))?),
    };
    if interval.is_zero() {
        return Err("--interval must be positive".into());
    }
    let filter = LogFilter { partner_code: partner, status, path };
    let code = filter.partner_code.as_deref();
    let err = |e: crate::core::CoreError| e.to_string();
    // The history: pages backwards until `limit` matches.
    let mut newest = 0;
    let mut earlier: Vec<RequestEntry> = Vec::new();
    let mut cursor = i64::MAX;
    while earlier.len() < limit as usize {
        let page = gw.requests_before(code, cursor, PAGE).await.map_err(err)?;
        let Some(last) = page.last() else { break };
        cursor = last.id;
        newest = newest.max(page[0].id);
        earlier.extend(page.into_iter().filter(|e| filter.matches(e)));
    }
    if newest == 0 {
        newest = gw.requests_before(code, i64::MAX, 1).await.map_err(err)?.first().map_or(0, |e| e.id);
    }
    earlier.truncate(limit as usize);
    for e in earlier.iter().rev() {
        println!("{}", entry_json(e));
    }
    if once {
        return Ok(());
    }
    // Following: the entries after the newest seen, polled. An entry whose id was
    // drawn before a later one's but committed after it (PostgreSQL, two nodes) can
    // be passed over: this is a developer's view, not an audit trail.
    loop {
        let page = gw.requests_after(code, newest, PAGE).await.map_err(err)?;
        for e in &page {
            newest = newest.max(e.id);
            if filter.matches(e) {
                println!("{}", entry_json(e));
            }
        }
        if page.len() < PAGE as usize {
            tokio::time::sleep(interval).await;
        }
    }
}

/// A body as printed: the JSON it holds, or the text when it is not JSON (or was cut).
fn body_json(text: &str) -> Value {
    if text.is_empty() {
        return Value::Null;
    }
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// One entry as a JSON line.
pub fn entry_json(e: &RequestEntry) -> Value {
    let t = std::time::UNIX_EPOCH + Duration::from_millis(u64::try_from(e.at_ms).unwrap_or_default());
    json!({
        "id": e.id,
        "time": humantime::format_rfc3339_millis(t).to_string(),
        "partnerCode": e.partner_code,
        "method": e.method,
        "path": e.path,
        "query": e.query,
        "status": e.status,
        "errorCode": e.error_code,
        "latencyMs": e.latency_us as f64 / 1000.0,
        "requestId": e.request_id,
        "request": body_json(&e.request_body),
        "response": body_json(&e.response_body),
        "signatureData": e.signature_data,
    })
}
