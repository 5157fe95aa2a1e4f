//! The OpenAPI document: what `GET /openapi.json` serves is the copy kept in
//! `docs/openapi.json`, it is OpenAPI 3.1, it names every route the router has
//! (read from the router's source), and the production document has no sandbox
//! helpers.

use crate::harness::TestGateway;
use appotapay_gateway::api::openapi;
use serde_json::Value;
use std::collections::BTreeSet;

const REGENERATE: &str = "cargo run -p appotapay-gateway -- openapi > docs/openapi.json";

fn manifest_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `(method, path)` of every `.route("path", method(…).method(…))` in a source file.
fn routes_in(source: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = source;
    while let Some(i) = rest.find(".route(") {
        rest = rest[i + ".route(".len()..].trim_start();
        let Some(after_quote) = rest.strip_prefix('"') else { continue };
        rest = after_quote;
        let Some(end) = rest.find('"') else { break };
        let path = rest[..end].to_owned();
        // The rest of the call: up to the parenthesis that closes `.route(`.
        let mut depth = 1;
        let mut call_end = rest.len();
        for (j, c) in rest.char_indices() {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        call_end = j;
                        break;
                    }
                }
                _ => {}
            }
        }
        let call = &rest[end..call_end];
        for method in ["get", "post", "delete", "put", "patch"] {
            let named = call.match_indices(&format!("{method}(")).any(|(k, _)| {
                k == 0 || !call.as_bytes()[k - 1].is_ascii_alphanumeric() && call.as_bytes()[k - 1] != b'_'
            });
            if named {
                out.push((method.to_owned(), path.clone()));
            }
        }
        rest = &rest[call_end..];
    }
    out
}

/// Every route of the gateway's router outside the hosted checkout: the partner
/// API, the sandbox helpers, the bank feeds, the admin API and this document
/// (`api/mod.rs`), and the operations endpoints (`server.rs`).
fn router_routes() -> Vec<(String, String)> {
    let dir = manifest_dir().join("src");
    let mut all = Vec::new();
    for file in ["api/mod.rs", "server.rs"] {
        let text = std::fs::read_to_string(dir.join(file)).expect("read the router's source");
        all.extend(routes_in(&text));
    }
    all
}

fn operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            out.insert((method.clone(), path.clone()));
        }
    }
    out
}

#[tokio::test]
async fn served_document_is_the_kept_copy() {
    let gw = TestGateway::start().await;
    let resp = gw.http.get(format!("{}/openapi.json", gw.base)).send().await.expect("GET /openapi.json");
    assert_eq!(resp.status().as_u16(), 200);
    let content_type = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert!(content_type.starts_with("application/json"), "{content_type}");
    let served_text = resp.text().await.expect("body");
    let served: Value = serde_json::from_str(&served_text).expect("the document is JSON");
    let path = manifest_dir().join("../../docs/openapi.json");
    let kept_text = std::fs::read_to_string(&path).unwrap_or_default();
    let kept: Value = serde_json::from_str(&kept_text).unwrap_or(Value::Null);
    assert!(
        served == kept,
        "docs/openapi.json is not the document the gateway serves: regenerate it with `{REGENERATE}` (from the \
         repository's root)"
    );
    assert!(served_text == kept_text, "docs/openapi.json is not byte for byte the served document: `{REGENERATE}`");
    assert_eq!(served_text, openapi::json(true), "the CLI prints what the gateway serves");
}

#[test]
fn document_is_openapi_3_1_and_names_every_route() {
    let doc: Value = serde_json::from_str(&openapi::json(true)).expect("JSON");
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1")), "{}", doc["openapi"]);
    let documented = operations(&doc);
    let routes = router_routes();
    assert!(routes.len() >= 30, "the router's source was not read: {routes:?}");
    let missing: Vec<_> = routes.iter().filter(|r| !documented.contains(*r)).collect();
    assert!(missing.is_empty(), "routes missing from the OpenAPI document: {missing:?} (annotate them: api/openapi)");
    let extra: Vec<_> = documented.iter().filter(|op| !routes.contains(op)).collect();
    assert!(extra.is_empty(), "documented operations the router does not have: {extra:?}");

    let mut ids = BTreeSet::new();
    for (method, path) in &documented {
        let op = &doc["paths"][path][method];
        let id = op["operationId"].as_str().unwrap_or_default().to_owned();
        assert!(!id.is_empty() && ids.insert(id.clone()), "{method} {path}: operationId {id:?} missing or not unique");
        if !path.starts_with("/api/") {
            continue;
        }
        // Every partner operation: the JWT, its errorCodes by status, in its
        // description and as an enum of each error answer.
        assert_eq!(op["security"], serde_json::json!([{openapi::PARTNER_JWT: []}]), "{method} {path}");
        let description = op["description"].as_str().unwrap_or_default();
        assert!(description.contains("Error answers:"), "{method} {path}: {description}");
        let responses = op["responses"].as_object().expect("responses");
        assert!(responses.contains_key("401") && responses.contains_key("500"), "{method} {path}");
        for (status, response) in responses {
            if status.starts_with('2') {
                continue;
            }
            assert!(description.contains(&format!("HTTP {status}: errorCode")), "{method} {path}: {status}");
            let response = match response["$ref"].as_str() {
                Some(r) => &doc["components"]["responses"][r.trim_start_matches("#/components/responses/")],
                None => response,
            };
            let codes = &response["content"]["application/json"]["schema"]["allOf"][1]["properties"]["errorCode"];
            assert!(codes["enum"].as_array().is_some_and(|e| !e.is_empty()), "{method} {path} {status}: {codes}");
        }
    }
    // Every reference resolves.
    let mut todo = vec![&doc];
    while let Some(v) = todo.pop() {
        match v {
            Value::Object(o) => {
                if let Some(r) = o.get("$ref").and_then(Value::as_str) {
                    let target = r.strip_prefix('#').and_then(|p| doc.pointer(p));
                    assert!(target.is_some(), "unresolvable reference {r}");
                }
                todo.extend(o.values());
            }
            Value::Array(a) => todo.extend(a),
            _ => {}
        }
    }
    let scheme = &doc["components"]["securitySchemes"][openapi::PARTNER_JWT];
    assert_eq!(scheme["in"], "header");
    assert_eq!(scheme["name"], appotapay_protocol::headers::AUTH);
    assert_eq!(doc["components"]["securitySchemes"][openapi::ADMIN_BEARER]["scheme"], "bearer");
}

#[test]
fn production_document_has_no_sandbox_helpers() {
    let sandbox: Value = serde_json::from_str(&openapi::json(true)).expect("JSON");
    let production: Value = serde_json::from_str(&openapi::json(false)).expect("JSON");
    let in_sandbox = operations(&sandbox);
    let in_production = operations(&production);
    assert!(in_sandbox.iter().any(|(_, p)| p.starts_with(openapi::SANDBOX_PREFIX)));
    assert!(
        !in_production.iter().any(|(_, p)| p.starts_with(openapi::SANDBOX_PREFIX)),
        "sandbox paths in the production document"
    );
    let rest: BTreeSet<_> = in_sandbox.into_iter().filter(|(_, p)| !p.starts_with(openapi::SANDBOX_PREFIX)).collect();
    assert_eq!(rest, in_production, "the production document is the sandbox one less the sandbox helpers");
    let tags = production["tags"].as_array().expect("tags");
    assert!(tags.iter().all(|t| t["name"] != "sandbox"));
}

#[tokio::test]
async fn production_gateway_serves_the_production_document() {
    let gw = TestGateway::start_with(|c| {
        c.mode = appotapay_gateway::config::Mode::Production;
        c.master_key = Some("22".repeat(32));
    })
    .await;
    let resp = gw.http.get(format!("{}/openapi.json", gw.base)).send().await.expect("GET /openapi.json");
    assert_eq!(resp.status().as_u16(), 200);
    let text = resp.text().await.expect("body");
    assert_eq!(text, openapi::json(false));
    assert!(!text.contains(openapi::SANDBOX_PREFIX));
    // …and the sandbox routes it leaves out do not exist there.
    let resp = gw.http.get(format!("{}/api/v1/sandbox/clock", gw.base)).send().await.expect("GET");
    assert_eq!(resp.status().as_u16(), 404);
}

/// Answers the documentation lists that the handlers once gave as axum's plain-text
/// rejections: a path segment that does not decode, and an oversized body on the v2
/// status GET.
#[tokio::test]
async fn undecodable_paths_and_oversized_get_bodies_answer_their_error_code() {
    let gw = TestGateway::start().await;
    let token = gw.sandbox().token();
    let get = |path: &str, body: Option<Vec<u8>>| {
        let mut req = gw.http.get(format!("{}{path}", gw.base)).header(appotapay_protocol::headers::AUTH, &token);
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        req.send()
    };
    for (path, status, code) in [
        ("/api/v1.1/token/%FF%FE", 400, 87),
        ("/api/v2/transaction/refund/%FF%FE", 400, 36),
        ("/api/v1/transaction/refund/%FF%FE", 400, 36),
    ] {
        let resp = get(path, None).await.expect("GET");
        assert_eq!(resp.status().as_u16(), status, "{path}");
        let body: Value = resp.json().await.expect("a JSON error body");
        assert_eq!(body["errorCode"], code, "{path}: {body}");
    }
    let big = format!(r#"{{"referenceId":"{}"}}"#, "a".repeat(70 * 1024)).into_bytes();
    let resp = get("/api/v2/orders/transaction", Some(big)).await.expect("GET");
    assert_eq!(resp.status().as_u16(), 413);
    let body: Value = resp.json().await.expect("a JSON error body");
    assert_eq!(body["errorCode"], 1, "{body}");
    assert!(body["errors"].is_array(), "the v2 shape: {body}");
}

#[test]
fn route_reader_reads_method_chains() {
    let src = r#".route("/a", post(x::y)).route_layer(z).route(
        "/b/{id}",
        post(s::add).get(s::list).delete(s::clear),
    ).route("/c", get(ops::get_thing))"#;
    let got = routes_in(src);
    let want: Vec<(String, String)> =
        [("post", "/a"), ("get", "/b/{id}"), ("post", "/b/{id}"), ("delete", "/b/{id}"), ("get", "/c")]
            .iter()
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
    let got: BTreeSet<_> = got.into_iter().collect();
    let want: BTreeSet<_> = want.into_iter().collect();
    assert_eq!(got, want);
}
