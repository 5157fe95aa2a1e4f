//! How a node draws `appotapayTransId`s.
//!
//! An id is `AP` and twelve digits: four that change every minute (they cycle every
//! 9,000 minutes, 6¼ days) and eight that a node draws as a *run*: a random start,
//! then each next id a random step of 1–64 further. Uniqueness is the store's: an
//! id that is taken (another node's run, or the same minute 6¼ days earlier) makes
//! the node start a new run at a new random place.
//!
//! Why runs rather than random ids: every order is indexed by its id, and the index
//! is a B-tree. A random key puts each insert on another of its pages, so each order
//! dirties a page that nothing else touches; with SQLite that page is written to the
//! WAL, then copied back by every checkpoint, and the copies grow with the table
//! (BENCHMARKS.md: with eight random digits, a checkpoint's final copy paused the
//! writer 9–28 ms and grew over a run). Ids that increase land at the right edge of
//! the index, where one page takes dozens of ids, whatever the size of the table.
//!
//! The id is not a secret (every API that takes one checks that the order is the
//! caller's, payment links are signed); the random steps only keep the ids of one
//! node from being plain consecutive numbers.

use appotapay_protocol::AppotapayTransId;
use rand::Rng;
use std::sync::Mutex;

/// Ids available to a run in one minute: eight digits.
const SPAN: u64 = 100_000_000;
/// The largest step between two ids of a run. With the average step (32.5) a run
/// has room for 3 million ids a minute (51,000 a second) before it wraps around.
const MAX_STEP: u64 = 64;

/// The node's current run. One per gateway process.
#[derive(Debug, Default)]
pub struct TransIds {
    run: Mutex<Option<Run>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    /// The minute digits (1000–9999).
    slot: u64,
    /// The last number drawn in that minute (below [`SPAN`]).
    last: u64,
}

impl TransIds {
    /// The next id at `now_ms`.
    pub fn next(&self, now_ms: i64) -> Option<AppotapayTransId> {
        let mut rng = rand::thread_rng();
        let (start, step) = (rng.gen_range(0..SPAN), rng.gen_range(1..=MAX_STEP));
        let mut run = self.run.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let next = advance(*run, slot_of(now_ms)?, start, step);
        *run = Some(next);
        AppotapayTransId::from_number(next.slot * SPAN + next.last)
    }

    /// The last id drawn was taken: the next one starts a new run elsewhere.
    pub fn taken(&self) {
        *self.run.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }
}

/// The minute digits of `now_ms`: 1000–9999, so that an id always has twelve
/// significant digits.
fn slot_of(now_ms: i64) -> Option<u64> {
    Some(u64::try_from(now_ms.div_euclid(60_000).rem_euclid(9_000)).ok()? + 1_000)
}

/// The run after `run`: a step further in the same minute, or a new run from
/// `start` in a new minute (or after [`TransIds::taken`]).
fn advance(run: Option<Run>, slot: u64, start: u64, step: u64) -> Run {
    match run {
        Some(r) if r.slot == slot => Run { slot, last: (r.last + step) % SPAN },
        _ => Run { slot, last: start % SPAN },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MINUTE: i64 = 1_764_576_000_000; // a minute boundary

    #[test]
    fn ids_of_a_run_increase_and_share_the_minute_digits() {
        let ids = TransIds::default();
        let drawn: Vec<String> = (0..1_000).map(|i| ids.next(MINUTE + i).expect("id").to_string()).collect();
        for pair in drawn.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            assert_eq!(&a[..6], &b[..6], "one minute, one prefix");
            let (x, y): (u64, u64) = (a[6..].parse().expect("digits"), b[6..].parse().expect("digits"));
            // A run wraps around at most once a minute; otherwise it only increases.
            if y > x {
                assert!(y - x <= MAX_STEP, "{a} → {b}");
            } else {
                assert!(x - y > SPAN - MAX_STEP - 1, "{a} → {b}");
            }
        }
        for id in &drawn {
            assert_eq!(id.len(), 14, "{id}");
            assert!(id.parse::<AppotapayTransId>().is_ok(), "{id}");
            assert_ne!(&id[2..3], "0", "twelve significant digits");
        }
        let next_minute = ids.next(MINUTE + 60_000).expect("id").to_string();
        assert_ne!(&next_minute[..6], &drawn[0][..6]);
    }

    #[test]
    fn a_taken_id_starts_a_new_run() {
        let first = advance(None, 1_234, 500, 7);
        assert_eq!(first, Run { slot: 1_234, last: 500 });
        assert_eq!(advance(Some(first), 1_234, 9, 7), Run { slot: 1_234, last: 507 });
        // After `taken` the run is None again: a new random start.
        assert_eq!(advance(None, 1_234, 9, 7), Run { slot: 1_234, last: 9 });
        // A new minute starts a new run even without a collision.
        assert_eq!(advance(Some(first), 1_235, 42, 7), Run { slot: 1_235, last: 42 });
        // The eight digits wrap around within the minute.
        assert_eq!(advance(Some(Run { slot: 1_234, last: SPAN - 2 }), 1_234, 0, 5), Run { slot: 1_234, last: 3 });

        let ids = TransIds::default();
        let a = ids.next(MINUTE).expect("id");
        ids.taken();
        // A new run is drawn: with 10⁸ starts it lands within a step of the old one
        // with a probability of about 10⁻⁶; five tries make a false failure absurd.
        let far = (0..5).any(|_| {
            ids.taken();
            let b = ids.next(MINUTE).expect("id");
            let (x, y): (i64, i64) =
                (a.as_str()[6..].parse().expect("digits"), b.as_str()[6..].parse().expect("digits"));
            (x - y).abs() > MAX_STEP as i64
        });
        assert!(far, "a taken id moves the run");
    }

    #[test]
    fn the_minute_digits_cycle_and_keep_four_digits() {
        for minute in [0i64, 8_999, 9_000, 123_456_789] {
            let slot = slot_of(minute * 60_000).expect("slot");
            assert!((1_000..=9_999).contains(&slot), "{slot}");
        }
        assert_eq!(slot_of(0), slot_of(9_000 * 60_000));
        assert_ne!(slot_of(0), slot_of(60_000));
        assert_eq!(slot_of(59_999), slot_of(0));
    }

    proptest! {
        #[test]
        fn a_run_never_leaves_its_eight_digits(last in 0..SPAN, start in 0..u64::MAX, step in 1..=MAX_STEP, slot in 1_000u64..10_000) {
            let r = advance(Some(Run { slot, last }), slot, start, step);
            prop_assert!(r.last < SPAN);
            prop_assert_eq!(r.last, (last + step) % SPAN);
            let fresh = advance(None, slot, start, step);
            prop_assert!(fresh.last < SPAN);
            prop_assert!(AppotapayTransId::from_number(slot * SPAN + r.last).is_some());
        }
    }
}
