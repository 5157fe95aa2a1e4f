//! What the hosted checkout's steps do to an order: the customer's choices, the card
//! handed to the issuer, the OTP, "back" and cancel, and the payments an issuer left
//! undecided (34, 35 or 99) until it decides.
//!
//! The checkout (an entry point) renders pages and reads forms; every rule about
//! what a step may change lives here, testable without HTTP:
//! - the progress is stored (never in a node's memory), so any node serves the next
//!   page;
//! - only first 6 + last 4 of a card number are ever kept;
//! - the issuer decides about a card (a gateway without one answers
//!   [`CardOutcome::NotConnected`]);
//! - wrong OTPs count per transaction, whatever card is tried, and the
//!   [`MAX_OTP_ATTEMPTS`]th fails the payment with 39;
//! - every outcome is applied with [`Gateway::settle`].

use super::{CoreError, Gateway, SettleDetails, Settlement, now_ms};
use crate::acquirer::Verdict;
use crate::domain::card::{CardData, Field, MAX_OTP_ATTEMPTS, MonthYear, mask};
use crate::domain::checkout::card_details;
use crate::domain::order::{Event, PROCESSING_CODES, State};
use crate::domain::records::{CardRecord, Checkout, Order, PendingCard};
use appotapay_protocol::{BankCode, ErrorCode, PaymentMethod};

/// What submitting card data did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardOutcome {
    /// The issuer found the data wrong: show `code` on `field`; nothing was stored.
    Invalid(Field, ErrorCode),
    /// No issuer is connected: nothing can be charged.
    NotConnected,
    /// The issuer sent an OTP; the card (masked) awaits it.
    OtpSent,
}

/// What submitting an OTP did.
#[derive(Clone, Debug)]
pub enum OtpOutcome {
    /// Wrong (21): the transaction has used this many of its attempts.
    Wrong {
        /// Wrong OTPs so far, for this transaction.
        used: u32,
    },
    /// The payment was settled (or another request decided first): the attempt's
    /// result, `None` if the order vanished.
    Settled(Option<Box<Settlement>>),
}

impl Gateway {
    /// The checkout progress of an order, if the customer started.
    pub async fn checkout(&self, trans_id: &str) -> Result<Option<Checkout>, CoreError> {
        Ok(self.store.get_checkout(trans_id).await?)
    }

    /// The customer chose `method` (`ATM` or `CC`) for an `ALL` order: a new choice
    /// of bank and card follows. `false`: not applicable (the order is not a
    /// pending `ALL` order, or the method is not a card method).
    pub async fn choose_method(
        &self,
        order: &Order,
        checkout: Option<&Checkout>,
        method: PaymentMethod,
    ) -> Result<bool, CoreError> {
        let card_method = matches!(method, PaymentMethod::Atm | PaymentMethod::Cc);
        if order.state != State::Pending || order.payment_method != PaymentMethod::All || !card_method {
            return Ok(false);
        }
        let mut co = progress(order, checkout);
        co.method = Some(method);
        co.bank_code = None;
        co.card = None;
        self.save_progress(co).await?;
        self.note_step(order, format!("method chosen: {}", method.as_str())).await;
        Ok(true)
    }

    /// The customer chose a bank (ATM) or brand (CC) that `method` accepts.
    pub async fn choose_bank(
        &self,
        order: &Order,
        checkout: Option<&Checkout>,
        method: PaymentMethod,
        bank: BankCode,
    ) -> Result<bool, CoreError> {
        if order.state != State::Pending || !method.accepts(bank) {
            return Ok(false);
        }
        let mut co = progress(order, checkout);
        co.bank_code = Some(bank);
        self.save_progress(co).await?;
        self.note_step(order, format!("bank chosen: {}", bank.as_str())).await;
        Ok(true)
    }

    /// The month a card's date is checked against for the number the customer
    /// typed (the issuer may know better than the calendar).
    pub fn card_month(&self, typed_number: &str, today: MonthYear) -> MonthYear {
        self.acquirer.checked_month(typed_number, today)
    }

    /// Hands card data (already validated by the checkout) to the issuer; on its go,
    /// stores the masked card with the outcome the issuer decided, awaiting the OTP.
    pub async fn submit_card(
        &self,
        order: &Order,
        checkout: Option<&Checkout>,
        card: &CardData,
        bank: BankCode,
    ) -> Result<CardOutcome, CoreError> {
        let outcome = match self.acquirer.authorize(card).await {
            Verdict::Invalid(field, code) => return Ok(CardOutcome::Invalid(field, code)),
            Verdict::NotConnected => return Ok(CardOutcome::NotConnected),
            Verdict::SendOtp { outcome } => outcome,
        };
        let mut co = progress(order, checkout);
        co.card = Some(PendingCard {
            card: CardRecord {
                number_masked: mask(&card.number),
                date: card.date.to_string(),
                name: card.holder.clone(),
                country: "VN".to_owned(),
            },
            bank_code: bank,
            outcome,
        });
        self.save_progress(co).await?;
        self.note_step(order, format!("card submitted: {}, OTP sent", mask(&card.number))).await;
        Ok(CardOutcome::OtpSent)
    }

    /// The customer entered `otp` for the card awaiting it (`checkout.card`). A right
    /// OTP applies the issuer's outcome (an undecided one, 34, 35 or 99, makes the
    /// order processing with that code, settled later by
    /// [`settle_due_processing`](Self::settle_due_processing)); a wrong one counts,
    /// and the [`MAX_OTP_ATTEMPTS`]th fails the payment with 39.
    pub async fn submit_otp(&self, order: &Order, checkout: &Checkout, otp: &str) -> Result<OtpOutcome, CoreError> {
        let Some(card) = &checkout.card else { return Ok(OtpOutcome::Settled(None)) };
        let details = card_details(order, checkout);
        if !self.acquirer.confirm_otp(otp).await {
            let used = self.store.add_wrong_otp(&checkout.trans_id, now_ms()).await?;
            self.note_step(order, format!("wrong OTP ({used} of {MAX_OTP_ATTEMPTS})")).await;
            if used >= MAX_OTP_ATTEMPTS {
                let settled =
                    self.settle_order(order.clone(), Event::Fail(ErrorCode::TOO_MANY_WRONG_OTP), details).await?;
                return Ok(OtpOutcome::Settled(settled.map(Box::new)));
            }
            return Ok(OtpOutcome::Wrong { used });
        }
        self.note_step(order, "OTP confirmed".to_owned()).await;
        let event = match card.outcome {
            ErrorCode::SUCCESS => Event::Succeed,
            code if PROCESSING_CODES.contains(&code) => {
                // Due time first: a crash between the two writes must not leave a
                // processing payment that nothing will ever settle.
                let mut co = checkout.clone();
                let now = now_ms();
                let delay = i64::try_from(self.acquirer.processing_delay().as_millis()).unwrap_or(i64::MAX);
                co.process_due_ms = Some(now.saturating_add(delay));
                co.updated_at_ms = now;
                self.store.put_checkout(&co).await?;
                Event::ProcessAs(code)
            }
            code => Event::Fail(code),
        };
        Ok(OtpOutcome::Settled(self.settle_order(order.clone(), event, details).await?.map(Box::new)))
    }

    /// Undoes the customer's last step: the card awaiting its OTP, then the bank,
    /// then the method.
    pub async fn step_back(&self, order: &Order, checkout: Option<&Checkout>) -> Result<(), CoreError> {
        let Some(co) = checkout.filter(|_| order.state == State::Pending) else { return Ok(()) };
        let mut co = co.clone();
        if co.card.is_some() {
            co.card = None;
        } else if co.bank_code.is_some() {
            co.bank_code = None;
        } else {
            co.method = None;
        }
        self.save_progress(co).await?;
        self.note_step(order, "stepped back".to_owned()).await;
        Ok(())
    }

    /// The customer cancels (38); a card awaiting its OTP is recorded with it.
    pub async fn cancel(&self, order: &Order, checkout: Option<&Checkout>) -> Result<Option<Settlement>, CoreError> {
        let details = match checkout {
            Some(co) if co.card.is_some() => card_details(order, co),
            _ => SettleDetails::default(),
        };
        self.settle_order(order.clone(), Event::Cancel, details).await
    }

    /// Settles the payments an issuer left undecided whose time has come, as the
    /// issuer then decides (the sandbox's `…0034` and `…0035` cards succeed after
    /// `sandbox_processing_delay`, `…0099` fails with 72). Run by the sweeper on every
    /// node; the state machine's compare-and-set lets only one node win each.
    pub async fn settle_due_processing(&self) -> Result<usize, CoreError> {
        let due = self.store.due_processing(now_ms(), 200).await?;
        let mut n = 0;
        for co in due {
            let Some(order) = self.store.get_order(&co.trans_id).await? else { continue };
            let details = card_details(&order, &co);
            let interim = co.card.as_ref().map_or(ErrorCode::PROCESSING, |c| c.outcome);
            let event = match self.acquirer.processing_outcome(interim).await {
                ErrorCode::SUCCESS => Event::Succeed,
                code => Event::Fail(code),
            };
            if let Some(Settlement::Changed(_)) = self.settle_order(order, event, details).await? {
                n += 1;
            }
        }
        Ok(n)
    }

    async fn save_progress(&self, mut co: Checkout) -> Result<(), CoreError> {
        co.updated_at_ms = now_ms();
        Ok(self.store.put_checkout(&co).await?)
    }
}

/// The order's progress as stored, or a fresh one.
fn progress(order: &Order, checkout: Option<&Checkout>) -> Checkout {
    checkout.cloned().unwrap_or_else(|| Checkout::new(&order.trans_id, now_ms()))
}
