//! Partners' collecting accounts and bank feeds: set up by the operator, used by
//! the webhook endpoints and the reconciliation job.
//!
//! A partner's QR orders are paid into its own account when it has one (the safe
//! model: each merchant's money goes straight to the merchant), else into the
//! gateway's configured account. A feed is a bank-transaction service (SePay,
//! Casso) watching that account; its webhook credential, and the API token the
//! reconciliation reads the provider's transaction list with, are sealed under the
//! master key like partners' secrets and never shown again.

use super::credits::feed_aad;
use super::{CoreError, Gateway, now_ms};
use crate::crypto::random_token;
use crate::domain::credit::{BankAccount, FeedAuth, FeedRecord};
use appotapay_protocol::bankfeed::Provider;
use appotapay_protocol::vietqr::VietQr;
use std::time::Duration;

/// A feed to add.
#[derive(Clone)]
pub struct NewFeed {
    /// How its webhooks authenticate.
    pub auth: FeedAuth,
    /// The webhook credential (API key, HMAC secret, checksum key or secure token).
    pub secret: String,
    /// Reconciliation: the provider API token; `None`: not polled.
    pub api_token: Option<String>,
    /// Reconciliation: the provider API's base URL (default: the provider's).
    pub api_url: Option<String>,
    /// Reconciliation: how often.
    pub reconcile_every: Option<Duration>,
}

impl std::fmt::Debug for NewFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewFeed").field("auth", &self.auth).field("api_url", &self.api_url).finish_non_exhaustive()
    }
}

/// A feed as the operator sees it: no credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedInfo {
    /// Its id.
    pub id: String,
    /// Owning partner.
    pub partner_code: String,
    /// The provider.
    pub provider: Provider,
    /// How its webhooks authenticate.
    pub auth: FeedAuth,
    /// Reconciliation URL, when polled.
    pub api_url: Option<String>,
    /// Reconciliation period, ms, when polled.
    pub reconcile_every_ms: Option<i64>,
    /// Next reconciliation, when polled.
    pub next_reconcile_at_ms: Option<i64>,
    /// Creation.
    pub created_at_ms: i64,
}

impl From<&FeedRecord> for FeedInfo {
    fn from(f: &FeedRecord) -> FeedInfo {
        FeedInfo {
            id: f.id.clone(),
            partner_code: f.partner_code.clone(),
            provider: f.auth.provider(),
            auth: f.auth,
            api_url: f.api_url.clone(),
            reconcile_every_ms: f.reconcile_every_ms,
            next_reconcile_at_ms: f.next_reconcile_at_ms,
            created_at_ms: f.created_at_ms,
        }
    }
}

/// A reconciliation due now, taken by this node.
#[derive(Clone)]
pub struct Poll {
    /// The feed.
    pub feed_id: String,
    /// Its partner.
    pub partner_code: String,
    /// Its provider.
    pub provider: Provider,
    /// The provider API's base URL.
    pub api_url: String,
    /// The API token, decrypted.
    pub token: String,
    /// When the next one is due, as this node took it.
    pub next_ms: i64,
}

impl std::fmt::Debug for Poll {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Poll").field("feed_id", &self.feed_id).field("api_url", &self.api_url).finish_non_exhaustive()
    }
}

/// Why a feed or an account was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SetupError {
    /// No such partner.
    #[error("unknown partner {0}")]
    UnknownPartner(String),
    /// A value is not acceptable.
    #[error("{0}")]
    Invalid(String),
}

/// The shortest reconciliation period: providers limit their APIs (SePay: 3 requests
/// a second), and a webhook is the fast path anyway.
pub const MIN_RECONCILE_EVERY: Duration = Duration::from_secs(1);

impl Gateway {
    /// Sets a partner's collecting account: its QR orders from now on name it.
    pub async fn set_partner_account(&self, partner_code: &str, account: BankAccount) -> Result<(), SetupError> {
        let probe = VietQr::dynamic(&account.bin, &account.account, 1000, "AP000000000000");
        probe.encode().map_err(|e| SetupError::Invalid(e.to_string()))?;
        let name = account.name.trim();
        if name.is_empty() || name.chars().count() > 70 || name.chars().any(char::is_control) {
            return Err(SetupError::Invalid("the account name must be 1 to 70 printable characters".into()));
        }
        let account = BankAccount { name: name.to_owned(), ..account };
        let set = self.store.set_partner_account(partner_code, &account, now_ms()).await;
        self.forget_partner(partner_code);
        match set {
            Ok(true) => Ok(()),
            Ok(false) => Err(SetupError::UnknownPartner(partner_code.to_owned())),
            Err(e) => Err(SetupError::Invalid(e.to_string())),
        }
    }

    /// Removes a partner's own collecting account; `false` if it had none.
    pub async fn clear_partner_account(&self, partner_code: &str) -> Result<bool, CoreError> {
        let cleared = self.store.clear_partner_account(partner_code).await?;
        self.forget_partner(partner_code);
        Ok(cleared)
    }

    /// A partner's own collecting account, if it has one.
    pub async fn partner_account(&self, partner_code: &str) -> Result<Option<BankAccount>, CoreError> {
        Ok(self.store.partner_account(partner_code).await?)
    }

    /// Adds a bank feed to a partner, its credentials sealed.
    pub async fn add_feed(&self, partner_code: &str, new: NewFeed) -> Result<Result<FeedInfo, SetupError>, CoreError> {
        if new.secret.trim().is_empty() || new.secret.len() > 512 {
            return Ok(Err(SetupError::Invalid("the webhook credential must be 1 to 512 characters".into())));
        }
        let polled = match (&new.api_token, new.reconcile_every) {
            (Some(t), Some(every)) if !t.is_empty() => {
                if every < MIN_RECONCILE_EVERY {
                    return Ok(Err(SetupError::Invalid(format!(
                        "reconciliation runs at most every {MIN_RECONCILE_EVERY:?}"
                    ))));
                }
                Some((t.clone(), every))
            }
            (None, None) => None,
            _ => {
                return Ok(Err(SetupError::Invalid("reconciliation needs both an API token and an interval".into())));
            }
        };
        if let Some(url) = &new.api_url {
            match url::Url::parse(url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
                _ => return Ok(Err(SetupError::Invalid(format!("--api-url {url:?} is not an http(s) URL")))),
            }
        }
        let id = format!("BF{}", random_token(12));
        let aad = feed_aad(partner_code, &id);
        let now = now_ms();
        let record = FeedRecord {
            id: id.clone(),
            partner_code: partner_code.to_owned(),
            auth: new.auth,
            secret_enc: self.keys.seal(&aad, new.secret.trim()),
            api_token_enc: polled.as_ref().map(|(t, _)| self.keys.seal(&aad, t)),
            api_url: polled
                .as_ref()
                .map(|_| new.api_url.clone().unwrap_or_else(|| default_api_url(new.auth.provider()))),
            reconcile_every_ms: polled.as_ref().map(|(_, every)| millis(*every)),
            next_reconcile_at_ms: polled.as_ref().map(|_| now),
            created_at_ms: now,
        };
        if !self.store.insert_feed(&record).await? {
            return Ok(Err(SetupError::UnknownPartner(partner_code.to_owned())));
        }
        Ok(Ok(FeedInfo::from(&record)))
    }

    /// A partner's feeds (no credentials).
    pub async fn feeds(&self, partner_code: &str) -> Result<Vec<FeedInfo>, CoreError> {
        Ok(self.store.partner_feeds(partner_code).await?.iter().map(FeedInfo::from).collect())
    }

    /// Removes a partner's feed: its webhooks are refused from now on.
    pub async fn remove_feed(&self, partner_code: &str, feed_id: &str) -> Result<bool, CoreError> {
        Ok(self.store.remove_feed(partner_code, feed_id).await?)
    }

    /// The reconciliations due now, each taken by this node (of nodes finding one due,
    /// one takes it) and moved to its next time.
    pub async fn due_polls(&self) -> Result<Vec<Poll>, CoreError> {
        let now = now_ms();
        let mut out = Vec::new();
        for f in self.store.due_feeds(now, 50).await? {
            let (Some(due), Some(every), Some(sealed), Some(url)) =
                (f.next_reconcile_at_ms, f.reconcile_every_ms, &f.api_token_enc, &f.api_url)
            else {
                continue;
            };
            let next = now.saturating_add(every.max(1));
            if !self.store.take_reconciliation(&f.id, due, next).await? {
                continue;
            }
            let Ok(token) = self.open_feed_secret(&f.partner_code, &f.id, sealed) else {
                tracing::error!(feed = %f.id, partner = %f.partner_code, "bank feed API token does not decrypt");
                continue;
            };
            out.push(Poll {
                feed_id: f.id.clone(),
                partner_code: f.partner_code.clone(),
                provider: f.auth.provider(),
                api_url: url.clone(),
                token,
                next_ms: next,
            });
        }
        Ok(out)
    }

    /// Puts a taken reconciliation's next run off until `until_ms` at the earliest (the
    /// provider answered 429 with `Retry-After`).
    pub async fn postpone_poll(&self, poll: &Poll, until_ms: i64) -> Result<(), CoreError> {
        if until_ms > poll.next_ms {
            self.store.take_reconciliation(&poll.feed_id, poll.next_ms, until_ms).await?;
        }
        Ok(())
    }
}

/// The provider's own API base URL.
pub fn default_api_url(provider: Provider) -> String {
    match provider {
        Provider::Sepay => appotapay_protocol::bankfeed::sepay::LEGACY_API_BASE_URL.to_owned(),
        Provider::Casso => appotapay_protocol::bankfeed::casso::API_BASE_URL.to_owned(),
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
