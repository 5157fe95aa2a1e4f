//! The console's form posts. Each checks that the post comes from the console's own
//! page (CSRF token and origin, [`super::session`]), makes the core call the admin
//! API makes too (which refuses viewers and writes the audit log), then answers
//! `303 See Other` back to the page with a confirmation, or a page saying why not.

use super::pages::{chrome, enc, internal, render_partners, signed_in};
use super::session::{self, Visitor};
use super::views::SecretPage;
use super::{html, message, see_other};
use crate::core::Gateway;
use crate::core::console::Refused;
use crate::domain::console::{self, Admin};
use appotapay_protocol::{ErrorCode, Lang};
use axum::Form;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use std::collections::HashMap;
use std::sync::Arc;

type Fields = HashMap<String, String>;

fn field<'f>(f: &'f Fields, name: &str) -> &'f str {
    f.get(name).map_or("", |s| s.as_str())
}

/// The visitor, signed in, posting from the console's own page with its token; the
/// answer otherwise.
async fn acting(
    gw: &Gateway,
    headers: &HeaderMap,
    form: &Result<Form<Fields>, FormRejection>,
    back: &str,
) -> Result<(Visitor, Admin, Fields), Response> {
    let (v, who) = signed_in(gw, headers).await?;
    let fields = match form {
        Ok(Form(f)) => f.clone(),
        Err(_) => Fields::new(),
    };
    let token_ok = session::csrf_ok(gw, headers, field(&fields, "csrf")).await.map_err(internal)?;
    if !session::same_origin(gw, headers) || !token_ok {
        let c = chrome(gw, &v, "", back, None);
        let t = c.t;
        return Err(message(c, StatusCode::FORBIDDEN, t.could_not, t.forbidden.into(), back.to_owned()));
    }
    Ok((v, who, fields))
}

/// The page of a refusal.
fn refusal(gw: &Gateway, v: &Visitor, r: &Refused, back: &str) -> Response {
    let status = match r {
        Refused::NotOperator => StatusCode::FORBIDDEN,
        Refused::NotFound | Refused::NotSandbox => StatusCode::NOT_FOUND,
        Refused::NoIpn | Refused::InFlight | Refused::Code(..) => StatusCode::CONFLICT,
    };
    let c = chrome(gw, v, "", back, None);
    let t = c.t;
    message(c, status, t.could_not, r.message(), back.to_owned())
}

fn bad(gw: &Gateway, v: &Visitor, why: &str, back: &str) -> Response {
    let c = chrome(gw, v, "", back, None);
    let t = c.t;
    message(c, StatusCode::BAD_REQUEST, t.could_not, why.to_owned(), back.to_owned())
}

/// `POST /console/login` (`token`): a session for a live admin token.
pub async fn login(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let v = or_answer!(session::visitor(&gw, &headers).await.map_err(internal));
    let fields = form.map(|Form(f)| f).unwrap_or_default();
    if !session::same_origin(&gw, &headers) || !session::login_csrf_ok(&gw, field(&fields, "csrf")) {
        let c = chrome(&gw, &v, "login", "/console/login", None);
        let t = c.t;
        return message(c, StatusCode::FORBIDDEN, t.could_not, t.forbidden.into(), "/console/login".into());
    }
    let admin = match gw.admin_by_token(field(&fields, "token").trim()).await {
        Ok(a) => a,
        Err(e) => return internal(e),
    };
    let Some(admin) = admin else {
        tracing::warn!("console: a sign-in with an unknown or revoked token");
        let c = chrome(&gw, &v, "login", "/console/login", None);
        return html(StatusCode::UNAUTHORIZED, &super::views::LoginPage { c, failed: true });
    };
    if let Err(e) = gw.audit(&admin, "console.login", &admin.id, serde_json::json!({})).await {
        return internal(e);
    }
    let hash = match gw.admin_by_id(&admin.id).await {
        Ok(Some((_, hash))) => hash,
        Ok(None) => return see_other("/console/login"),
        Err(e) => return internal(e),
    };
    let mut resp = see_other("/console");
    if let Ok(v) = HeaderValue::from_str(&session::session_cookie(&gw, &admin.id, &hash)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// `POST /console/logout`.
pub async fn logout(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    or_answer!(acting(&gw, &headers, &form, "/console").await);
    let mut resp = see_other("/console/login");
    if let Ok(v) = HeaderValue::from_str(&session::logout_cookie(&gw)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// Query of `GET /console/lang/{lang}`.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Back {
    /// The page to go back to (a console path).
    pub back: Option<String>,
}

/// `GET /console/lang/{vi|en}?back=/console/…`: remembers the language, back to the
/// page (only console pages and the front door: never another site).
pub async fn set_lang(lang: Result<Path<String>, PathRejection>, q: Result<Query<Back>, QueryRejection>) -> Response {
    let lang = match lang.map(|Path(l)| l).as_deref() {
        Ok("en") => Lang::En,
        _ => Lang::Vi,
    };
    let back = q.ok().and_then(|Query(b)| b.back).unwrap_or_default();
    let safe = (back == "/" || back.starts_with("/console")) && !back.starts_with("//") && !back.contains('\\');
    let mut resp = see_other(if safe { &back } else { "/console" });
    if let Ok(v) = HeaderValue::from_str(&session::lang_cookie(lang)) {
        resp.headers_mut().append(header::SET_COOKIE, v);
    }
    resp
}

/// `POST /console/orders/{appotapayTransId}/{resend|refund|settle}`.
pub async fn order_action(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let Ok(Path((id, action))) = path else { return see_other("/console/orders") };
    let back = format!("/console/orders/{}", enc(&id));
    let (v, who, f) = or_answer!(acting(&gw, &headers, &form, &back).await);
    let done = match action.as_str() {
        "resend" => gw.resend_ipn(&who, &id).await.map(|r| r.map(|_| "resent")),
        "refund" => {
            let Ok(amount) = field(&f, "amount").trim().parse::<i64>() else {
                return bad(&gw, &v, "amount: a whole number of VND", &back);
            };
            if amount <= 0 {
                return bad(&gw, &v, "amount: a whole number of VND", &back);
            }
            let reason = field(&f, "reason");
            if reason.chars().count() > 255 {
                return bad(&gw, &v, "reason: at most 255 characters", &back);
            }
            let key = Some(field(&f, "key")).filter(|k| crate::core::console::valid_refund_key(k));
            gw.operator_refund(&who, &id, amount, reason, key).await.map(|r| r.map(|_| "refunded"))
        }
        "settle" => {
            let Ok(code) = field(&f, "code").trim().parse::<u32>() else {
                return bad(&gw, &v, "code: an errorCode", &back);
            };
            gw.operator_settle(&who, &id, ErrorCode(code)).await.map(|r| r.map(|_| "settled"))
        }
        _ => return see_other(&back),
    };
    match done {
        Ok(Ok(flash)) => see_other(&format!("{back}?flash={flash}")),
        Ok(Err(r)) => refusal(&gw, &v, &r, &back),
        Err(e) => internal(e),
    }
}

/// `POST /console/deliveries/{outboxId}/redrive`.
pub async fn redrive_one(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    id: Result<Path<i64>, PathRejection>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let back = "/console/deliveries";
    let (v, who, _) = or_answer!(acting(&gw, &headers, &form, back).await);
    let Ok(Path(id)) = id else { return bad(&gw, &v, "outbox id: an integer", back) };
    match gw.redrive_one(&who, id).await {
        Ok(Ok(_)) => see_other("/console/deliveries?flash=redriven"),
        Ok(Err(r)) => refusal(&gw, &v, &r, back),
        Err(e) => internal(e),
    }
}

/// `POST /console/deliveries/redrive` (`partner`, `url`?).
pub async fn redrive(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let back = "/console/deliveries";
    let (v, who, f) = or_answer!(acting(&gw, &headers, &form, back).await);
    let partner = field(&f, "partner");
    let url = Some(field(&f, "url")).filter(|u| !u.is_empty());
    match gw.redrive(&who, partner, url).await {
        Ok(Ok(_)) => see_other("/console/deliveries?flash=redriven"),
        Ok(Err(r)) => refusal(&gw, &v, &r, back),
        Err(e) => internal(e),
    }
}

/// `POST /console/partners` (`code`, `name`, `notify_failures`): the new
/// credentials, shown once.
pub async fn create_partner(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let back = "/console/partners";
    let (v, who, f) = or_answer!(acting(&gw, &headers, &form, back).await);
    let code = field(&f, "code").trim();
    let name = field(&f, "name").trim();
    if !console::valid_partner_code(code) {
        let c = chrome(&gw, &v, "partners", back, None);
        return render_partners(&gw, c, Some(format!("code: {}", console::PARTNER_CODE_RULE))).await;
    }
    if name.is_empty() || name.chars().count() > 200 {
        let c = chrome(&gw, &v, "partners", back, None);
        return render_partners(&gw, c, Some("name: 1 to 200 characters".into())).await;
    }
    match gw.operator_create_partner(&who, code, name, field(&f, "notify_failures") == "on").await {
        Ok(Ok((api_key, secret))) => {
            let c = chrome(&gw, &v, "partners", back, None);
            html(
                StatusCode::CREATED,
                &SecretPage { c, partner_code: code.to_owned(), api_key, secret, grace_until: None },
            )
        }
        Ok(Err(Refused::Code(_, why))) => {
            let c = chrome(&gw, &v, "partners", back, None);
            render_partners(&gw, c, Some(why)).await
        }
        Ok(Err(r)) => refusal(&gw, &v, &r, back),
        Err(e) => internal(e),
    }
}

/// `POST /console/partners/{code}/{lock|unlock|notify|sub-account|rotate}`.
pub async fn partner_action(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    path: Result<Path<(String, String)>, PathRejection>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let Ok(Path((code, action))) = path else { return see_other("/console/partners") };
    let back = format!("/console/partners/{}", enc(&code));
    let (v, who, f) = or_answer!(acting(&gw, &headers, &form, &back).await);
    let done = match action.as_str() {
        "lock" => gw.operator_lock(&who, &code, true).await.map(|r| r.map(|()| "locked")),
        "unlock" => gw.operator_lock(&who, &code, false).await.map(|r| r.map(|()| "unlocked")),
        "notify" => {
            gw.operator_notify_failures(&who, &code, field(&f, "on") == "on").await.map(|r| r.map(|()| "saved"))
        }
        "sub-account" => {
            gw.operator_sub_account(&who, &code, field(&f, "owner") == "on").await.map(|r| r.map(|_| "saved"))
        }
        "rotate" => {
            let Ok(grace) = field(&f, "grace").trim().parse::<u64>() else {
                return bad(&gw, &v, "grace: seconds", &back);
            };
            if grace > 30 * 86_400 {
                return bad(&gw, &v, "grace: at most 30 days", &back);
            }
            return match gw.operator_rotate(&who, &code, std::time::Duration::from_secs(grace)).await {
                Ok(Ok((api_key, secret, until))) => {
                    let c = chrome(&gw, &v, "partners", &back, None);
                    html(
                        StatusCode::OK,
                        &SecretPage {
                            c,
                            partner_code: code.clone(),
                            api_key,
                            secret,
                            grace_until: until.map(super::format::vn_time),
                        },
                    )
                }
                Ok(Err(r)) => refusal(&gw, &v, &r, &back),
                Err(e) => internal(e),
            };
        }
        _ => return see_other(&back),
    };
    match done {
        Ok(Ok(flash)) => see_other(&format!("{back}?flash={flash}")),
        Ok(Err(r)) => refusal(&gw, &v, &r, &back),
        Err(e) => internal(e),
    }
}

/// `POST /console/tokens/{id}/revoke`.
pub async fn revoke_token(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    form: Result<Form<Fields>, FormRejection>,
) -> Response {
    let back = "/console/audit";
    let (v, who, _) = or_answer!(acting(&gw, &headers, &form, back).await);
    let Ok(Path(id)) = id else { return see_other(back) };
    match gw.revoke_admin_token(&who, &id).await {
        Ok(Ok(())) => see_other("/console/audit?flash=revoked"),
        Ok(Err(r)) => refusal(&gw, &v, &r, back),
        Err(e) => internal(e),
    }
}
