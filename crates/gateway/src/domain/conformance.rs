//! The IPN conformance runner's cases and verdicts, pure.
//!
//! Merchants' IPN handlers fail in known ways: they acknowledge forged or
//! wrong-amount notifications, fulfil an order twice on a retried IPN, or answer
//! something AppotaPay does not count as an acknowledgement and get retried. The
//! runner sends a merchant's IPN URL one notification per [`Case`], each exactly as
//! the IPN worker would, and judges the answer here. Only HTTP 200 with
//! `{"status":"ok"}` counts as acknowledged, as for real deliveries.
//!
//! Cases marked [`Expect::Ack`] or [`Expect::NoAck`] must pass for the run to pass;
//! [`Expect::Observe`] cases and the answers' form (slow, a redirect, 200 with
//! another body) only give warnings.

use appotapay_protocol::messages::sandbox::{
    CaseAnswer, CaseReport, CaseWarning, ConformanceCounts, ConformanceReport,
};
use async_trait::async_trait;
use std::fmt::Write as _;
use std::time::Duration;

/// The fix for a notification that got no answer.
pub const NO_ANSWER_HINT: &str = "no answer came within the timeout (or the connection failed): answer every \
     notification, quickly, with {\"status\":\"ok\"} when it is genuine and an error status when it is not";

/// An answer slower than this is a warning.
pub const SLOW: Duration = Duration::from_secs(5);

/// One notification the runner sends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Case {
    /// 1. A valid success notification for the order.
    Valid,
    /// 2. The same notification again (a retry).
    Retry,
    /// 3. A wrong signature.
    WrongSignature,
    /// 4. No signature.
    MissingSignature,
    /// 5. Signed with another secret.
    OtherSecret,
    /// 6. The amount changed after signing.
    TamperedAmount,
    /// 7. Correctly signed, for an orderId the merchant never created.
    UnknownOrder,
    /// 8. Correctly signed, with an amount that differs from the order's.
    WrongAmount,
    /// 9. Correctly signed, for another partnerCode and apiKey.
    OtherPartner,
    /// 10. A body that is not JSON.
    NotJson,
    /// 11. Required fields missing.
    MissingFields,
    /// 15. A failure notification (errorCode ≠ 0) for the order.
    Failure,
}

/// What a case must get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Must be acknowledged.
    Ack,
    /// Must not be acknowledged.
    NoAck,
    /// Reported only.
    Observe,
}

impl Expect {
    /// The name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Expect::Ack => "must acknowledge",
            Expect::NoAck => "must not acknowledge",
            Expect::Observe => "observed",
        }
    }
}

impl Case {
    /// The order they are sent in: every forgery before the genuine notification,
    /// so that a handler that takes a forgery shows it before it has seen the real
    /// one; the failure notification last, after the success (a correct handler
    /// acknowledges it and keeps the order paid: the gateway never sends a success
    /// after a failure, so the reverse order would test nothing real).
    pub const ALL: [Case; 12] = [
        Case::WrongSignature,
        Case::MissingSignature,
        Case::OtherSecret,
        Case::TamperedAmount,
        Case::UnknownOrder,
        Case::WrongAmount,
        Case::OtherPartner,
        Case::NotJson,
        Case::MissingFields,
        Case::Valid,
        Case::Retry,
        Case::Failure,
    ];

    /// The number in the documentation (1–11, 15).
    pub fn number(self) -> u8 {
        match self {
            Case::Valid => 1,
            Case::Retry => 2,
            Case::WrongSignature => 3,
            Case::MissingSignature => 4,
            Case::OtherSecret => 5,
            Case::TamperedAmount => 6,
            Case::UnknownOrder => 7,
            Case::WrongAmount => 8,
            Case::OtherPartner => 9,
            Case::NotJson => 10,
            Case::MissingFields => 11,
            Case::Failure => 15,
        }
    }

    /// A short identifier (reports, JUnit test names).
    pub fn id(self) -> &'static str {
        match self {
            Case::Valid => "valid_success",
            Case::Retry => "retried_success",
            Case::WrongSignature => "wrong_signature",
            Case::MissingSignature => "missing_signature",
            Case::OtherSecret => "signed_with_another_secret",
            Case::TamperedAmount => "amount_changed_after_signing",
            Case::UnknownOrder => "unknown_order_id",
            Case::WrongAmount => "amount_differs_from_the_order",
            Case::OtherPartner => "another_partner",
            Case::NotJson => "not_json",
            Case::MissingFields => "required_fields_missing",
            Case::Failure => "failure_notification",
        }
    }

    /// What the case sends, in words.
    pub fn title(self) -> &'static str {
        match self {
            Case::Valid => "a valid success notification for the order",
            Case::Retry => "the same notification again (a retry)",
            Case::WrongSignature => "a wrong signature",
            Case::MissingSignature => "the signature missing",
            Case::OtherSecret => "a valid-looking notification signed with another secret",
            Case::TamperedAmount => "the amount changed after signing",
            Case::UnknownOrder => "a correctly signed notification for an orderId the merchant never created",
            Case::WrongAmount => "a correctly signed notification whose amount differs from the order's",
            Case::OtherPartner => "a correctly signed notification for another partnerCode and apiKey",
            Case::NotJson => "a body that is not JSON",
            Case::MissingFields => "required fields missing (orderId, amount)",
            Case::Failure => "a failure notification (errorCode 61) for the order, after its success",
        }
    }

    /// What the merchant's handler must do.
    pub fn expect(self) -> Expect {
        match self {
            Case::Valid | Case::Retry => Expect::Ack,
            Case::Failure => Expect::Observe,
            _ => Expect::NoAck,
        }
    }

    /// The one-line fix when the case fails.
    pub fn hint(self) -> &'static str {
        match self {
            Case::Valid => {
                "answer HTTP 200 with exactly {\"status\":\"ok\"} once the notification verifies and the order is \
                 updated; anything else is retried"
            }
            Case::Retry => {
                "a retried notification must be acknowledged again: look the order up, see it is already paid, \
                 and answer {\"status\":\"ok\"} without fulfilling it twice"
            }
            Case::WrongSignature | Case::MissingSignature | Case::OtherSecret | Case::TamperedAmount => {
                "verify the signature (HMAC-SHA256 with your secret key over the documented fields, compared in \
                 constant time) before anything else, and refuse the notification when it does not match"
            }
            Case::UnknownOrder => "look the orderId up in your own orders and refuse one you never created",
            Case::WrongAmount => "compare the notified amount with your order's amount and refuse a difference",
            Case::OtherPartner => "check that partnerCode and apiKey are yours before trusting the notification",
            Case::NotJson => "refuse a body that is not a JSON object instead of acknowledging it",
            Case::MissingFields => "refuse a notification without orderId, amount or errorCode",
            Case::Failure => {
                "a failure notification (errorCode other than 0) was acknowledged: fine, if your handler neither \
                 treated it as paid nor undid the payment it had recorded — only errorCode 0 means paid, and a paid \
                 order stays paid"
            }
        }
    }
}

/// What came back from one POST.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Answer {
    /// HTTP status, if an answer came.
    pub http_status: Option<u16>,
    /// The start of the answer's body.
    pub body: String,
    /// Why no (complete) answer came.
    pub error: Option<String>,
    /// Whether it was HTTP 200 with `{"status":"ok"}`.
    pub acknowledged: bool,
    /// How long it took.
    pub elapsed: Duration,
}

/// A case's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// As it must be.
    Pass,
    /// Not as it must be (the run fails).
    Fail,
    /// Reported: look at it.
    Warn,
}

impl Verdict {
    /// The name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Warn => "warning",
        }
    }
}

/// A warning about the answer's form, whatever the case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Warning {
    /// 12. Slower than [`SLOW`].
    Slow,
    /// 13. HTTP 200 with another body than `{"status":"ok"}`.
    OtherBody,
    /// 14. A redirect.
    Redirect,
}

impl Warning {
    /// The number in the documentation.
    pub fn number(self) -> u8 {
        match self {
            Warning::Slow => 12,
            Warning::OtherBody => 13,
            Warning::Redirect => 14,
        }
    }

    /// What it means and what to do.
    pub fn text(self) -> &'static str {
        match self {
            Warning::Slow => "the answer took longer than 5 s: answer first, do slow work after",
            Warning::OtherBody => {
                "HTTP 200 with another body than {\"status\":\"ok\"} (e.g. {\"message\":\"ok\"}): AppotaPay counts \
                 it as a failure and retries"
            }
            Warning::Redirect => "a redirect: notifications do not follow redirects; serve the IPN URL itself",
        }
    }
}

/// A case as it ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseResult {
    /// The case.
    pub case: Case,
    /// The body sent.
    pub sent: String,
    /// What came back.
    pub answer: Answer,
    /// The verdict.
    pub verdict: Verdict,
    /// Warnings about the answer's form.
    pub warnings: Vec<Warning>,
    /// The fix, when the verdict is not a pass.
    pub hint: Option<&'static str>,
}

/// Judges a case's answer.
pub fn judge(case: Case, sent: String, answer: Answer) -> CaseResult {
    // No answer at all proves nothing about a refusal: a handler must answer every
    // notification, and one that answers too late (after the timeout) may well have
    // acknowledged it.
    let answered = answer.http_status.is_some();
    let verdict = match (case.expect(), answer.acknowledged) {
        (Expect::NoAck, false) if !answered => Verdict::Fail,
        (Expect::Ack, true) | (Expect::NoAck, false) | (Expect::Observe, false) => Verdict::Pass,
        (Expect::Ack, false) | (Expect::NoAck, true) => Verdict::Fail,
        (Expect::Observe, true) => Verdict::Warn,
    };
    let mut warnings = Vec::new();
    if answer.elapsed > SLOW {
        warnings.push(Warning::Slow);
    }
    if answer.http_status == Some(200) && !answer.acknowledged && answer.error.is_none() {
        warnings.push(Warning::OtherBody);
    }
    if answer.http_status.is_some_and(|s| (300..400).contains(&s)) {
        warnings.push(Warning::Redirect);
    }
    let hint = match verdict {
        Verdict::Pass => None,
        Verdict::Fail if !answered => Some(NO_ANSWER_HINT),
        _ => Some(case.hint()),
    };
    CaseResult { case, sent, answer, verdict, warnings, hint }
}

/// A whole run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The partner's orderId.
    pub order_id: String,
    /// The order.
    pub trans_id: String,
    /// Where the notifications went.
    pub notify_url: String,
    /// Every case, in the order sent.
    pub cases: Vec<CaseResult>,
    /// Whether the order was then settled as a success through the normal path (its
    /// real IPN follows).
    pub settled: bool,
}

impl Report {
    /// Whether every case that must pass passed.
    pub fn passed(&self) -> bool {
        self.cases.iter().all(|c| c.verdict != Verdict::Fail)
    }

    /// Counts: passed, failed, warnings (cases with a warning verdict or a warning
    /// about the answer's form).
    pub fn counts(&self) -> (usize, usize, usize) {
        let failed = self.cases.iter().filter(|c| c.verdict == Verdict::Fail).count();
        let passed = self.cases.iter().filter(|c| c.verdict == Verdict::Pass).count();
        let warned = self.cases.iter().filter(|c| c.verdict == Verdict::Warn || !c.warnings.is_empty()).count();
        (passed, failed, warned)
    }

    /// The report as its wire type (the sandbox API's and the `--format json` shape).
    pub fn to_wire(&self) -> ConformanceReport {
        let (passed, failed, warned) = self.counts();
        ConformanceReport {
            order_id: self.order_id.clone(),
            appotapay_trans_id: self.trans_id.clone(),
            notify_url: self.notify_url.clone(),
            passed: self.passed(),
            counts: ConformanceCounts { passed, failed, warnings: warned },
            settled: self.settled,
            cases: self
                .cases
                .iter()
                .map(|c| CaseReport {
                    number: c.case.number(),
                    id: c.case.id().to_owned(),
                    title: c.case.title().to_owned(),
                    expect: c.case.expect().as_str().to_owned(),
                    verdict: c.verdict.as_str().to_owned(),
                    sent: c.sent.clone(),
                    answer: CaseAnswer {
                        http_status: c.answer.http_status,
                        body: c.answer.body.clone(),
                        error: c.answer.error.clone(),
                        acknowledged: c.answer.acknowledged,
                        elapsed_ms: u64::try_from(c.answer.elapsed.as_millis()).unwrap_or(u64::MAX),
                    },
                    warnings: c
                        .warnings
                        .iter()
                        .map(|w| CaseWarning { number: w.number(), text: w.text().to_owned() })
                        .collect(),
                    hint: c.hint.map(str::to_owned),
                })
                .collect(),
        }
    }

    /// The report as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.to_wire()).unwrap_or(serde_json::Value::Null)
    }

    /// The report for a person.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let (passed, failed, warned) = self.counts();
        let _ = writeln!(out, "IPN conformance of {} (order {}, {})", self.notify_url, self.order_id, self.trans_id);
        for c in &self.cases {
            let mark = match c.verdict {
                Verdict::Pass => "PASS",
                Verdict::Fail => "FAIL",
                Verdict::Warn => "WARN",
            };
            let answer = match (&c.answer.http_status, &c.answer.error) {
                (Some(s), _) => format!("HTTP {s} {}", one_line(&c.answer.body, 80)),
                (None, Some(e)) => format!("no answer: {e}"),
                (None, None) => "no answer".to_owned(),
            };
            let _ = writeln!(
                out,
                "{mark} {:>2}. {} [{}] -> {answer} ({} ms)",
                c.case.number(),
                c.case.title(),
                c.case.expect().as_str(),
                c.answer.elapsed.as_millis()
            );
            if let Some(h) = c.hint {
                let _ = writeln!(out, "        fix: {h}");
            }
            for w in &c.warnings {
                let _ = writeln!(out, "        warning {}: {}", w.number(), w.text());
            }
        }
        let _ = writeln!(out, "{passed} passed, {failed} failed, {warned} with warnings");
        if self.settled {
            let _ = writeln!(out, "the order was then settled as a success: its real IPN follows");
        }
        let _ = writeln!(out, "{}", if self.passed() { "RESULT: PASS" } else { "RESULT: FAIL" });
        out
    }

    /// The report as JUnit XML, for a merchant's CI: one test case per case, a
    /// failure for a failed one, warnings in `system-out`.
    pub fn to_junit(&self) -> String {
        let (_, failed, _) = self.counts();
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            out,
            "<testsuite name=\"appotapay-ipn-conformance\" tests=\"{}\" failures=\"{failed}\" errors=\"0\">",
            self.cases.len()
        );
        for c in &self.cases {
            let secs = c.answer.elapsed.as_secs_f64();
            let _ = writeln!(
                out,
                "  <testcase classname=\"ipn.{}\" name=\"{:02}_{}\" time=\"{secs:.3}\">",
                xml(&self.notify_url),
                c.case.number(),
                c.case.id()
            );
            if c.verdict == Verdict::Fail {
                let _ = writeln!(
                    out,
                    "    <failure message=\"{}\">sent: {}\nanswer: HTTP {} {}</failure>",
                    xml(c.hint.unwrap_or_default()),
                    xml(&c.sent),
                    c.answer.http_status.map_or_else(|| "-".to_owned(), |s| s.to_string()),
                    xml(c.answer.error.as_deref().unwrap_or(&c.answer.body))
                );
            }
            let mut notes: Vec<String> =
                c.warnings.iter().map(|w| format!("warning {}: {}", w.number(), w.text())).collect();
            if c.verdict == Verdict::Warn {
                notes.push(format!("warning 15: {}", c.case.hint()));
            }
            if !notes.is_empty() {
                let _ = writeln!(out, "    <system-out>{}</system-out>", xml(&notes.join("\n")));
            }
            out.push_str("  </testcase>\n");
        }
        out.push_str("</testsuite>\n");
        out
    }
}

fn one_line(s: &str, max: usize) -> String {
    let flat: String = s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect();
    if flat.chars().count() > max { format!("{}…", flat.chars().take(max).collect::<String>()) } else { flat }
}

/// Text escaped for XML attributes and content.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() && c != '\n' && c != '\t' => {}
            c => out.push(c),
        }
    }
    out
}

/// Sends one notification to the merchant, exactly as the IPN worker does.
#[async_trait]
pub trait Poster: Send + Sync {
    /// POSTs `body` to `url` and returns what came back.
    async fn post(&self, url: &str, body: Vec<u8>) -> Answer;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, body: &str, acknowledged: bool) -> Answer {
        Answer { http_status: Some(status), body: body.into(), error: None, acknowledged, elapsed: Duration::ZERO }
    }

    #[test]
    fn verdicts() {
        let ok = answer(200, r#"{"status":"ok"}"#, true);
        let refused = answer(400, "bad signature", false);
        assert_eq!(judge(Case::Valid, String::new(), ok.clone()).verdict, Verdict::Pass);
        assert_eq!(judge(Case::Valid, String::new(), refused.clone()).verdict, Verdict::Fail);
        assert_eq!(judge(Case::WrongSignature, String::new(), ok.clone()).verdict, Verdict::Fail);
        assert_eq!(judge(Case::WrongSignature, String::new(), refused.clone()).verdict, Verdict::Pass);
        assert_eq!(judge(Case::Failure, String::new(), ok).verdict, Verdict::Warn);
        assert_eq!(judge(Case::Failure, String::new(), refused).verdict, Verdict::Pass);
        let message_ok = judge(Case::Valid, String::new(), answer(200, r#"{"message":"ok"}"#, false));
        assert_eq!((message_ok.verdict, message_ok.warnings.as_slice()), (Verdict::Fail, &[Warning::OtherBody][..]));
        let slow = Answer { elapsed: Duration::from_secs(6), ..answer(200, r#"{"status":"ok"}"#, true) };
        assert_eq!(judge(Case::Valid, String::new(), slow).warnings, [Warning::Slow]);
        let silent = Answer { error: Some("timed out".into()), ..Answer::default() };
        let timed_out = judge(Case::WrongSignature, String::new(), silent);
        assert_eq!((timed_out.verdict, timed_out.hint), (Verdict::Fail, Some(NO_ANSWER_HINT)));
        let moved = judge(Case::Valid, String::new(), answer(302, "", false));
        assert_eq!(moved.warnings, [Warning::Redirect]);
        assert!(moved.hint.is_some());
    }

    #[test]
    fn every_case_once_forgeries_first() {
        let mut numbers: Vec<u8> = Case::ALL.iter().map(|c| c.number()).collect();
        let valid_at = Case::ALL.iter().position(|c| *c == Case::Valid).unwrap_or(0);
        assert!(Case::ALL[..valid_at].iter().all(|c| c.expect() == Expect::NoAck));
        assert_eq!(Case::ALL.last(), Some(&Case::Failure));
        numbers.sort_unstable();
        assert_eq!(numbers, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 15]);
    }

    #[test]
    fn junit_is_escaped() {
        let r = Report {
            order_id: "o<1>".into(),
            trans_id: "AP1".into(),
            notify_url: "http://x/?a=1&b=\"2\"".into(),
            cases: vec![judge(Case::WrongSignature, "<x>".into(), answer(200, r#"{"status":"ok"}"#, true))],
            settled: false,
        };
        let x = r.to_junit();
        assert!(x.contains("failures=\"1\"") && x.contains("&amp;b=&quot;2&quot;") && x.contains("&lt;x&gt;"), "{x}");
        assert!(!r.passed());
        assert!(r.to_text().contains("RESULT: FAIL"));
    }
}
