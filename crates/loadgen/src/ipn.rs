//! The IPN's latency under load: a merchant endpoint on loopback that notes when each
//! notification arrives, and the times of the settlements that queued them.
//!
//! What is measured is the time from a settlement's commit to the merchant's receipt
//! of its IPN. The commit happens inside the settle call, so it is bracketed: after
//! the request was sent and before its answer arrived. Both bounds are reported:
//! from the request (an upper bound: it includes the settle call's own time) and
//! from the answer (a lower bound, zero when the IPN arrived first, which the
//! gateway's wake-up at commit makes common). The endpoint runs on a thread and a
//! runtime of its own, so the client's work never delays its clock.

use axum::Router;
use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::routing::post;
use base64::Engine as _;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// When each IPN arrived, by appotapayTransId (the first delivery of each).
type Receipts = Arc<Mutex<HashMap<String, Instant>>>;

/// The merchant endpoint.
#[derive(Debug)]
pub struct Merchant {
    addr: SocketAddr,
    receipts: Receipts,
}

impl Merchant {
    /// Starts the endpoint on a loopback port, on its own thread.
    pub fn start() -> Result<Merchant, String> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| format!("merchant bind: {e}"))?;
        listener.set_nonblocking(true).map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let receipts: Receipts = Arc::default();
        let noted = receipts.clone();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
        std::thread::Builder::new()
            .name("merchant".into())
            .spawn(move || {
                rt.block_on(async move {
                    let app = Router::new().route(
                        "/ipn",
                        post(move |body: Bytes| {
                            let noted = noted.clone();
                            async move {
                                let at = Instant::now();
                                if let Some(id) = ipn_trans_id(&body) {
                                    noted.lock().unwrap_or_else(PoisonError::into_inner).entry(id).or_insert(at);
                                }
                                ([(CONTENT_TYPE, "application/json")], r#"{"status":"ok"}"#)
                            }
                        }),
                    );
                    if let Ok(listener) = tokio::net::TcpListener::from_std(listener) {
                        let _ = axum::serve(listener, app).await;
                    }
                });
            })
            .map_err(|e| format!("merchant thread: {e}"))?;
        Ok(Merchant { addr, receipts })
    }

    /// The notifyUrl orders name.
    pub fn notify_url(&self) -> String {
        format!("http://{}/ipn", self.addr)
    }

    fn count(&self) -> usize {
        self.receipts.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Forgets what arrived so far.
    pub fn clear(&self) {
        self.receipts.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }

    /// Waits until nothing new has arrived for `gap`, at most `max`.
    pub async fn wait_quiet(&self, gap: Duration, max: Duration) {
        let deadline = Instant::now() + max;
        let mut seen = self.count();
        while Instant::now() < deadline {
            tokio::time::sleep(gap).await;
            let now = self.count();
            if now == seen {
                return;
            }
            seen = now;
        }
    }

    /// Waits until `n` IPNs have arrived, at most `max`.
    pub async fn wait_for(&self, n: usize, max: Duration) {
        let deadline = Instant::now() + max;
        while self.count() < n && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn receipt(&self, trans_id: &str) -> Option<Instant> {
        self.receipts.lock().unwrap_or_else(PoisonError::into_inner).get(trans_id).copied()
    }
}

/// The appotapayTransId of an IPN body.
fn ipn_trans_id(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    v.get("appotapayTransId")?.as_str().map(str::to_owned)
}

/// The appotapayTransId named by a creation answer's payment link: its `tran` is
/// unpadded base64url of `tid=…&orderId=…&ts=…`.
pub fn trans_id_of(answer: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(answer).ok()?;
    let url = url::Url::parse(v.get("paymentUrl")?.as_str()?).ok()?;
    let tran = url.query_pairs().find(|(k, _)| k == "tran")?.1.into_owned();
    let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(tran.as_bytes()).ok()?;
    url::form_urlencoded::parse(&text).find(|(k, _)| k == "tid").map(|(_, v)| v.into_owned())
}

/// The settlements of a phase: when each settle call was sent and answered.
#[derive(Debug, Default)]
pub struct Settlements {
    times: Mutex<Vec<(String, Instant, Instant)>>,
}

impl Settlements {
    /// Notes a settlement that succeeded.
    pub fn settled(&self, trans_id: String, sent: Instant, answered: Instant) {
        self.times.lock().unwrap_or_else(PoisonError::into_inner).push((trans_id, sent, answered));
    }

    /// How many so far.
    pub fn len(&self) -> usize {
        self.times.lock().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Forgets them.
    pub fn clear(&self) {
        self.times.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

/// The IPN figures of one scenario.
#[derive(Debug, Clone)]
pub struct IpnLatency {
    /// Create + settle pairs per second, closed loop.
    pub saturation: f64,
    /// The measured phase's schedule, pairs per second.
    pub rate: f64,
    /// Settlements in the measured phase.
    pub settled: usize,
    /// Of them, IPNs that arrived.
    pub received: usize,
    /// From the settle request sent (upper bound), µs: p50, p99.
    pub from_request_us: (u32, u32),
    /// From the settle answer (lower bound, zero when the IPN came first), µs.
    pub from_answer_us: (u32, u32),
    /// IPNs that arrived before their settle call's answer.
    pub before_answer: usize,
    /// Failed requests in the measured phase.
    pub errors: u64,
    /// The largest node's peak RSS once the IPN phases are over, KiB.
    pub peak_rss_kib: u64,
}

impl IpnLatency {
    /// Pairs the settlements with the receipts.
    pub fn compute(tracker: &Settlements, merchant: &Merchant, saturation: f64, rate: f64, errors: u64) -> IpnLatency {
        let times = tracker.times.lock().unwrap_or_else(PoisonError::into_inner);
        let mut from_request = Vec::with_capacity(times.len());
        let mut from_answer = Vec::with_capacity(times.len());
        let mut before_answer = 0;
        for (id, sent, answered) in times.iter() {
            let Some(at) = merchant.receipt(id) else { continue };
            from_request.push(micros(at.saturating_duration_since(*sent)));
            if at < *answered {
                before_answer += 1;
            }
            from_answer.push(micros(at.saturating_duration_since(*answered)));
        }
        IpnLatency {
            saturation,
            rate,
            settled: times.len(),
            received: from_request.len(),
            from_request_us: p50_p99(&mut from_request),
            from_answer_us: p50_p99(&mut from_answer),
            before_answer,
            errors,
            peak_rss_kib: 0,
        }
    }

    /// Lost notifications or failed requests.
    pub fn failures(&self) -> u64 {
        self.errors + (self.settled - self.received) as u64
    }

    /// One line.
    pub fn summary(&self) -> String {
        format!(
            "{} of {} received; from the settle request p50 {}, p99 {}; from its answer p50 {}, p99 {} \
             ({} arrived before the answer); {} failed requests",
            self.received,
            self.settled,
            crate::report::ms(self.from_request_us.0),
            crate::report::ms(self.from_request_us.1),
            crate::report::ms(self.from_answer_us.0),
            crate::report::ms(self.from_answer_us.1),
            self.before_answer,
            self.errors
        )
    }
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

fn p50_p99(v: &mut [u32]) -> (u32, u32) {
    v.sort_unstable();
    (crate::report::percentile(v, 50.0), crate::report::percentile(v, 99.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_trans_id_is_read_from_the_payment_link() {
        let tran = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("tid=AP221434473737&orderId=o-1&ts=17");
        let answer = format!(
            r#"{{"errorCode":0,"paymentUrl":"http://127.0.0.1:8080/bank/payment/process?tran={tran}&sign=ab"}}"#
        );
        assert_eq!(trans_id_of(answer.as_bytes()).as_deref(), Some("AP221434473737"));
        assert_eq!(trans_id_of(br#"{"errorCode":0}"#), None);
        assert_eq!(ipn_trans_id(br#"{"appotapayTransId":"AP1","errorCode":0}"#).as_deref(), Some("AP1"));
    }
}
