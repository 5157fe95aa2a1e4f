//! The checkout's pages as askama templates (`templates/checkout/`).
//!
//! Every value reaches the HTML through askama's HTML escaping: the merchant's name,
//! `orderInfo`, `orderId` and the redirect URL are shown as text, never as markup.
//! Nothing is marked `|safe`.

use super::i18n::Texts;
use askama::Template;

/// What every page shares: language, header, the order summary, the form keys.
#[derive(Debug)]
pub struct Chrome {
    /// Phrases.
    pub t: &'static Texts,
    /// `vi` or `en`.
    pub lang: &'static str,
    /// The same page in the other language, when there is one to link.
    pub lang_url: Option<String>,
    /// Sandbox mode.
    pub sandbox: bool,
    /// Stylesheet URL.
    pub css_url: &'static str,
    /// Script URL.
    pub js_url: &'static str,
    /// Order summary (absent on link errors).
    pub summary: Option<Summary>,
    /// Hidden form fields.
    pub form: FormKeys,
    /// Sandbox: the IPN delivery-fault controls (card and QR pages).
    pub faults: Option<super::faults::FaultsBox>,
}

/// The order as the customer sees it on every step.
#[derive(Debug)]
pub struct Summary {
    /// Merchant's display name.
    pub merchant: String,
    /// `10.000 ₫`.
    pub amount: String,
    /// The merchant's description.
    pub order_info: String,
    /// The merchant's order id.
    pub order_id: String,
    /// Time left, while the order can still be paid.
    pub countdown: Option<Countdown>,
}

/// A countdown to the order's expiry.
#[derive(Debug)]
pub struct Countdown {
    /// Expiry, unix ms.
    pub expires_at_ms: i64,
    /// Server time of the page, unix ms (the script corrects for clock skew).
    pub now_ms: i64,
    /// `m:ss` left when the page was made.
    pub remaining: String,
    /// `HH:MM` of the expiry, Vietnam time.
    pub clock: String,
}

/// The payment link and the CSRF token of each form.
#[derive(Debug, Default)]
pub struct FormKeys {
    /// `tran`.
    pub tran: String,
    /// `sign`.
    pub sign: String,
    /// Token: method.
    pub method: String,
    /// Token: bank.
    pub bank: String,
    /// Token: card.
    pub card: String,
    /// Token: OTP.
    pub otp: String,
    /// Token: back.
    pub back: String,
    /// Token: cancel.
    pub cancel: String,
    /// Token: simulate.
    pub simulate: String,
}

/// ATM or CC.
#[derive(Template, Debug)]
#[template(path = "checkout/method.html")]
pub struct MethodPage {
    /// Shared.
    pub c: Chrome,
    /// The method the merchant's `bankCode` suggests.
    pub preselect: String,
}

/// A bank (or brand) tile.
#[derive(Debug)]
pub struct BankTile {
    /// `bankCode`.
    pub code: &'static str,
    /// Readable name.
    pub name: &'static str,
    /// Short mark shown in the tile.
    pub mark: String,
}

/// Bank or brand choice.
#[derive(Template, Debug)]
#[template(path = "checkout/bank.html")]
pub struct BankPage {
    /// Shared.
    pub c: Chrome,
    /// Heading.
    pub heading: &'static str,
    /// Tiles.
    pub banks: Vec<BankTile>,
    /// Whether "change method" is offered.
    pub can_back: bool,
}

/// Inline error texts of the card form.
#[derive(Debug, Default)]
pub struct CardErrors {
    /// Card number.
    pub number: Option<String>,
    /// Holder.
    pub holder: Option<String>,
    /// Date.
    pub date: Option<String>,
    /// CVV.
    pub cvv: Option<String>,
    /// Whole form.
    pub form: Option<String>,
}

/// A row of the sandbox instrument table.
#[derive(Debug)]
pub struct TableRowView {
    /// Number, grouped by four.
    pub number: String,
    /// Holder.
    pub holder: &'static str,
    /// Date.
    pub date: String,
    /// CVV.
    pub cvv: &'static str,
    /// Outcome code after the OTP.
    pub code: u32,
    /// Outcome message.
    pub outcome: &'static str,
    /// For an undecided outcome: how it ends after the delay.
    pub then: Option<ThenView>,
}

/// How an undecided test card's payment ends.
#[derive(Debug)]
pub struct ThenView {
    /// Final code.
    pub code: u32,
    /// Its message.
    pub outcome: &'static str,
}

/// A titled group of rows of the sandbox instrument table.
#[derive(Debug)]
pub struct TableGroupView {
    /// Heading row.
    pub title: String,
    /// Rows.
    pub rows: Vec<TableRowView>,
}

/// Card data.
#[derive(Template, Debug)]
#[template(path = "checkout/card.html")]
pub struct CardPage {
    /// Shared.
    pub c: Chrome,
    /// ATM (issue date) or CC (expiry + CVV).
    pub atm: bool,
    /// Chosen bank or brand.
    pub bank_name: String,
    /// Whether the bank can be changed.
    pub can_back: bool,
    /// Number as typed (re-shown after an error).
    pub number: String,
    /// Holder as typed.
    pub holder: String,
    /// Date as typed.
    pub date: String,
    /// Inline errors.
    pub err: CardErrors,
    /// Label of the pay button (with the amount).
    pub pay_label: String,
    /// Sandbox instruments, grouped (empty in production mode).
    pub table: Vec<TableGroupView>,
    /// How the sandbox bank answers refunds (empty in production mode).
    pub refund_note: String,
}

/// OTP.
#[derive(Template, Debug)]
#[template(path = "checkout/otp.html")]
pub struct OtpPage {
    /// Shared.
    pub c: Chrome,
    /// First 6 + last 4.
    pub masked: String,
    /// Bank or brand.
    pub bank_name: String,
    /// Attempts left.
    pub attempts_left: u32,
    /// Inline error.
    pub error: Option<String>,
}

/// Waiting for the bank.
#[derive(Template, Debug)]
#[template(path = "checkout/processing.html")]
pub struct ProcessingPage {
    /// Shared.
    pub c: Chrome,
    /// Status JSON.
    pub poll_url: String,
    /// Where to go once final.
    pub next_url: String,
}

/// A QR order.
#[derive(Template, Debug)]
#[template(path = "checkout/qr.html")]
pub struct QrPage {
    /// Shared.
    pub c: Chrome,
    /// `data:image/png;base64,…`.
    pub qr_src: String,
    /// Displayed side in CSS pixels.
    pub qr_size: u32,
    /// Formatted amount.
    pub amount: String,
    /// Transfer memo.
    pub memo: String,
    /// Collecting bank.
    pub bank_name: String,
    /// Collecting account.
    pub account: String,
    /// Account holder.
    pub account_name: String,
    /// Status JSON.
    pub poll_url: String,
    /// Where to go once final.
    pub next_url: String,
}

/// A final order.
#[derive(Template, Debug)]
#[template(path = "checkout/result.html")]
pub struct ResultPage {
    /// Shared.
    pub c: Chrome,
    /// `success`, `failed`, `cancelled`, `expired`.
    pub status_class: &'static str,
    /// Heading.
    pub heading: &'static str,
    /// Code message.
    pub message: &'static str,
    /// The code.
    pub code: u32,
    /// appotapayTransId.
    pub trans_id: String,
    /// Signed redirect URL, when the order has one.
    pub back_url: Option<String>,
    /// Merchant's name.
    pub merchant: String,
}

/// A page that cannot show an order.
#[derive(Template, Debug)]
#[template(path = "checkout/error.html")]
pub struct ErrorPage {
    /// Shared.
    pub c: Chrome,
    /// Heading.
    pub heading: &'static str,
    /// Explanation.
    pub text: &'static str,
    /// Code, if one applies.
    pub code: Option<u32>,
}
