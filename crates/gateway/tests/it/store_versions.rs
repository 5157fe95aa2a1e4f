//! The store's part of API v1.1 and v2, one story per port on both backends: an
//! order's version, action, token and signature reading round trip; a success saves
//! its card in the same transaction (and a lost compare-and-set saves none); tokens
//! are deleted once; lists filter and page; a partner's allowed methods and banks.

use crate::store_suite::{Db, T0, order, partner, store_test, succeed};
use appotapay_gateway::domain::order::State;
use appotapay_gateway::store::{Allowed, ApiVersion, CardToken, CreateOutcome, OrderQuery};
use appotapay_protocol::v11::Action;
use appotapay_protocol::{BankCode, PaymentMethod};

fn card_token(token: &str, trans_id: &str) -> CardToken {
    CardToken {
        token: token.into(),
        partner_code: "P1".into(),
        trans_id: trans_id.into(),
        number_masked: "970400xxxxxx0018".into(),
        holder: "NGUYEN VAN A".into(),
        date: "07/20".into(),
        card_type: "ATM_CARD".into(),
        bank_code: BankCode::parse("VCB").expect("bank"),
        created_at_ms: T0 + 5,
        deleted_at_ms: None,
    }
}

store_test!(versions_and_saved_cards);
async fn versions_and_saved_cards(db: Db) {
    let s = &db.store;
    let mut o = order("AP100000000001", "P1", "v-1");
    o.api = ApiVersion::V1_1;
    o.action = Action::PayWithReturnToken;
    o.signature_reading = Some("B".into());
    assert_eq!(s.create_order(&o).await.expect("create"), CreateOutcome::Created);
    assert_eq!(s.get_order("AP100000000001").await.expect("get"), Some(o.clone()));

    // A lost compare-and-set saves no card.
    let mut stale = succeed("AP100000000001", T0 + 5, None);
    stale.from = State::Processing;
    stale.token = Some(card_token("1111222233334444", "AP100000000001"));
    assert!(!s.apply_change(&stale).await.expect("apply"));
    assert!(s.get_token("1111222233334444").await.expect("get").is_none());

    let mut change = succeed("AP100000000001", T0 + 5, None);
    change.token = Some(card_token("1111222233334444", "AP100000000001"));
    assert!(s.apply_change(&change).await.expect("apply"));
    let saved = s.get_token("1111222233334444").await.expect("get").expect("saved");
    assert_eq!(saved, card_token("1111222233334444", "AP100000000001"));
    let paid = s.get_order("AP100000000001").await.expect("get").expect("order");
    assert_eq!(
        (paid.token.as_deref(), paid.api, paid.action),
        (Some("1111222233334444"), ApiVersion::V1_1, Action::PayWithReturnToken)
    );

    assert!(!s.delete_token("P2", "1111222233334444", T0 + 6).await.expect("delete"), "another partner's");
    assert!(s.delete_token("P1", "1111222233334444", T0 + 6).await.expect("delete"));
    assert!(!s.delete_token("P1", "1111222233334444", T0 + 7).await.expect("delete"), "once");
    let deleted = s.get_token("1111222233334444").await.expect("get").expect("kept, deleted");
    assert_eq!(deleted.deleted_at_ms, Some(T0 + 6));
    assert!(s.get_token("9999").await.expect("get").is_none());
}

store_test!(lists_filter_and_page);
async fn lists_filter_and_page(db: Db) {
    let s = &db.store;
    for i in 0..5_i64 {
        let mut o = order(&format!("AP10000000000{i}"), "P1", &format!("l-{i}"));
        o.created_at_ms = T0 + i * 1000;
        if i == 4 {
            o.sub_account = Some("sub-1".into());
            o.payment_method = PaymentMethod::Cc;
        }
        if i % 2 == 0 {
            o.state = State::Success;
        }
        s.create_order(&o).await.expect("create");
    }
    s.create_order(&order("AP100000000009", "P2", "other")).await.expect("create");
    let q = |f: &dyn Fn(&mut OrderQuery)| {
        let mut q = OrderQuery {
            partner_code: "P1".into(),
            sub_account: None,
            start_ms: None,
            end_ms: None,
            states: vec![],
            payment_method: None,
            limit: 2,
            offset: 0,
        };
        f(&mut q);
        q
    };
    let (total, page) = s.list_orders(&q(&|_| {})).await.expect("list");
    let ids: Vec<&str> = page.iter().map(|o| o.order_id.as_str()).collect();
    assert_eq!((total, ids), (5, vec!["l-4", "l-3"]), "newest first, the partner's only");
    let (_, page) = s.list_orders(&q(&|q| q.offset = 4)).await.expect("list");
    assert_eq!(page.len(), 1);
    let (total, _) = s.list_orders(&q(&|q| q.states = vec![State::Success])).await.expect("list");
    assert_eq!(total, 3);
    let (total, _) = s.list_orders(&q(&|q| q.states = vec![State::Pending, State::Success])).await.expect("list");
    assert_eq!(total, 5);
    let (total, _) = s.list_orders(&q(&|q| q.sub_account = Some("sub-1".into()))).await.expect("list");
    assert_eq!(total, 1);
    let (total, _) = s.list_orders(&q(&|q| q.payment_method = Some(PaymentMethod::Cc))).await.expect("list");
    assert_eq!(total, 1);
    let (total, _) =
        s.list_orders(&q(&|q| (q.start_ms, q.end_ms) = (Some(T0 + 1000), Some(T0 + 2000)))).await.expect("list");
    assert_eq!(total, 2);
}

store_test!(allowed_methods_and_banks);
async fn allowed_methods_and_banks(db: Db) {
    let s = &db.store;
    s.insert_partner(&partner("P1")).await.expect("partner");
    assert_eq!(s.get_partner("P1").await.expect("get").expect("p").allowed, Allowed::default(), "all by default");
    let allowed = Allowed { methods: vec!["ATM".into(), "CC".into()], banks: vec!["VCB".into()] };
    assert!(s.set_partner_allowed("P1", &allowed).await.expect("set"));
    assert_eq!(s.get_partner("P1").await.expect("get").expect("p").allowed, allowed);
    assert!(!s.set_partner_allowed("nobody", &allowed).await.expect("set"));
}
