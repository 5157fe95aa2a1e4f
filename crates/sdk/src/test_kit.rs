//! The sandbox's merchant test kit from the SDK: the IPN conformance runner, scripted
//! delivery faults and the partner's test clock, as methods of [`SandboxApi`], so
//! that a merchant's own test suite can drive them (see the gateway's README,
//! "Merchant test kit").

use crate::client::{Expect, SandboxApi};
use crate::error::Error;
use appotapay_protocol::messages::sandbox::{
    AdvanceClockRequest, ClockResponse, ConformanceReport, ConformanceRequest, ConformanceResponse,
    DeliveryFaultRequest, DeliveryFaultResponse, DeliveryFaultsResponse,
};
use reqwest::Method;

impl SandboxApi<'_> {
    /// Runs the IPN conformance cases against the notify URL of one of your pending
    /// orders (`POST /api/v1/sandbox/conformance`), then the gateway settles the order
    /// as a success. [`ConformanceReport::passed`] says whether every case that must
    /// pass passed.
    ///
    /// ```no_run
    /// # async fn run(client: appotapay::Client) -> Result<(), appotapay::Error> {
    /// let report = client.sandbox().conformance("order-42", None).await?;
    /// for case in report.cases.iter().filter(|c| c.verdict != "pass") {
    ///     eprintln!("{} {}: {}", case.number, case.title, case.hint.as_deref().unwrap_or(""));
    /// }
    /// assert!(report.passed);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// See [`Error`]; [`Error::Api`] when the order is unknown (36) or not pending (1).
    pub async fn conformance(&self, order_id: &str, notify_url: Option<&str>) -> Result<ConformanceReport, Error> {
        let url = self.client.url(&["api", "v1", "sandbox", "conformance"])?;
        let body = ConformanceRequest { order_id: order_id.to_owned(), notify_url: notify_url.map(str::to_owned) };
        let answer: ConformanceResponse =
            self.client.call(Method::POST, url, Some(&body), None, Expect::Unsigned).await?;
        Ok(answer.report)
    }

    /// Scripts how IPNs are delivered (`POST /api/v1/sandbox/delivery-faults`): twice,
    /// late, or with the first attempt lost, for one order or the next orders.
    ///
    /// ```no_run
    /// # async fn run(client: appotapay::Client) -> Result<(), appotapay::Error> {
    /// use appotapay::protocol::messages::sandbox::DeliveryFaultRequest;
    /// let script = DeliveryFaultRequest { next_orders: Some(3), twice: true, ..Default::default() };
    /// client.sandbox().delivery_fault(&script).await?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// See [`Error`]; [`Error::Api`] for a script the gateway refuses.
    pub async fn delivery_fault(&self, script: &DeliveryFaultRequest) -> Result<DeliveryFaultResponse, Error> {
        let url = self.client.url(&["api", "v1", "sandbox", "delivery-faults"])?;
        self.client.call(Method::POST, url, Some(script), None, Expect::Unsigned).await
    }

    /// The delivery fault scripts still to be used.
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn delivery_faults(&self) -> Result<DeliveryFaultsResponse, Error> {
        let url = self.client.url(&["api", "v1", "sandbox", "delivery-faults"])?;
        self.client.call::<(), _>(Method::GET, url, None, None, Expect::Unsigned).await
    }

    /// Forgets the delivery fault scripts.
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn clear_delivery_faults(&self) -> Result<(), Error> {
        let url = self.client.url(&["api", "v1", "sandbox", "delivery-faults"])?;
        let _: serde_json::Value = self.client.call::<(), _>(Method::DELETE, url, None, None, Expect::Unsigned).await?;
        Ok(())
    }

    /// Your test clock, unix seconds (`GET /api/v1/sandbox/clock`).
    ///
    /// # Errors
    ///
    /// See [`Error`].
    pub async fn clock(&self) -> Result<i64, Error> {
        let url = self.client.url(&["api", "v1", "sandbox", "clock"])?;
        let answer: ClockResponse = self.client.call::<(), _>(Method::GET, url, None, None, Expect::Unsigned).await?;
        Ok(answer.now)
    }

    /// Moves your test clock `seconds` ahead (`POST /api/v1/sandbox/clock/advance`):
    /// your orders expire, IPN retries and refunds happen as if that time had passed.
    /// Your clock afterwards, unix seconds.
    ///
    /// # Errors
    ///
    /// See [`Error`]; [`Error::Api`] (1) outside 1 s to 30 days.
    pub async fn advance_clock(&self, seconds: i64) -> Result<i64, Error> {
        let url = self.client.url(&["api", "v1", "sandbox", "clock", "advance"])?;
        let body = AdvanceClockRequest { seconds };
        let answer: ClockResponse = self.client.call(Method::POST, url, Some(&body), None, Expect::Unsigned).await?;
        Ok(answer.now)
    }
}
