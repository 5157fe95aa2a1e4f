//! Partners' collecting accounts, bank feeds and bank credits: statements,
//! parameters and row decoding.
//!
//! A credit is inserted once per `(partner_code, provider, provider_tx_id)`
//! ([`INSERT_CREDIT`] changes no row for one already on record, from any node), and every later change
//! of its status is a compare-and-set on the status it was judged from, so two
//! nodes handling one transaction can never both use it.

use super::rows::{SqlRow, corrupt};
use super::{Sql, Value, values};
use crate::domain::credit::{BankAccount, Credit, CreditStatus, FeedAuth, FeedRecord, NewCredit, Via};
use crate::store::StoreResult;

/// Sets the collecting account (`$2` BIN, `$3` number, `$4` name, `$5` now) of the
/// partner `$1`, if it exists.
pub static SET_ACCOUNT: Sql = Sql::new(|| {
    "INSERT INTO partner_accounts (partner_code, bin, account, name, updated_at_ms) \
     SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM partners WHERE code = $1) \
     ON CONFLICT (partner_code) DO UPDATE SET bin = excluded.bin, account = excluded.account, \
     name = excluded.name, updated_at_ms = excluded.updated_at_ms"
        .into()
});

/// The collecting account of the partner `$1`.
pub static GET_ACCOUNT: Sql =
    Sql::new(|| "SELECT bin, account, name FROM partner_accounts WHERE partner_code = $1".into());

/// Forgets the collecting account of the partner `$1`.
pub static CLEAR_ACCOUNT: Sql = Sql::new(|| "DELETE FROM partner_accounts WHERE partner_code = $1".into());

/// The columns of a feed, in [`feed_from_row`]'s order.
const FEED_COLUMNS: &str = "id, partner_code, auth, secret_enc, api_token_enc, api_url, reconcile_every_ms, \
     next_reconcile_at_ms, created_at_ms";

/// Inserts a feed ([`feed_params`]) if its partner exists.
pub static INSERT_FEED: Sql = Sql::new(|| {
    format!(
        "INSERT INTO bank_feeds ({FEED_COLUMNS}) SELECT {} WHERE EXISTS (SELECT 1 FROM partners WHERE code = $2)",
        super::placeholders(1, 9)
    )
});

/// The feeds of the partner `$1`, oldest first.
pub static PARTNER_FEEDS: Sql =
    Sql::new(|| format!("SELECT {FEED_COLUMNS} FROM bank_feeds WHERE partner_code = $1 ORDER BY created_at_ms, id"));

/// Removes the feed `$2` of the partner `$1`.
pub static REMOVE_FEED: Sql = Sql::new(|| "DELETE FROM bank_feeds WHERE partner_code = $1 AND id = $2".into());

/// Polled feeds whose reconciliation is due at `$1`, earliest first, at most `$2`.
pub static DUE_FEEDS: Sql = Sql::new(|| {
    format!(
        "SELECT {FEED_COLUMNS} FROM bank_feeds WHERE next_reconcile_at_ms IS NOT NULL AND next_reconcile_at_ms <= $1 \
         ORDER BY next_reconcile_at_ms LIMIT $2"
    )
});

/// Moves the next reconciliation of the feed `$1` from `$2` to `$3` (a
/// compare-and-set: of two nodes finding it due, one takes it).
pub static TAKE_RECONCILIATION: Sql =
    Sql::new(|| "UPDATE bank_feeds SET next_reconcile_at_ms = $3 WHERE id = $1 AND next_reconcile_at_ms = $2".into());

/// The columns of a credit, in [`credit_from_row`]'s order.
pub const CREDIT_COLUMNS: &str = "id, partner_code, provider, provider_tx_id, via, account, incoming, amount, \
     content, description, reference, booked_at, raw, status, reason, trans_id, note, received_at_ms, decided_at_ms, \
     resolved_at_ms";

/// The columns a credit is inserted with ([`credit_params`]).
const INSERT_CREDIT_COLUMNS: &str = "partner_code, provider, provider_tx_id, via, account, incoming, amount, \
     content, description, reference, booked_at, raw, status, reason, received_at_ms";

/// Records a credit; returns its id, or no row when the provider's transaction is
/// already on record.
pub static INSERT_CREDIT: Sql = Sql::new(|| {
    format!(
        "INSERT INTO bank_credits ({INSERT_CREDIT_COLUMNS}) VALUES ({}) \
         ON CONFLICT (partner_code, provider, provider_tx_id) DO NOTHING RETURNING id",
        super::placeholders(1, 15)
    )
});

/// A credit by id (`$1`).
pub static GET_CREDIT: Sql = Sql::new(|| format!("SELECT {CREDIT_COLUMNS} FROM bank_credits WHERE id = $1"));

/// A credit of the partner `$1` by provider (`$2`) and provider transaction id (`$3`).
pub static FIND_CREDIT: Sql = Sql::new(|| {
    format!(
        "SELECT {CREDIT_COLUMNS} FROM bank_credits WHERE partner_code = $1 AND provider = $2 AND provider_tx_id = $3"
    )
});

/// The earliest other credit (not `$5`) of the partner `$1` for the same bank transfer:
/// account `$2`, bank reference `$3` (never empty), amount `$4`, direction `$6`.
pub static SAME_TRANSFER: Sql = Sql::new(|| {
    format!(
        "SELECT {CREDIT_COLUMNS} FROM bank_credits WHERE partner_code = $1 AND account = $2 AND reference = $3 \
         AND amount = $4 AND id <> $5 AND incoming = $6 AND status <> 'unreadable' ORDER BY id LIMIT 1"
    )
});

/// Judges the credit `$1`, still `received`: status `$2`, reason `$3`, order `$4`,
/// at `$5`.
pub static DECIDE_CREDIT: Sql = Sql::new(|| {
    "UPDATE bank_credits SET status = $2, reason = $3, trans_id = $4, decided_at_ms = $5 \
     WHERE id = $1 AND status = 'received'"
        .into()
});

/// Marks the credit `$1`, still `received`, as having paid the order `$2` at `$3`:
/// run in the transaction that settles the order.
pub static CREDIT_SETTLED: Sql = Sql::new(|| {
    "UPDATE bank_credits SET status = 'settled', reason = NULL, trans_id = $2, decided_at_ms = $3 \
     WHERE id = $1 AND status = 'received'"
        .into()
});

/// Resolves the credit `$1` if it is open or unreadable: note `$2`, at `$3`.
pub static RESOLVE_CREDIT: Sql = Sql::new(|| {
    "UPDATE bank_credits SET status = 'resolved', note = $2, resolved_at_ms = $3 \
     WHERE id = $1 AND status IN ('open', 'unreadable')"
        .into()
});

/// Credits of the partner `$1` (any partner if NULL) in status `$2` (any if NULL),
/// newest first, `$3` at most from offset `$4`.
pub static LIST_CREDITS: Sql = Sql::new(|| {
    format!(
        "SELECT {CREDIT_COLUMNS} FROM bank_credits WHERE ($1 IS NULL OR partner_code = $1) \
         AND ($2 IS NULL OR status = $2) ORDER BY id DESC LIMIT $3 OFFSET $4"
    )
});

/// Credits still `received` since before `$1` (their judging died), oldest first,
/// at most `$2`.
pub static STALE_CREDITS: Sql = Sql::new(|| {
    format!(
        "SELECT {CREDIT_COLUMNS} FROM bank_credits WHERE status = 'received' AND received_at_ms < $1 \
         ORDER BY id LIMIT $2"
    )
});

/// The parameters of [`SET_ACCOUNT`].
pub fn account_params<'a>(partner_code: &'a str, a: &'a BankAccount, now_ms: i64) -> Vec<Value<'a>> {
    values![partner_code, &a.bin, &a.account, &a.name, now_ms]
}

/// A row of [`GET_ACCOUNT`].
pub fn account_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<BankAccount> {
    Ok(BankAccount { bin: r.text(0)?, account: r.text(1)?, name: r.text(2)? })
}

/// The parameters of [`INSERT_FEED`].
pub fn feed_params(f: &FeedRecord) -> Vec<Value<'_>> {
    values![
        &f.id,
        &f.partner_code,
        f.auth.as_str(),
        f.secret_enc.as_slice(),
        f.api_token_enc.as_deref().unwrap_or_default(),
        &f.api_url,
        f.reconcile_every_ms,
        f.next_reconcile_at_ms,
        f.created_at_ms
    ]
}

/// A row of the feed statements.
pub fn feed_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<FeedRecord> {
    let token = r.bytes(4)?;
    Ok(FeedRecord {
        id: r.text(0)?,
        partner_code: r.text(1)?,
        auth: FeedAuth::parse(&r.text(2)?).ok_or_else(|| corrupt("bank feed auth"))?,
        secret_enc: r.bytes(3)?,
        api_token_enc: (!token.is_empty()).then_some(token),
        api_url: r.text_opt(5)?,
        reconcile_every_ms: r.int_opt(6)?,
        next_reconcile_at_ms: r.int_opt(7)?,
        created_at_ms: r.int(8)?,
    })
}

/// The parameters of [`INSERT_CREDIT`].
pub fn credit_params(c: &NewCredit) -> Vec<Value<'_>> {
    values![
        &c.partner_code,
        c.provider.as_str(),
        &c.provider_tx_id,
        c.via.as_str(),
        &c.account,
        c.incoming,
        c.amount,
        &c.content,
        &c.description,
        &c.reference,
        &c.booked_at,
        &c.raw,
        c.status.as_str(),
        &c.reason,
        c.received_at_ms
    ]
}

/// The parameters of [`SAME_TRANSFER`].
pub fn same_transfer_params(id: i64, c: &NewCredit) -> Vec<Value<'_>> {
    values![&c.partner_code, &c.account, &c.reference, c.amount, id, c.incoming]
}

/// A row of the credit statements ([`CREDIT_COLUMNS`]).
pub fn credit_from_row<R: SqlRow + ?Sized>(r: &R) -> StoreResult<Credit> {
    let status = CreditStatus::parse(&r.text(13)?).ok_or_else(|| corrupt("bank credit status"))?;
    let reason = r.text_opt(14)?;
    Ok(Credit {
        id: r.int(0)?,
        new: NewCredit {
            partner_code: r.text(1)?,
            provider: r.text(2)?.parse().map_err(|_| corrupt("bank feed provider"))?,
            provider_tx_id: r.text_opt(3)?,
            via: Via::parse(&r.text(4)?).ok_or_else(|| corrupt("bank credit via"))?,
            account: r.text(5)?,
            incoming: r.bool(6)?,
            amount: r.int(7)?,
            content: r.text(8)?,
            description: r.text(9)?,
            reference: r.text(10)?,
            booked_at: r.text(11)?,
            raw: r.text(12)?,
            status,
            reason: reason.clone(),
            received_at_ms: r.int(17)?,
        },
        status,
        reason,
        trans_id: r.text_opt(15)?,
        note: r.text_opt(16)?,
        decided_at_ms: r.int_opt(18)?,
        resolved_at_ms: r.int_opt(19)?,
    })
}
