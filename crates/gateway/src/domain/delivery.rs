//! How IPN deliveries stand and how each attempt ended: the states the outbox stores
//! and the outcomes metrics and logs count, as enums with their stored names.

/// Where an IPN's delivery stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeliveryStatus {
    /// Not delivered yet; attempts are due.
    Pending,
    /// The merchant answered `{"status":"ok"}`.
    Delivered,
    /// The retry schedule ran out.
    Failed,
}

impl DeliveryStatus {
    /// Every status.
    pub const ALL: [DeliveryStatus; 3] = [DeliveryStatus::Pending, DeliveryStatus::Delivered, DeliveryStatus::Failed];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryStatus::Pending => "pending",
            DeliveryStatus::Delivered => "delivered",
            DeliveryStatus::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<DeliveryStatus> {
        DeliveryStatus::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// How one IPN attempt ended, as metrics and logs name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IpnOutcome {
    /// HTTP 200 with `{"status":"ok"}`.
    Delivered,
    /// The outbound policy refused the destination (or the URL is invalid).
    Blocked,
    /// No answer in time (connecting, sending or reading).
    Timeout,
    /// The connection failed.
    ConnectError,
    /// HTTP 200 with another body.
    BadBody,
    /// Another HTTP status.
    HttpError,
}

impl IpnOutcome {
    /// The label of `appotapay_ipn_attempts_total{outcome}`.
    pub fn as_str(self) -> &'static str {
        match self {
            IpnOutcome::Delivered => "delivered",
            IpnOutcome::Blocked => "blocked",
            IpnOutcome::Timeout => "timeout",
            IpnOutcome::ConnectError => "connect_error",
            IpnOutcome::BadBody => "bad_body",
            IpnOutcome::HttpError => "http_error",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delivery_statuses_round_trip() {
        for d in DeliveryStatus::ALL {
            assert_eq!(DeliveryStatus::parse(d.as_str()), Some(d));
        }
        assert_eq!(DeliveryStatus::parse("done"), None);
    }
}
