//! The console's pages as askama templates (`templates/console/`), and the rows
//! they show, already turned into text: templates escape every value (HTML-escaping
//! is askama's default for `.html` files), so an orderInfo of `<script>` shows as
//! text on every page. The only unescaped output is the charts' SVG, which
//! [`super::charts`] builds from escaped labels.

use super::i18n::Texts;
use askama::Template;

/// What every page shares: phrases, navigation, who is signed in, the CSRF token.
#[derive(Debug)]
pub struct Chrome {
    /// Phrases.
    pub t: &'static Texts,
    /// The current page (`overview`, `orders`, `deliveries`, `partners`, `audit`,
    /// `live`), for the navigation.
    pub nav: &'static str,
    /// The visitor, for the header (`adm_… (name)`).
    pub who: String,
    /// Their role.
    pub role: &'static str,
    /// Whether they may act.
    pub can_act: bool,
    /// Whether they signed in (and may sign out).
    pub signed_in: bool,
    /// Whether this is the local developer of a loopback sandbox.
    pub local: bool,
    /// Sandbox mode.
    pub sandbox: bool,
    /// The CSRF token of the page's forms.
    pub csrf: String,
    /// Stylesheet URL.
    pub css_url: &'static str,
    /// Script URL.
    pub js_url: &'static str,
    /// The same page in the other language.
    pub lang_url: String,
    /// A confirmation of what the last action did.
    pub flash: Option<&'static str>,
}

/// `/console/login`.
#[derive(Debug, Template)]
#[template(path = "console/login.html")]
pub struct LoginPage {
    /// Phrases and URLs (no one is signed in: `who` is empty).
    pub c: Chrome,
    /// Whether a token was just refused.
    pub failed: bool,
}

/// A chart of the overview.
#[derive(Debug)]
pub struct ChartBox {
    /// Its title.
    pub title: &'static str,
    /// Its `<svg>`, built by [`super::charts`] (labels escaped there).
    pub svg: String,
}

/// `/console` (the overview).
#[derive(Debug, Template)]
#[template(path = "console/overview.html")]
pub struct OverviewPage {
    /// Chrome.
    pub c: Chrome,
    /// `hour` or `day`.
    pub window: &'static str,
    /// The charts.
    pub charts: Vec<ChartBox>,
    /// IPNs waiting now.
    pub outbox_now: i64,
    /// Notify URLs with failing IPNs.
    pub failing_urls: usize,
    /// Of which answered only failures for over an hour.
    pub down_urls: usize,
}

/// An order in a list.
#[derive(Debug)]
pub struct OrderRow {
    /// appotapayTransId.
    pub trans_id: String,
    /// Partner.
    pub partner: String,
    /// The partner's orderId.
    pub order_id: String,
    /// Method.
    pub method: String,
    /// Amount, formatted.
    pub amount: String,
    /// State.
    pub state: &'static str,
    /// Creation time.
    pub created: String,
    /// Description.
    pub order_info: String,
}

/// `/console/orders`.
#[derive(Debug, Template)]
#[template(path = "console/orders.html")]
pub struct OrdersPage {
    /// Chrome.
    pub c: Chrome,
    /// The page's orders.
    pub rows: Vec<OrderRow>,
    /// How many match.
    pub total: i64,
    /// "1–50 of 120".
    pub range: String,
    /// The filters as typed, to fill the form again.
    pub f: OrderForm,
    /// Partner codes for the filter.
    pub partners: Vec<String>,
    /// States for the filter.
    pub states: Vec<&'static str>,
    /// Methods for the filter.
    pub methods: Vec<&'static str>,
    /// Previous page.
    pub prev_url: Option<String>,
    /// Next page.
    pub next_url: Option<String>,
    /// A bad filter's message.
    pub problem: Option<String>,
    /// Whether this is the first page (new orders are shown live there).
    pub first_page: bool,
}

/// The order list's filter form.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct OrderForm {
    /// Partner code.
    #[serde(default)]
    pub partner: String,
    /// State.
    #[serde(default)]
    pub state: String,
    /// Method.
    #[serde(default)]
    pub method: String,
    /// orderId.
    #[serde(default)]
    pub order_id: String,
    /// appotapayTransId.
    #[serde(default)]
    pub trans_id: String,
    /// From (`datetime-local`, Vietnam time).
    #[serde(default)]
    pub from: String,
    /// To (`datetime-local`, Vietnam time).
    #[serde(default)]
    pub to: String,
    /// Page number from 1.
    #[serde(default)]
    pub page: Option<u64>,
    /// What the last action did.
    #[serde(default)]
    pub flash: Option<String>,
}

/// A field of an order.
#[derive(Debug)]
pub struct Field {
    /// Its wire name.
    pub name: &'static str,
    /// Its value.
    pub value: String,
}

/// A line of the timeline.
#[derive(Debug)]
pub struct TimelineRow {
    /// When.
    pub time: String,
    /// Kind, for styling.
    pub kind: &'static str,
    /// What.
    pub what: String,
}

/// An IPN attempt.
#[derive(Debug)]
pub struct AttemptView {
    /// Number.
    pub attempt: u32,
    /// When.
    pub time: String,
    /// HTTP status or error.
    pub result: String,
    /// Latency, ms.
    pub latency_ms: i64,
    /// The start of the merchant's answer.
    pub head: String,
    /// Whether it counted as delivered.
    pub delivered: bool,
}

/// An IPN with its attempts.
#[derive(Debug)]
pub struct DeliveryView {
    /// Outbox id.
    pub id: i64,
    /// Notify URL.
    pub url: String,
    /// `pending`, `delivered`, `failed`.
    pub status: &'static str,
    /// The exact body sent.
    pub body: String,
    /// Its attempts.
    pub attempts: Vec<AttemptView>,
}

/// A refund.
#[derive(Debug)]
pub struct RefundRow {
    /// The gateway's refund id.
    pub refund_id: String,
    /// The partner's refundId.
    pub partner_refund_id: String,
    /// Amount, formatted.
    pub amount: String,
    /// Status.
    pub status: &'static str,
    /// Reason.
    pub reason: String,
    /// When.
    pub created: String,
}

/// `/console/orders/{appotapayTransId}`.
#[derive(Debug, Template)]
#[template(path = "console/order.html")]
pub struct OrderPage {
    /// Chrome.
    pub c: Chrome,
    /// appotapayTransId.
    pub trans_id: String,
    /// The partner's orderId.
    pub order_id: String,
    /// Its state.
    pub state: &'static str,
    /// Every field.
    pub fields: Vec<Field>,
    /// The timeline.
    pub timeline: Vec<TimelineRow>,
    /// The signed redirect URL, once final.
    pub redirect_url: Option<String>,
    /// The payment link.
    pub payment_url: String,
    /// Its IPNs.
    pub deliveries: Vec<DeliveryView>,
    /// Its refunds.
    pub refunds: Vec<RefundRow>,
    /// What can still be refunded (VND; 0 when nothing).
    pub refundable: i64,
    /// The same, formatted.
    pub refundable_text: String,
    /// The refund form's key: posting it twice refunds once.
    pub refund_key: String,
    /// Sandbox and not final: the settle form.
    pub can_settle: bool,
    /// The codes the settle form offers: (code, text).
    pub settle_codes: Vec<(u32, String)>,
}

/// A failing IPN.
#[derive(Debug)]
pub struct FailingView {
    /// Outbox id.
    pub outbox_id: i64,
    /// Order.
    pub trans_id: String,
    /// Exhausted or retrying.
    pub exhausted: bool,
    /// Attempts made.
    pub attempts: u32,
    /// Queued at.
    pub created: String,
    /// The last attempt's result.
    pub last_result: String,
    /// The last attempt's time.
    pub last_time: String,
}

/// The failing IPNs of a partner to a URL.
#[derive(Debug)]
pub struct GroupView {
    /// Partner.
    pub partner: String,
    /// URL.
    pub url: String,
    /// How many failing.
    pub failing: u64,
    /// Of which exhausted.
    pub exhausted: u64,
    /// Failing since.
    pub since: String,
    /// The last successful delivery.
    pub last_delivered: Option<String>,
    /// Only failures for over an hour.
    pub down: bool,
    /// The IPNs.
    pub items: Vec<FailingView>,
}

/// `/console/deliveries`.
#[derive(Debug, Template)]
#[template(path = "console/deliveries.html")]
pub struct DeliveriesPage {
    /// Chrome.
    pub c: Chrome,
    /// The groups.
    pub groups: Vec<GroupView>,
}

/// A partner in a list.
#[derive(Debug)]
pub struct PartnerRow {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// API key.
    pub api_key: String,
    /// Locked.
    pub locked: bool,
    /// IPNs for failures too.
    pub notify_failures: bool,
    /// Created.
    pub created: String,
    /// The end of a rotation's grace period.
    pub previous_until: Option<String>,
}

/// `/console/partners`.
#[derive(Debug, Template)]
#[template(path = "console/partners.html")]
pub struct PartnersPage {
    /// Chrome.
    pub c: Chrome,
    /// Every partner.
    pub partners: Vec<PartnerRow>,
    /// A refused creation's message.
    pub problem: Option<String>,
}

/// A sub-account.
#[derive(Debug)]
pub struct SubRow {
    /// Id.
    pub id: String,
    /// Owner type.
    pub owner: bool,
    /// Created.
    pub created: String,
}

/// `/console/partners/{code}`.
#[derive(Debug, Template)]
#[template(path = "console/partner.html")]
pub struct PartnerPage {
    /// Chrome.
    pub c: Chrome,
    /// The partner.
    pub p: PartnerRow,
    /// Its sub-accounts.
    pub subs: Vec<SubRow>,
    /// Allowed methods ("" = all).
    pub methods: String,
    /// Allowed banks ("" = all).
    pub banks: String,
}

/// A page showing fresh credentials, once.
#[derive(Template)]
#[template(path = "console/secret.html")]
pub struct SecretPage {
    /// Chrome.
    pub c: Chrome,
    /// The partner.
    pub partner_code: String,
    /// Its API key.
    pub api_key: String,
    /// Its secret.
    pub secret: String,
    /// Old keys' end of grace.
    pub grace_until: Option<String>,
}

/// An audit entry.
#[derive(Debug)]
pub struct AuditRow {
    /// When.
    pub time: String,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// On what.
    pub target: String,
    /// Link to the target, when it is an order or a partner.
    pub target_url: Option<String>,
    /// Detail (JSON).
    pub detail: String,
}

/// An admin token.
#[derive(Debug)]
pub struct TokenRow {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: &'static str,
    /// Created.
    pub created: String,
    /// Revoked at.
    pub revoked: Option<String>,
}

impl std::fmt::Debug for SecretPage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretPage").field("partner_code", &self.partner_code).field("secret", &"<redacted>").finish()
    }
}

/// `/console/audit`.
#[derive(Debug, Template)]
#[template(path = "console/audit.html")]
pub struct AuditPage {
    /// Chrome.
    pub c: Chrome,
    /// Entries, newest first.
    pub entries: Vec<AuditRow>,
    /// The admin tokens (operators only).
    pub tokens: Vec<TokenRow>,
    /// Older entries.
    pub next_url: Option<String>,
}

/// `/console/live`.
#[derive(Debug, Template)]
#[template(path = "console/live.html")]
pub struct LivePage {
    /// Chrome.
    pub c: Chrome,
}

/// A refusal or an error, with a way back.
#[derive(Debug, Template)]
#[template(path = "console/message.html")]
pub struct MessagePage {
    /// Chrome.
    pub c: Chrome,
    /// Heading.
    pub title: &'static str,
    /// What happened.
    pub message: String,
    /// Where to go back to.
    pub back_url: String,
}

/// `/` for browsers.
#[derive(Debug, Template)]
#[template(path = "console/front.html")]
pub struct FrontPage {
    /// Phrases.
    pub t: &'static Texts,
    /// `sandbox` or `production`.
    pub mode: &'static str,
    /// Sandbox: (partner code, API key, secret key).
    pub creds: Option<(String, String, String)>,
    /// The demo form's CSRF token (sandbox).
    pub csrf: String,
    /// Stylesheet URL.
    pub css_url: &'static str,
    /// The page in the other language.
    pub lang_url: String,
    /// The API's base URL.
    pub base: String,
    /// The gateway's version.
    pub version: &'static str,
}

/// `/demo/return`: what the redirect carried.
#[derive(Debug, Template)]
#[template(path = "console/demo_return.html")]
pub struct DemoReturnPage {
    /// Phrases.
    pub t: &'static Texts,
    /// Stylesheet URL.
    pub css_url: &'static str,
    /// The query's parameters.
    pub params: Vec<(String, String)>,
    /// Whether the redirect's signature verified.
    pub signature_ok: bool,
    /// The order in the console.
    pub console_url: Option<String>,
}
