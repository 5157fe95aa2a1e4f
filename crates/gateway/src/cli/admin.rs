//! `admin token create|list|revoke` and `ipn resend|redrive`: the console's access
//! and its delivery actions on the command line, on the same core calls (audited as
//! `cli`).

use crate::core::Gateway;
use crate::domain::console::{Admin, Role};
use clap::Subcommand;

/// `admin …`.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Admin tokens of the console and the admin API.
    #[command(subcommand)]
    Token(TokenCommand),
}

/// `admin token …`.
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it, once: only its hash is stored.
    Create {
        /// viewer (looks) or operator (also acts).
        #[arg(long, value_parser = ["viewer", "operator"])]
        role: String,
        /// Whose token it is, for lists and the audit log.
        #[arg(long, default_value = "")]
        name: String,
    },
    /// List the tokens as JSON lines (ids, names, roles; never a token).
    List,
    /// Revoke a token by id (`adm_…`): it opens nothing from then on.
    Revoke {
        /// The token's id.
        id: String,
    },
}

/// `ipn …`.
#[derive(Debug, Subcommand)]
pub enum IpnCommand {
    /// Send an order's latest IPN again now (a new attempt of the same notification).
    Resend {
        /// The order's appotapayTransId.
        trans_id: String,
    },
    /// Send again now every failing or given-up IPN of a partner (of one notify URL).
    Redrive {
        /// Partner code.
        #[arg(long)]
        partner: String,
        /// Only the IPNs to this notify URL.
        #[arg(long)]
        url: Option<String>,
    },
}

/// Runs `admin …`.
pub async fn admin(gw: &Gateway, cmd: AdminCommand) -> Result<(), String> {
    let AdminCommand::Token(cmd) = cmd;
    match cmd {
        TokenCommand::Create { role, name } => {
            let role = Role::parse(&role).ok_or("--role: viewer or operator")?;
            let name = if name.trim().is_empty() { role.as_str().to_owned() } else { name.trim().to_owned() };
            let (token, secret) = gw.create_admin_token(role, &name).await.map_err(|e| e.to_string())?;
            gw.audit(
                &Admin::cli(),
                "admin_token.create",
                &token.id,
                serde_json::json!({"role": role.as_str(), "name": name}),
            )
            .await
            .map_err(|e| e.to_string())?;
            println!(
                "{}",
                serde_json::json!({"id": token.id, "name": token.name, "role": role.as_str(), "token": secret})
            );
            eprintln!("keep the token now: it is not stored and cannot be shown again");
        }
        TokenCommand::List => {
            for t in gw.admin_tokens().await.map_err(|e| e.to_string())? {
                println!("{}", crate::api::admin_json::token_json(&t));
            }
        }
        TokenCommand::Revoke { id } => {
            if gw.revoke_admin_token(&Admin::cli(), &id).await.map_err(|e| e.to_string())?.is_err() {
                return Err(format!("no live token {id}"));
            }
            println!("token {id} revoked");
        }
    }
    Ok(())
}

/// Runs `ipn …`.
pub async fn ipn(gw: &Gateway, cmd: IpnCommand) -> Result<(), String> {
    let who = Admin::cli();
    match cmd {
        IpnCommand::Resend { trans_id } => {
            let id = gw.resend_ipn(&who, &trans_id).await.map_err(|e| e.to_string())?.map_err(|r| r.message())?;
            println!("{}", serde_json::json!({"appotapayTransId": trans_id, "outboxId": id, "queued": true}));
        }
        IpnCommand::Redrive { partner, url } => {
            let n = gw
                .redrive(&who, &partner, url.as_deref())
                .await
                .map_err(|e| e.to_string())?
                .map_err(|r| r.message())?;
            println!("{}", serde_json::json!({"partnerCode": partner, "url": url, "queued": n}));
        }
    }
    eprintln!("a running gateway sends queued IPNs within a second");
    Ok(())
}
