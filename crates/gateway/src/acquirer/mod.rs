//! The acquiring side: what a bank would do. Here a sandbox stands in for the
//! issuers and for the collecting bank of QR transfers.

use crate::config::CollectingAccount;
use appotapay_protocol::vietqr::VietQr;

/// The VietQR payload of a QR order: the collecting account, the exact amount and
/// the appotapayTransId as the transfer memo.
pub fn vietqr_payload(account: &CollectingAccount, amount: i64, trans_id: &str) -> Option<String> {
    let amount = u64::try_from(amount).ok()?;
    VietQr::dynamic(&account.bin, &account.account, amount, trans_id).encode().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_parses_back() {
        let acc = CollectingAccount { bin: "970415".into(), account: "113366668888".into(), name: "X".into() };
        let p = vietqr_payload(&acc, 79_000, "AP123456789012").expect("payload");
        let qr = VietQr::parse(&p).expect("parses");
        assert_eq!(qr.amount, Some(79_000));
        assert_eq!(qr.memo.as_deref(), Some("AP123456789012"));
        assert!(vietqr_payload(&acc, -1, "AP123456789012").is_none());
    }
}
