//! The store contract, written once and run against every backend: each test is an
//! `async fn(Db)` that `store_test!` instantiates as `name::sqlite` and
//! `name::postgres`.

use crate::pg::TestDb;
use appotapay_gateway::domain::order::State;
use appotapay_gateway::store::{
    self, ApiVersion, AttemptRecord, CardRecord, CreateOutcome, DeliveryStatus, NewOutbox, NextStep, Order, OrderKind,
    PartnerRecord, StateChange, Store, SubAccount,
};
use appotapay_protocol::{AppotapayTransId, BankCode, ErrorCode, PaymentMethod};
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Sqlite,
    Postgres,
}

/// A store on a fresh database, and the means to open the same database again (as
/// another node, or another process on the same file, would).
pub(crate) struct Db {
    kind: Kind,
    url: String,
    pub(crate) store: Arc<dyn Store>,
    _sqlite: Option<tempfile::TempDir>,
    _postgres: Option<TestDb>,
}

impl Db {
    pub(crate) async fn sqlite() -> Db {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("store.db").display());
        let store = store::open(&url).await.expect("open sqlite");
        Db { kind: Kind::Sqlite, url, store, _sqlite: Some(dir), _postgres: None }
    }

    pub(crate) async fn postgres() -> Db {
        let db = TestDb::create().await;
        let store = store::open(&db.url).await.expect("open postgres");
        Db { kind: Kind::Postgres, url: db.url.clone(), store, _sqlite: None, _postgres: Some(db) }
    }

    /// Another handle on the same database.
    async fn another(&self) -> Arc<dyn Store> {
        store::open(&self.url).await.expect("open again")
    }

    /// Runs one statement on the database outside the store, as an operator would.
    async fn execute_by_hand(&self, sql: &str) {
        match self.kind {
            Kind::Postgres => {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&self.url).await.expect("connect");
                sqlx::query(sql).execute(&mut conn).await.expect("a statement by hand");
            }
            Kind::Sqlite => {
                let path = self.url.strip_prefix("sqlite://").expect("a sqlite URL");
                let conn = rusqlite::Connection::open(path).expect("open the file");
                conn.busy_timeout(Duration::from_secs(5)).expect("busy timeout");
                conn.execute(sql, []).expect("a statement by hand");
            }
        }
    }
}

macro_rules! store_test {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                super::$name(crate::store_suite::Db::sqlite().await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                super::$name(crate::store_suite::Db::postgres().await).await
            }
        }
    };
}
pub(crate) use store_test;

pub(crate) const T0: i64 = 1_700_000_000_000;

pub(crate) fn partner(code: &str) -> PartnerRecord {
    PartnerRecord {
        code: code.into(),
        name: format!("Shop {code} – Cửa hàng"),
        api_key: format!("{code}-key"),
        // Arbitrary bytes, zeros included.
        secret_enc: vec![0, 1, 2, 255, 0, 128, 7],
        locked: false,
        notify_failures: true,
        amount_min: 1_000,
        amount_max: 500_000_000,
        created_at_ms: T0,
        previous: None,
        allowed: Default::default(),
    }
}

/// A test's appotapayTransId, written as text.
fn tid(s: &str) -> AppotapayTransId {
    s.parse().expect("an appotapayTransId")
}

fn bank(code: &str) -> BankCode {
    BankCode::parse(code).expect("a bank code")
}

pub(crate) fn order(trans_id: &str, partner_code: &str, order_id: &str) -> Order {
    Order {
        trans_id: tid(trans_id),
        partner_code: partner_code.into(),
        order_id: order_id.into(),
        kind: OrderKind::Bank,
        payment_method: PaymentMethod::All,
        bank_code: None,
        amount: 150_000,
        order_info: "Thanh toán đơn hàng & <test>".into(),
        client_ip: "103.53.171.140".into(),
        notify_url: "http://127.0.0.1:9/ipn".into(),
        redirect_url: "http://127.0.0.1:9/return?x=1".into(),
        extra_data: "cart=42 x&y 'quoted' \"double\"".into(),
        sub_account: None,
        state: State::Pending,
        code: ErrorCode::PENDING,
        card: None,
        qr_payload: None,
        created_at_ms: T0,
        expires_at_ms: T0 + 900_000,
        updated_at_ms: T0,
        settled_at_ms: None,
        api: ApiVersion::V1_0,
        action: appotapay_protocol::v11::Action::Pay,
        token: None,
        signature_reading: None,
    }
}

fn outbox(trans_id: &str, due: i64) -> NewOutbox {
    NewOutbox {
        partner_code: "P1".into(),
        url: "http://127.0.0.1:9/ipn".into(),
        body: format!(r#"{{"appotapayTransId":"{trans_id}","errorCode":0}}"#),
        first_attempt_at_ms: due,
        lose_attempts: 0,
        again_after_ms: None,
        fault_id: None,
    }
}

pub(crate) fn succeed(trans_id: &str, now: i64, ob: Option<NewOutbox>) -> StateChange {
    StateChange {
        trans_id: tid(trans_id),
        from: State::Pending,
        to: State::Success,
        code: ErrorCode::SUCCESS,
        now_ms: now,
        bank_code: Some(bank("VCB")),
        payment_method: Some(PaymentMethod::Atm),
        card: None,
        outbox: ob,
        credit_id: None,
        token: None,
    }
}

fn attempt(outbox_id: i64, attempt: u32, status: Option<u16>) -> AttemptRecord {
    AttemptRecord {
        outbox_id,
        attempt,
        at_ms: T0 + i64::from(attempt),
        http_status: status,
        error: if status == Some(200) { None } else { Some(format!("attempt {attempt} failed")) },
        latency_ms: 12,
        response_head: format!("answer {attempt}"),
    }
}

/// An order of partner P1, settled with an IPN due at `due`; returns its trans id.
async fn queued(s: &dyn Store, n: usize, due: i64) -> String {
    let id = format!("AP{:012}", 100_000_000_000 + n);
    assert_eq!(s.create_order(&order(&id, "P1", &format!("o-{n}"))).await.expect("create"), CreateOutcome::Created);
    assert!(s.apply_change(&succeed(&id, T0, Some(outbox(&id, due)))).await.expect("apply"));
    id
}

// ---------------------------------------------------------------------------------

store_test!(ping_and_reopen);
async fn ping_and_reopen(db: Db) {
    db.store.ping().await.expect("ping");
    assert!(db.store.insert_partner(&partner("P1")).await.expect("insert"));
    // Opening an existing database again applies no migration twice and keeps rows.
    let again = db.another().await;
    again.ping().await.expect("ping");
    assert!(again.get_partner("P1").await.expect("get").is_some());
}

store_test!(concurrent_opens_migrate_once);
async fn concurrent_opens_migrate_once(db: Db) {
    // Several nodes starting at once on a database nobody has migrated yet: every
    // open succeeds and they all see one schema.
    let dir = tempfile::tempdir().expect("tempdir");
    let fresh = match db.kind {
        Kind::Sqlite => None,
        Kind::Postgres => Some(TestDb::create().await),
    };
    let url = match &fresh {
        None => format!("sqlite://{}", dir.path().join("fresh.db").display()),
        Some(f) => f.url.clone(),
    };
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { store::open(&url).await })
        })
        .collect();
    let mut stores = Vec::new();
    for h in opens {
        stores.push(h.await.expect("join").expect("concurrent open"));
    }
    assert!(stores[0].insert_partner(&partner("P1")).await.expect("insert"));
    for s in &stores {
        assert!(s.get_partner("P1").await.expect("get").is_some(), "one database");
    }
    drop(stores);
    drop(fresh);
}

store_test!(partners);
async fn partners(db: Db) {
    let s = &db.store;
    assert!(s.insert_partner(&partner("P2")).await.expect("insert"));
    assert!(s.insert_partner(&partner("P1")).await.expect("insert"));
    let mut dup = partner("P1");
    dup.name = "Another".into();
    assert!(!s.insert_partner(&dup).await.expect("duplicate"), "a taken code is reported, not an error");
    let p = s.get_partner("P1").await.expect("get").expect("exists");
    let want = partner("P1");
    assert_eq!(
        (p.code.as_str(), p.name.as_str(), p.api_key.as_str(), p.secret_enc.as_slice()),
        (want.code.as_str(), want.name.as_str(), want.api_key.as_str(), want.secret_enc.as_slice())
    );
    assert_eq!(
        (p.locked, p.notify_failures, p.amount_min, p.amount_max, p.created_at_ms),
        (false, true, 1_000, 500_000_000, T0)
    );
    assert!(s.get_partner("P3").await.expect("get").is_none());
    let codes: Vec<String> = s.list_partners().await.expect("list").into_iter().map(|p| p.code).collect();
    assert_eq!(codes, ["P1", "P2"]);
    assert!(s.set_partner_locked("P1", true).await.expect("lock"));
    assert!(s.get_partner("P1").await.expect("get").expect("exists").locked);
    assert!(!s.get_partner("P2").await.expect("get").expect("exists").locked, "only P1");
    assert!(s.set_partner_locked("P1", false).await.expect("unlock"));
    assert!(!s.get_partner("P1").await.expect("get").expect("exists").locked);
    assert!(!s.set_partner_locked("nobody", true).await.expect("unknown"));
}

store_test!(sub_accounts);
async fn sub_accounts(db: Db) {
    let s = &db.store;
    let sub = SubAccount { id: "9723f73b-sub".into(), partner_code: "P1".into(), owner: true, created_at_ms: T0 };
    assert!(!s.insert_sub_account(&sub).await.expect("insert"), "unknown partner");
    assert!(s.get_sub_account(&sub.id).await.expect("get").is_none());
    s.insert_partner(&partner("P1")).await.expect("partner");
    assert!(s.insert_sub_account(&sub).await.expect("insert"));
    let other = SubAccount { id: "other".into(), owner: false, ..sub.clone() };
    assert!(s.insert_sub_account(&other).await.expect("insert"));
    assert_eq!(s.get_sub_account(&sub.id).await.expect("get"), Some(sub.clone()));
    assert_eq!(s.get_sub_account("other").await.expect("get"), Some(other));
    assert!(s.get_sub_account("nope").await.expect("get").is_none());
}

store_test!(orders_round_trip);
async fn orders_round_trip(db: Db) {
    let s = &db.store;
    let plain = order("AP100000000001", "P1", "o-1");
    assert_eq!(s.create_order(&plain).await.expect("create"), CreateOutcome::Created);
    assert_eq!(s.get_order("AP100000000001").await.expect("get"), Some(plain.clone()));
    assert_eq!(s.find_order("P1", "o-1").await.expect("find"), Some(plain.clone()));

    let mut full = order("AP100000000002", "P1", "o-2");
    full.kind = OrderKind::Qr;
    full.payment_method = PaymentMethod::Qr;
    full.sub_account = Some("sub-1".into());
    full.qr_payload = Some("00020101021238570010A000000727".into());
    full.card = Some(CardRecord {
        number_masked: "512345******2346".into(),
        date: "12/29".into(),
        name: "NGUYEN VAN A".into(),
        country: "VN".into(),
    });
    full.amount = 9_007_199_254_740_993; // beyond f64's integers
    full.state = State::Success;
    full.code = ErrorCode::SUCCESS;
    full.settled_at_ms = Some(T0 + 5);
    assert_eq!(s.create_order(&full).await.expect("create"), CreateOutcome::Created);
    assert_eq!(s.get_order("AP100000000002").await.expect("get"), Some(full.clone()));

    assert!(s.get_order("AP999999999999").await.expect("get").is_none());
    assert!(s.find_order("P1", "o-9").await.expect("find").is_none());
    assert!(s.find_order("P2", "o-1").await.expect("find").is_none(), "order ids are per partner");
}

store_test!(order_uniqueness);
async fn order_uniqueness(db: Db) {
    let s = &db.store;
    assert_eq!(s.create_order(&order("AP100000000001", "P1", "o-1")).await.expect("create"), CreateOutcome::Created);
    assert_eq!(
        s.create_order(&order("AP100000000002", "P1", "o-1")).await.expect("dup"),
        CreateOutcome::DuplicateOrderId
    );
    assert_eq!(
        s.create_order(&order("AP100000000001", "P1", "o-2")).await.expect("collision"),
        CreateOutcome::TransIdTaken
    );
    // The very same order again (an earlier try committed, its answer was lost): it
    // was created, and nothing changes.
    assert_eq!(s.create_order(&order("AP100000000001", "P1", "o-1")).await.expect("again"), CreateOutcome::Created);
    assert_eq!(
        s.create_order(&order("AP100000000003", "P2", "o-1")).await.expect("other partner"),
        CreateOutcome::Created,
        "another partner may use the same order id"
    );
    assert!(s.find_order("P1", "o-2").await.expect("find").is_none(), "a refused insert leaves nothing");
    assert_eq!(s.get_order("AP100000000001").await.expect("get").expect("row").order_id, "o-1");
}

store_test!(concurrent_creation_of_one_order_id);
async fn concurrent_creation_of_one_order_id(db: Db) {
    let other = db.another().await;
    for round in 0..10 {
        let mut tasks = Vec::new();
        for i in 0..12usize {
            let s = if i % 2 == 0 { db.store.clone() } else { other.clone() };
            let o = order(&format!("AP{:012}", 200_000_000_000 + round * 100 + i), "P1", &format!("race-{round}"));
            tasks.push(tokio::spawn(async move { s.create_order(&o).await.expect("create") }));
        }
        let mut outcomes = Vec::new();
        for t in tasks {
            outcomes.push(t.await.expect("join"));
        }
        let created = outcomes.iter().filter(|o| **o == CreateOutcome::Created).count();
        let dups = outcomes.iter().filter(|o| **o == CreateOutcome::DuplicateOrderId).count();
        assert_eq!((created, dups), (1, 11), "round {round}: {outcomes:?}");
    }
}

store_test!(many_concurrent_creations_each_get_their_own_outcome);
/// More concurrent creations than one batch holds, with duplicates among them and
/// one order PostgreSQL refuses (text with NUL): every other order is created and
/// found, every duplicate answers as one, and the refused order fails alone (its
/// batch is retried order by order).
async fn many_concurrent_creations_each_get_their_own_outcome(db: Db) {
    let mut tasks = Vec::new();
    for i in 0..300usize {
        let s = db.store.clone();
        // Orders 0–9 are each sent twice, under two trans ids.
        let order_id = format!("many-{}", if i >= 290 { i - 290 } else { i });
        let mut o = order(&format!("AP{:012}", 300_000_000_000 + i), "P1", &order_id);
        if i == 150 {
            o.order_info = "bad\0text".into();
        }
        tasks.push(tokio::spawn(async move { (i, s.create_order(&o).await) }));
    }
    let mut created = 0;
    let mut dups = 0;
    for t in tasks {
        let (i, outcome) = t.await.expect("join");
        match (i, outcome) {
            (150, Err(_)) => assert_eq!(db.kind, Kind::Postgres, "only PostgreSQL refuses NUL"),
            (_, Ok(CreateOutcome::Created)) => created += 1,
            (_, Ok(CreateOutcome::DuplicateOrderId)) => dups += 1,
            (i, other) => panic!("order {i}: {other:?}"),
        }
    }
    let expected = if db.kind == Kind::Postgres { 289 } else { 290 };
    assert_eq!((created, dups), (expected, 10));
    let tid_of = |i: usize| format!("AP{:012}", 300_000_000_000 + i);
    for i in (0..290).filter(|i| *i != 150) {
        let found = db.store.find_order("P1", &format!("many-{i}")).await.expect("find").expect("stored");
        let winners = if i < 10 { vec![tid_of(i), tid_of(290 + i)] } else { vec![tid_of(i)] };
        assert!(winners.iter().any(|w| w == found.trans_id.as_str()), "order {i}: {}", found.trans_id.as_str());
    }
    let refused = db.store.find_order("P1", "many-150").await.expect("find");
    assert_eq!(refused.is_some(), db.kind == Kind::Sqlite);
}

store_test!(compare_and_set);
async fn compare_and_set(db: Db) {
    let s = &db.store;
    let id = "AP100000000001";
    s.create_order(&order(id, "P1", "o-1")).await.expect("create");
    // From a state the order is not in: nothing happens.
    let mut wrong = succeed(id, T0 + 10, Some(outbox(id, T0)));
    wrong.from = State::Processing;
    assert!(!s.apply_change(&wrong).await.expect("apply"));
    assert_eq!(s.get_order(id).await.expect("get").expect("row"), order(id, "P1", "o-1"));
    assert!(s.deliveries(id).await.expect("deliveries").is_empty(), "a failed CAS queues nothing");
    assert_eq!(s.outbox_depth().await.expect("depth"), 0);
    assert_eq!(s.next_outbox_due().await.expect("due"), None);
    assert!(!s.apply_change(&succeed("AP999999999999", T0, None)).await.expect("unknown"), "unknown order");

    // A non-final change keeps details not given and sets no settlement time.
    let processing = StateChange {
        trans_id: tid(id),
        from: State::Pending,
        to: State::Processing,
        code: ErrorCode::PROCESSING,
        now_ms: T0 + 20,
        bank_code: None,
        payment_method: Some(PaymentMethod::Cc),
        card: Some(CardRecord {
            number_masked: "411111******1111".into(),
            date: "01/30".into(),
            name: "TRAN THI B".into(),
            country: "VN".into(),
        }),
        outbox: None,
        credit_id: None,
        token: None,
    };
    assert!(s.apply_change(&processing).await.expect("apply"));
    let o = s.get_order(id).await.expect("get").expect("row");
    assert_eq!(
        (o.state, o.code, o.updated_at_ms, o.settled_at_ms),
        (State::Processing, ErrorCode::PROCESSING, T0 + 20, None)
    );
    assert_eq!((o.payment_method.as_str(), o.bank_code_text()), ("CC", ""));
    assert_eq!(o.card.as_ref().map(|c| c.number_masked.as_str()), Some("411111******1111"));

    // The final change, decided from the current state, with its IPN.
    let mut fin = succeed(id, T0 + 30, Some(outbox(id, T0 + 30)));
    fin.from = State::Processing;
    fin.bank_code = Some(bank("VISA"));
    fin.payment_method = None;
    assert!(s.apply_change(&fin).await.expect("apply"));
    let o = s.get_order(id).await.expect("get").expect("row");
    assert_eq!((o.state, o.code, o.settled_at_ms), (State::Success, ErrorCode::SUCCESS, Some(T0 + 30)));
    assert_eq!((o.payment_method.as_str(), o.bank_code_text()), ("CC", "VISA"), "kept and set");
    assert_eq!(o.card.as_ref().map(|c| c.name.as_str()), Some("TRAN THI B"));
    // Replaying it changes nothing.
    assert!(!s.apply_change(&fin).await.expect("replay"));
    let d = s.deliveries(id).await.expect("deliveries");
    assert_eq!(d.len(), 1, "one IPN queued with the final state");
    assert_eq!((d[0].status.as_str(), d[0].url.as_str()), ("pending", "http://127.0.0.1:9/ipn"));
    assert_eq!(d[0].body, outbox(id, 0).body);
    assert!(d[0].attempts.is_empty());
}

store_test!(concurrent_compare_and_set_has_one_winner);
async fn concurrent_compare_and_set_has_one_winner(db: Db) {
    let other = db.another().await;
    let finals = [
        (State::Success, ErrorCode::SUCCESS),
        (State::Failed, ErrorCode(61)),
        (State::Cancelled, ErrorCode::CANCELLED),
    ];
    // Sixteen distinct banks, one per contender, to tell the winner's change.
    let banks = [
        "VCB",
        "MB",
        "ACB",
        "BIDV",
        "VIETINBANK",
        "TECHCOMBANK",
        "TPBANK",
        "VPBANK",
        "SACOMBANK",
        "HDBANK",
        "SHB",
        "VIB",
        "OCB",
        "EXIMBANK",
        "SEABANK",
        "AGRIBANK",
    ];
    let banks: Vec<BankCode> = banks.into_iter().map(bank).collect();
    const BANKS_N: usize = 16;
    assert_eq!(banks.len(), BANKS_N);
    for round in 0..10usize {
        let id = format!("AP{:012}", 300_000_000_000 + round);
        db.store.create_order(&order(&id, "P1", &format!("cas-{round}"))).await.expect("create");
        let mut tasks = Vec::new();
        for i in 0..16usize {
            let s = if i % 2 == 0 { db.store.clone() } else { other.clone() };
            let (to, code) = finals[i % finals.len()];
            let change = StateChange {
                trans_id: tid(&id),
                from: State::Pending,
                to,
                code,
                now_ms: T0 + i as i64,
                bank_code: Some(banks[i]),
                payment_method: None,
                card: None,
                outbox: Some(NewOutbox { body: format!("winner {i}"), ..outbox(&id, T0) }),
                credit_id: None,
                token: None,
            };
            tasks.push(tokio::spawn(async move { (i, s.apply_change(&change).await.expect("apply")) }));
        }
        let mut winners = Vec::new();
        for t in tasks {
            let (i, won) = t.await.expect("join");
            if won {
                winners.push(i);
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: winners {winners:?}");
        let w = winners[0];
        let o = db.store.get_order(&id).await.expect("get").expect("row");
        assert_eq!((o.state, o.code), finals[w % finals.len()], "the row is the winner's");
        assert_eq!(o.bank_code, Some(banks[w]));
        let d = db.store.deliveries(&id).await.expect("deliveries");
        assert_eq!(d.len(), 1, "one IPN");
        assert_eq!(d[0].body, format!("winner {w}"));
    }
}

store_test!(outbox_lifecycle);
async fn outbox_lifecycle(db: Db) {
    let s = &db.store;
    let due = T0 + 1_000;
    let id = queued(s.as_ref(), 1, due).await;
    assert_eq!(s.outbox_depth().await.expect("depth"), 1);
    assert_eq!(s.next_outbox_due().await.expect("due"), Some(due));
    assert!(s.claim_outbox(due - 1, due + 10_000, 10).await.expect("claim").is_empty(), "not due yet");

    let items = s.claim_outbox(due, due + 10_000, 10).await.expect("claim");
    assert_eq!(items.len(), 1);
    let item = &items[0];
    assert_eq!((item.trans_id.as_str(), item.partner_code.as_str(), item.attempt), (id.as_str(), "P1", 1));
    assert_eq!((item.url.as_str(), item.body.as_str()), ("http://127.0.0.1:9/ipn", outbox(&id, 0).body.as_str()));
    assert!(s.claim_outbox(due + 9_999, due + 20_000, 10).await.expect("claim").is_empty(), "leased");
    assert_eq!(s.next_outbox_due().await.expect("due"), Some(due + 10_000), "due again when the lease ends");
    assert_eq!(s.outbox_depth().await.expect("depth"), 1);

    // The lease runs out (the worker died): the row is claimed again, as attempt 2.
    let again = s.claim_outbox(due + 10_000, due + 20_000, 10).await.expect("claim");
    assert_eq!(again.iter().map(|i| (i.id, i.attempt)).collect::<Vec<_>>(), [(item.id, 2)]);

    s.finish_attempt(&attempt(item.id, 2, Some(500)), NextStep::RetryAt(due + 50_000)).await.expect("finish");
    assert_eq!(s.next_outbox_due().await.expect("due"), Some(due + 50_000), "lease cleared, retry time set");
    assert!(s.claim_outbox(due + 49_999, due + 60_000, 10).await.expect("claim").is_empty());
    let third = s.claim_outbox(due + 50_000, due + 60_000, 10).await.expect("claim");
    assert_eq!(third.iter().map(|i| i.attempt).collect::<Vec<_>>(), [3]);
    s.finish_attempt(&attempt(item.id, 3, Some(200)), NextStep::Delivered).await.expect("finish");
    assert_eq!(s.outbox_depth().await.expect("depth"), 0);
    assert_eq!(s.next_outbox_due().await.expect("due"), None);
    assert!(s.claim_outbox(i64::MAX / 2, i64::MAX / 2, 10).await.expect("claim").is_empty(), "delivered is done");

    let d = s.deliveries(&id).await.expect("deliveries");
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].status, DeliveryStatus::Delivered);
    assert_eq!(d[0].attempts, vec![attempt(item.id, 2, Some(500)), attempt(item.id, 3, Some(200))]);

    // Giving up ends a row too.
    let id2 = queued(s.as_ref(), 2, due).await;
    let items = s.claim_outbox(due, due + 10_000, 10).await.expect("claim");
    assert_eq!(items.len(), 1);
    s.finish_attempt(&attempt(items[0].id, 1, None), NextStep::GiveUp).await.expect("finish");
    let d = s.deliveries(&id2).await.expect("deliveries");
    assert_eq!((d[0].status.as_str(), d[0].attempts.len()), ("failed", 1));
    assert_eq!(d[0].attempts[0].error.as_deref(), Some("attempt 1 failed"));
    assert_eq!(s.outbox_depth().await.expect("depth"), 0);
}

store_test!(claims_are_ordered_and_limited);
async fn claims_are_ordered_and_limited(db: Db) {
    let s = &db.store;
    let late = queued(s.as_ref(), 1, T0 + 300).await;
    let early = queued(s.as_ref(), 2, T0 + 100).await;
    let middle = queued(s.as_ref(), 3, T0 + 200).await;
    assert_eq!(s.next_outbox_due().await.expect("due"), Some(T0 + 100));
    assert_eq!(s.outbox_depth().await.expect("depth"), 3);
    let first = s.claim_outbox(T0 + 1_000, T0 + 5_000, 2).await.expect("claim");
    let ids: HashSet<String> = first.iter().map(|i| i.trans_id.to_string()).collect();
    assert_eq!(ids, HashSet::from([early, middle]), "the two due first");
    let rest = s.claim_outbox(T0 + 1_000, T0 + 5_000, 2).await.expect("claim");
    assert_eq!(rest.iter().map(|i| i.trans_id.clone()).collect::<Vec<_>>(), [late]);
}

store_test!(concurrent_claimers_never_share_a_row);
async fn concurrent_claimers_never_share_a_row(db: Db) {
    const ROWS: usize = 150;
    for n in 0..ROWS {
        queued(db.store.as_ref(), n, T0).await;
    }
    let other = db.another().await;
    let mut tasks = Vec::new();
    for w in 0..8usize {
        let s = if w % 2 == 0 { db.store.clone() } else { other.clone() };
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let items = s.claim_outbox(T0 + 10, T0 + 600_000, 7).await.expect("claim");
                if items.is_empty() {
                    return got;
                }
                got.extend(items.into_iter().map(|i| (i.id, i.attempt)));
                tokio::task::yield_now().await;
            }
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.expect("join"));
    }
    let ids: HashSet<i64> = all.iter().map(|(id, _)| *id).collect();
    assert_eq!(all.len(), ROWS, "every row claimed exactly once");
    assert_eq!(ids.len(), ROWS, "no row claimed twice");
    assert!(all.iter().all(|(_, attempt)| *attempt == 1));
}

store_test!(a_late_attempt_never_undoes_a_newer_one);
async fn a_late_attempt_never_undoes_a_newer_one(db: Db) {
    let s = &db.store;
    let node_b = db.another().await;
    let id = queued(s.as_ref(), 1, T0).await;
    // Node A claims attempt 1 and stalls past its lease; node B takes the row over.
    let a = s.claim_outbox(T0, T0 + 100, 10).await.expect("claim");
    let b = node_b.claim_outbox(T0 + 100, T0 + 10_000, 10).await.expect("claim");
    assert_eq!((a[0].attempt, b[0].attempt, a[0].id), (1, 2, b[0].id));
    let row = a[0].id;
    // A's late failure does not reschedule the row B holds.
    s.finish_attempt(&attempt(row, 1, Some(500)), NextStep::RetryAt(T0 + 200)).await.expect("finish");
    assert!(s.claim_outbox(T0 + 5_000, T0 + 20_000, 10).await.expect("claim").is_empty(), "B's lease stands");
    assert_eq!(s.deliveries(&id).await.expect("d")[0].status, DeliveryStatus::Pending);
    // B's outcome applies.
    node_b.finish_attempt(&attempt(row, 2, Some(500)), NextStep::RetryAt(T0 + 20_000)).await.expect("finish");
    assert_eq!(s.next_outbox_due().await.expect("due"), Some(T0 + 20_000));

    // Attempt 3 stalls, attempt 4 takes over; 3 then delivers: the row is delivered
    // and 4's late failure does not reopen it.
    let c = s.claim_outbox(T0 + 20_000, T0 + 20_100, 10).await.expect("claim");
    let d = node_b.claim_outbox(T0 + 20_100, T0 + 30_000, 10).await.expect("claim");
    assert_eq!((c[0].attempt, d[0].attempt), (3, 4));
    s.finish_attempt(&attempt(row, 3, Some(200)), NextStep::Delivered).await.expect("finish");
    node_b.finish_attempt(&attempt(row, 4, Some(500)), NextStep::RetryAt(T0 + 40_000)).await.expect("finish");
    node_b.finish_attempt(&attempt(row, 4, None), NextStep::GiveUp).await.expect("finish");
    let rows = s.deliveries(&id).await.expect("deliveries");
    assert_eq!(rows[0].status, DeliveryStatus::Delivered);
    assert_eq!(rows[0].attempts.iter().map(|a| a.attempt).collect::<Vec<_>>(), [1, 2, 3, 4, 4], "all recorded");
    assert_eq!(s.outbox_depth().await.expect("depth"), 0);
    assert!(s.claim_outbox(T0 + 100_000, T0 + 200_000, 10).await.expect("claim").is_empty());
}

store_test!(release_leases_at_start);
async fn release_leases_at_start(db: Db) {
    let s = &db.store;
    queued(s.as_ref(), 1, T0).await;
    assert_eq!(s.claim_outbox(T0, T0 + 60_000, 10).await.expect("claim").len(), 1);
    db.another().await.release_leases().await.expect("release");
    let after = s.claim_outbox(T0 + 1, T0 + 60_000, 10).await.expect("claim");
    match db.kind {
        // One node: nothing else can hold a lease, so a restart takes them back.
        Kind::Sqlite => assert_eq!(after.len(), 1, "released"),
        // Shared: the lease may belong to a live node, so it stands until it runs out.
        Kind::Postgres => assert!(after.is_empty(), "another node's lease is never released"),
    }
}

store_test!(overdue_orders);
async fn overdue_orders(db: Db) {
    let s = &db.store;
    for (n, expires) in [(1, T0 + 300), (2, T0 + 100), (3, T0 + 200), (4, T0 + 10_000)] {
        let mut o = order(&format!("AP{:012}", 400_000_000_000u64 + n), "P1", &format!("exp-{n}"));
        o.expires_at_ms = expires;
        s.create_order(&o).await.expect("create");
    }
    // A settled order is never overdue.
    assert!(s.apply_change(&succeed("AP400000000003", T0, None)).await.expect("apply"));
    let got: Vec<String> =
        s.overdue_orders(T0 + 300, 10).await.expect("overdue").into_iter().map(|o| o.trans_id.to_string()).collect();
    assert_eq!(got, ["AP400000000002", "AP400000000001"], "pending, earliest first");
    let got = s.overdue_orders(T0 + 300, 1).await.expect("overdue");
    assert_eq!(got.len(), 1);
    assert!(s.overdue_orders(T0 + 99, 10).await.expect("overdue").is_empty());
}

store_test!(keys_and_answers_with_nul);
async fn keys_and_answers_with_nul(db: Db) {
    let s = &db.store;
    // Lookups by keys no row can have find nothing (and never fail).
    assert!(s.get_order("AP\0").await.expect("get").is_none());
    assert!(s.find_order("P1", "o\0").await.expect("find").is_none());
    assert!(s.get_partner("P\0").await.expect("get").is_none());
    assert!(s.get_sub_account("s\0").await.expect("get").is_none());
    assert!(s.deliveries("AP\0").await.expect("deliveries").is_empty());
    assert!(!s.set_partner_locked("P\0", true).await.expect("lock"));
    // A merchant's answer may contain anything; it is recorded.
    let id = queued(s.as_ref(), 1, T0).await;
    let item = s.claim_outbox(T0, T0 + 1_000, 1).await.expect("claim").remove(0);
    let mut rec = attempt(item.id, 1, Some(200));
    rec.response_head = "ok\0tail".into();
    rec.error = Some("bad\0body".into());
    s.finish_attempt(&rec, NextStep::Delivered).await.expect("recorded");
    let d = s.deliveries(&id).await.expect("deliveries");
    assert!(d[0].attempts[0].response_head.starts_with("ok") && d[0].attempts[0].response_head.ends_with("tail"));
    assert_eq!(d[0].status, DeliveryStatus::Delivered);
}

store_test!(queued_ipns_signal_other_nodes);
async fn queued_ipns_signal_other_nodes(db: Db) {
    let node_b = db.another().await;
    match (db.kind, node_b.outbox_signal()) {
        (Kind::Sqlite, signal) => assert!(signal.is_none(), "one node wakes its own worker"),
        (Kind::Postgres, None) => panic!("a shared store must signal queued IPNs"),
        (Kind::Postgres, Some(signal)) => {
            // Give the listener a moment to be subscribed (it is before open returns;
            // this only guards against a slow server).
            queued(db.store.as_ref(), 1, T0).await;
            tokio::time::timeout(Duration::from_secs(20), signal.notified())
                .await
                .expect("node B is woken when node A queues an IPN");
        }
    }
}

store_test!(a_jwt_id_is_claimed_once_until_it_expires);
async fn a_jwt_id_is_claimed_once_until_it_expires(db: Db) {
    let s = &db.store;
    assert!(s.claim_jti("P1", "k-1700000000", T0 + 60_000, T0).await.expect("claim"));
    assert!(!s.claim_jti("P1", "k-1700000000", T0 + 60_000, T0 + 1).await.expect("again"), "a replay");
    let other = db.another().await;
    assert!(!other.claim_jti("P1", "k-1700000000", T0 + 90_000, T0 + 2).await.expect("elsewhere"), "on any node");
    assert!(s.claim_jti("P2", "k-1700000000", T0 + 60_000, T0).await.expect("claim"), "ids are per partner");
    // Once its token can no longer verify, the id may be used again.
    assert!(s.claim_jti("P1", "k-1700000000", T0 + 200_000, T0 + 60_001).await.expect("expired"));
    assert!(!s.claim_jti("P1", "k-1700000000", T0 + 200_000, T0 + 60_002).await.expect("again"));
    assert!(s.claim_jti("P1", "nul\0id", T0 + 60_000, T0).await.expect("any text"));
    // Pruning forgets only the expired ones.
    assert_eq!(s.prune_jtis(T0 + 100_000).await.expect("prune"), 2, "P2's and the NUL one");
    assert!(!s.claim_jti("P1", "k-1700000000", T0 + 200_000, T0 + 100_001).await.expect("kept"));
    assert!(s.claim_jti("P2", "k-1700000000", T0 + 200_000, T0 + 100_001).await.expect("forgotten"));

    // Concurrent claims of one id: exactly one wins.
    let mut tasks = Vec::new();
    for i in 0..8i64 {
        let store = if i % 2 == 0 { db.store.clone() } else { db.another().await };
        tasks.push(tokio::spawn(async move { store.claim_jti("P3", "race", T0 + 60_000, T0 + i).await }));
    }
    let mut won = 0;
    for t in tasks {
        if t.await.expect("join").expect("claim") {
            won += 1;
        }
    }
    assert_eq!(won, 1);
}

store_test!(meta_is_claimed_once);
async fn meta_is_claimed_once(db: Db) {
    let s = &db.store;
    assert_eq!(s.meta("mode").await.expect("meta"), None);
    assert_eq!(s.claim_meta("mode", "sandbox").await.expect("claim"), "sandbox", "the first claim stores");
    assert_eq!(s.meta("mode").await.expect("meta").as_deref(), Some("sandbox"));
    assert_eq!(s.claim_meta("mode", "production").await.expect("claim"), "sandbox", "the first value stays");
    assert_eq!(s.meta("mode").await.expect("meta").as_deref(), Some("sandbox"));
    let other = db.another().await;
    assert_eq!(other.meta("mode").await.expect("meta").as_deref(), Some("sandbox"), "on any handle");
    assert_eq!(s.meta("other").await.expect("meta"), None, "keys are separate");
    assert_eq!(s.meta("mo\0de").await.expect("meta"), None);
}

store_test!(concurrent_meta_claims_agree);
async fn concurrent_meta_claims_agree(db: Db) {
    for round in 0..8 {
        let key = format!("mode-{round}");
        let a = db.store.clone();
        let b = db.another().await;
        let (ka, kb) = (key.clone(), key.clone());
        let first = tokio::spawn(async move { a.claim_meta(&ka, "sandbox").await });
        let second = tokio::spawn(async move { b.claim_meta(&kb, "production").await });
        let first = first.await.expect("join").expect("claim");
        let second = second.await.expect("join").expect("claim");
        assert_eq!(first, second, "both handles read back the value stored first");
        assert!(first == "sandbox" || first == "production");
        assert_eq!(db.store.meta(&key).await.expect("meta"), Some(first));
    }
}

impl Db {
    /// Runs statements on the database around the store: for what the store takes
    /// from the wall clock (an outbox row's finish time), which a test fixes.
    async fn execute_directly(&self, sql: &str) {
        match self.kind {
            Kind::Sqlite => {
                let path = self.url.strip_prefix("sqlite://").expect("a sqlite URL");
                let conn = rusqlite::Connection::open(path).expect("open the file");
                conn.busy_timeout(Duration::from_secs(5)).expect("busy timeout");
                conn.execute_batch(sql).expect("execute");
            }
            Kind::Postgres => {
                use sqlx::Connection;
                let mut conn = sqlx::PgConnection::connect(&self.url).await.expect("connect");
                sqlx::raw_sql(sql).execute(&mut conn).await.expect("execute");
                let _ = conn.close().await;
            }
        }
    }
}

store_test!(overview_is_aggregated_by_bucket);
async fn overview_is_aggregated_by_bucket(db: Db) {
    use appotapay_gateway::domain::refund::RefundStatus;
    use appotapay_gateway::domain::stats::{AttemptOutcome, OrderResult, Overview, Tally, Window};
    use appotapay_gateway::store::{Refund, RefundChange, RefundCreate};

    let s = &db.store;
    // An hour from T0: the span starts 40 s after T0 (T0 is 20 s past a minute).
    let now = T0 + 3_600_000;
    let span = Window::LastHour.span(now);
    assert_eq!(span.since_ms, T0 + 40_000);
    let at = |bucket: i64, offset_ms: i64| span.since_ms + bucket * 60_000 + offset_ms;
    let far = T0 + 864_000_000;
    let id = |n: i64| format!("AP{:012}", 200_000_000_000 + n);
    let create = |n: i64, method: PaymentMethod, created: i64| {
        let mut o = order(&id(n), "P1", &format!("stats-{n}"));
        o.payment_method = method;
        o.created_at_ms = created;
        o.updated_at_ms = created;
        o.expires_at_ms = created + 900_000;
        o
    };
    let change = |n: i64, to: State, code: ErrorCode, when: i64, ob: Option<NewOutbox>| StateChange {
        from: State::Pending,
        to,
        code,
        payment_method: None,
        ..succeed(&id(n), when, ob)
    };

    // Orders: two ATM in bucket 0 (one paid, one declined), a CC left pending and a QR
    // expired in bucket 3, a CC paid in bucket 59, and one ATM before the span.
    let orders = [
        (1, PaymentMethod::Atm, at(0, 5_000)),
        (2, PaymentMethod::Atm, at(0, 10_000)),
        (3, PaymentMethod::Cc, at(3, 0)),
        (4, PaymentMethod::Qr, at(3, 1)),
        (5, PaymentMethod::Atm, T0),
        (6, PaymentMethod::Cc, at(59, 0)),
    ];
    for (n, method, created) in orders {
        assert_eq!(s.create_order(&create(n, method, created)).await.expect("create"), CreateOutcome::Created);
    }
    // IPNs: order 1's queued in bucket 1 (row A), order 6's in bucket 59 (row B), order
    // 5's before the span (row C, the only one due now).
    let changes = [
        change(1, State::Success, ErrorCode::SUCCESS, at(1, 0), Some(outbox(&id(1), far))),
        change(2, State::Failed, ErrorCode::DECLINED, at(0, 20_000), None),
        change(4, State::Expired, ErrorCode::PAYMENT_EXPIRED, at(20, 0), None),
        change(5, State::Success, ErrorCode::SUCCESS, T0 + 1_000, Some(outbox(&id(5), T0))),
        change(6, State::Success, ErrorCode::SUCCESS, at(59, 1), Some(outbox(&id(6), far))),
    ];
    for ch in &changes {
        assert!(s.apply_change(ch).await.expect("apply"));
    }
    let row = |n: i64| {
        let s = s.clone();
        async move { s.deliveries(&id(n)).await.expect("deliveries")[0].id }
    };
    let (a, c) = (row(1).await, row(5).await);

    // Attempts: on A in bucket 1, a 500 in 3 ms then a delivery in 150 ms; on C in
    // bucket 2, no answer after 15 s, and C is given up.
    let attempt = |outbox_id: i64, n: u32, at_ms: i64, status: Option<u16>, latency_ms: i64| AttemptRecord {
        outbox_id,
        attempt: n,
        at_ms,
        http_status: status,
        error: (status != Some(200)).then(|| "failed".to_owned()),
        latency_ms,
        response_head: String::new(),
    };
    s.finish_attempt(&attempt(a, 1, at(1, 1_000), Some(500), 3), NextStep::RetryAt(far)).await.expect("finish");
    s.finish_attempt(&attempt(a, 2, at(1, 2_000), Some(200), 150), NextStep::Delivered).await.expect("finish");
    let claimed = s.claim_outbox(T0 + 1_000, T0 + 60_000, 10).await.expect("claim");
    assert_eq!(claimed.iter().map(|i| i.id).collect::<Vec<_>>(), [c]);
    s.finish_attempt(&attempt(c, 1, at(2, 0), None, 15_000), NextStep::GiveUp).await.expect("finish");
    // The store stamps a row's end with the wall clock: fix A's at the last
    // millisecond of bucket 3 (not pending at that bucket's end) and C's in bucket 2.
    db.execute_directly(&format!(
        "UPDATE outbox SET finished_at_ms = {} WHERE id = {a}; UPDATE outbox SET finished_at_ms = {} WHERE id = {c}",
        span.sample_ms(3),
        at(2, 30_000)
    ))
    .await;

    // Refunds of order 1: a success and a pending one in bucket 4, an error in bucket 7.
    let refunds = [(1, 50_000, at(4, 0), RefundStatus::Success), (2, 20_000, at(4, 10_000), RefundStatus::Pending)];
    let refunds = refunds.into_iter().chain([(3, 30_000, at(7, 0), RefundStatus::Error)]);
    for (n, amount, created, status) in refunds {
        let r = Refund {
            refund_id: format!("RF{:012}", 300_000_000_000i64 + n),
            partner_code: "P1".into(),
            refund_original_id: format!("refund-{n}"),
            trans_id: id(1).parse().expect("trans id"),
            amount,
            reason: "stats".into(),
            status: RefundStatus::Pending,
            created_at_ms: created,
            updated_at_ms: created,
            due_at_ms: Some(created),
        };
        assert_eq!(s.create_refund(&r, 1_000).await.expect("refund"), RefundCreate::Created);
        if status != RefundStatus::Pending {
            let ch = RefundChange {
                refund_id: r.refund_id,
                from: RefundStatus::Pending,
                to: status,
                now_ms: created,
                due_at_ms: None,
            };
            assert!(s.update_refund(&ch).await.expect("update"));
        }
    }

    let rows = s.stats(&span).await.expect("stats");
    let o = Overview::build(Window::LastHour, now, &rows, s.outbox_depth().await.expect("depth"));
    let n = span.buckets;
    let sparse = |points: &[(usize, i64)]| {
        let mut v = vec![0i64; n];
        for &(i, x) in points {
            v[i] = x;
        }
        v
    };

    let methods: Vec<_> = o.orders_by_method.iter().map(|s| (s.key, s.values.clone())).collect();
    assert_eq!(
        methods,
        [
            (PaymentMethod::Atm, sparse(&[(0, 2)])),
            (PaymentMethod::Cc, sparse(&[(3, 1), (59, 1)])),
            (PaymentMethod::Qr, sparse(&[(3, 1)])),
        ],
        "order 5 was created before the span"
    );
    let result = |r: OrderResult| o.orders_of(r).expect("every result").values.clone();
    assert_eq!(result(OrderResult::Success), sparse(&[(0, 1), (59, 1)]));
    assert_eq!(result(OrderResult::Failed), sparse(&[(0, 1)]));
    assert_eq!(result(OrderResult::Open), sparse(&[(3, 1)]));
    assert_eq!(result(OrderResult::Expired), sparse(&[(3, 1)]));
    assert_eq!(result(OrderResult::Cancelled), sparse(&[]));
    let mut rates = vec![None; n];
    (rates[0], rates[3], rates[59]) = (Some(5_000), Some(0), Some(10_000));
    assert_eq!(o.success_rate_bp, rates);

    assert_eq!(&o.ipn_latency[1].counts[..9], &[0, 0, 0, 1, 0, 0, 0, 0, 1], "3 ms and 150 ms");
    assert_eq!((o.ipn_p50_ms[1], o.ipn_p99_ms[1]), (Some(5), Some(200)));
    assert_eq!((o.ipn_p50_ms[2], o.ipn_p99_ms[2]), (Some(15_000), Some(15_000)), "the open bin: its maximum");
    assert!(o.ipn_p50_ms.iter().enumerate().all(|(i, p)| p.is_some() == (i == 1 || i == 2)));
    let outcomes: Vec<_> = o.ipn_outcomes.iter().map(|s| (s.key, s.values.clone())).collect();
    assert_eq!(
        outcomes,
        [
            (AttemptOutcome::Delivered, sparse(&[(1, 1)])),
            (AttemptOutcome::Http(500), sparse(&[(1, 1)])),
            (AttemptOutcome::NoAnswer, sparse(&[(2, 1)])),
        ]
    );

    // C pending from before the span until bucket 2, A from bucket 1 until the last
    // millisecond of bucket 3, B from bucket 59.
    assert_eq!(o.outbox_depth, sparse(&[(0, 1), (1, 2), (2, 1), (59, 1)]));
    assert_eq!(o.outbox_depth_now, 1);

    let refund = |st: RefundStatus| o.refunds.iter().find(|s| s.key == st).expect("every status").values.clone();
    let tallies = |points: &[(usize, i64, i64)]| {
        let mut v = vec![Tally::default(); n];
        for &(i, count, amount) in points {
            v[i] = Tally { count, amount };
        }
        v
    };
    assert_eq!(refund(RefundStatus::Success), tallies(&[(4, 1, 50_000)]));
    assert_eq!(refund(RefundStatus::Pending), tallies(&[(4, 1, 20_000)]));
    assert_eq!(refund(RefundStatus::Error), tallies(&[(7, 1, 30_000)]));
    assert_eq!(refund(RefundStatus::Processing), tallies(&[]));

    // The day: every order in it, order 5 too; the outbox rows still counted at the end.
    let day = Window::LastDay.span(now);
    let o = Overview::build(Window::LastDay, now, &s.stats(&day).await.expect("stats"), 1);
    assert_eq!(o.total_orders(), 6);
    assert_eq!(o.outbox_depth.last(), Some(&1));
    assert_eq!(o.refunds.iter().flat_map(|s| &s.values).map(|t| t.amount).sum::<i64>(), 100_000);
}

/// PostgreSQL takes IPN leases on a connection of its own (committing without
/// waiting for the WAL flush). Ended under the worker (a server restart, a proxy's
/// idle timeout), it is opened again by the next claim, which loses nothing.
#[tokio::test]
async fn a_lost_lease_connection_is_opened_again() {
    use sqlx::Connection;
    let db = Db::postgres().await;
    let s = &db.store;
    let due = T0 + 1_000;
    let id = queued(s.as_ref(), 1, due).await;
    assert!(s.claim_outbox(due - 1, due + 10_000, 10).await.expect("claim").is_empty(), "opens the lease connection");

    let mut admin = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    let lease_pids = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
                      AND pid <> pg_backend_pid() AND query LIKE 'UPDATE outbox SET locked_until_ms%'";
    let pids: Vec<i32> = sqlx::query_scalar(lease_pids).fetch_all(&mut admin).await.expect("lease backend");
    assert_eq!(pids.len(), 1, "one backend ran the claim: the lease connection");
    sqlx::query("SELECT pg_terminate_backend($1)").bind(pids[0]).execute(&mut admin).await.expect("terminate");
    for _ in 0..100 {
        let left: Vec<i32> = sqlx::query_scalar(lease_pids).fetch_all(&mut admin).await.expect("backends");
        if left.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let items = s.claim_outbox(due, due + 10_000, 10).await.expect("the claim opens a new connection");
    assert_eq!(items.iter().map(|i| (i.trans_id.as_str(), i.attempt)).collect::<Vec<_>>(), [(id.as_str(), 1)]);
    let pids_after: Vec<i32> = sqlx::query_scalar(lease_pids).fetch_all(&mut admin).await.expect("backends");
    assert_eq!(pids_after.len(), 1, "a new lease connection");
    assert_ne!(pids_after[0], pids[0]);
}

/// PostgreSQL's order writers insert on connections of their own. Ended under them (a
/// server restart, a proxy's idle timeout), the batch that meets the dead connection
/// is retried on a new one: every creation is answered as created, and stored.
#[tokio::test]
async fn lost_order_writer_connections_are_opened_again() {
    use sqlx::Connection;
    let db = Db::postgres().await;
    let s = &db.store;
    let tid = |i: u64| format!("AP{:012}", 400_000_000_000u64 + i);
    // One at a time: the writers take the queue in turn, so each opens its connection.
    for i in 0..6 {
        assert_eq!(
            s.create_order(&order(&tid(i), "P1", &format!("w-{i}"))).await.expect("create"),
            CreateOutcome::Created
        );
    }
    let mut admin = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    let writers = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
                   AND pid <> pg_backend_pid() AND query LIKE 'INSERT INTO orders%'";
    let pids: Vec<i32> = sqlx::query_scalar(writers).fetch_all(&mut admin).await.expect("writer backends");
    assert_eq!(pids.len(), 2, "two writers, a connection each");
    for pid in &pids {
        sqlx::query("SELECT pg_terminate_backend($1)").bind(pid).execute(&mut admin).await.expect("terminate");
    }
    for _ in 0..100 {
        let left: Vec<i32> = sqlx::query_scalar(writers).fetch_all(&mut admin).await.expect("backends");
        if left.iter().all(|p| !pids.contains(p)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Each writer meets its dead connection once.
    for i in 6..12 {
        let outcome = s.create_order(&order(&tid(i), "P1", &format!("w-{i}"))).await;
        assert_eq!(outcome.expect("created on a new connection"), CreateOutcome::Created);
    }
    for i in 0..12 {
        let found = s.find_order("P1", &format!("w-{i}")).await.expect("find").expect("stored");
        assert_eq!(found.trans_id.as_str(), tid(i));
    }
    let after: Vec<i32> = sqlx::query_scalar(writers).fetch_all(&mut admin).await.expect("backends");
    assert_eq!(after.len(), 2, "two new writer connections");
    assert!(after.iter().all(|p| !pids.contains(p)));
}

/// The pool checks a connection before handing it out only when it has been idle for
/// a while (a check is a round trip): connections the server ended while they sat
/// idle are replaced, not handed to a request that would fail on them.
#[tokio::test]
async fn pooled_connections_ended_while_idle_are_replaced() {
    use sqlx::Connection;
    let db = Db::postgres().await;
    let s = &db.store;
    assert!(s.insert_partner(&partner("P1")).await.expect("insert"));
    // Several reads at once: more than one connection in the pool.
    let reads = (0..4).map(|_| s.get_partner("P1"));
    for r in futures_util::future::join_all(reads).await {
        assert!(r.expect("read").is_some());
    }
    let mut admin = sqlx::PgConnection::connect(&db.url).await.expect("connect");
    let pool_pids = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
                     AND pid <> pg_backend_pid() AND application_name = 'appotapay-gateway' \
                     AND query NOT LIKE 'LISTEN%'";
    let pids: Vec<i32> = sqlx::query_scalar(pool_pids).fetch_all(&mut admin).await.expect("backends");
    assert!(!pids.is_empty(), "the pool's connections");
    for pid in &pids {
        sqlx::query("SELECT pg_terminate_backend($1)").bind(pid).execute(&mut admin).await.expect("terminate");
    }
    // Idle for longer than the pool's threshold, then every read still succeeds.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    for _ in 0..pids.len() + 2 {
        assert!(s.get_partner("P1").await.expect("a read after the connections were ended").is_some());
    }
}

fn log_entry(code: &str, at_ms: i64, n: usize) -> appotapay_gateway::domain::request_log::RequestEntry {
    appotapay_gateway::domain::request_log::RequestEntry {
        id: 0,
        partner_code: code.into(),
        at_ms,
        method: "POST".into(),
        path: "/api/v1/orders/payment/bank".into(),
        query: None,
        status: 200,
        error_code: Some(0),
        latency_us: 120,
        request_body: "{}".into(),
        response_body: "{}".into(),
        signature_data: None,
        request_id: Some(format!("{code}-{n}")),
    }
}

/// A partner's logged request ids, newest first.
async fn logged(s: &dyn Store, code: &str) -> Vec<String> {
    let entries = s.requests_before(Some(code), i64::MAX, 1_000).await.expect("read the log");
    entries.into_iter().map(|e| e.request_id.unwrap_or_default()).collect()
}

store_test!(request_log_keeps_each_partners_newest);
/// The request log keeps exactly each partner's newest `max` entries and none older
/// than the age limit, batch after batch: entries of several partners in one batch,
/// a batch longer than the bound, the bound lowered between batches, entries
/// forgotten by age (which must not count against the partner afterwards), two
/// nodes writing one partner's log at once, and an entry deleted by hand.
async fn request_log_keeps_each_partners_newest(db: Db) {
    use appotapay_gateway::domain::request_log::Retention;
    let s = &db.store;
    let keep = |max: u32| Retention { since_ms: T0 - 1, max };
    let ids = |code: &str, range: std::ops::Range<usize>| -> Vec<String> {
        range.rev().map(|n| format!("{code}-{n}")).collect()
    };
    let batch =
        |code: &str, range: std::ops::Range<usize>| -> Vec<_> { range.map(|n| log_entry(code, T0, n)).collect() };

    s.insert_requests(&batch("A", 0..2), keep(3)).await.expect("insert");
    let mut mixed = batch("A", 2..4);
    mixed.extend(batch("B", 0..1));
    s.insert_requests(&mixed, keep(3)).await.expect("insert");
    assert_eq!(logged(s.as_ref(), "A").await, ids("A", 1..4));
    assert_eq!(logged(s.as_ref(), "B").await, ids("B", 0..1));
    // More in one batch than the bound.
    s.insert_requests(&batch("A", 4..9), keep(3)).await.expect("insert");
    assert_eq!(logged(s.as_ref(), "A").await, ids("A", 6..9));
    // The bound lowered: a partner above it is cut to the new bound at its next
    // batch, whatever that batch's length.
    s.insert_requests(&batch("A", 9..10), keep(1)).await.expect("insert");
    assert_eq!(logged(s.as_ref(), "A").await, ids("A", 9..10));
    s.insert_requests(&batch("B", 1..2), keep(1)).await.expect("insert");
    assert_eq!(logged(s.as_ref(), "B").await, ids("B", 1..2));
    // Raised again: nothing more is deleted until the partner reaches it.
    s.insert_requests(&batch("A", 10..12), keep(3)).await.expect("insert");
    assert_eq!(logged(s.as_ref(), "A").await, ids("A", 9..12));

    // Forgotten by age, by another partner's batch: C's old entries no longer count,
    // so C's next three are all kept under a bound of three.
    let old: Vec<_> = (0..2).map(|n| log_entry("C", T0 - 10_000, n)).collect();
    s.insert_requests(&old, Retention { since_ms: T0 - 20_000, max: 3 }).await.expect("insert");
    assert_eq!(logged(s.as_ref(), "C").await, ids("C", 0..2));
    s.insert_requests(&batch("D", 0..1), keep(3)).await.expect("insert");
    assert!(logged(s.as_ref(), "C").await.is_empty(), "older than the age limit");
    assert_eq!(logged(s.as_ref(), "A").await, ids("A", 9..12), "within it");
    s.insert_requests(&batch("C", 2..5), keep(3)).await.expect("insert");
    assert_eq!(logged(s.as_ref(), "C").await, ids("C", 2..5));

    // Two nodes, one partner, batches at once: the bound holds exactly and what is
    // kept is the newest.
    let other = db.another().await;
    let write = |store: Arc<dyn Store>, node: usize| async move {
        for b in 0..20 {
            let entries: Vec<_> = (0..3).map(|n| log_entry("E", T0, node * 1_000 + b * 10 + n)).collect();
            store.insert_requests(&entries, keep(7)).await.expect("insert");
        }
    };
    tokio::join!(write(s.clone(), 1), write(other, 2));
    let all = s.requests_before(Some("E"), i64::MAX, 1_000).await.expect("read");
    assert_eq!(all.len(), 7, "{all:?}");
    s.insert_requests(&batch("E", 5_000..5_001), keep(7)).await.expect("insert");
    let after = s.requests_before(Some("E"), i64::MAX, 1_000).await.expect("read");
    assert_eq!(after.len(), 7, "the count still matches the log: {after:?}");
    assert_eq!(after[0].request_id.as_deref(), Some("E-5000"));
    assert_eq!(after[1..], all[..6], "the six newest before it stay");

    // An entry deleted by hand, outside the store: the count follows it, so the
    // next batch finds A within the bound and keeps all three.
    db.execute_by_hand("DELETE FROM request_log WHERE request_id = 'A-10'").await;
    assert_eq!(logged(s.as_ref(), "A").await, ["A-11", "A-9"]);
    s.insert_requests(&batch("A", 12..13), keep(3)).await.expect("insert");
    assert_eq!(logged(s.as_ref(), "A").await, ["A-12", "A-11", "A-9"]);
}
