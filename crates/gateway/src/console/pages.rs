//! The console's GET pages: each reads what it shows through the core and renders
//! it; nothing here changes state.

use super::format::{parse_vn_input, vn_time, vnd};
use super::session::{self, Visitor};
use super::views::*;
use super::{html, message, see_other};
use crate::core::console::{DELIVERY_GROUPS, GROUP_ITEMS};
use crate::core::{CoreError, Gateway};
use crate::domain::console::{Admin, OrderFilters, attempt_result};
use crate::domain::order::State as OrderState;
use crate::domain::records::PartnerRecord;
use appotapay_protocol::Lang;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Deserialize;
use std::sync::Arc;

/// Rows per page of the order list and the audit log.
pub const PAGE_SIZE: u32 = 50;

/// The confirmation a `?flash=` names (only these: a link cannot make the console
/// say something else).
pub(super) fn flash_text(v: &Visitor, flash: Option<&str>) -> Option<&'static str> {
    let t = v.t();
    Some(match flash? {
        "resent" => t.done_resent,
        "redriven" => t.done_redriven,
        "refunded" => t.done_refunded,
        "settled" => t.done_settled,
        "locked" => t.done_locked,
        "unlocked" => t.done_unlocked,
        "saved" => t.done_saved,
        "revoked" => t.done_revoked,
        _ => return None,
    })
}

/// The chrome of a page for a visitor; `here` is the page's path and query (for
/// the language link).
pub(super) fn chrome(gw: &Gateway, v: &Visitor, nav: &'static str, here: &str, flash: Option<&'static str>) -> Chrome {
    let (who, role, can_act) = match &v.admin {
        Some(a) => (a.label(), a.role.as_str(), a.role.may_act()),
        None => (String::new(), "", false),
    };
    let other = match v.lang {
        Lang::Vi => "en",
        Lang::En => "vi",
    };
    let back: String = url::form_urlencoded::byte_serialize(here.as_bytes()).collect();
    Chrome {
        t: v.t(),
        nav,
        who,
        role,
        can_act,
        signed_in: v.admin.is_some() && !v.local,
        local: v.local,
        sandbox: gw.simulator().is_some(),
        csrf: v.csrf.clone(),
        css_url: super::front::css_url(),
        js_url: super::front::js_url(),
        lang_url: format!("/console/lang/{other}?back={back}"),
        flash,
    }
}

/// The answer to a core failure.
pub(super) fn internal(e: CoreError) -> Response {
    tracing::error!(error = %e, "console: core operation failed");
    let mut resp = axum::response::IntoResponse::into_response((StatusCode::INTERNAL_SERVER_ERROR, "internal error"));
    super::secure(&mut resp);
    resp
}

/// The visitor, signed in; else the answer (to the login page).
pub(super) async fn signed_in(gw: &Gateway, headers: &HeaderMap) -> Result<(Visitor, Admin), Response> {
    let v = session::visitor(gw, headers).await.map_err(internal)?;
    match v.admin.clone() {
        Some(a) => Ok((v, a)),
        None => Err(see_other("/console/login")),
    }
}

pub(super) fn path_of(uri: &OriginalUri) -> String {
    uri.0.path_and_query().map_or_else(|| uri.0.path().to_owned(), |p| p.as_str().to_owned())
}

pub(super) fn bad_request(gw: &Gateway, v: &Visitor, nav: &'static str, back: &str) -> Response {
    let c = chrome(gw, v, nav, back, None);
    let t = c.t;
    message(c, StatusCode::BAD_REQUEST, t.could_not, "bad request".into(), back.to_owned())
}

/// Query of pages that only show a confirmation.
#[derive(Debug, Default, Deserialize)]
pub struct FlashQuery {
    /// What the last action did.
    pub flash: Option<String>,
    /// Overview: `hour` or `day`.
    pub window: Option<String>,
    /// Audit log: entries below this id.
    pub before: Option<i64>,
}

/// `GET /console/login`.
pub async fn login(State(gw): State<Arc<Gateway>>, headers: HeaderMap) -> Response {
    let v = or_answer!(session::visitor(&gw, &headers).await.map_err(internal));
    if v.admin.is_some() {
        return see_other("/console");
    }
    let c = chrome(&gw, &v, "login", "/console/login", None);
    html(StatusCode::OK, &LoginPage { c, failed: false })
}

/// `GET /console`: the overview.
pub async fn overview(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    uri: OriginalUri,
    q: Result<Query<FlashQuery>, QueryRejection>,
) -> Response {
    let (v, _) = or_answer!(signed_in(&gw, &headers).await);
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let here = path_of(&uri);
    let c = chrome(&gw, &v, "overview", &here, flash_text(&v, q.flash.as_deref()));
    let window = if q.window.as_deref() == Some("day") { "day" } else { "hour" };
    let (outbox_now, groups) = match (gw.outbox_depth().await, gw.delivery_groups(None, DELIVERY_GROUPS, 0).await) {
        (Ok(d), Ok(g)) => (d, g),
        (Err(e), _) | (_, Err(e)) => return internal(e),
    };
    let charts = match super::overview_charts(&gw, c.t, window).await {
        Ok(ch) => ch,
        Err(e) => return internal(e),
    };
    let down_urls = groups.iter().filter(|g| g.dark).count();
    html(StatusCode::OK, &OverviewPage { c, window, charts, outbox_now, failing_urls: groups.len(), down_urls })
}

/// Every state, for the filter.
fn state_names() -> Vec<&'static str> {
    OrderState::ALL.iter().map(|s| s.as_str()).collect()
}

/// `GET /console/orders?partner&state&method&order_id&trans_id&from&to&page`.
pub async fn orders(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    uri: OriginalUri,
    q: Result<Query<OrderForm>, QueryRejection>,
) -> Response {
    let (v, _) = or_answer!(signed_in(&gw, &headers).await);
    let here = path_of(&uri);
    let Ok(Query(f)) = q else { return bad_request(&gw, &v, "orders", "/console/orders") };
    let c = chrome(&gw, &v, "orders", &here, flash_text(&v, f.flash.as_deref()));
    let page = f.page.unwrap_or(1).max(1);
    let mut problem = None;
    let mut time = |s: &str, what: &str| {
        if s.trim().is_empty() {
            return None;
        }
        let parsed = parse_vn_input(s);
        if parsed.is_none() {
            problem = Some(format!("{what}: {s:?}"));
        }
        parsed
    };
    let (from_ms, to_ms) = (time(&f.from, c.t.from), time(&f.to, c.t.to));
    let filters = OrderFilters {
        partner: Some(f.partner.clone()),
        state: Some(f.state.clone()),
        method: Some(f.method.clone()),
        order_id: Some(f.order_id.clone()),
        trans_id: Some(f.trans_id.clone()),
        from_ms,
        to_ms,
        offset: Some((page - 1).saturating_mul(u64::from(PAGE_SIZE))),
        limit: Some(PAGE_SIZE),
    };
    let partners = match gw.partners().await {
        Ok(p) => p.into_iter().map(|p| p.code).collect(),
        Err(e) => return internal(e),
    };
    let (total, rows) = match filters.query() {
        Ok(query) if problem.is_none() => match gw.search_orders(&query).await {
            Ok(found) => found,
            Err(e) => return internal(e),
        },
        Ok(_) => (0, Vec::new()),
        Err(why) => {
            problem = Some(why);
            (0, Vec::new())
        }
    };
    let rows: Vec<OrderRow> = rows
        .iter()
        .map(|o| OrderRow {
            trans_id: o.trans_id.as_str().to_owned(),
            partner: o.partner_code.clone(),
            order_id: o.order_id.clone(),
            method: o.payment_method.as_str().to_owned(),
            amount: vnd(o.amount),
            state: o.state.as_str(),
            created: vn_time(o.created_at_ms),
            order_info: o.order_info.clone(),
        })
        .collect();
    let first = (page - 1).saturating_mul(u64::from(PAGE_SIZE));
    let shown = rows.len() as u64;
    let range = if shown == 0 {
        format!("0 {}", c.t.orders_found)
    } else {
        format!("{}–{} / {total} {}", first.saturating_add(1), first.saturating_add(shown), c.t.orders_found)
    };
    let page_url = |n: u64| {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, val) in [
            ("partner", &f.partner),
            ("state", &f.state),
            ("method", &f.method),
            ("order_id", &f.order_id),
            ("trans_id", &f.trans_id),
            ("from", &f.from),
            ("to", &f.to),
        ] {
            if !val.is_empty() {
                s.append_pair(k, val);
            }
        }
        s.append_pair("page", &n.to_string());
        format!("/console/orders?{}", s.finish())
    };
    let prev_url = (page > 1).then(|| page_url(page - 1));
    let next_url = (first.saturating_add(shown) < u64::try_from(total).unwrap_or(0)).then(|| page_url(page + 1));
    html(
        StatusCode::OK,
        &OrdersPage {
            c,
            rows,
            total,
            range,
            f,
            partners,
            states: state_names(),
            methods: appotapay_protocol::PaymentMethod::ALL_METHODS.iter().map(|m| m.as_str()).collect(),
            prev_url,
            next_url,
            problem,
            first_page: page == 1,
        },
    )
}

/// `GET /console/deliveries`.
pub async fn deliveries(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    uri: OriginalUri,
    q: Result<Query<FlashQuery>, QueryRejection>,
) -> Response {
    let (v, _) = or_answer!(signed_in(&gw, &headers).await);
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let c = chrome(&gw, &v, "deliveries", &path_of(&uri), flash_text(&v, q.flash.as_deref()));
    let groups = match gw.delivery_groups(None, DELIVERY_GROUPS, GROUP_ITEMS).await {
        Ok(g) => g,
        Err(e) => return internal(e),
    };
    let groups = groups
        .iter()
        .map(|g| GroupView {
            partner: g.counts.partner_code.clone(),
            url: g.counts.url.clone(),
            failing: g.counts.failing,
            exhausted: g.counts.exhausted,
            since: vn_time(g.counts.failing_since_ms),
            last_delivered: g.counts.last_delivered_ms.map(vn_time),
            down: g.dark,
            items: g
                .items
                .iter()
                .map(|i| FailingView {
                    outbox_id: i.outbox_id,
                    trans_id: i.trans_id.clone(),
                    exhausted: i.status == crate::domain::delivery::DeliveryStatus::Failed,
                    attempts: i.attempts,
                    created: vn_time(i.created_at_ms),
                    last_result: i.last.as_ref().map_or_else(|| "—".to_owned(), attempt_result),
                    last_time: i.last.as_ref().map(|a| vn_time(a.at_ms)).unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    html(StatusCode::OK, &DeliveriesPage { c, groups })
}

pub(super) fn partner_row(p: &PartnerRecord) -> PartnerRow {
    PartnerRow {
        code: p.code.clone(),
        name: p.name.clone(),
        api_key: p.api_key.clone(),
        locked: p.locked,
        notify_failures: p.notify_failures,
        created: vn_time(p.created_at_ms),
        previous_until: p.previous.as_ref().map(|k| vn_time(k.until_ms)),
    }
}

/// `GET /console/partners`.
pub async fn partners(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    uri: OriginalUri,
    q: Result<Query<FlashQuery>, QueryRejection>,
) -> Response {
    let (v, _) = or_answer!(signed_in(&gw, &headers).await);
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let c = chrome(&gw, &v, "partners", &path_of(&uri), flash_text(&v, q.flash.as_deref()));
    render_partners(&gw, c, None).await
}

/// The partner list, with a refused creation's message.
pub(super) async fn render_partners(gw: &Gateway, c: Chrome, problem: Option<String>) -> Response {
    match gw.partners().await {
        Ok(list) => {
            let status = if problem.is_some() { StatusCode::BAD_REQUEST } else { StatusCode::OK };
            html(status, &PartnersPage { c, partners: list.iter().map(partner_row).collect(), problem })
        }
        Err(e) => internal(e),
    }
}

/// `GET /console/partners/{code}`.
pub async fn partner(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    uri: OriginalUri,
    code: Result<Path<String>, PathRejection>,
    q: Result<Query<FlashQuery>, QueryRejection>,
) -> Response {
    let (v, _) = or_answer!(signed_in(&gw, &headers).await);
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let c = chrome(&gw, &v, "partners", &path_of(&uri), flash_text(&v, q.flash.as_deref()));
    let Ok(Path(code)) = code else { return bad_request(&gw, &v, "partners", "/console/partners") };
    let list = match gw.partners().await {
        Ok(l) => l,
        Err(e) => return internal(e),
    };
    let Some(p) = list.iter().find(|p| p.code == code) else {
        let t = c.t;
        return message(c, StatusCode::NOT_FOUND, t.not_found, code, "/console/partners".into());
    };
    let subs = match gw.sub_accounts(&code).await {
        Ok(s) => s,
        Err(e) => return internal(e),
    };
    let any = c.t.any;
    let list_or_any = |l: &[String]| if l.is_empty() { any.to_owned() } else { l.join(", ") };
    html(
        StatusCode::OK,
        &PartnerPage {
            p: partner_row(p),
            subs: subs
                .iter()
                .map(|s| SubRow { id: s.id.clone(), owner: s.owner, created: vn_time(s.created_at_ms) })
                .collect(),
            methods: list_or_any(&p.allowed.methods),
            banks: list_or_any(&p.allowed.banks),
            c,
        },
    )
}

/// `GET /console/audit?before=ID`.
pub async fn audit(
    State(gw): State<Arc<Gateway>>,
    headers: HeaderMap,
    uri: OriginalUri,
    q: Result<Query<FlashQuery>, QueryRejection>,
) -> Response {
    let (v, who) = or_answer!(signed_in(&gw, &headers).await);
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let c = chrome(&gw, &v, "audit", &path_of(&uri), flash_text(&v, q.flash.as_deref()));
    let entries = match gw.audit_log(q.before, None, PAGE_SIZE).await {
        Ok(e) => e,
        Err(e) => return internal(e),
    };
    let tokens = if who.role.may_act() {
        match gw.admin_tokens().await {
            Ok(t) => t,
            Err(e) => return internal(e),
        }
    } else {
        Vec::new()
    };
    let next_url = (entries.len() as u32 == PAGE_SIZE)
        .then(|| entries.last().map(|e| format!("/console/audit?before={}", e.id)))
        .flatten();
    let entries = entries
        .iter()
        .map(|e| {
            let target_url = if e.entry.action.starts_with("partner.") {
                Some(format!("/console/partners/{}", enc(&e.entry.target)))
            } else if e.entry.action.starts_with("ipn.") && e.entry.action != "ipn.redrive_all"
                || e.entry.action.starts_with("refund.")
                || e.entry.action.starts_with("order.")
            {
                Some(format!("/console/orders/{}", enc(&e.entry.target)))
            } else {
                None
            };
            AuditRow {
                time: vn_time(e.entry.at_ms),
                actor: e.entry.actor.clone(),
                action: e.entry.action.clone(),
                target: e.entry.target.clone(),
                target_url,
                detail: e.entry.detail.clone(),
            }
        })
        .collect();
    let tokens = tokens
        .iter()
        .map(|k| TokenRow {
            id: k.id.clone(),
            name: k.name.clone(),
            role: k.role.as_str(),
            created: vn_time(k.created_at_ms),
            revoked: k.revoked_at_ms.map(vn_time),
        })
        .collect();
    html(StatusCode::OK, &AuditPage { c, entries, tokens, next_url })
}

/// A path segment, percent-encoded.
pub(super) fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// `GET /console/live`.
pub async fn live(State(gw): State<Arc<Gateway>>, headers: HeaderMap, uri: OriginalUri) -> Response {
    let (v, _) = or_answer!(signed_in(&gw, &headers).await);
    let c = chrome(&gw, &v, "live", &path_of(&uri), None);
    html(StatusCode::OK, &LivePage { c })
}
