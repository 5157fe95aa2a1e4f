//! Partners: their records with the secret decrypted (cached per node for
//! `partner_cache_ttl`, so a lock reaches every node within that time), their
//! sub-accounts, and the JWT ids already used when the replay check is on.

use super::{CoreError, Gateway, now_ms};
use crate::domain::records::{PartnerRecord, SubAccount};
use appotapay_protocol::{AmountLimits, SecretKey};
use std::sync::Arc;
use std::time::Instant;

/// A partner with its secret decrypted, as the request path needs it.
#[derive(Clone)]
pub struct Partner {
    /// Partner code.
    pub code: String,
    /// Display name.
    pub name: String,
    /// API key.
    pub api_key: String,
    /// Secret key.
    pub secret: SecretKey,
    /// Locked partners answer 13.
    pub locked: bool,
    /// IPN for failures too.
    pub notify_failures: bool,
    /// Accepted amounts.
    pub limits: AmountLimits,
}

impl std::fmt::Debug for Partner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Partner").field("code", &self.code).field("locked", &self.locked).finish_non_exhaustive()
    }
}

impl Gateway {
    /// A partner by code, cached for `partner_cache_ttl`.
    pub async fn partner(&self, code: &str) -> Result<Option<Arc<Partner>>, CoreError> {
        if let Some((p, at)) = self.partners.read().unwrap_or_else(|e| e.into_inner()).get(code) {
            if at.elapsed() < self.config.partner_cache_ttl {
                return Ok(Some(p.clone()));
            }
        }
        let Some(rec) = self.store.get_partner(code).await? else {
            return Ok(None);
        };
        let p = Arc::new(self.decrypt_partner(&rec)?);
        self.partners.write().unwrap_or_else(|e| e.into_inner()).insert(code.to_owned(), (p.clone(), Instant::now()));
        Ok(Some(p))
    }

    /// Decrypts a stored partner.
    pub(crate) fn decrypt_partner(&self, rec: &PartnerRecord) -> Result<Partner, CoreError> {
        let secret = self.keys.open(&rec.code, &rec.secret_enc).map_err(|_| CoreError::Key(rec.code.clone()))?;
        Ok(Partner {
            code: rec.code.clone(),
            name: rec.name.clone(),
            api_key: rec.api_key.clone(),
            secret: SecretKey::new(secret),
            locked: rec.locked,
            notify_failures: rec.notify_failures,
            limits: AmountLimits { min: rec.amount_min, max: rec.amount_max },
        })
    }

    /// Stores a new partner with its secret encrypted. `false` if the code exists.
    pub async fn create_partner(
        &self,
        code: &str,
        name: &str,
        api_key: &str,
        secret: &str,
        notify_failures: bool,
    ) -> Result<bool, CoreError> {
        let rec = PartnerRecord {
            code: code.to_owned(),
            name: name.to_owned(),
            api_key: api_key.to_owned(),
            secret_enc: self.keys.seal(code, secret),
            locked: false,
            notify_failures,
            amount_min: AmountLimits::DEFAULT_MIN,
            amount_max: AmountLimits::DEFAULT_MAX,
            created_at_ms: now_ms(),
        };
        Ok(self.store.insert_partner(&rec).await?)
    }

    /// Every partner, by code (secrets stay encrypted).
    pub async fn partners(&self) -> Result<Vec<PartnerRecord>, CoreError> {
        Ok(self.store.list_partners().await?)
    }

    /// Locks or unlocks a partner; `false` if unknown. Other nodes see it within
    /// `partner_cache_ttl`; this one at once.
    pub async fn set_partner_locked(&self, code: &str, locked: bool) -> Result<bool, CoreError> {
        let known = self.store.set_partner_locked(code, locked).await?;
        self.partners.write().unwrap_or_else(|e| e.into_inner()).remove(code);
        Ok(known)
    }

    /// Creates a sub-account of a partner; `None` if the partner is unknown.
    pub async fn create_sub_account(&self, partner_code: &str, owner: bool) -> Result<Option<SubAccount>, CoreError> {
        let sub = SubAccount {
            id: uuid::Uuid::new_v4().to_string(),
            partner_code: partner_code.to_owned(),
            owner,
            created_at_ms: now_ms(),
        };
        Ok(self.add_sub_account(&sub).await?.then_some(sub))
    }

    /// Stores a sub-account as given (its id chosen by the caller); `false` if the
    /// partner is unknown.
    pub async fn add_sub_account(&self, sub: &SubAccount) -> Result<bool, CoreError> {
        Ok(self.store.insert_sub_account(sub).await?)
    }

    /// A sub-account of `partner_code` by id (`X-Account-Ref-ID`); `None` if it does
    /// not exist or is another partner's.
    pub async fn sub_account(&self, partner_code: &str, id: &str) -> Result<Option<SubAccount>, CoreError> {
        Ok(self.store.get_sub_account(id).await?.filter(|s| s.partner_code == partner_code))
    }

    /// Records that a partner's JWT id was used, until `until_ms`: `true` the first
    /// time, `false` for a replay while the earlier use is on record.
    pub async fn claim_jti(&self, partner_code: &str, jti: &str, until_ms: i64) -> Result<bool, CoreError> {
        Ok(self.store.claim_jti(partner_code, jti, until_ms, now_ms()).await?)
    }

    /// Forgets the JWT ids whose tokens expired.
    pub async fn prune_jtis(&self) -> Result<u64, CoreError> {
        Ok(self.store.prune_jtis(now_ms()).await?)
    }
}
