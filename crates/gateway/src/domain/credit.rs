//! Bank credits: the rule that decides whether a transfer reported by a bank feed
//! pays a QR order, pure.
//!
//! A customer scans an order's VietQR and transfers to the merchant's own account; a
//! bank-feed service (SePay, Casso) then reports the transfer. Nothing in such a
//! report is under the gateway's control: the payer's bank app lets the payer edit the
//! amount and the memo, banks wrap and prefix the memo, transfers arrive after the
//! order expired, twice, or into another account. So a credit settles an order only
//! when every one of these holds ([`judge`]):
//!
//! 1. it is incoming;
//! 2. it reached the partner's collecting account;
//! 3. its memo, reduced to `A–Z0-9`, names exactly one appotapayTransId
//!    ([`appotapay_protocol::bankfeed::memo`]);
//! 4. that id is a QR order of the partner, still pending;
//! 5. the amount is exactly the order's.
//!
//! Anything else is not an error but an [`Unmatched`] credit, kept with its reason
//! for a person to handle (usually: the merchant pays the money back by hand). Money
//! that reached the account is never out of sight.

use super::order::State;
use appotapay_protocol::bankfeed::Provider;
use std::fmt;

/// A bank account QR orders are paid into.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankAccount {
    /// The bank's VietQR acquirer BIN (6 digits).
    pub bin: String,
    /// Account number.
    pub account: String,
    /// Account holder's name, shown on the QR page.
    pub name: String,
}

/// How a feed proves that a webhook comes from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FeedAuth {
    /// SePay `Authorization: Apikey K`.
    SepayApiKey,
    /// SePay `X-SePay-Signature`, HMAC-SHA256 over the timestamp and the body.
    SepayHmac,
    /// Casso webhook v2 `X-Casso-Signature`, HMAC-SHA512.
    CassoChecksum,
    /// Casso webhook v1 `Secure-Token` (a shared secret, no signature).
    CassoSecureToken,
}

impl FeedAuth {
    /// Every kind.
    pub const ALL: [FeedAuth; 4] =
        [FeedAuth::SepayApiKey, FeedAuth::SepayHmac, FeedAuth::CassoChecksum, FeedAuth::CassoSecureToken];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FeedAuth::SepayApiKey => "sepay_api_key",
            FeedAuth::SepayHmac => "sepay_hmac",
            FeedAuth::CassoChecksum => "casso_checksum",
            FeedAuth::CassoSecureToken => "casso_secure_token",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<FeedAuth> {
        FeedAuth::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The provider whose webhooks this kind authenticates.
    pub fn provider(self) -> Provider {
        match self {
            FeedAuth::SepayApiKey | FeedAuth::SepayHmac => Provider::Sepay,
            FeedAuth::CassoChecksum | FeedAuth::CassoSecureToken => Provider::Casso,
        }
    }
}

/// A partner's bank feed as stored: its credentials sealed under the master key.
#[derive(Clone, PartialEq, Eq)]
pub struct FeedRecord {
    /// The feed's id (`BF` + 12 characters).
    pub id: String,
    /// Owning partner.
    pub partner_code: String,
    /// How its webhooks are authenticated (which also names the provider).
    pub auth: FeedAuth,
    /// The webhook credential, sealed.
    pub secret_enc: Vec<u8>,
    /// Reconciliation: the provider API token, sealed; `None` when the feed is not
    /// polled.
    pub api_token_enc: Option<Vec<u8>>,
    /// Reconciliation: the provider API's base URL.
    pub api_url: Option<String>,
    /// Reconciliation: how often the provider's transaction list is read, ms.
    pub reconcile_every_ms: Option<i64>,
    /// Reconciliation: when it is next due.
    pub next_reconcile_at_ms: Option<i64>,
    /// Creation time.
    pub created_at_ms: i64,
}

impl fmt::Debug for FeedRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FeedRecord")
            .field("id", &self.id)
            .field("partner_code", &self.partner_code)
            .field("auth", &self.auth)
            .field("api_url", &self.api_url)
            .finish_non_exhaustive()
    }
}

/// How a credit reached the gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// The provider's webhook.
    Webhook,
    /// The reconciliation job, reading the provider's transaction list.
    Reconciliation,
}

impl Via {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Webhook => "webhook",
            Via::Reconciliation => "reconciliation",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Via> {
        [Via::Webhook, Via::Reconciliation].into_iter().find(|v| v.as_str() == s)
    }
}

/// Where a recorded credit stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CreditStatus {
    /// Recorded, not yet judged (a crash in between leaves it so; it is judged again).
    Received,
    /// It paid its order.
    Settled,
    /// It paid nothing: a person must look at it ([`Unmatched`] says why).
    Open,
    /// An operator handled an open credit (the note says how); no money moved here.
    Resolved,
    /// Not a payment: money going out of the account.
    Ignored,
    /// A body the feed sent that could not be read; kept for the operator.
    Unreadable,
}

impl CreditStatus {
    /// Every status.
    pub const ALL: [CreditStatus; 6] = [
        CreditStatus::Received,
        CreditStatus::Settled,
        CreditStatus::Open,
        CreditStatus::Resolved,
        CreditStatus::Ignored,
        CreditStatus::Unreadable,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            CreditStatus::Received => "received",
            CreditStatus::Settled => "settled",
            CreditStatus::Open => "open",
            CreditStatus::Resolved => "resolved",
            CreditStatus::Ignored => "ignored",
            CreditStatus::Unreadable => "unreadable",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<CreditStatus> {
        CreditStatus::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether an operator may resolve a credit in this status.
    pub fn resolvable(self) -> bool {
        matches!(self, CreditStatus::Open | CreditStatus::Unreadable)
    }
}

/// Why a credit paid nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Unmatched {
    /// Less than the order's amount.
    Underpaid,
    /// More than the order's amount.
    Overpaid,
    /// The order was already paid (a second transfer).
    AlreadyPaid,
    /// The order had expired (a late payment).
    Expired,
    /// The order was cancelled or had failed (a late payment).
    Cancelled,
    /// The memo names no appotapayTransId.
    NoTransId,
    /// The memo names an id that is no QR order of this partner.
    UnknownTransId,
    /// The memo names several different ids.
    SeveralTransIds,
    /// The money reached another account than the partner's collecting account.
    WrongAccount,
}

impl Unmatched {
    /// Every reason.
    pub const ALL: [Unmatched; 9] = [
        Unmatched::Underpaid,
        Unmatched::Overpaid,
        Unmatched::AlreadyPaid,
        Unmatched::Expired,
        Unmatched::Cancelled,
        Unmatched::NoTransId,
        Unmatched::UnknownTransId,
        Unmatched::SeveralTransIds,
        Unmatched::WrongAccount,
    ];

    /// The stored name (also the metrics label).
    pub fn as_str(self) -> &'static str {
        match self {
            Unmatched::Underpaid => "underpaid",
            Unmatched::Overpaid => "overpaid",
            Unmatched::AlreadyPaid => "already_paid",
            Unmatched::Expired => "expired",
            Unmatched::Cancelled => "cancelled",
            Unmatched::NoTransId => "no_trans_id",
            Unmatched::UnknownTransId => "unknown_trans_id",
            Unmatched::SeveralTransIds => "several_trans_ids",
            Unmatched::WrongAccount => "wrong_account",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Unmatched> {
        Unmatched::ALL.into_iter().find(|u| u.as_str() == s)
    }

    /// The reason a credit for an order no longer pending has: a late payment.
    pub fn late(state: State) -> Unmatched {
        match state {
            State::Success => Unmatched::AlreadyPaid,
            State::Expired => Unmatched::Expired,
            _ => Unmatched::Cancelled,
        }
    }
}

/// A transaction reported by a feed, as it is recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewCredit {
    /// Whose feed reported it.
    pub partner_code: String,
    /// The provider.
    pub provider: Provider,
    /// The provider's transaction id; `None` for an unreadable body.
    pub provider_tx_id: Option<String>,
    /// Webhook or reconciliation.
    pub via: Via,
    /// The credited account.
    pub account: String,
    /// Money in (`false`: out of the account).
    pub incoming: bool,
    /// VND, positive.
    pub amount: i64,
    /// Transfer content.
    pub content: String,
    /// The bank's full text, where the feed sends it.
    pub description: String,
    /// The bank's reference.
    pub reference: String,
    /// The booking time as the feed reports it.
    pub booked_at: String,
    /// The payload as received.
    pub raw: String,
    /// [`CreditStatus::Received`], or [`CreditStatus::Unreadable`] with `reason`.
    pub status: CreditStatus,
    /// Why it is unreadable.
    pub reason: Option<String>,
    /// Arrival.
    pub received_at_ms: i64,
}

/// A recorded credit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credit {
    /// The gateway's id of the credit.
    pub id: i64,
    /// What was received.
    pub new: NewCredit,
    /// Where it stands.
    pub status: CreditStatus,
    /// The reason an open credit paid nothing (or why a body is unreadable).
    pub reason: Option<String>,
    /// The order it paid, or the one its memo named.
    pub trans_id: Option<String>,
    /// The operator's note.
    pub note: Option<String>,
    /// When it was judged.
    pub decided_at_ms: Option<i64>,
    /// When an operator resolved it.
    pub resolved_at_ms: Option<i64>,
}

/// The judgement of one credit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// Settle this order (a pending QR order of the partner, exact amount).
    Settle(String),
    /// Pays nothing; the id the memo named, if it named one.
    Unmatched(Unmatched, Option<String>),
    /// Not a payment at all (money out).
    Ignore,
}

/// The order a credit's memo names, as [`judge`] needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NamedOrder<'a> {
    /// appotapayTransId.
    pub trans_id: &'a str,
    /// Whether it is a QR order of the partner whose feed reported the credit.
    pub qr_of_partner: bool,
    /// Its state.
    pub state: State,
    /// Its amount.
    pub amount: i64,
}

/// What a credit says, as [`judge`] needs it.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    /// Money in.
    pub incoming: bool,
    /// The credited account.
    pub account: &'a str,
    /// VND.
    pub amount: i64,
    /// The partner's collecting account number.
    pub collecting: &'a str,
    /// The distinct appotapayTransIds the memo names.
    pub ids: &'a [String],
    /// The order of the one id, when there is exactly one and it exists.
    pub order: Option<NamedOrder<'a>>,
}

/// Whether two account numbers are the same account: banks and feeds print them with
/// or without spaces and dashes.
pub fn same_account(a: &str, b: &str) -> bool {
    let digits =
        |s: &str| s.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect::<String>();
    let (a, b) = (digits(a), digits(b));
    !a.is_empty() && a == b
}

/// Decides what a credit does (see the module documentation for the rule).
pub fn judge(f: &Facts<'_>) -> Judgement {
    if !f.incoming {
        return Judgement::Ignore;
    }
    if !same_account(f.account, f.collecting) {
        return Judgement::Unmatched(Unmatched::WrongAccount, f.ids.first().cloned());
    }
    let id = match f.ids {
        [] => return Judgement::Unmatched(Unmatched::NoTransId, None),
        [one] => one,
        [first, ..] => return Judgement::Unmatched(Unmatched::SeveralTransIds, Some(first.clone())),
    };
    let Some(order) = f.order.filter(|o| o.qr_of_partner && o.trans_id == id.as_str()) else {
        return Judgement::Unmatched(Unmatched::UnknownTransId, Some(id.clone()));
    };
    if order.state != State::Pending {
        return Judgement::Unmatched(Unmatched::late(order.state), Some(id.clone()));
    }
    match f.amount.cmp(&order.amount) {
        std::cmp::Ordering::Less => Judgement::Unmatched(Unmatched::Underpaid, Some(id.clone())),
        std::cmp::Ordering::Greater => Judgement::Unmatched(Unmatched::Overpaid, Some(id.clone())),
        std::cmp::Ordering::Equal => Judgement::Settle(id.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ID: &str = "AP123456789012";

    fn facts<'a>(ids: &'a [String], order: Option<NamedOrder<'a>>) -> Facts<'a> {
        Facts { incoming: true, account: "0123 456 789", amount: 50_000, collecting: "0123456789", ids, order }
    }

    fn pending(amount: i64) -> NamedOrder<'static> {
        NamedOrder { trans_id: ID, qr_of_partner: true, state: State::Pending, amount }
    }

    #[test]
    fn exact_credit_to_the_right_account_settles() {
        let ids = vec![ID.to_owned()];
        assert_eq!(judge(&facts(&ids, Some(pending(50_000)))), Judgement::Settle(ID.into()));
    }

    #[test]
    fn every_other_case_pays_nothing_and_says_why() {
        let one = vec![ID.to_owned()];
        let u = |r| Judgement::Unmatched(r, Some(ID.to_owned()));
        assert_eq!(judge(&facts(&one, Some(pending(50_001)))), u(Unmatched::Underpaid));
        assert_eq!(judge(&facts(&one, Some(pending(49_999)))), u(Unmatched::Overpaid));
        for (state, why) in [
            (State::Success, Unmatched::AlreadyPaid),
            (State::Expired, Unmatched::Expired),
            (State::Cancelled, Unmatched::Cancelled),
            (State::Failed, Unmatched::Cancelled),
        ] {
            let o = NamedOrder { state, ..pending(50_000) };
            assert_eq!(judge(&facts(&one, Some(o))), u(why), "{state}");
        }
        let other = NamedOrder { qr_of_partner: false, ..pending(50_000) };
        assert_eq!(judge(&facts(&one, Some(other))), u(Unmatched::UnknownTransId));
        assert_eq!(judge(&facts(&one, None)), u(Unmatched::UnknownTransId));
        assert_eq!(judge(&facts(&[], None)), Judgement::Unmatched(Unmatched::NoTransId, None));
        let two = vec![ID.to_owned(), "AP000000000001".to_owned()];
        assert_eq!(judge(&facts(&two, Some(pending(50_000)))), u(Unmatched::SeveralTransIds));
        let wrong = Facts { account: "9999", ..facts(&one, Some(pending(50_000))) };
        assert_eq!(judge(&wrong), u(Unmatched::WrongAccount));
        let out = Facts { incoming: false, ..facts(&one, Some(pending(50_000))) };
        assert_eq!(judge(&out), Judgement::Ignore);
    }

    #[test]
    fn names_round_trip() {
        for r in Unmatched::ALL {
            assert_eq!(Unmatched::parse(r.as_str()), Some(r));
        }
        for s in CreditStatus::ALL {
            assert_eq!(CreditStatus::parse(s.as_str()), Some(s));
        }
        for a in FeedAuth::ALL {
            assert_eq!(FeedAuth::parse(a.as_str()), Some(a));
        }
        assert!(!same_account("", ""));
        assert!(same_account("0123-456 789", "0123456789"));
    }

    proptest! {
        /// Only an exact, incoming credit to the collecting account, naming one pending QR
        /// order of the partner, settles; and it settles that order.
        #[test]
        fn settles_only_when_every_condition_holds(
            incoming: bool, right_account: bool, n_ids in 0usize..3, known: bool, of_partner: bool,
            state in prop::sample::select(State::ALL.to_vec()), amount in 1i64..1_000_000, paid in 1i64..1_000_000,
        ) {
            let ids: Vec<String> = (0..n_ids).map(|i| format!("AP12345678901{i}")).collect();
            let order = (known && n_ids == 1).then(|| NamedOrder { trans_id: &ids[0], qr_of_partner: of_partner, state, amount });
            let f = Facts { incoming, account: if right_account { "0123456789" } else { "1" }, amount: paid, collecting: "0123456789", ids: &ids, order };
            let settles = incoming && right_account && n_ids == 1 && known && of_partner && state == State::Pending && amount == paid;
            match judge(&f) {
                Judgement::Settle(id) => { prop_assert!(settles); prop_assert_eq!(&id, &ids[0]); }
                Judgement::Ignore => prop_assert!(!incoming),
                Judgement::Unmatched(..) => prop_assert!(!settles && incoming),
            }
        }
    }
}
