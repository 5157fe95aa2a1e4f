//! The checkout's words in Vietnamese (the default) and English.
//!
//! One struct with a field per phrase rather than a key → string map: a phrase
//! missing in one language is a compile error, and templates read `c.t.pay` directly.
//! Error messages come from the protocol crate's error table, so the page and the API
//! say the same thing for the same code.

use appotapay_protocol::Lang;

/// Every phrase of the checkout pages.
#[derive(Debug)]
pub struct Texts {
    /// `<title>` and heading of the payment page.
    pub page_title: &'static str,
    /// Badge in the header.
    pub secure_payment: &'static str,
    /// Label of the language toggle (names the other language).
    pub other_lang_label: &'static str,
    /// Banner shown in sandbox mode.
    pub sandbox_ribbon: &'static str,
    /// Heading of the order summary.
    pub order_summary: &'static str,
    /// "Amount".
    pub amount: &'static str,
    /// "Description".
    pub order_info: &'static str,
    /// "Order ID".
    pub order_id: &'static str,
    /// "Transaction ID".
    pub trans_id: &'static str,
    /// Before the countdown.
    pub time_left: &'static str,
    /// Before the expiry clock time.
    pub expires_at: &'static str,
    /// Method choice heading.
    pub choose_method: &'static str,
    /// ATM method name.
    pub method_atm: &'static str,
    /// ATM method hint.
    pub method_atm_hint: &'static str,
    /// CC method name.
    pub method_cc: &'static str,
    /// CC method hint.
    pub method_cc_hint: &'static str,
    /// Bank choice heading.
    pub choose_bank: &'static str,
    /// Brand choice heading.
    pub choose_brand: &'static str,
    /// ATM card form heading.
    pub card_title_atm: &'static str,
    /// CC card form heading.
    pub card_title_cc: &'static str,
    /// "Bank" / "Card".
    pub paying_with: &'static str,
    /// Card number label.
    pub card_number: &'static str,
    /// Holder label.
    pub card_holder: &'static str,
    /// Holder hint.
    pub card_holder_hint: &'static str,
    /// Issue date label.
    pub issue_date: &'static str,
    /// Expiry label.
    pub expiry_date: &'static str,
    /// CVV label.
    pub cvv: &'static str,
    /// CVV hint.
    pub cvv_hint: &'static str,
    /// Pay button.
    pub pay: &'static str,
    /// Go back one choice.
    pub change: &'static str,
    /// Cancel button.
    pub cancel: &'static str,
    /// OTP heading.
    pub otp_title: &'static str,
    /// OTP explanation, followed by the masked card.
    pub otp_sent: &'static str,
    /// OTP field label.
    pub otp_label: &'static str,
    /// Before the number of attempts left.
    pub attempts_left: &'static str,
    /// Confirm button.
    pub confirm: &'static str,
    /// Start over with another card.
    pub use_other_card: &'static str,
    /// Processing heading.
    pub processing_title: &'static str,
    /// Processing explanation.
    pub processing_text: &'static str,
    /// QR heading.
    pub qr_title: &'static str,
    /// QR instructions.
    pub qr_steps: &'static str,
    /// Collecting bank.
    pub qr_bank: &'static str,
    /// Collecting account number.
    pub qr_account: &'static str,
    /// Collecting account name.
    pub qr_account_name: &'static str,
    /// Transfer memo.
    pub qr_memo: &'static str,
    /// While waiting for the credit.
    pub qr_waiting: &'static str,
    /// Alt text of the QR image.
    pub qr_alt: &'static str,
    /// Sandbox transfer button.
    pub simulate: &'static str,
    /// Sandbox transfer explanation.
    pub simulate_hint: &'static str,
    /// Result: success.
    pub result_success: &'static str,
    /// Result: failure.
    pub result_failed: &'static str,
    /// Result: cancelled.
    pub result_cancelled: &'static str,
    /// Result: expired.
    pub result_expired: &'static str,
    /// Before the merchant's name on the way back.
    pub back_to: &'static str,
    /// When there is nowhere to go back to.
    pub close_page: &'static str,
    /// "Error code".
    pub code_word: &'static str,
    /// Invalid link heading.
    pub bad_link_title: &'static str,
    /// Invalid link text.
    pub bad_link_text: &'static str,
    /// Unknown transaction text.
    pub not_found_text: &'static str,
    /// Refused post heading.
    pub forbidden_title: &'static str,
    /// Refused post text.
    pub forbidden_text: &'static str,
    /// Locked merchant heading.
    pub locked_title: &'static str,
    /// Locked merchant text.
    pub locked_text: &'static str,
    /// Generic error heading.
    pub error_title: &'static str,
    /// Generic error text.
    pub error_text: &'static str,
    /// Sandbox card table heading.
    pub sandbox_title: &'static str,
    /// Sandbox card table hint.
    pub sandbox_hint: &'static str,
    /// How the sandbox bank answers refunds; `{delay}` is the ATM refund delay.
    pub sandbox_refunds: &'static str,
    /// Sandbox card group: the published instruments.
    pub sandbox_published: &'static str,
    /// Sandbox card group: undecided at first; `{delay}` is how long.
    pub sandbox_undecided: &'static str,
    /// Sandbox card group: declines.
    pub sandbox_declined: &'static str,
    /// A card submitted to a gateway with no card issuer connected.
    pub not_connected: &'static str,
    /// Column: outcome.
    pub col_outcome: &'static str,
    /// Column: date.
    pub col_date: &'static str,
    /// Footer reassurance.
    pub footer: &'static str,
}

/// Vietnamese.
pub static VI: Texts = Texts {
    page_title: "Thanh toán đơn hàng",
    secure_payment: "Thanh toán an toàn",
    other_lang_label: "English",
    sandbox_ribbon: "Môi trường thử nghiệm (sandbox): không có giao dịch thật",
    order_summary: "Thông tin đơn hàng",
    amount: "Số tiền",
    order_info: "Nội dung",
    order_id: "Mã đơn hàng",
    trans_id: "Mã giao dịch",
    time_left: "Thời gian còn lại",
    expires_at: "hết hạn lúc",
    choose_method: "Chọn phương thức thanh toán",
    method_atm: "Thẻ ATM nội địa",
    method_atm_hint: "Thẻ ngân hàng Việt Nam (NAPAS)",
    method_cc: "Thẻ quốc tế",
    method_cc_hint: "Visa, Mastercard, JCB",
    choose_bank: "Chọn ngân hàng",
    choose_brand: "Chọn loại thẻ",
    card_title_atm: "Nhập thông tin thẻ ATM",
    card_title_cc: "Nhập thông tin thẻ quốc tế",
    paying_with: "Thanh toán bằng",
    card_number: "Số thẻ",
    card_holder: "Tên chủ thẻ",
    card_holder_hint: "Viết không dấu, như in trên thẻ",
    issue_date: "Ngày phát hành (MM/YY)",
    expiry_date: "Ngày hết hạn (MM/YY)",
    cvv: "Mã bảo mật (CVV/CVC)",
    cvv_hint: "3 chữ số ở mặt sau thẻ",
    pay: "Thanh toán",
    change: "Thay đổi",
    cancel: "Huỷ giao dịch",
    otp_title: "Xác thực OTP",
    otp_sent: "Mã OTP đã được gửi tới số điện thoại đăng ký với ngân hàng của thẻ",
    otp_label: "Mã OTP (6 chữ số)",
    attempts_left: "Số lần nhập còn lại",
    confirm: "Xác nhận",
    use_other_card: "Dùng thẻ khác",
    processing_title: "Giao dịch đang được xử lý",
    processing_text: "Ngân hàng đang xử lý giao dịch của bạn. Vui lòng giữ trang này mở, bạn sẽ được chuyển về \
                      trang của cửa hàng ngay khi có kết quả.",
    qr_title: "Quét mã QR để thanh toán",
    qr_steps: "Mở ứng dụng ngân hàng hỗ trợ VietQR, chọn quét mã QR và xác nhận chuyển khoản. Vui lòng giữ nguyên \
               số tiền và nội dung chuyển khoản.",
    qr_bank: "Ngân hàng",
    qr_account: "Số tài khoản",
    qr_account_name: "Chủ tài khoản",
    qr_memo: "Nội dung chuyển khoản",
    qr_waiting: "Đang chờ thanh toán…",
    qr_alt: "Mã VietQR của giao dịch",
    simulate: "Mô phỏng chuyển khoản",
    simulate_hint: "Chỉ có trong môi trường thử nghiệm: gửi thông báo ngân hàng đã nhận đúng số tiền và nội dung.",
    result_success: "Thanh toán thành công",
    result_failed: "Thanh toán không thành công",
    result_cancelled: "Giao dịch đã bị huỷ",
    result_expired: "Giao dịch đã hết hạn",
    back_to: "Quay về",
    close_page: "Bạn có thể đóng trang này.",
    code_word: "mã",
    bad_link_title: "Liên kết thanh toán không hợp lệ",
    bad_link_text: "Liên kết này không đúng hoặc đã bị thay đổi. Vui lòng quay lại trang của cửa hàng và thực hiện \
                    thanh toán lại.",
    not_found_text: "Không tìm thấy giao dịch của liên kết này.",
    forbidden_title: "Yêu cầu bị từ chối",
    forbidden_text: "Yêu cầu này không được gửi từ trang thanh toán. Vui lòng mở lại liên kết thanh toán và thử lại.",
    locked_title: "Cửa hàng tạm ngừng nhận thanh toán",
    locked_text: "Cửa hàng này hiện không thể nhận thanh toán. Không có khoản tiền nào bị trừ. Vui lòng liên hệ \
                  cửa hàng hoặc thử lại sau.",
    error_title: "Đã có lỗi xảy ra",
    error_text: "Hệ thống đang bận. Vui lòng thử lại sau ít phút.",
    sandbox_title: "Thẻ thử nghiệm",
    sandbox_hint: "OTP của mọi thẻ: 123456. Dấu * là giá trị bất kỳ (ngày hết hạn phải ở tương lai).",
    sandbox_refunds: "Hoàn tiền trong sandbox: giao dịch thẻ quốc tế (CC) và QR được hoàn ngay; thẻ nội địa (ATM) \
                      chuyển sang đang xử lý rồi thành công sau {delay}; lý do (reason) có chữ FAIL thì hoàn tiền \
                      kết thúc ở trạng thái lỗi (error).",
    sandbox_published: "Thẻ do AppotaPay công bố: thành công khi nhập đúng chủ thẻ, ngày và CVV",
    sandbox_undecided: "Chưa có kết quả ngay: giữ mã này trong {delay}, rồi kết thúc",
    sandbox_declined: "Bị từ chối: 4 số cuối chọn mã lỗi, với mọi số thẻ cùng loại",
    not_connected: "Phương thức thanh toán này chưa được kết nối: cổng thanh toán chưa kết nối ngân hàng phát hành \
                    thẻ nào, nên không thể thanh toán bằng thẻ. Vui lòng chọn cách thanh toán khác hoặc liên hệ \
                    người bán.",
    col_outcome: "Kết quả",
    col_date: "Ngày",
    footer: "Thông tin thẻ chỉ được dùng cho giao dịch này và không được lưu trữ.",
};

/// English.
pub static EN: Texts = Texts {
    page_title: "Order payment",
    secure_payment: "Secure payment",
    other_lang_label: "Tiếng Việt",
    sandbox_ribbon: "Sandbox: no real money moves",
    order_summary: "Order summary",
    amount: "Amount",
    order_info: "Description",
    order_id: "Order ID",
    trans_id: "Transaction ID",
    time_left: "Time left",
    expires_at: "expires at",
    choose_method: "Choose a payment method",
    method_atm: "Domestic ATM card",
    method_atm_hint: "Vietnamese bank card (NAPAS)",
    method_cc: "International card",
    method_cc_hint: "Visa, Mastercard, JCB",
    choose_bank: "Choose your bank",
    choose_brand: "Choose your card type",
    card_title_atm: "Enter your ATM card details",
    card_title_cc: "Enter your card details",
    paying_with: "Paying with",
    card_number: "Card number",
    card_holder: "Cardholder name",
    card_holder_hint: "As printed on the card",
    issue_date: "Issue date (MM/YY)",
    expiry_date: "Expiry date (MM/YY)",
    cvv: "Security code (CVV/CVC)",
    cvv_hint: "3 digits on the back of the card",
    pay: "Pay",
    change: "Change",
    cancel: "Cancel payment",
    otp_title: "OTP verification",
    otp_sent: "A one-time password was sent to the phone number your bank has for card",
    otp_label: "OTP (6 digits)",
    attempts_left: "Attempts left",
    confirm: "Confirm",
    use_other_card: "Use another card",
    processing_title: "Your payment is being processed",
    processing_text: "The bank is processing your payment. Please keep this page open: you will be taken back to \
                      the shop as soon as the result arrives.",
    qr_title: "Scan the QR code to pay",
    qr_steps: "Open a banking app that supports VietQR, scan the code and confirm the transfer. Please keep the \
               amount and the transfer description unchanged.",
    qr_bank: "Bank",
    qr_account: "Account number",
    qr_account_name: "Account name",
    qr_memo: "Transfer description",
    qr_waiting: "Waiting for your transfer…",
    qr_alt: "VietQR code of this payment",
    simulate: "Simulate bank transfer",
    simulate_hint: "Sandbox only: reports a credit with exactly this amount and description.",
    result_success: "Payment successful",
    result_failed: "Payment failed",
    result_cancelled: "Payment cancelled",
    result_expired: "Payment expired",
    back_to: "Return to",
    close_page: "You can close this page.",
    code_word: "code",
    bad_link_title: "Invalid payment link",
    bad_link_text: "This link is wrong or has been altered. Please go back to the shop and start the payment again.",
    not_found_text: "There is no transaction for this link.",
    forbidden_title: "Request refused",
    forbidden_text: "This request did not come from the payment page. Please open the payment link again and retry.",
    locked_title: "Payments paused",
    locked_text: "This merchant cannot take payments now. Nothing has been charged. Please contact the shop or try \
                  again later.",
    error_title: "Something went wrong",
    error_text: "The system is busy. Please try again in a few minutes.",
    sandbox_title: "Sandbox test cards",
    sandbox_hint: "OTP for every card: 123456. * means any value (expiry dates in the future).",
    sandbox_refunds: "Refunds in the sandbox: CC and QR payments are refunded at once; ATM refunds are processing, \
                      then succeed after {delay}; a refund whose reason contains FAIL ends in error.",
    sandbox_published: "Published by AppotaPay: succeed with exactly their holder, date and CVV",
    sandbox_undecided: "Not final at first: this code for {delay}, then final",
    sandbox_declined: "Declined: the last four digits choose the code, on any number of the kind",
    not_connected: "This payment method is not connected: no card issuer is connected to this gateway, so cards \
                    cannot be charged. Please choose another way to pay or contact the merchant.",
    col_outcome: "Outcome",
    col_date: "Date",
    footer: "Card details are used for this payment only and are never stored.",
};

/// The phrases of `lang`.
pub fn texts(lang: Lang) -> &'static Texts {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}
