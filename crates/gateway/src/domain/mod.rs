//! The domain: the gateway's types and rules, pure.
//!
//! Nothing here does I/O, reads a clock or knows an entry point; everything here may
//! be used by every other part of the gateway, and it imports only
//! `appotapay-protocol` (and small pure crates). The rules that decide about money
//! live here once, so they can be property-tested without a database or HTTP:
//! - [`order`]: the order state machine ([`order::decide`]);
//! - [`refund`]: the refund state machine, the ledger and the admission rule;
//! - [`calendar`]: Vietnam's calendar and clock (UTC+7);
//! - [`card`]: card brands, Luhn, the card month, masking;
//! - [`conformance`]: the IPN conformance runner's cases and verdicts;
//! - [`credit`]: bank accounts, bank feeds, and when a reported transfer pays a QR
//!   order ([`credit::judge`]);
//! - [`records`]: the records the store keeps and the core decides about;
//! - [`delivery`]: how IPN deliveries stand and how attempts end;
//! - [`outbound`]: which addresses IPNs may reach;
//! - [`test_kit`]: the sandbox's delivery faults and test clocks;
//! - [`idempotency`]: what a request with a used `Idempotency-Key` gets;
//! - [`signature_debug`]: which common mistake explains a signature that failed
//!   (the sandbox's signature debugger);
//! - [`request_log`]: what the sandbox's request log keeps of a call, masked;
//! - [`console`]: admin tokens and roles, the audit log, order timelines, and the
//!   failing IPNs grouped by partner and URL.
//! - [`stats`]: the operator's overview: windows, buckets, latency percentiles.

pub mod calendar;
pub mod card;
pub mod checkout;
pub mod conformance;
pub mod console;
pub mod credit;
pub mod delivery;
pub mod idempotency;
pub mod order;
pub mod outbound;
pub mod records;
pub mod refund;
pub mod request_log;
pub mod signature_debug;
pub mod stats;
pub mod test_kit;
