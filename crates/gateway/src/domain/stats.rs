//! The operator's overview, pure: the windows it covers, how time is cut into
//! buckets, the counts the store aggregates per bucket, and the series the console
//! draws from them.
//!
//! It exists so that the charts of the console's Overview page cost the database a
//! few `GROUP BY` statements, whatever the traffic: the store returns one row per
//! bucket and kind ([`StatsRows`]), never a row per order or attempt, and
//! [`Overview::build`] turns those rows into series here, where the arithmetic can be
//! tested without a database.
//!
//! # Windows and buckets
//!
//! A [`Window`] is a number of equal buckets ending with the one that holds "now":
//! the last hour is 60 buckets of one minute, the last day 96 buckets of 15 minutes.
//! Buckets are aligned on multiples of their length since the Unix epoch, so a
//! bucket starts on a whole minute (or quarter-hour) in UTC, and therefore in
//! Vietnam time too (UTC+7, a whole number of hours ahead). The last bucket is the
//! one in progress. A bucket `i` of a [`Span`] covers `[start(i), start(i+1))`.
//!
//! # What each series counts
//!
//! - Orders are counted in the bucket of their creation (`created_at_ms`), by the
//!   payment method and the state they have now ([`OrderResult`]).
//! - The success rate of a bucket is, among the orders created in it that have
//!   reached a final state, the share that succeeded, in basis points (10 000 =
//!   100 %); none when no order of the bucket is final yet.
//! - IPN attempts are counted in the bucket of their start (`at_ms`), by outcome
//!   ([`AttemptOutcome`]) and by latency bin ([`LATENCY_BOUNDS_MS`]).
//! - The outbox depth of a bucket is the number of IPNs pending at the bucket's last
//!   millisecond `t` ([`Span::sample_ms`]): queued at or before `t`
//!   (`created_at_ms <= t`) and not delivered or given up by then
//!   (`finished_at_ms IS NULL OR finished_at_ms > t`).
//! - Refunds are counted, and their amounts summed, in the bucket of their
//!   creation, by the status they have now.
//!
//! # Percentiles
//!
//! Latencies are kept as a histogram of fixed bins, not as samples. A percentile is
//! the nearest-rank one (the smallest latency that at least that share of the
//! attempts did not exceed), reported as the **upper bound of its bin**: a p99 of
//! 200 ms means the 99th-percentile attempt took more than 100 and at most 200 ms.
//! The last bin is open (over 10 s); a percentile that falls in it is reported as
//! the greatest latency seen in that bin.

use crate::domain::order::State;
use crate::domain::refund::RefundStatus;
use appotapay_protocol::PaymentMethod;

/// One minute, in ms.
pub const MINUTE_MS: i64 = 60_000;

/// The period an overview covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Window {
    /// The last hour: 60 buckets of one minute.
    LastHour,
    /// The last day: 96 buckets of 15 minutes.
    LastDay,
}

impl Window {
    /// Every window, shortest first.
    pub const ALL: [Window; 2] = [Window::LastHour, Window::LastDay];

    /// The length of one bucket, ms.
    pub const fn bucket_ms(self) -> i64 {
        match self {
            Window::LastHour => MINUTE_MS,
            Window::LastDay => 15 * MINUTE_MS,
        }
    }

    /// The number of buckets.
    pub const fn buckets(self) -> usize {
        match self {
            Window::LastHour => 60,
            Window::LastDay => 96,
        }
    }

    /// A short name (`hour`, `day`), for URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Window::LastHour => "hour",
            Window::LastDay => "day",
        }
    }

    /// Parses [`Window::as_str`].
    pub fn parse(s: &str) -> Option<Window> {
        Window::ALL.into_iter().find(|w| w.as_str() == s)
    }

    /// The buckets of this window at `now_ms`: the last is the one holding `now_ms`.
    pub fn span(self, now_ms: i64) -> Span {
        Span::ending_at(now_ms, self.bucket_ms(), self.buckets())
    }
}

/// Equal buckets of time, from `since_ms` on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    /// Start of the first bucket (inclusive), ms.
    pub since_ms: i64,
    /// Length of a bucket, ms (positive).
    pub bucket_ms: i64,
    /// Number of buckets.
    pub buckets: usize,
}

impl Span {
    /// `buckets` buckets of `bucket_ms` aligned on multiples of `bucket_ms`, the last
    /// holding `now_ms`. `bucket_ms` must be positive and the times within a few
    /// thousand years of the epoch (no overflow then).
    pub fn ending_at(now_ms: i64, bucket_ms: i64, buckets: usize) -> Span {
        let bucket_ms = bucket_ms.max(1);
        let last = now_ms.div_euclid(bucket_ms) * bucket_ms;
        let since_ms = last - (buckets.saturating_sub(1) as i64) * bucket_ms;
        Span { since_ms, bucket_ms, buckets }
    }

    /// End of the last bucket (exclusive), ms.
    pub fn until_ms(&self) -> i64 {
        self.start_ms(self.buckets)
    }

    /// Start of bucket `i` (inclusive), ms.
    pub fn start_ms(&self, i: usize) -> i64 {
        self.since_ms + (i as i64) * self.bucket_ms
    }

    /// The last millisecond of bucket `i`: when the outbox depth of the bucket is
    /// read.
    pub fn sample_ms(&self, i: usize) -> i64 {
        self.start_ms(i + 1) - 1
    }

    /// The bucket holding `t_ms`, if the span does.
    pub fn bucket_of(&self, t_ms: i64) -> Option<usize> {
        if t_ms < self.since_ms {
            return None;
        }
        self.index((t_ms - self.since_ms) / self.bucket_ms)
    }

    /// A bucket number as the store computes it (`(t - since_ms) / bucket_ms`) as
    /// an index, if it is one of the span's.
    pub fn index(&self, bucket: i64) -> Option<usize> {
        usize::try_from(bucket).ok().filter(|&i| i < self.buckets)
    }
}

/// The upper bounds (inclusive) of the latency bins, ms: bin `i` holds the
/// latencies `l` with `LATENCY_BOUNDS_MS[i-1] < l <= LATENCY_BOUNDS_MS[i]`, and the
/// last bin ([`LATENCY_BINS`]` - 1`) every latency above the last bound.
pub const LATENCY_BOUNDS_MS: [i64; 14] = [0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000];

/// The number of latency bins: one per bound, and the open one above them.
pub const LATENCY_BINS: usize = LATENCY_BOUNDS_MS.len() + 1;

/// The bin of a latency.
pub fn latency_bin(ms: i64) -> usize {
    LATENCY_BOUNDS_MS.iter().position(|&b| ms <= b).unwrap_or(LATENCY_BINS - 1)
}

/// The attempts' latencies of one bucket, by bin.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LatencyHistogram {
    /// Attempts per bin ([`LATENCY_BOUNDS_MS`]).
    pub counts: [i64; LATENCY_BINS],
    /// The greatest latency in the open last bin (0 while it is empty), ms.
    pub open_max_ms: i64,
}

impl LatencyHistogram {
    /// Adds `count` attempts to `bin` (a bin past the last counts as the last),
    /// `max_ms` being the greatest of their latencies.
    pub fn add(&mut self, bin: usize, count: i64, max_ms: i64) {
        let bin = bin.min(LATENCY_BINS - 1);
        self.counts[bin] += count;
        if bin == LATENCY_BINS - 1 {
            self.open_max_ms = self.open_max_ms.max(max_ms);
        }
    }

    /// Adds one attempt of `ms`.
    pub fn record(&mut self, ms: i64) {
        self.add(latency_bin(ms), 1, ms);
    }

    /// Number of attempts.
    pub fn total(&self) -> i64 {
        self.counts.iter().sum()
    }

    /// The nearest-rank percentile `permille`/1000 (500: the median, 990: p99),
    /// reported as the upper bound of its bin (see the module documentation); `None`
    /// without attempts. `permille` is taken within 1..=1000.
    pub fn percentile(&self, permille: u32) -> Option<i64> {
        let total = self.total();
        if total <= 0 {
            return None;
        }
        let permille = i64::from(permille.clamp(1, 1000));
        // The smallest rank r with r >= total * permille / 1000.
        let rank = (total * permille + 999) / 1000;
        let mut seen = 0;
        for (bin, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                return Some(bin_value(bin, self.open_max_ms));
            }
        }
        Some(bin_value(LATENCY_BINS - 1, self.open_max_ms))
    }
}

/// What a percentile in `bin` is reported as.
fn bin_value(bin: usize, open_max_ms: i64) -> i64 {
    match LATENCY_BOUNDS_MS.get(bin) {
        Some(&bound) => bound,
        None => open_max_ms.max(LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.len() - 1] + 1),
    }
}

/// Where an order counted by the overview stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OrderResult {
    /// Paid.
    Success,
    /// Declined.
    Failed,
    /// Cancelled by the customer.
    Cancelled,
    /// Pending or processing: not final yet.
    Open,
    /// Not paid within its lifetime.
    Expired,
}

impl OrderResult {
    /// Every result, in the order the charts stack them.
    pub const ALL: [OrderResult; 5] =
        [OrderResult::Success, OrderResult::Failed, OrderResult::Cancelled, OrderResult::Open, OrderResult::Expired];

    /// The result of an order in `state`.
    pub fn of(state: State) -> OrderResult {
        match state {
            State::Success => OrderResult::Success,
            State::Failed => OrderResult::Failed,
            State::Cancelled => OrderResult::Cancelled,
            State::Pending | State::Processing => OrderResult::Open,
            State::Expired => OrderResult::Expired,
        }
    }

    /// A short English name.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderResult::Success => "success",
            OrderResult::Failed => "failed",
            OrderResult::Cancelled => "cancelled",
            OrderResult::Open => "pending",
            OrderResult::Expired => "expired",
        }
    }
}

/// How an IPN attempt ended, as the overview counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AttemptOutcome {
    /// HTTP 200 with `{"status":"ok"}`.
    Delivered,
    /// The merchant answered, but not with a delivery: its HTTP status (200 for an
    /// answer of another body; the status too when reading the body then failed).
    Http(u16),
    /// No answer: a timeout, a connection error, a refused destination, an attempt
    /// lost on purpose.
    NoAnswer,
}

impl AttemptOutcome {
    /// The outcome of an attempt, from what is stored of it.
    pub fn of(delivered: bool, http_status: Option<u16>) -> AttemptOutcome {
        match (delivered, http_status) {
            (true, _) => AttemptOutcome::Delivered,
            (false, Some(s)) => AttemptOutcome::Http(s),
            (false, None) => AttemptOutcome::NoAnswer,
        }
    }

    /// A short name: `delivered`, `HTTP 500`, `no answer`.
    pub fn label(self) -> String {
        match self {
            AttemptOutcome::Delivered => "delivered".into(),
            AttemptOutcome::Http(s) => format!("HTTP {s}"),
            AttemptOutcome::NoAnswer => "no answer".into(),
        }
    }
}

/// A count and a sum of VND.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// How many.
    pub count: i64,
    /// Their amount, VND.
    pub amount: i64,
}

/// One value per bucket of a [`Span`], for one key (a method, a result, a status).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Series<K, V = i64> {
    /// What the series counts.
    pub key: K,
    /// One value per bucket, oldest first.
    pub values: Vec<V>,
}

// --- What the store aggregates -----------------------------------------------------

/// Orders created in one bucket with one payment method and one state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderCount {
    /// The bucket number (`(created_at_ms - since_ms) / bucket_ms`).
    pub bucket: i64,
    /// The payment method stored with the orders.
    pub method: PaymentMethod,
    /// Their state now.
    pub state: State,
    /// How many.
    pub count: i64,
}

/// IPN attempts started in one bucket with one outcome and one latency bin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptCount {
    /// The bucket number (`(at_ms - since_ms) / bucket_ms`).
    pub bucket: i64,
    /// The latency bin ([`latency_bin`]).
    pub bin: usize,
    /// Whether they delivered the IPN.
    pub delivered: bool,
    /// The HTTP status they got, if any.
    pub http_status: Option<u16>,
    /// How many.
    pub count: i64,
    /// Their greatest latency, ms.
    pub max_latency_ms: i64,
}

/// Outbox rows entering or leaving the pending set in one bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OutboxMoves {
    /// The bucket number: of `created_at_ms` for rows entering (rows queued before
    /// the span count in bucket 0), of `finished_at_ms` for rows leaving.
    pub bucket: i64,
    /// Rows queued in the bucket (or still pending from before the span, in bucket 0).
    pub entered: i64,
    /// Rows delivered or given up in the bucket.
    pub left: i64,
}

/// Refunds created in one bucket with one status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RefundCount {
    /// The bucket number (`(created_at_ms - since_ms) / bucket_ms`).
    pub bucket: i64,
    /// Their status now.
    pub status: RefundStatus,
    /// How many, and their amount.
    pub tally: Tally,
}

/// What the store aggregates for a [`Span`] (see `StatsStore` among the store's
/// ports): a few rows per bucket, whatever the traffic.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatsRows {
    /// Orders by bucket, method and state.
    pub orders: Vec<OrderCount>,
    /// IPN attempts by bucket, outcome and latency bin.
    pub attempts: Vec<AttemptCount>,
    /// Outbox rows entering and leaving the pending set, by bucket.
    pub outbox: Vec<OutboxMoves>,
    /// Refunds by bucket and status.
    pub refunds: Vec<RefundCount>,
}

// --- The series --------------------------------------------------------------------

/// Everything the Overview page draws, for one window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Overview {
    /// The window.
    pub window: Window,
    /// Its buckets: every series has one value per bucket.
    pub span: Span,
    /// Orders per bucket by payment method: the methods that have orders in the
    /// window, in [`PaymentMethod::ALL_METHODS`] order.
    pub orders_by_method: Vec<Series<PaymentMethod>>,
    /// Orders per bucket by result: every [`OrderResult`], in its `ALL` order.
    pub orders_by_result: Vec<Series<OrderResult>>,
    /// Per bucket, the share of the final orders that succeeded, in basis points
    /// (10 000 = 100 %); `None` when none is final.
    pub success_rate_bp: Vec<Option<i64>>,
    /// Per bucket, the latencies of the IPN attempts.
    pub ipn_latency: Vec<LatencyHistogram>,
    /// Per bucket, the median attempt latency (see the module documentation), ms.
    pub ipn_p50_ms: Vec<Option<i64>>,
    /// Per bucket, the 99th-percentile attempt latency, ms.
    pub ipn_p99_ms: Vec<Option<i64>>,
    /// Attempts per bucket by outcome: the outcomes seen, delivered first, then by
    /// HTTP status, no answer last.
    pub ipn_outcomes: Vec<Series<AttemptOutcome>>,
    /// The outbox depth at the end of each bucket ([`Span::sample_ms`]).
    pub outbox_depth: Vec<i64>,
    /// The outbox depth now.
    pub outbox_depth_now: i64,
    /// Refunds per bucket by status: every status, in [`RefundStatus::ALL`] order.
    pub refunds: Vec<Series<RefundStatus, Tally>>,
}

impl Overview {
    /// The series of `window` at `now_ms` from the rows the store aggregated for
    /// `window.span(now_ms)`, and the outbox depth now. Rows of buckets outside the
    /// span are ignored.
    pub fn build(window: Window, now_ms: i64, rows: &StatsRows, outbox_depth_now: i64) -> Overview {
        let span = window.span(now_ms);
        let n = span.buckets;

        let mut by_method: Vec<Series<PaymentMethod>> = Vec::new();
        let mut by_result: Vec<Series<OrderResult>> =
            OrderResult::ALL.iter().map(|&key| Series { key, values: vec![0; n] }).collect();
        let mut successes = vec![0i64; n];
        let mut finals = vec![0i64; n];
        for r in &rows.orders {
            let Some(i) = span.index(r.bucket) else { continue };
            series_of(&mut by_method, r.method, n).values[i] += r.count;
            let result = OrderResult::of(r.state);
            series_of(&mut by_result, result, n).values[i] += r.count;
            if r.state.is_final() {
                finals[i] += r.count;
            }
            if r.state == State::Success {
                successes[i] += r.count;
            }
        }
        let method_rank = |m: &PaymentMethod| PaymentMethod::ALL_METHODS.iter().position(|x| x == m);
        by_method.sort_by_key(|s| method_rank(&s.key));
        let success_rate_bp =
            successes.iter().zip(&finals).map(|(&s, &f)| (f > 0).then(|| (s * 10_000 + f / 2) / f)).collect();

        let mut ipn_latency = vec![LatencyHistogram::default(); n];
        let mut ipn_outcomes: Vec<Series<AttemptOutcome>> = Vec::new();
        for r in &rows.attempts {
            let Some(i) = span.index(r.bucket) else { continue };
            ipn_latency[i].add(r.bin, r.count, r.max_latency_ms);
            series_of(&mut ipn_outcomes, AttemptOutcome::of(r.delivered, r.http_status), n).values[i] += r.count;
        }
        ipn_outcomes.sort_by_key(|s| s.key);
        let ipn_p50_ms = ipn_latency.iter().map(|h| h.percentile(500)).collect();
        let ipn_p99_ms = ipn_latency.iter().map(|h| h.percentile(990)).collect();

        let mut moves = vec![0i64; n];
        for m in &rows.outbox {
            if let Some(i) = span.index(m.bucket) {
                moves[i] += m.entered - m.left;
            }
        }
        let outbox_depth = moves
            .iter()
            .scan(0i64, |depth, d| {
                *depth += d;
                Some(*depth)
            })
            .collect();

        let mut refunds: Vec<Series<RefundStatus, Tally>> =
            RefundStatus::ALL.iter().map(|&key| Series { key, values: vec![Tally::default(); n] }).collect();
        for r in &rows.refunds {
            let Some(i) = span.index(r.bucket) else { continue };
            let t = &mut series_of(&mut refunds, r.status, n).values[i];
            t.count += r.tally.count;
            t.amount += r.tally.amount;
        }

        Overview {
            window,
            span,
            orders_by_method: by_method,
            orders_by_result: by_result,
            success_rate_bp,
            ipn_latency,
            ipn_p50_ms,
            ipn_p99_ms,
            ipn_outcomes,
            outbox_depth,
            outbox_depth_now,
            refunds,
        }
    }

    /// Orders in the window.
    pub fn total_orders(&self) -> i64 {
        self.orders_by_result.iter().flat_map(|s| &s.values).sum()
    }

    /// The orders of one result per bucket.
    pub fn orders_of(&self, result: OrderResult) -> Option<&Series<OrderResult>> {
        self.orders_by_result.iter().find(|s| s.key == result)
    }
}

/// The series of `key` in `all`, added with `n` default values if missing.
fn series_of<K: PartialEq + Copy, V: Default + Clone>(
    all: &mut Vec<Series<K, V>>,
    key: K,
    n: usize,
) -> &mut Series<K, V> {
    let i = match all.iter().position(|s| s.key == key) {
        Some(i) => i,
        None => {
            all.push(Series { key, values: vec![V::default(); n] });
            all.len() - 1
        }
    };
    &mut all[i]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 2023-11-14T22:13:20Z, a whole 20 seconds past a minute.
    const NOW: i64 = 1_700_000_000_000;

    #[test]
    fn windows_end_with_the_bucket_holding_now() {
        let h = Window::LastHour.span(NOW);
        assert_eq!((h.bucket_ms, h.buckets), (60_000, 60));
        assert_eq!(h.start_ms(59), NOW - 20_000, "the last bucket starts on the minute");
        assert_eq!(h.bucket_of(NOW), Some(59));
        assert_eq!(h.until_ms(), NOW + 40_000);
        assert_eq!(h.bucket_of(h.until_ms()), None);
        assert_eq!(h.bucket_of(h.since_ms), Some(0));
        assert_eq!(h.bucket_of(h.since_ms - 1), None);
        assert_eq!(h.sample_ms(0), h.since_ms + 59_999);
        let d = Window::LastDay.span(NOW);
        assert_eq!((d.bucket_ms, d.buckets), (900_000, 96));
        assert_eq!(d.start_ms(95) % 900_000, 0);
        assert_eq!(d.until_ms() - d.since_ms, 86_400_000);
        for w in Window::ALL {
            assert_eq!(Window::parse(w.as_str()), Some(w));
        }
    }

    #[test]
    fn latency_bins_and_percentiles() {
        assert_eq!(latency_bin(-3), 0);
        assert_eq!(latency_bin(0), 0);
        assert_eq!(latency_bin(1), 1);
        assert_eq!(latency_bin(3), 3);
        assert_eq!(latency_bin(10_000), 13);
        assert_eq!(latency_bin(10_001), 14);
        let mut h = LatencyHistogram::default();
        assert_eq!(h.percentile(500), None);
        for ms in [3, 4, 4, 12, 150, 150, 150, 150, 150, 9_000] {
            h.record(ms);
        }
        assert_eq!(h.total(), 10);
        assert_eq!(h.percentile(500), Some(200), "the 5th of 10 took 150 ms: bin (100, 200]");
        assert_eq!(h.percentile(300), Some(5));
        assert_eq!(h.percentile(990), Some(10_000));
        h.record(25_000);
        assert_eq!(h.percentile(1000), Some(25_000), "the open bin reports its greatest latency");
    }

    #[test]
    fn the_overview_is_folded_from_the_rows() {
        let w = Window::LastHour;
        let span = w.span(NOW);
        let rows = StatsRows {
            orders: vec![
                OrderCount { bucket: 0, method: PaymentMethod::Atm, state: State::Success, count: 3 },
                OrderCount { bucket: 0, method: PaymentMethod::Qr, state: State::Failed, count: 1 },
                OrderCount { bucket: 0, method: PaymentMethod::Atm, state: State::Pending, count: 2 },
                OrderCount { bucket: 59, method: PaymentMethod::Atm, state: State::Expired, count: 1 },
                OrderCount { bucket: 60, method: PaymentMethod::Cc, state: State::Success, count: 9 },
            ],
            attempts: vec![
                AttemptCount {
                    bucket: 1,
                    bin: 4,
                    delivered: true,
                    http_status: Some(200),
                    count: 9,
                    max_latency_ms: 8,
                },
                AttemptCount {
                    bucket: 1,
                    bin: 14,
                    delivered: false,
                    http_status: None,
                    count: 1,
                    max_latency_ms: 30_000,
                },
                AttemptCount {
                    bucket: 2,
                    bin: 7,
                    delivered: false,
                    http_status: Some(500),
                    count: 2,
                    max_latency_ms: 80,
                },
            ],
            outbox: vec![
                OutboxMoves { bucket: 0, entered: 2, left: 0 },
                OutboxMoves { bucket: 3, entered: 1, left: 0 },
                OutboxMoves { bucket: 3, entered: 0, left: 2 },
                OutboxMoves { bucket: 5, entered: 0, left: 1 },
            ],
            refunds: vec![RefundCount {
                bucket: 4,
                status: RefundStatus::Success,
                tally: Tally { count: 2, amount: 70_000 },
            }],
        };
        let o = Overview::build(w, NOW, &rows, 7);
        assert_eq!(o.span, span);
        assert_eq!(
            o.orders_by_method.iter().map(|s| s.key).collect::<Vec<_>>(),
            [PaymentMethod::Atm, PaymentMethod::Qr]
        );
        assert_eq!(o.orders_by_method[0].values[0], 5);
        assert_eq!(o.orders_by_method[0].values[59], 1);
        assert_eq!(o.total_orders(), 7, "bucket 60 is outside the span");
        assert_eq!(o.orders_of(OrderResult::Open).map(|s| s.values[0]), Some(2));
        assert_eq!(o.success_rate_bp[0], Some(7_500), "3 of the 4 final orders");
        assert_eq!(o.success_rate_bp[59], Some(0));
        assert_eq!(o.success_rate_bp[1], None);
        assert_eq!((o.ipn_p50_ms[1], o.ipn_p99_ms[1]), (Some(10), Some(30_000)));
        assert_eq!((o.ipn_p50_ms[2], o.ipn_p99_ms[2]), (Some(100), Some(100)));
        assert_eq!(o.ipn_p50_ms[0], None);
        let outcomes: Vec<_> = o.ipn_outcomes.iter().map(|s| (s.key, s.values[1], s.values[2])).collect();
        assert_eq!(
            outcomes,
            [(AttemptOutcome::Delivered, 9, 0), (AttemptOutcome::Http(500), 0, 2), (AttemptOutcome::NoAnswer, 1, 0)]
        );
        assert_eq!(&o.outbox_depth[..7], &[2, 2, 2, 1, 1, 0, 0]);
        assert_eq!(o.outbox_depth_now, 7);
        assert_eq!(o.refunds.len(), RefundStatus::ALL.len());
        let success = o.refunds.iter().find(|s| s.key == RefundStatus::Success).expect("success refunds");
        assert_eq!(success.values[4], Tally { count: 2, amount: 70_000 });
    }

    proptest! {
        #[test]
        fn every_time_falls_in_exactly_one_bucket(
            now in 0i64..4_000_000_000_000,
            back in 0i64..200_000_000,
            w in prop::sample::select(Window::ALL.to_vec()),
        ) {
            let span = w.span(now);
            prop_assert_eq!(span.since_ms.rem_euclid(span.bucket_ms), 0);
            prop_assert_eq!(span.bucket_of(now), Some(span.buckets - 1));
            prop_assert!(span.since_ms <= now && now < span.until_ms());
            let t = now - back;
            match span.bucket_of(t) {
                Some(i) => {
                    prop_assert!(span.start_ms(i) <= t && t <= span.sample_ms(i));
                    prop_assert_eq!(span.index((t - span.since_ms) / span.bucket_ms), Some(i));
                }
                None => prop_assert!(t < span.since_ms),
            }
        }

        #[test]
        fn percentiles_are_the_bin_of_the_nearest_rank(
            mut samples in prop::collection::vec(0i64..20_000, 1..200),
            p in 1u32..=1000,
            q in 1u32..=1000,
        ) {
            let mut h = LatencyHistogram::default();
            for &s in &samples {
                h.record(s);
            }
            samples.sort_unstable();
            let rank = (samples.len() * p as usize).div_ceil(1000).max(1);
            let exact = samples[rank - 1];
            let reported = h.percentile(p).expect("samples");
            let bin = latency_bin(exact);
            if bin < LATENCY_BINS - 1 {
                prop_assert_eq!(reported, LATENCY_BOUNDS_MS[bin]);
            } else {
                prop_assert_eq!(reported, *samples.last().expect("samples"));
            }
            prop_assert!(reported >= exact);
            let (lo, hi) = (p.min(q), p.max(q));
            prop_assert!(h.percentile(lo) <= h.percentile(hi), "monotonic");
        }

        #[test]
        fn depth_counts_the_rows_pending_at_each_bucket_end(
            rows in prop::collection::vec((0i64..4_000_000, prop::option::of(0i64..4_000_000)), 0..40),
        ) {
            let w = Window::LastHour;
            let now = NOW;
            let span = w.span(now);
            let base = span.since_ms - 300_000;
            // (created, finished) as the store would aggregate them.
            let rows: Vec<(i64, Option<i64>)> =
                rows.into_iter().map(|(c, f)| (base + c, f.map(|f| base + c + f))).collect();
            let mut moves = Vec::new();
            for &(c, f) in &rows {
                if c >= span.until_ms() || f.is_some_and(|f| f < span.since_ms) {
                    continue;
                }
                let enter = if c < span.since_ms { 0 } else { (c - span.since_ms) / span.bucket_ms };
                moves.push(OutboxMoves { bucket: enter, entered: 1, left: 0 });
                if let Some(f) = f {
                    moves.push(OutboxMoves { bucket: (f - span.since_ms) / span.bucket_ms, entered: 0, left: 1 });
                }
            }
            let o = Overview::build(w, now, &StatsRows { outbox: moves, ..Default::default() }, 0);
            for i in 0..span.buckets {
                let t = span.sample_ms(i);
                let expected = rows.iter().filter(|&&(c, f)| c <= t && f.is_none_or(|f| f > t)).count() as i64;
                prop_assert_eq!(o.outbox_depth[i], expected, "bucket {}", i);
            }
        }
    }
}
