//! A complete API v2 merchant integration: create a payment that saves the card,
//! receive the base64 IPN, show the result from the redirect, and pay the next order
//! with the saved card.
use appotapay::protocol::v2::{CreateRequest, CreateTransaction, NotificationConfig, OrderReference, PartnerReference};
use appotapay::protocol::v11::Action;
use appotapay::{Amount, Client, Environment, SecretKey};
use axum::body::Bytes;
use axum::routing::{get, post};
use axum::{Json, Router, extract::RawQuery};

fn order(id: &str, action: Action, token: Option<String>) -> CreateRequest {
    CreateRequest {
        transaction: CreateTransaction {
            amount: Amount::vnd(150_000),
            currency: "VND".into(),
            bank_code: String::new(),
            payment_method: "ALL".into(),
            action,
            token,
        },
        partner_reference: PartnerReference {
            order: OrderReference { id: id.into(), info: format!("Đơn hàng {id}"), extra_data: String::new() },
            notification_config: Some(NotificationConfig {
                notify_url: "https://shop.example/ipn".into(),
                redirect_url: "https://shop.example/return".into(),
                installment_notify_url: None,
            }),
        },
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = Client::builder()
        .environment(Environment::Custom(std::env::var("APPOTAPAY_BASE_URL")?)) // e.g. http://127.0.0.1:8080
        .partner_code(std::env::var("APPOTAPAY_PARTNER_CODE")?)
        .api_key(std::env::var("APPOTAPAY_API_KEY")?)
        .secret_key(SecretKey::new(std::env::var("APPOTAPAY_SECRET_KEY")?))
        .build()?;

    // 1. A payment that saves the card: send the customer to payment.url.
    let created = client.v2().create_payment(&order("ORDER-1", Action::PayWithReturnToken, None), None).await?;
    println!("send the customer to {} ({})", created.payment.url, created.transaction.transaction_id);

    // 2. The IPN: {"data", "signature", "time"}, verified over the data text before it is
    //    decoded. Answer {"status":"ok"} once handled; it may come more than once.
    let ipn_client = client.clone();
    let ipn = post(move |body: Bytes| async move {
        match ipn_client.v2().verify_ipn(&body) {
            Ok(payload) => {
                let t = &payload.transaction;
                println!("order {}: {} ({})", payload.partner_reference.order.id, t.status, t.transaction_id);
                if let Some(saved) = payload.token() {
                    // Keep the token (never a card number) for the customer's next order.
                    println!("saved card {} as token {}", saved.card.card_number, saved.card.token);
                }
                Json(serde_json::json!({"status": "ok"}))
            }
            Err(e) => Json(serde_json::json!({"status": "error", "reason": e.to_string()})),
        }
    });
    // 3. The redirect tells the customer what happened; fulfil from the IPN.
    let page_client = client.clone();
    let result_page = get(move |RawQuery(query): RawQuery| async move {
        match page_client.v2().verify_redirect(&query.unwrap_or_default()) {
            Ok(p) if p.transaction.error_code.is_success() => "Thank you, payment received",
            Ok(_) => "The payment did not go through",
            Err(_) => "Invalid link",
        }
    });
    // 4. Later: the saved card pays the next order (the checkout still asks for the OTP).
    if let Ok(token) = std::env::var("APPOTAPAY_SAVED_TOKEN") {
        let next = client.v2().create_payment(&order("ORDER-2", Action::PayWithToken, Some(token)), None).await?;
        println!("next order: {}", next.payment.url);
    }
    let app = Router::new().route("/ipn", ipn).route("/return", result_page);
    axum::serve(tokio::net::TcpListener::bind("127.0.0.1:3000").await?, app).await?;
    Ok(())
}
