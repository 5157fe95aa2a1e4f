//! AppotaPay error codes (spec §8) with their Vietnamese and English messages.
//!
//! `errorCode` is both the outcome of an API call and, in the status API and the
//! notifications, the *state* of a transaction. Codes are kept as a transparent
//! integer newtype rather than a closed enum so that a code the real service adds
//! tomorrow still deserialises; the table below knows the documented ones.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Language of the `message` field, chosen by the `X-Language` request header.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// Vietnamese, the default.
    #[default]
    Vi,
    /// English.
    En,
}

impl Lang {
    /// Parses an `X-Language` header value; anything but `en` (any case) is Vietnamese,
    /// as on the real service.
    ///
    /// ```
    /// use appotapay_protocol::Lang;
    /// assert_eq!(Lang::from_header(Some("EN")), Lang::En);
    /// assert_eq!(Lang::from_header(None), Lang::Vi);
    /// ```
    pub fn from_header(value: Option<&str>) -> Lang {
        match value {
            Some(v) if v.trim().eq_ignore_ascii_case("en") => Lang::En,
            _ => Lang::Vi,
        }
    }

    /// The ISO 639-1 code, `vi` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }
}

/// An AppotaPay `errorCode`.
///
/// ```
/// use appotapay_protocol::{ErrorCode, Lang};
/// let code = ErrorCode::INVALID_SIGNATURE;
/// assert_eq!(code.code(), 2);
/// assert_eq!(code.message(Lang::En), "Invalid signature");
/// assert!(code.is_final());
/// assert!(!ErrorCode::PROCESSING.is_final());
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ErrorCode(pub u32);

macro_rules! codes {
    ($( $name:ident = $code:literal, $vi:literal, $en:literal; )*) => {
        impl ErrorCode {
            $(
                #[doc = concat!("`", stringify!($code), "`: ", $en, ".")]
                pub const $name: ErrorCode = ErrorCode($code);
            )*
        }
        /// Every documented code with its Vietnamese and English message, in code order.
        pub const ERROR_CODES: &[(ErrorCode, &str, &str)] = &[
            $( (ErrorCode($code), $vi, $en), )*
        ];
    };
}

codes! {
    SUCCESS = 0, "Thành công", "Success";
    INVALID_PARAMS = 1, "Các tham số yêu cầu thiếu hoặc không hợp lệ", "Missing or invalid parameters";
    INVALID_SIGNATURE = 2, "Tham số signature không chính xác", "Invalid signature";
    PARTNER_NOT_FOUND = 11, "Partner không tồn tại", "Partner does not exist";
    PARTNER_LOCKED = 13, "Partner đã bị khoá", "Partner is locked";
    INVALID_API_KEY = 14, "API KEY không đúng", "Invalid API key";
    PRODUCT_NOT_ACTIVE = 15, "Sản phẩm chưa được kích hoạt hoặc đã bị khoá", "Product not activated or locked";
    INVALID_OTP = 21, "OTP không chính xác", "Invalid OTP";
    OTP_EXPIRED = 22, "OTP đã hết hạn", "OTP expired";
    DUPLICATE_ORDER_ID = 30, "Mã đơn hàng bị trùng", "Duplicate order id";
    DUPLICATE_TRANSACTION_ID = 31, "Mã giao dịch bị trùng", "Duplicate transaction id";
    INVALID_AMOUNT = 32, "Số tiền thanh toán không hợp lệ", "Invalid amount";
    NOT_COMPLETED_BY_CUSTOMER = 33, "Giao dịch không thành công do khách hàng không thực hiện giao dịch", "Customer did not complete the transaction";
    PROCESSING = 34, "Giao dịch đang được xử lý, vui lòng thử lại sau", "Transaction processing, try later";
    PENDING = 35, "Giao dịch đang chờ được xử lý, vui lòng thử lại sau", "Transaction pending, try later";
    TRANSACTION_NOT_FOUND = 36, "Giao dịch không tồn tại", "Transaction does not exist";
    TRANSACTION_UNDETERMINED = 37, "Giao dịch không xác định", "Transaction undetermined";
    CANCELLED = 38, "Người dùng huỷ giao dịch", "Cancelled by the customer";
    TOO_MANY_WRONG_OTP = 39, "Nhập sai OTP quá số lần cho phép", "Too many wrong OTPs";
    ALREADY_REFUNDED = 40, "Giao dịch đã được hoàn trả", "Transaction already refunded";
    ALREADY_SUCCEEDED = 41, "Giao dịch đã thành công", "Transaction already succeeded";
    BANK_NOT_FOUND = 51, "Mã ngân hàng không tồn tại", "Bank code does not exist";
    INVALID_PAYMENT_METHOD = 52, "Phương thức thanh toán không hợp lệ", "Invalid payment method";
    DECLINED = 61, "Giao dịch bị từ chối", "Transaction declined";
    BANK_MAINTENANCE = 62, "Ngân hàng đang bảo trì", "Bank under maintenance";
    CARD_NOT_ACTIVATED = 63, "Thẻ chưa kích hoạt hoặc chưa đăng ký thanh toán online", "Card not activated for online payment";
    CARD_TYPE_NOT_SUPPORTED = 64, "Loại thẻ chưa được hỗ trợ", "Card type not supported";
    INVALID_CARD_INFO = 65, "Thông tin thẻ không đúng", "Invalid card information";
    CARD_RESTRICTED = 66, "Thẻ của bạn đang bị hạn chế", "Card restricted";
    INVALID_ISSUE_DATE = 67, "Thông tin ngày mở thẻ không đúng", "Invalid card issue date";
    CARD_LOCKED = 68, "Thẻ của bạn đã bị khoá", "Card locked";
    CARD_EXPIRED = 69, "Thẻ của bạn đã hết hạn", "Card expired";
    DAILY_LIMIT_EXCEEDED = 70, "Vượt quá giới hạn giao dịch trong ngày", "Daily limit exceeded";
    INVALID_HOLDER_NAME = 71, "Thông tin tên chủ thẻ không đúng", "Invalid card holder name";
    ISSUER_NO_RESPONSE = 72, "Không nhận được kết quả trả về từ ngân hàng phát hành thẻ", "No response from the issuing bank";
    INVALID_EXPIRY_DATE = 73, "Thông tin ngày hết hạn thẻ không đúng", "Invalid card expiry date";
    INSUFFICIENT_FUNDS = 74, "Thẻ không đủ hạn mức hoặc tài khoản không đủ số dư", "Insufficient funds or limit";
    AMOUNT_NOT_SUFFICIENT = 75, "Số tiền không đủ để thanh toán", "Amount not sufficient";
    INVALID_CARD_NUMBER = 76, "Số thẻ không đúng", "Invalid card number";
    PAYMENT_EXPIRED = 77, "Quá thời gian thanh toán", "Payment time expired";
    INVALID_CVV = 80, "Mã CVC/CVV không chính xác", "Invalid CVC/CVV";
    TOKEN_NOT_FOUND = 87, "Token không tồn tại", "Token does not exist";
    INVALID_ACCOUNT_REF_ID = 90, "X-Account-Ref-ID không hợp lệ", "Invalid X-Account-Ref-ID";
    SYSTEM_BUSY = 91, "Hệ thống đang bận", "System busy";
    IP_NOT_ALLOWED = 92, "IP không được phép truy cập", "IP not allowed";
    SYSTEM_MAINTENANCE = 94, "Hệ thống đang bảo trì", "System under maintenance";
    UNDEFINED_ERROR = 99, "Lỗi không xác định, vui lòng kiểm tra lại giao dịch", "Undefined error, check the transaction later";
    MUST_BE_SUCCESSFUL = 102, "Giao dịch phải ở trạng thái thành công", "Transaction must be successful";
    REFUND_EXCEEDS_AMOUNT = 103, "Số tiền hoàn vượt quá số tiền giao dịch", "Refund amount exceeds the transaction amount";
    PAYMENT_METHOD_NOT_ALLOWED = 140, "Partner không có quyền sử dụng paymentMethod", "The partner may not use this paymentMethod";
    BANK_CODE_NOT_ALLOWED = 141, "Partner không có quyền sử dụng bankCode", "The partner may not use this bankCode";
    UNAUTHORIZED = 401, "Không thể xác thực tài khoản", "Unauthorized";
    SYSTEM_ERROR = 500, "Lỗi hệ thống", "System error";
}

/// The payment-outcome codes a card issuer or the customer can produce: what the
/// sandbox may settle a transaction with besides success (spec §7, §8).
pub const DECLINE_CODES: &[ErrorCode] = &[
    ErrorCode::NOT_COMPLETED_BY_CUSTOMER,
    ErrorCode::INVALID_OTP,
    ErrorCode::OTP_EXPIRED,
    ErrorCode::TOO_MANY_WRONG_OTP,
    ErrorCode::DECLINED,
    ErrorCode::BANK_MAINTENANCE,
    ErrorCode::CARD_NOT_ACTIVATED,
    ErrorCode::CARD_TYPE_NOT_SUPPORTED,
    ErrorCode::INVALID_CARD_INFO,
    ErrorCode::CARD_RESTRICTED,
    ErrorCode::INVALID_ISSUE_DATE,
    ErrorCode::CARD_LOCKED,
    ErrorCode::CARD_EXPIRED,
    ErrorCode::DAILY_LIMIT_EXCEEDED,
    ErrorCode::INVALID_HOLDER_NAME,
    ErrorCode::ISSUER_NO_RESPONSE,
    ErrorCode::INVALID_EXPIRY_DATE,
    ErrorCode::INSUFFICIENT_FUNDS,
    ErrorCode::AMOUNT_NOT_SUFFICIENT,
    ErrorCode::INVALID_CARD_NUMBER,
    ErrorCode::INVALID_CVV,
];

impl ErrorCode {
    /// The numeric code.
    pub const fn code(self) -> u32 {
        self.0
    }

    /// Whether the code is one of the documented codes of spec §8.
    pub fn is_known(self) -> bool {
        ERROR_CODES.iter().any(|(c, _, _)| *c == self)
    }

    /// The documented message in `lang`; an undocumented code gets the generic
    /// "undefined error" message.
    pub fn message(self, lang: Lang) -> &'static str {
        let (_, vi, en) = ERROR_CODES.iter().find(|(c, _, _)| *c == self).copied().unwrap_or((
            self,
            "Lỗi không xác định",
            "Undefined error",
        ));
        match lang {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    /// Whether the outcome is final. Codes 34, 35, 99 and 500 are not: the merchant
    /// must ask the status API later (spec §8).
    pub fn is_final(self) -> bool {
        !matches!(self.0, 34 | 35 | 99 | 500)
    }

    /// `true` for code 0.
    pub fn is_success(self) -> bool {
        self.0 == 0
    }

    /// Whether the sandbox may settle a payment with this code: a decline code, 38
    /// (cancelled) or 77 (expired).
    pub fn is_payment_failure(self) -> bool {
        DECLINE_CODES.contains(&self) || self == ErrorCode::CANCELLED || self == ErrorCode::PAYMENT_EXPIRED
    }
}

impl fmt::Debug for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ErrorCode({} {:?})", self.0, self.message(Lang::En))
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0, self.message(Lang::En))
    }
}

impl From<u32> for ErrorCode {
    fn from(code: u32) -> Self {
        ErrorCode(code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_complete() {
        for pair in ERROR_CODES.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{:?} before {:?}", pair[0].0, pair[1].0);
        }
        assert_eq!(ERROR_CODES.len(), 53);
        assert_eq!(ErrorCode(35).message(Lang::Vi), "Giao dịch đang chờ được xử lý, vui lòng thử lại sau");
        assert_eq!(ErrorCode(103).message(Lang::En), "Refund amount exceeds the transaction amount");
    }

    #[test]
    fn finality() {
        let not_final: Vec<u32> = ERROR_CODES.iter().filter(|(c, _, _)| !c.is_final()).map(|(c, _, _)| c.0).collect();
        assert_eq!(not_final, vec![34, 35, 99, 500]);
    }

    #[test]
    fn unknown_code_has_generic_message() {
        assert!(!ErrorCode(4242).is_known());
        assert_eq!(ErrorCode(4242).message(Lang::En), "Undefined error");
        assert!(ErrorCode(21).is_payment_failure());
        assert!(ErrorCode(77).is_payment_failure());
        assert!(!ErrorCode(0).is_payment_failure());
        assert!(!ErrorCode(34).is_payment_failure());
    }

    #[test]
    fn serde_is_a_bare_integer() {
        assert_eq!(serde_json::to_string(&ErrorCode::CANCELLED).ok().as_deref(), Some("38"));
        let c: ErrorCode = serde_json::from_str("77").expect("integer");
        assert_eq!(c, ErrorCode::PAYMENT_EXPIRED);
    }
}
