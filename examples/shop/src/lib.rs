//! # A demo merchant shop on the `appotapay` SDK
//!
//! What a merchant's integration looks like, end to end, with nothing but the SDK:
//!
//! - `GET /`: the product page with "pay by card" and "pay by QR" buttons;
//! - `POST /pay`: creates the payment through the partner API and sends the customer to
//!   the gateway's `paymentUrl`;
//! - `GET /return`: the customer comes back here; the redirect is verified and the
//!   result shown, but nothing is fulfilled from it (a customer can forge a visit, not a
//!   signature, and may never come back at all);
//! - `POST /ipn`: the SDK's axum route verifies the IPN; the shop records the payment
//!   once per transaction, checks the amount against its own order, and answers
//!   `{"status":"ok"}`. Duplicate IPNs are expected and counted, not re-applied;
//! - `GET /orders`: every order with its state as confirmed by the status API;
//! - "save my card": a card payment through API v1.1 with `PAY_WITH_RETURN_TOKEN`. The
//!   IPN's `tokenResult` (verified with the rest of the IPN) gives the shop a token,
//!   never a card number; the product page then offers "pay with the saved card"
//!   (`PAY_WITH_TOKEN`), and "forget my card" deletes the token at the gateway.
//!
//! Settings come from the environment: `SHOP_LISTEN` (default `127.0.0.1:3000`),
//! `SHOP_PUBLIC_URL` (default `http://<listen>`), `GATEWAY_URL` (default
//! `http://127.0.0.1:8080`), and `APPOTAPAY_PARTNER_CODE`, `APPOTAPAY_API_KEY`,
//! `APPOTAPAY_SECRET_KEY` (default: the public sandbox partner).

use appotapay::protocol::v11::{Action, BankPaymentRequest as V11Request};
use appotapay::{
    Amount, BankPaymentRequest, Client, Environment, PaymentMethod, PaymentNotification, QrPaymentRequest, SecretKey,
};
use axum::extract::{Form, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The shop's settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// How the gateway and the customer's browser reach the shop.
    pub public_url: String,
    /// The gateway (or AppotaPay) base URL.
    pub gateway_url: String,
    /// Partner code.
    pub partner_code: String,
    /// API key.
    pub api_key: String,
    /// Secret key.
    pub secret_key: SecretKey,
}

impl Config {
    /// Reads the environment (see the crate documentation).
    pub fn from_env() -> Result<Config, String> {
        let var = |k: &str, d: &str| std::env::var(k).unwrap_or_else(|_| d.to_owned());
        let listen = var("SHOP_LISTEN", "127.0.0.1:3000");
        let public_url = var("SHOP_PUBLIC_URL", &format!("http://{listen}"));
        Ok(Config {
            public_url: public_url.trim_end_matches('/').to_owned(),
            listen,
            gateway_url: var("GATEWAY_URL", "http://127.0.0.1:8080"),
            partner_code: var("APPOTAPAY_PARTNER_CODE", appotapay::protocol::sandbox_partner::PARTNER_CODE),
            api_key: var("APPOTAPAY_API_KEY", appotapay::protocol::sandbox_partner::API_KEY),
            secret_key: SecretKey::new(var("APPOTAPAY_SECRET_KEY", appotapay::protocol::sandbox_partner::SECRET_KEY)),
        })
    }
}

/// A product of the catalogue.
#[derive(Clone, Copy, Debug)]
pub struct Product {
    /// Id used in forms.
    pub id: &'static str,
    /// Name.
    pub name: &'static str,
    /// Price in VND.
    pub price: i64,
}

/// The catalogue.
pub const PRODUCTS: &[Product] = &[
    Product { id: "ca-phe", name: "Cà phê sữa đá (250 g)", price: 45_000 },
    Product { id: "non-la", name: "Nón lá Huế", price: 120_000 },
    Product { id: "ao-dai", name: "Áo dài lụa", price: 1_250_000 },
];

/// One of the shop's orders.
#[derive(Clone, Debug, Serialize)]
pub struct ShopOrder {
    /// The shop's order id.
    pub order_id: String,
    /// Product name.
    pub product: String,
    /// Amount in VND.
    pub amount: i64,
    /// `card` or `qr`.
    pub method: String,
    /// The gateway's transaction id, once known.
    pub appotapay_trans_id: Option<String>,
    /// `pending`, `paid` or `failed (<code>)`, from IPNs.
    pub state: String,
    /// IPNs received for this order (duplicates included).
    pub ipn_count: u32,
}

/// The card the (one) customer of the demo saved: the token and what to show.
#[derive(Clone, Debug, Serialize)]
pub struct SavedCard {
    /// The gateway's token.
    pub token: String,
    /// First 6 and last 4 digits.
    pub card_number: String,
}

#[derive(Default)]
struct Db {
    orders: BTreeMap<String, ShopOrder>,
    saved_card: Option<SavedCard>,
}

struct Shop {
    config: Config,
    client: Client,
    db: Mutex<Db>,
    seq: AtomicU64,
}

type AppState = Arc<Shop>;

/// Builds the shop's router.
pub fn app(config: Config) -> Result<Router, String> {
    let client = Client::builder()
        .environment(Environment::Custom(config.gateway_url.clone()))
        .partner_code(config.partner_code.clone())
        .api_key(config.api_key.clone())
        .secret_key(config.secret_key.clone())
        .build()
        .map_err(|e| format!("SDK client: {e}"))?;
    let shop = Arc::new(Shop { config: config.clone(), client, db: Mutex::new(Db::default()), seq: AtomicU64::new(0) });
    Ok(Router::new()
        .route("/", get(index))
        .route("/pay", post(pay))
        .route("/forget-card", post(forget_card))
        .route("/return", get(return_page))
        .route("/ipn", post(ipn))
        .route("/orders", get(orders_page))
        .route("/orders.json", get(orders_json))
        .with_state(shop))
}

/// The IPN: v1.0 and v1.1 alike (a v1.1 IPN is v1.0's and `tokenResult`), verified
/// before anything is read, answered `{"status":"ok"}` once recorded.
async fn ipn(State(shop): State<AppState>, body: axum::body::Bytes) -> Response {
    let result = appotapay::verify_ipn_v11(&shop.config.secret_key, &body)
        .map_err(|e| e.to_string())
        .and_then(|n| shop.record_ipn(&n.base).map(|()| n));
    match result {
        Ok(n) => {
            if let Some(saved) = n.token().filter(|t| t.status == 0 && n.base.error_code.is_success()) {
                shop.db().saved_card = Some(SavedCard { token: saved.card.token, card_number: saved.card.card_number });
            }
            Json(serde_json::json!({"status": "ok"})).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "IPN refused");
            (StatusCode::BAD_REQUEST, Json(serde_json::json!({"status": "error"}))).into_response()
        }
    }
}

impl Shop {
    fn db(&self) -> std::sync::MutexGuard<'_, Db> {
        self.db.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies an IPN once: a repeated delivery is counted but changes nothing; an
    /// IPN for an unknown order or with a different amount is refused (the gateway
    /// will retry, and a human should look).
    fn record_ipn(&self, n: &PaymentNotification) -> Result<(), String> {
        let mut db = self.db();
        let order = db.orders.get_mut(&n.order_id).ok_or_else(|| format!("unknown order {}", n.order_id))?;
        if order.amount != n.amount.value() {
            return Err(format!("amount mismatch for {}", n.order_id));
        }
        order.ipn_count += 1;
        if order.state == "pending" {
            order.state =
                if n.error_code.is_success() { "paid".into() } else { format!("failed ({})", n.error_code.code()) };
            order.appotapay_trans_id = Some(n.appotapay_trans_id.clone());
        }
        Ok(())
    }
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn page(title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"vi\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>{t}</title><style>body{{font-family:system-ui,\
         sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}}.p{{border:1px solid #ddd;\
         border-radius:8px;padding:1rem;margin:1rem 0}}button{{padding:.5rem 1rem;margin-right:.5rem}}\
         table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #eee;padding:.4rem;text-align:left}}\
         </style></head><body><h1>{t}</h1>{body}<p><a href=\"/\">Cửa hàng</a> · <a href=\"/orders\">Đơn hàng</a></p>\
         </body></html>",
        t = esc(title)
    );
    (
        [
            (header::CONTENT_SECURITY_POLICY, "default-src 'none'; style-src 'unsafe-inline'; form-action *"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Html(html),
    )
        .into_response()
}

async fn index(State(shop): State<AppState>) -> Response {
    let saved = shop.db().saved_card.clone();
    let mut body = String::new();
    if let Some(card) = &saved {
        body.push_str(&format!(
            "<p id=\"saved-card\">Thẻ đã lưu: <b>{}</b></p><form method=\"post\" action=\"/forget-card\">\
             <button id=\"forget-card\">Xoá thẻ đã lưu</button></form>",
            esc(&card.card_number)
        ));
    }
    for p in PRODUCTS {
        let with_saved = match &saved {
            Some(_) => format!(
                "<button name=\"method\" value=\"saved\" id=\"pay-saved-{id}\">Thanh toán bằng thẻ đã lưu</button>",
                id = esc(p.id)
            ),
            None => String::new(),
        };
        body.push_str(&format!(
            "<div class=\"p\" id=\"{id}\"><h2>{name}</h2><p>{price}</p><form method=\"post\" action=\"/pay\">\
             <input type=\"hidden\" name=\"product\" value=\"{id}\">\
             <button name=\"method\" value=\"card\" id=\"pay-card-{id}\">Thanh toán bằng thẻ</button>\
             <button name=\"method\" value=\"card-save\" id=\"pay-save-{id}\">Thanh toán và lưu thẻ</button>\
             {with_saved}\
             <button name=\"method\" value=\"qr\" id=\"pay-qr-{id}\">Thanh toán bằng QR</button></form></div>",
            id = esc(p.id),
            name = esc(p.name),
            price = esc(&Amount::vnd(p.price).format_vi()),
        ));
    }
    page("Cửa hàng demo", &body)
}

/// "Forget my card": deletes the token at the gateway, then here.
async fn forget_card(State(shop): State<AppState>) -> Response {
    let saved = shop.db().saved_card.clone();
    if let Some(card) = saved {
        if let Err(e) = shop.client.v11().delete_token(&card.token).await {
            tracing::warn!(error = %e, "token delete failed");
        }
        shop.db().saved_card = None;
    }
    Redirect::to("/").into_response()
}

/// A v1.1 card payment that saves the card, or pays with the saved one.
fn v11_request(shop: &Shop, order_id: &str, info: String, product: &Product, token: Option<String>) -> V11Request {
    let cfg = &shop.config;
    V11Request {
        order_id: order_id.to_owned(),
        order_info: info,
        amount: Amount::vnd(product.price),
        client_ip: "127.0.0.1".into(),
        notify_url: format!("{}/ipn", cfg.public_url),
        redirect_url: format!("{}/return", cfg.public_url),
        payment_method: PaymentMethod::All.as_str().into(),
        bank_code: String::new(),
        extra_data: product.id.into(),
        action: if token.is_some() { Action::PayWithToken } else { Action::PayWithReturnToken },
        token,
        signature: String::new(),
    }
}

/// The pay form.
#[derive(Debug, Deserialize)]
pub struct PayForm {
    product: String,
    method: String,
}

async fn pay(State(shop): State<AppState>, Form(form): Form<PayForm>) -> Response {
    let Some(product) = PRODUCTS.iter().find(|p| p.id == form.product) else {
        return (StatusCode::BAD_REQUEST, page("Lỗi", "<p>Sản phẩm không tồn tại.</p>")).into_response();
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    let order_id = format!("SHOP-{now}-{}", shop.seq.fetch_add(1, Ordering::Relaxed));
    let cfg = &shop.config;
    let info = format!("Đơn hàng {order_id}: {}", product.name);
    let result = match form.method.as_str() {
        "card" => shop
            .client
            .create_bank_payment(BankPaymentRequest {
                order_id: order_id.clone(),
                order_info: info,
                amount: Amount::vnd(product.price),
                client_ip: "127.0.0.1".into(),
                notify_url: format!("{}/ipn", cfg.public_url),
                redirect_url: format!("{}/return", cfg.public_url),
                payment_method: PaymentMethod::All,
                bank_code: String::new(),
                extra_data: product.id.into(),
                signature: String::new(),
            })
            .await
            .map(|r| (r.payment_url, None)),
        "card-save" => shop
            .client
            .v11()
            .create_bank_payment(v11_request(&shop, &order_id, info, product, None), None)
            .await
            .map(|r| (r.payment_url, None)),
        "saved" => {
            let Some(card) = shop.db().saved_card.clone() else {
                return (StatusCode::BAD_REQUEST, page("Lỗi", "<p>Chưa có thẻ đã lưu.</p>")).into_response();
            };
            shop.client
                .v11()
                .create_bank_payment(v11_request(&shop, &order_id, info, product, Some(card.token)), None)
                .await
                .map(|r| (r.payment_url, None))
        }
        "qr" => shop
            .client
            .create_qr_payment(
                QrPaymentRequest {
                    order_id: order_id.clone(),
                    order_info: info,
                    amount: Amount::vnd(product.price),
                    client_ip: "127.0.0.1".into(),
                    notify_url: format!("{}/ipn", cfg.public_url),
                    redirect_url: format!("{}/return", cfg.public_url),
                    extra_data: product.id.into(),
                    signature: String::new(),
                },
                None,
            )
            .await
            .map(|r| (r.payment_url, Some(r.appotapay_trans_id))),
        _ => return (StatusCode::BAD_REQUEST, page("Lỗi", "<p>Phương thức không hợp lệ.</p>")).into_response(),
    };
    match result {
        Ok((payment_url, trans_id)) => {
            shop.db().orders.insert(
                order_id.clone(),
                ShopOrder {
                    order_id,
                    product: product.name.into(),
                    amount: product.price,
                    method: form.method,
                    appotapay_trans_id: trans_id,
                    state: "pending".into(),
                    ipn_count: 0,
                },
            );
            Redirect::to(&payment_url).into_response()
        }
        Err(e) => {
            tracing::warn!(error = %e, "payment creation failed");
            (
                StatusCode::BAD_GATEWAY,
                page("Lỗi", &format!("<p>Không tạo được thanh toán: {}</p>", esc(&e.to_string()))),
            )
                .into_response()
        }
    }
}

async fn return_page(State(shop): State<AppState>, RawQuery(query): RawQuery) -> Response {
    match appotapay::verify_redirect_v11(&shop.config.secret_key, &query.unwrap_or_default()).map(|n| n.base) {
        Ok(n) => {
            let (title, text) = if n.error_code.is_success() {
                ("Thanh toán thành công", "Cảm ơn bạn! Đơn hàng sẽ được xử lý khi cửa hàng nhận được xác nhận.")
            } else {
                ("Thanh toán không thành công", n.message.as_str())
            };
            page(
                title,
                &format!(
                    "<p id=\"result\" data-error-code=\"{code}\">{text}</p><p>Mã đơn hàng: <b id=\"order-id\">{oid}</b><br>\
                     Số tiền: {amount}<br>Mã giao dịch: {tid}</p>",
                    code = n.error_code.code(),
                    text = esc(text),
                    oid = esc(&n.order_id),
                    amount = esc(&n.amount.format_vi()),
                    tid = esc(&n.appotapay_trans_id),
                ),
            )
        }
        Err(e) => (
            StatusCode::BAD_REQUEST,
            page(
                "Liên kết không hợp lệ",
                &format!("<p id=\"result\" data-error-code=\"invalid\">{}</p>", esc(&e.to_string())),
            ),
        )
            .into_response(),
    }
}

/// An order as shown on `/orders`: the shop's record and the status API's answer.
#[derive(Clone, Debug, Serialize)]
pub struct ConfirmedOrder {
    /// The shop's record.
    #[serde(flatten)]
    pub order: ShopOrder,
    /// `errorCode` of the status API (the transaction's state), if it answered.
    pub confirmed_error_code: Option<u32>,
}

async fn confirmed(shop: &Shop) -> Vec<ConfirmedOrder> {
    let orders: Vec<ShopOrder> = shop.db().orders.values().cloned().collect();
    let mut out = Vec::with_capacity(orders.len());
    for order in orders {
        let code = shop.client.transaction_status(&order.order_id).await.ok().map(|s| s.error_code.code());
        out.push(ConfirmedOrder { order, confirmed_error_code: code });
    }
    out
}

async fn orders_json(State(shop): State<AppState>) -> Json<Vec<ConfirmedOrder>> {
    Json(confirmed(&shop).await)
}

async fn orders_page(State(shop): State<AppState>) -> Response {
    let mut rows = String::new();
    for c in confirmed(&shop).await {
        let confirmed = match c.confirmed_error_code {
            Some(0) => "0 (thành công)".to_owned(),
            Some(code) => code.to_string(),
            None => "—".to_owned(),
        };
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.order.order_id),
            esc(&c.order.product),
            esc(&Amount::vnd(c.order.amount).format_vi()),
            esc(&c.order.state),
            c.order.ipn_count,
            esc(&confirmed)
        ));
    }
    page(
        "Đơn hàng",
        &format!(
            "<table><tr><th>Mã</th><th>Sản phẩm</th><th>Số tiền</th><th>Theo IPN</th><th>IPN</th>\
             <th>API trạng thái</th></tr>{rows}</table>"
        ),
    )
}
