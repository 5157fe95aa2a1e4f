//! The order state machine, pure: no I/O, no clock of its own.
//!
//! ```text
//! pending ──► processing ──► success | failed | cancelled | expired
//!    └────────────────────────►┘
//! ```
//!
//! Every change of an order's state anywhere in the gateway (checkout, sandbox
//! helpers, bank credits, the expiry sweeper) goes through [`decide`], and the store
//! applies the result with a compare-and-set on the state it was decided from, so two
//! concurrent attempts cannot both win. A final state never changes.
//!
//! Refunds of a successful payment have their own machine beside this one, in
//! [`super::refund`]; they never change the payment's state.
//!
//! A processing order carries the code the status API answers while the bank has
//! not decided: 34 (processing), 35 (pending) or 99 (undetermined), all three
//! non-final in spec §8. Which one the bank gave is kept with the state, so every
//! node reports the same code until the order settles.

use appotapay_protocol::ErrorCode;
use std::fmt;

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Created, the customer has not paid yet (status code 35).
    Pending,
    /// The bank is handling it (status code 34, or the 35 or 99 it answered: see
    /// [`PROCESSING_CODES`]).
    Processing,
    /// Paid (0).
    Success,
    /// Declined with a decline code.
    Failed,
    /// Cancelled by the customer (38).
    Cancelled,
    /// Not paid within its lifetime (77).
    Expired,
}

impl State {
    /// Every state.
    pub const ALL: [State; 6] =
        [State::Pending, State::Processing, State::Success, State::Failed, State::Cancelled, State::Expired];

    /// Whether the state is final.
    pub fn is_final(self) -> bool {
        !matches!(self, State::Pending | State::Processing)
    }

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Processing => "processing",
            State::Success => "success",
            State::Failed => "failed",
            State::Cancelled => "cancelled",
            State::Expired => "expired",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The codes a processing order may carry, and is reported with until the bank
/// decides: 34 (processing), 35 (pending), 99 (undetermined).
pub const PROCESSING_CODES: [ErrorCode; 3] = [ErrorCode::PROCESSING, ErrorCode::PENDING, ErrorCode::UNDEFINED_ERROR];

/// What happened to an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The bank accepted the payment for processing (34).
    StartProcessing,
    /// The bank took the payment without deciding, answering this code meanwhile
    /// (one of [`PROCESSING_CODES`]): as [`Event::StartProcessing`], with the code
    /// kept.
    ProcessAs(ErrorCode),
    /// The bank confirmed the payment.
    Succeed,
    /// The bank (or the customer's input) declined it with a decline code.
    Fail(ErrorCode),
    /// The customer cancelled.
    Cancel,
    /// The order's lifetime ended (or a sandbox helper expires it now).
    Expire,
}

/// An order's state as the decision needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Current {
    /// The state.
    pub state: State,
    /// The code stored with the state (the outcome for a final state).
    pub code: ErrorCode,
    /// End of the payment window, unix milliseconds.
    pub expires_at_ms: i64,
}

/// The outcome of [`decide`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Change the order to `state` with `code`.
    Change {
        /// The new state.
        state: State,
        /// Its code.
        code: ErrorCode,
    },
    /// Leave the order as it is; answer `code`.
    Reject(ErrorCode),
}

/// The code a state is reported with by the status API while it is not final.
pub fn status_code(current: Current, now_ms: i64) -> ErrorCode {
    match current.state {
        State::Pending if now_ms >= current.expires_at_ms => ErrorCode::PAYMENT_EXPIRED,
        State::Pending => ErrorCode::PENDING,
        State::Processing if PROCESSING_CODES.contains(&current.code) => current.code,
        State::Processing => ErrorCode::PROCESSING,
        _ => current.code,
    }
}

/// Decides what `event` does to an order in `current` at `now_ms`.
///
/// - A final order never changes: success answers 41, other final states their own code.
/// - A pending order past its lifetime can only expire: any event expires it (77).
/// - A processing order is the bank's: it does not expire by time, and the customer can
///   no longer cancel it (its code: 34, or the 35 or 99 it was taken with).
/// - `Fail` needs a decline code (spec §8), `ProcessAs` one of [`PROCESSING_CODES`];
///   anything else is rejected with 1.
pub fn decide(current: Current, event: Event, now_ms: i64) -> Decision {
    use Decision::{Change, Reject};
    // Only the two live states go on; a final state answers and never changes.
    let processing = match current.state {
        State::Pending => false,
        State::Processing => true,
        State::Success => return Reject(ErrorCode::ALREADY_SUCCEEDED),
        State::Failed | State::Cancelled | State::Expired => return Reject(current.code),
    };
    let valid = match event {
        Event::Fail(code) => appotapay_protocol::DECLINE_CODES.contains(&code),
        Event::ProcessAs(code) => PROCESSING_CODES.contains(&code),
        _ => true,
    };
    if !valid {
        return Reject(ErrorCode::INVALID_PARAMS);
    }
    if !processing && now_ms >= current.expires_at_ms {
        return Change { state: State::Expired, code: ErrorCode::PAYMENT_EXPIRED };
    }
    match (processing, event) {
        (false, Event::StartProcessing) => Change { state: State::Processing, code: ErrorCode::PROCESSING },
        (false, Event::ProcessAs(code)) => Change { state: State::Processing, code },
        (true, Event::StartProcessing | Event::ProcessAs(_)) => Reject(status_code(current, now_ms)),
        (_, Event::Succeed) => Change { state: State::Success, code: ErrorCode::SUCCESS },
        (_, Event::Fail(code)) => Change { state: State::Failed, code },
        (false, Event::Cancel) => Change { state: State::Cancelled, code: ErrorCode::CANCELLED },
        (true, Event::Cancel) => Reject(status_code(current, now_ms)),
        (_, Event::Expire) => Change { state: State::Expired, code: ErrorCode::PAYMENT_EXPIRED },
    }
}

/// The code every state must carry: the invariant [`decide`] keeps.
pub fn code_fits_state(state: State, code: ErrorCode) -> bool {
    match state {
        State::Pending => code == ErrorCode::PENDING,
        State::Processing => PROCESSING_CODES.contains(&code),
        State::Success => code == ErrorCode::SUCCESS,
        State::Failed => appotapay_protocol::DECLINE_CODES.contains(&code),
        State::Cancelled => code == ErrorCode::CANCELLED,
        State::Expired => code == ErrorCode::PAYMENT_EXPIRED,
    }
}

/// The status word of v1.1 and v2 answers for a transaction's status code: `success`
/// (0), `pending` (35), `processing` (34, 99), `expired` (77), `cancelled` (38),
/// `refunded` (40), `error` for every decline.
pub fn status_word(code: ErrorCode) -> &'static str {
    match code.code() {
        0 => "success",
        35 => "pending",
        34 | 99 => "processing",
        77 => "expired",
        38 => "cancelled",
        40 => "refunded",
        _ => "error",
    }
}

/// The states a list's `status` filter stands for; `None` for an unknown word.
pub fn states_of_word(word: &str) -> Option<Vec<State>> {
    Some(match word {
        "success" | "refunded" => vec![State::Success],
        "pending" => vec![State::Pending],
        "processing" => vec![State::Processing],
        "expired" => vec![State::Expired],
        "cancelled" => vec![State::Cancelled],
        "error" => vec![State::Failed],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            Just(Event::StartProcessing),
            (0u32..120).prop_map(|c| Event::ProcessAs(ErrorCode(c))),
            proptest::sample::select(PROCESSING_CODES.to_vec()).prop_map(Event::ProcessAs),
            Just(Event::Succeed),
            (0u32..600).prop_map(|c| Event::Fail(ErrorCode(c))),
            proptest::sample::select(appotapay_protocol::DECLINE_CODES).prop_map(Event::Fail),
            Just(Event::Cancel),
            Just(Event::Expire),
        ]
    }

    proptest! {
        #[test]
        fn final_states_never_change_and_codes_stay_consistent(
            events in proptest::collection::vec((event(), 0i64..2_000), 0..30),
            expires in 0i64..2_000,
        ) {
            let mut cur = Current { state: State::Pending, code: ErrorCode::PENDING, expires_at_ms: expires };
            let mut final_seen: Option<(State, ErrorCode)> = None;
            let mut now = 0;
            for (ev, dt) in events {
                now += dt;
                match decide(cur, ev, now) {
                    Decision::Change { state, code } => {
                        prop_assert!(final_seen.is_none(), "a final order changed");
                        prop_assert!(code_fits_state(state, code), "{state:?} with {code:?}");
                        prop_assert!(state != cur.state || !state.is_final());
                        cur.state = state;
                        cur.code = code;
                        if state == State::Processing {
                            prop_assert_eq!(status_code(cur, now), code, "reported with the code it carries");
                        }
                        if state.is_final() { final_seen = Some((state, code)); }
                    }
                    Decision::Reject(code) => {
                        if let Some((st, c)) = final_seen {
                            prop_assert_eq!(code, if st == State::Success { ErrorCode::ALREADY_SUCCEEDED } else { c });
                        }
                    }
                }
            }
        }

        #[test]
        fn overdue_pending_orders_only_expire(ev in event(), late in 0i64..1_000) {
            let cur = Current { state: State::Pending, code: ErrorCode::PENDING, expires_at_ms: 1_000 };
            match decide(cur, ev, 1_000 + late) {
                Decision::Change { state, .. } => prop_assert_eq!(state, State::Expired),
                Decision::Reject(code) => prop_assert_eq!(code, ErrorCode::INVALID_PARAMS),
            }
        }
    }

    #[test]
    fn table() {
        let p = Current { state: State::Pending, code: ErrorCode::PENDING, expires_at_ms: 100 };
        let pr = Current { state: State::Processing, code: ErrorCode::PROCESSING, expires_at_ms: 100 };
        assert_eq!(decide(p, Event::Succeed, 0), Decision::Change { state: State::Success, code: ErrorCode(0) });
        assert_eq!(decide(p, Event::Cancel, 0), Decision::Change { state: State::Cancelled, code: ErrorCode(38) });
        assert_eq!(decide(pr, Event::Cancel, 0), Decision::Reject(ErrorCode(34)));
        assert_eq!(decide(pr, Event::Succeed, 500), Decision::Change { state: State::Success, code: ErrorCode(0) });
        assert_eq!(decide(p, Event::Fail(ErrorCode(0)), 0), Decision::Reject(ErrorCode(1)));
        assert_eq!(
            decide(p, Event::Fail(ErrorCode(61)), 0),
            Decision::Change { state: State::Failed, code: ErrorCode(61) }
        );
        let done = Current { state: State::Success, code: ErrorCode(0), expires_at_ms: 100 };
        assert_eq!(decide(done, Event::Cancel, 0), Decision::Reject(ErrorCode(41)));
        let exp = Current { state: State::Expired, code: ErrorCode(77), expires_at_ms: 100 };
        assert_eq!(decide(exp, Event::Succeed, 0), Decision::Reject(ErrorCode(77)));
        assert_eq!(status_code(p, 99), ErrorCode(35));
        assert_eq!(status_code(p, 100), ErrorCode(77));
        assert_eq!(status_code(pr, 1_000), ErrorCode(34));
    }

    #[test]
    fn processing_keeps_the_code_the_bank_answered() {
        let p = Current { state: State::Pending, code: ErrorCode::PENDING, expires_at_ms: 100 };
        for code in PROCESSING_CODES {
            let Decision::Change { state, code: kept } = decide(p, Event::ProcessAs(code), 0) else {
                panic!("{code:?} starts processing");
            };
            assert_eq!((state, kept), (State::Processing, code));
            let pr = Current { state, code: kept, expires_at_ms: 100 };
            assert_eq!(status_code(pr, 1_000), code, "reported until the bank decides, past the lifetime too");
            assert_eq!(decide(pr, Event::Cancel, 0), Decision::Reject(code));
            assert_eq!(decide(pr, Event::ProcessAs(ErrorCode(34)), 0), Decision::Reject(code));
            assert_eq!(decide(pr, Event::StartProcessing, 0), Decision::Reject(code));
            assert_eq!(decide(pr, Event::Succeed, 500), Decision::Change { state: State::Success, code: ErrorCode(0) });
            assert_eq!(
                decide(pr, Event::Fail(ErrorCode(72)), 500),
                Decision::Change { state: State::Failed, code: ErrorCode(72) }
            );
        }
        assert_eq!(decide(p, Event::ProcessAs(ErrorCode(0)), 0), Decision::Reject(ErrorCode(1)));
        assert_eq!(decide(p, Event::ProcessAs(ErrorCode(61)), 500), Decision::Reject(ErrorCode(1)));
        assert_eq!(
            decide(p, Event::StartProcessing, 0),
            Decision::Change { state: State::Processing, code: ErrorCode(34) }
        );
        // A processing order stored with any other code is still reported as 34.
        let odd = Current { state: State::Processing, code: ErrorCode(0), expires_at_ms: 100 };
        assert_eq!(status_code(odd, 0), ErrorCode(34));
    }
}
