//! Settlements on demand, for merchants' automated tests: only with a simulated bank
//! (the sandbox acquirer). Without one, every call answers
//! [`Completion::NoSimulator`] and the helper routes are not even mounted.

use super::{CoreError, Gateway, Partner, SettleDetails, Settlement};
use crate::domain::order::Event;
use appotapay_protocol::ErrorCode;

/// What asking for a settlement did.
#[derive(Clone, Debug)]
pub enum Completion {
    /// No simulated bank: nothing can be settled on demand.
    NoSimulator,
    /// No such transaction, or another partner's (36).
    UnknownTransaction,
    /// The code asked for is not 0, 38, 77 or a decline code (1).
    UnsupportedCode,
    /// The settlement attempt's result.
    Attempted(Box<Settlement>),
}

/// The event a requested outcome stands for: 0 succeeds, 38 cancels, 77 expires,
/// a decline code fails with it; `None` for anything else.
pub fn event_for(code: ErrorCode) -> Option<Event> {
    match code {
        ErrorCode::SUCCESS => Some(Event::Succeed),
        ErrorCode::CANCELLED => Some(Event::Cancel),
        ErrorCode::PAYMENT_EXPIRED => Some(Event::Expire),
        c if appotapay_protocol::DECLINE_CODES.contains(&c) => Some(Event::Fail(c)),
        _ => None,
    }
}

impl Gateway {
    /// Settles `partner`'s transaction `trans_id` with the outcome `code`, as the
    /// simulated bank: a success records what the simulator says a customer would
    /// have used (for an `ALL` order: a method, a bank and, for cards, the sandbox
    /// card).
    pub async fn simulate_completion(
        &self,
        partner: &Partner,
        trans_id: &str,
        code: ErrorCode,
    ) -> Result<Completion, CoreError> {
        let Some(sim) = self.simulator() else { return Ok(Completion::NoSimulator) };
        let Some(order) = self.partner_order(&partner.code, trans_id).await? else {
            return Ok(Completion::UnknownTransaction);
        };
        let Some(event) = event_for(code) else { return Ok(Completion::UnsupportedCode) };
        let details = if event == Event::Succeed { sim.success_details(&order) } else { SettleDetails::default() };
        Ok(match self.settle_order(order, event, details).await? {
            Some(s) => Completion::Attempted(Box::new(s)),
            None => Completion::UnknownTransaction,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_map_to_events() {
        assert_eq!(event_for(ErrorCode::SUCCESS), Some(Event::Succeed));
        assert_eq!(event_for(ErrorCode::CANCELLED), Some(Event::Cancel));
        assert_eq!(event_for(ErrorCode::PAYMENT_EXPIRED), Some(Event::Expire));
        assert_eq!(event_for(ErrorCode::DECLINED), Some(Event::Fail(ErrorCode::DECLINED)));
        assert_eq!(event_for(ErrorCode::TOO_MANY_WRONG_OTP), Some(Event::Fail(ErrorCode::TOO_MANY_WRONG_OTP)));
        assert_eq!(event_for(ErrorCode::PENDING), None);
        assert_eq!(event_for(ErrorCode::ALREADY_SUCCEEDED), None);
    }
}
