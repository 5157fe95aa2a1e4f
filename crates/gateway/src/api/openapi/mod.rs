//! The OpenAPI 3.1 document of the gateway's HTTP API, generated from the handlers'
//! `#[utoipa::path]` annotations and served at `GET /openapi.json`.
//!
//! It exists so that a merchant's tooling (clients, mocks, fuzzers such as
//! schemathesis, which `scripts/schemathesis` runs against a live gateway) reads the
//! same contract the gateway answers by. The handlers parse raw JSON on purpose (see
//! [`crate::api`]); the request and answer shapes are described by
//! documentation-only types in `schemas/`, never built. The errorCodes of every
//! partner operation are in one table (`errors.rs`), which [`document`] turns into
//! that operation's error responses and the list in its description.
//!
//! The document depends on the mode: the sandbox helpers (`/api/v1/sandbox/…`) are
//! in it only when they are routed (`document(true)`); `docs/openapi.json` is the
//! sandbox document, and `appotapay-gateway openapi` prints it.
//!
//! ## Adding an endpoint
//!
//! 1. Describe its body and answer in `schemas/` (the admin API's in
//!    `schemas/admin.rs`; derive `Serialize` and `ToSchema`, field names as on the
//!    wire) unless one there fits.
//! 2. Annotate the handler: `#[utoipa::path(get, path = "/admin/api/v1/…",
//!    operation_id = "adminSomething", tag = "admin", params(…), request_body = …,
//!    responses((status = 200, body = …), (status = 404, body = AdminError)),
//!    security(("adminBearer" = [])))]`. The path is the route's, exactly as in
//!    `api::routes` (parameters named as there: `{refund_id}`). A partner operation
//!    lists only its success answer and gets its errors from its row in `errors.rs`
//!    (add one); other operations list their error answers themselves.
//! 3. Name the handler in [`ApiDoc`]'s `paths(…)` (and in its `components(…)` a
//!    schema used only by a parameter, which utoipa does not collect).
//! 4. Run `cargo run -p appotapay-gateway -- openapi > docs/openapi.json`; the
//!    integration test `openapi` fails until the copy is regenerated, and when a
//!    route of `api::routes` is missing from the document.

mod errors;
pub(in crate::api) mod schemas;

use super::{admin, admin_console, admin_partners, bank_feeds, ops, payments, refunds, sandbox, v2, v2_refunds, v11};
use crate::core::Gateway;
use appotapay_protocol::{ERROR_CODES, ErrorCode, headers};
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::sync::{Arc, OnceLock};
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, Ref, Schema, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, RefOr, Required, ResponseBuilder};
use utoipa::{Modify, OpenApi};

/// The prefix of the sandbox helpers' paths.
pub const SANDBOX_PREFIX: &str = "/api/v1/sandbox/";

/// The security scheme of the partner API: the `X-APPOTAPAY-AUTH` JWT.
pub const PARTNER_JWT: &str = "partnerJwt";
/// The security scheme of the admin API: `Authorization: Bearer <admin_token>`.
pub const ADMIN_BEARER: &str = "adminBearer";
/// The security scheme of `/metrics` with a `metrics_token`.
pub const METRICS_BEARER: &str = "metricsBearer";

/// Every documented path (see the module documentation to add one).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "AppotaPay-compatible payment gateway",
        description = "AppotaPay's partner API v1.0, v1.1 and v2, the sandbox helpers (sandbox mode only), the bank-feed webhooks, \
                       the admin API and the operations endpoints. Errors answer {\"errorCode\", \"message\"} \
                       (v2: with \"errors\"); each operation lists the errorCodes it can answer and the HTTP \
                       status of each. X-Error-Detail says which field was wrong and why; X-Request-ID is echoed.",
        license(name = "Apache-2.0")
    ),
    paths(
        payments::create_bank,
        payments::create_qr,
        payments::status,
        refunds::create,
        refunds::detail,
        refunds::by_order,
        refunds::list,
        v11::create_bank,
        v11::status,
        v11::list,
        v11::token_delete,
        v11::token_of_order,
        v2::create,
        v2::status,
        v2::list,
        v2::token_delete,
        v2_refunds::create,
        v2_refunds::detail,
        sandbox::complete,
        sandbox::bank_credit,
        sandbox::conformance,
        sandbox::add_delivery_fault,
        sandbox::delivery_faults,
        sandbox::clear_delivery_faults,
        sandbox::clock,
        sandbox::advance_clock,
        bank_feeds::webhook,
        admin::list_credits,
        admin::get_credit,
        admin::resolve_credit,
        admin::refund_by_hand,
        admin_console::whoami,
        admin_console::list_orders,
        admin_console::get_order,
        admin_console::resend_ipn,
        admin_console::refund,
        admin_console::settle,
        admin_console::deliveries,
        admin_console::redrive_one,
        admin_console::redrive,
        admin_partners::partners,
        admin_partners::partner,
        admin_partners::create_partner,
        admin_partners::partner_action,
        admin_console::audit,
        admin_console::tokens,
        admin_console::revoke_token,
        ops::healthz,
        ops::metrics,
        serve,
    ),
    // The schemas referenced other than by a body (utoipa collects those itself).
    components(schemas(schemas::ErrorBody, schemas::V2ErrorBody, schemas::FeedProvider)),
    modifiers(&Security),
    tags(
        (name = "v1", description = "API v1.0 (spec §5)"),
        (name = "v1.1", description = "API v1.1: saved-card tokens (docs §13)"),
        (name = "v2", description = "API v2: nested bodies, JWT only (docs §14, §15)"),
        (name = "sandbox", description = "Sandbox helpers (spec §7); routed only in sandbox mode"),
        (name = "bank-feeds", description = "Bank-feed webhooks (SePay, Casso)"),
        (name = "admin", description = "The operator's API (the console's actions): Authorization: Bearer <admin token>; a viewer's token reads, acting needs an operator's"),
        (name = "ops", description = "Health, metrics and this document"),
    )
)]
#[derive(Debug)]
pub struct ApiDoc;

/// Adds the security schemes. The partner header's name is the protocol's.
#[derive(Debug)]
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        let mut jwt = ApiKeyValue::with_description(
            headers::AUTH,
            "A JWT (HS256) signed with the partner's secret key: iss = partner code, api_key, exp (unix seconds), \
             jti; with or without `Bearer `.",
        );
        jwt.name = headers::AUTH.to_owned();
        components.add_security_scheme(PARTNER_JWT, SecurityScheme::ApiKey(ApiKey::Header(jwt)));
        let bearer = |what: &str| {
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some(what)).build())
        };
        components.add_security_scheme(
            ADMIN_BEARER,
            bearer(
                "`Authorization: Bearer <admin token>`: a token of `admin token create`, or the configured admin_token",
            ),
        );
        components.add_security_scheme(METRICS_BEARER, bearer("`Authorization: Bearer <metrics_token>`, when set"));
    }
}

/// The document of a gateway whose sandbox helpers are routed (`sandbox`) or not.
pub fn document(sandbox: bool) -> Document {
    let mut doc = ApiDoc::openapi();
    if !sandbox {
        doc.paths.paths.retain(|path, _| !path.starts_with(SANDBOX_PREFIX));
        if let Some(tags) = &mut doc.tags {
            tags.retain(|t| t.name != "sandbox");
        }
    }
    let mut shared = std::collections::BTreeMap::new();
    for (path, item) in &mut doc.paths.paths {
        let v2 = path.starts_with("/api/v2/");
        let ops = [("get", &mut item.get), ("post", &mut item.post), ("delete", &mut item.delete)];
        for (method, op) in ops {
            if let Some(op) = op {
                partner_operation(method, path, v2, op, &mut shared);
            }
        }
    }
    let components = doc.components.get_or_insert_with(Default::default);
    components.responses.extend(shared);
    prune_schemas(&mut doc);
    doc
}

/// Drops the schemas no operation uses (in production, the sandbox helpers').
fn prune_schemas(doc: &mut Document) {
    const PREFIX: &str = "#/components/schemas/";
    let Ok(whole) = serde_json::to_value(&*doc) else { return };
    let schemas = &whole["components"]["schemas"];
    let mut used = std::collections::BTreeSet::new();
    let mut todo = vec![&whole["paths"], &whole["components"]["responses"]];
    while let Some(v) = todo.pop() {
        match v {
            serde_json::Value::Object(o) => {
                if let Some(name) = o.get("$ref").and_then(|r| r.as_str()).and_then(|r| r.strip_prefix(PREFIX)) {
                    if used.insert(name.to_owned()) {
                        todo.push(&schemas[name]);
                    }
                }
                todo.extend(o.values());
            }
            serde_json::Value::Array(a) => todo.extend(a),
            _ => {}
        }
    }
    if let Some(components) = &mut doc.components {
        components.schemas.retain(|name, _| used.contains(name));
    }
}

/// The document as pretty JSON (keys in a stable order: paths and schemas sorted).
pub fn json(sandbox: bool) -> String {
    // Serialising the document's own types cannot fail.
    document(sandbox).to_pretty_json().unwrap_or_default() + "\n"
}

/// An error response whose `errorCode` is one of `codes`.
fn error_response(a: &errors::Answer, v2: bool) -> utoipa::openapi::Response {
    let body = if v2 { "V2ErrorBody" } else { "ErrorBody" };
    let codes = ObjectBuilder::new().schema_type(Type::Integer).enum_values(Some(a.codes.iter().map(|c| c.code())));
    let schema =
        AllOfBuilder::new().item(Ref::from_schema_name(body)).item(ObjectBuilder::new().property("errorCode", codes));
    ResponseBuilder::new()
        .description(a.when)
        .content("application/json", ContentBuilder::new().schema(Some(Schema::AllOf(schema.build()))).build())
        .build()
}

/// Gives a partner or sandbox operation its error answers (from `errors.rs`: its
/// own 400 inline, the answers every partner operation shares as components in
/// `shared`) and the headers every partner call takes; other operations are left
/// as annotated.
fn partner_operation(
    method: &str,
    path: &str,
    v2: bool,
    op: &mut Operation,
    shared: &mut std::collections::BTreeMap<String, RefOr<utoipa::openapi::Response>>,
) {
    let Some(answers) = errors::answers(method, path, op.request_body.is_some()) else { return };
    let mut lines = vec!["Error answers:".to_owned()];
    for a in &answers {
        let codes: Vec<String> = a.codes.iter().map(|c| format!("{} ({})", c.code(), english(*c))).collect();
        lines.push(format!("- HTTP {}: errorCode {} — {}.", a.status, codes.join(", "), a.when));
        // The time limits and the panic guard answer outside v2's error shape (see
        // `api::limits`, `api::http_stack`): their bodies have no `errors`.
        let v2 = v2 && !matches!(a.status, 408 | 500 | 503);
        let response = if a.status == 400 {
            RefOr::T(error_response(a, v2))
        } else {
            let name = format!("{}Error{}", if v2 { "V2" } else { "" }, a.status);
            shared.entry(name.clone()).or_insert_with(|| RefOr::T(error_response(a, v2)));
            RefOr::Ref(Ref::new(format!("#/components/responses/{name}")))
        };
        op.responses.responses.insert(a.status.to_string(), response);
    }
    let description = op.description.get_or_insert_with(String::new);
    if !description.is_empty() {
        description.push_str("\n\n");
    }
    description.push_str(&lines.join("\n"));
    let mut params = vec![
        header_param(headers::LANGUAGE, "`en` for English messages (default Vietnamese)."),
        header_param(
            headers::ACCOUNT_REF_ID,
            "A sub-account of the partner (90 otherwise); needed on every call about an order of an owner-type \
             sub-account; lists filter by it.",
        ),
    ];
    if method == "post" {
        params.push(header_param(
            headers::IDEMPOTENCY_KEY,
            "1 to 255 visible ASCII characters: a retry with the same key and body gets the first answer again \
             (Idempotent-Replayed: true), for 24 h.",
        ));
    }
    op.parameters.get_or_insert_with(Vec::new).extend(params);
}

fn header_param(name: &str, description: &str) -> utoipa::openapi::path::Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .build()
}

/// A code's English message.
fn english(code: ErrorCode) -> &'static str {
    ERROR_CODES.iter().find(|(c, _, _)| *c == code).map_or("", |(_, _, en)| en)
}

/// `GET /openapi.json`: this gateway's document (with the sandbox helpers when they
/// are routed).
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi",
    tag = "ops",
    summary = "This OpenAPI document",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"))
)]
pub async fn serve(State(gw): State<Arc<Gateway>>) -> Response {
    static SANDBOX: OnceLock<String> = OnceLock::new();
    static PRODUCTION: OnceLock<String> = OnceLock::new();
    let sandbox = gw.simulator().is_some();
    let cell = if sandbox { &SANDBOX } else { &PRODUCTION };
    let text = cell.get_or_init(|| json(sandbox));
    ([(header::CONTENT_TYPE, "application/json")], text.clone()).into_response()
}
