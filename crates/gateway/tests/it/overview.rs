//! The operator's overview through a running gateway: orders paid, declined and left
//! pending over HTTP, the IPN of the payment delivered (the sandbox partner is not
//! notified of failures), then `Gateway::overview` of the last hour
//! and day. Sums over the window are checked, so that where a minute ends during the
//! test does not matter.

use crate::harness::*;
use appotapay_gateway::domain::stats::{AttemptOutcome, OrderResult, Window};
use appotapay_gateway::now_ms;
use appotapay_protocol::PaymentMethod;
use std::time::Duration;

on_both!(overview_of_a_running_gateway);
async fn overview_of_a_running_gateway(backend: Backend) {
    let t = TestGateway::start_on(backend, |_| {}).await;
    let m = Merchant::start(vec![], Answer::Ok).await;
    let p = t.sandbox();
    let atm = t.create_bank(&p, "ov-atm", 150_000, "ATM", "VCB", &m.url).await;
    let cc = t.create_bank(&p, "ov-cc", 20_000, "CC", "", &m.url).await;
    t.create_bank(&p, "ov-atm-2", 30_000, "ATM", "VCB", &m.url).await;
    let paid = t.trans_id_of(atm["paymentUrl"].as_str().expect("url"));
    let declined = t.trans_id_of(cc["paymentUrl"].as_str().expect("url"));
    assert_eq!(t.complete(&p, &paid, 0).await.0, 200);
    assert_eq!(t.complete(&p, &declined, 61).await.0, 200);
    assert_eq!(m.wait_for(1, Duration::from_secs(10)).await.len(), 1);

    let sum = |v: &[i64]| v.iter().sum::<i64>();
    // The merchant has the IPN; the worker records the attempt right after.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let o = loop {
        let o = t.gw().overview(Window::LastHour, now_ms()).await.expect("overview");
        let delivered = o.ipn_outcomes.iter().find(|s| s.key == AttemptOutcome::Delivered).map(|s| sum(&s.values));
        if delivered == Some(1) && o.outbox_depth_now == 0 || std::time::Instant::now() > deadline {
            break o;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(o.total_orders(), 3);
    let by_method: Vec<_> = o.orders_by_method.iter().map(|s| (s.key, sum(&s.values))).collect();
    assert_eq!(by_method, [(PaymentMethod::Atm, 2), (PaymentMethod::Cc, 1)]);
    let result = |r| o.orders_of(r).map(|s| sum(&s.values));
    assert_eq!(result(OrderResult::Success), Some(1));
    assert_eq!(result(OrderResult::Failed), Some(1));
    assert_eq!(result(OrderResult::Open), Some(1));
    let outcomes: Vec<_> = o.ipn_outcomes.iter().map(|s| (s.key, sum(&s.values))).collect();
    assert_eq!(outcomes, [(AttemptOutcome::Delivered, 1)]);
    assert_eq!(o.ipn_latency.iter().map(|h| h.total()).sum::<i64>(), 1);
    assert_eq!(o.ipn_p99_ms.iter().flatten().count(), 1);
    assert_eq!(o.outbox_depth_now, 0);
    assert_eq!(o.outbox_depth.last(), Some(&0), "the IPN delivered");

    let day = t.gw().overview(Window::LastDay, now_ms()).await.expect("overview");
    assert_eq!((day.span.buckets, day.total_orders()), (96, 3));
}
