//! What a node checks before it serves, so that a production gateway cannot be
//! reached with the public sandbox keys nor share a database with a sandbox node:
//! - the database records the mode it belongs to at its first `serve`
//!   ([`Gateway::claim_mode`]); a node of the other mode refuses to start;
//! - production refuses to start while an unlocked partner holds the published
//!   sandbox secret ([`Gateway::partners_with_public_secret`]);
//! - only a sandbox `serve` creates the public sandbox partner
//!   ([`Gateway::ensure_sandbox_partner`]), never an admin command;
//! - all nodes on a database share one master key ([`Gateway::master_key_fits`]).

use super::{CoreError, Gateway};
use appotapay_protocol::sandbox_partner;
use subtle::ConstantTimeEq;

/// The metadata key the mode is recorded under.
pub const MODE_KEY: &str = "mode";

impl Gateway {
    /// Records `mode` as the database's mode unless one is recorded; returns the
    /// recorded one (which differs from `mode` when the database belongs to the
    /// other mode).
    pub async fn claim_mode(&self, mode: &str) -> Result<String, CoreError> {
        Ok(self.store.claim_meta(MODE_KEY, mode).await?)
    }

    /// The mode recorded in the database, if any node has served from it.
    pub async fn recorded_mode(&self) -> Result<Option<String>, CoreError> {
        Ok(self.store.meta(MODE_KEY).await?)
    }

    /// The unlocked partners for which the published sandbox secret is an accepted
    /// secret key (compared in constant time; a rotation's replaced secret counts
    /// during its grace period): anyone can sign their requests.
    pub async fn partners_with_public_secret(&self) -> Result<Vec<String>, CoreError> {
        let public = sandbox_partner::SECRET_KEY.as_bytes();
        let mut found = Vec::new();
        for rec in self.store.list_partners().await? {
            if rec.locked {
                continue;
            }
            let p = self.decrypt_partner(&rec)?;
            // The replaced secret of a rotation counts while it is still accepted.
            if p.accepted().any(|k| bool::from(k.secret.expose().as_bytes().ct_eq(public))) {
                found.push(rec.code);
            }
        }
        Ok(found)
    }

    /// Creates AppotaPay's public sandbox partner if it does not exist.
    pub async fn ensure_sandbox_partner(&self) -> Result<(), CoreError> {
        self.create_partner(
            sandbox_partner::PARTNER_CODE,
            "AppotaPay Sandbox Merchant",
            sandbox_partner::API_KEY,
            sandbox_partner::SECRET_KEY,
            false,
        )
        .await?;
        Ok(())
    }

    /// Whether the stored partners' secrets decrypt under this node's master key;
    /// `Err(code)` names the first partner that does not.
    pub async fn master_key_fits(&self) -> Result<Result<(), String>, CoreError> {
        if let Some(rec) = self.store.list_partners().await?.first() {
            if self.decrypt_partner(rec).is_err() {
                return Ok(Err(rec.code.clone()));
            }
        }
        Ok(Ok(()))
    }
}
