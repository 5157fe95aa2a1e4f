//! A complete merchant integration: create a payment, receive the IPN, show the result.
use appotapay::{Amount, BankPaymentRequest, Client, Environment, PaymentMethod, PaymentNotification, SecretKey};
use axum::{Router, extract::RawQuery, routing::get};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let secret = SecretKey::new(std::env::var("APPOTAPAY_SECRET_KEY")?);
    let client = Client::builder()
        .environment(Environment::Sandbox) // or Custom("http://127.0.0.1:8080".into())
        .partner_code(std::env::var("APPOTAPAY_PARTNER_CODE")?)
        .api_key(std::env::var("APPOTAPAY_API_KEY")?)
        .secret_key(secret.clone())
        .build()?;

    let payment = client
        .create_bank_payment(BankPaymentRequest {
            order_id: "ORDER-1".into(),
            order_info: "Đơn hàng ORDER-1".into(),
            amount: Amount::vnd(150_000),
            client_ip: "203.0.113.7".into(),
            notify_url: "https://shop.example/ipn".into(),
            redirect_url: "https://shop.example/return".into(),
            payment_method: PaymentMethod::All,
            bank_code: String::new(),
            extra_data: String::new(),
            signature: String::new(), // the client signs
        })
        .await?;
    println!("send the customer to {}", payment.payment_url);

    // IPN: verified, then handed over; may arrive more than once, so fulfil idempotently.
    let ipn = appotapay::axum::ipn_route(secret, |n: PaymentNotification| async move {
        println!("order {}: errorCode {} ({})", n.order_id, n.error_code, n.appotapay_trans_id);
        Ok::<(), std::convert::Infallible>(())
    });
    // Redirect: tells the customer what happened; fulfil from the IPN.
    let result_page = get(move |RawQuery(query): RawQuery| async move {
        match client.verify_redirect(&query.unwrap_or_default()) {
            Ok(n) if n.error_code.is_success() => "Thank you, payment received",
            Ok(_) => "The payment did not go through",
            Err(_) => "Invalid link",
        }
    });
    let app = Router::new().route("/ipn", ipn).route("/return", result_page);
    axum::serve(tokio::net::TcpListener::bind("0.0.0.0:3000").await?, app).await?;
    Ok(())
}
