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

use appotapay_protocol::ErrorCode;
use std::fmt;

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// Created, the customer has not paid yet (status code 35).
    Pending,
    /// The bank is handling it (status code 34).
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

/// What happened to an order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// The bank accepted the payment for processing.
    StartProcessing,
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
        State::Processing => ErrorCode::PROCESSING,
        _ => current.code,
    }
}

/// Decides what `event` does to an order in `current` at `now_ms`.
///
/// - A final order never changes: success answers 41, other final states their own code.
/// - A pending order past its lifetime can only expire: any event expires it (77).
/// - A processing order is the bank's: it does not expire by time, and the customer can
///   no longer cancel it (34).
/// - `Fail` needs a decline code (spec §8); anything else is rejected with 1.
pub fn decide(current: Current, event: Event, now_ms: i64) -> Decision {
    use Decision::{Change, Reject};
    // Only the two live states go on; a final state answers and never changes.
    let processing = match current.state {
        State::Pending => false,
        State::Processing => true,
        State::Success => return Reject(ErrorCode::ALREADY_SUCCEEDED),
        State::Failed | State::Cancelled | State::Expired => return Reject(current.code),
    };
    if let Event::Fail(code) = event {
        if !appotapay_protocol::DECLINE_CODES.contains(&code) {
            return Reject(ErrorCode::INVALID_PARAMS);
        }
    }
    if !processing && now_ms >= current.expires_at_ms {
        return Change { state: State::Expired, code: ErrorCode::PAYMENT_EXPIRED };
    }
    match (processing, event) {
        (false, Event::StartProcessing) => Change { state: State::Processing, code: ErrorCode::PROCESSING },
        (true, Event::StartProcessing) => Reject(ErrorCode::PROCESSING),
        (_, Event::Succeed) => Change { state: State::Success, code: ErrorCode::SUCCESS },
        (_, Event::Fail(code)) => Change { state: State::Failed, code },
        (false, Event::Cancel) => Change { state: State::Cancelled, code: ErrorCode::CANCELLED },
        (true, Event::Cancel) => Reject(ErrorCode::PROCESSING),
        (_, Event::Expire) => Change { state: State::Expired, code: ErrorCode::PAYMENT_EXPIRED },
    }
}

/// The code every state must carry: the invariant [`decide`] keeps.
pub fn code_fits_state(state: State, code: ErrorCode) -> bool {
    match state {
        State::Pending => code == ErrorCode::PENDING,
        State::Processing => code == ErrorCode::PROCESSING,
        State::Success => code == ErrorCode::SUCCESS,
        State::Failed => appotapay_protocol::DECLINE_CODES.contains(&code),
        State::Cancelled => code == ErrorCode::CANCELLED,
        State::Expired => code == ErrorCode::PAYMENT_EXPIRED,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            Just(Event::StartProcessing),
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
}
