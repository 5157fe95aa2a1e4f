//! Who is looking at the console, and whether a form post may act.
//!
//! - **Sessions** are stateless: the cookie holds the admin token's id, an expiry
//!   and an HMAC of both under the gateway's link key, so any node can check it and
//!   nothing is stored. The token is looked up again on every request: a revoked
//!   token ends its sessions at once. The cookie is `HttpOnly`, `SameSite=Strict`,
//!   scoped to `/console`, and `Secure` when the public URL is https.
//! - **On a loopback sandbox** (see [`crate::config::Config::console_open`]) the
//!   visitor is the local developer, an operator, without a login.
//! - **Every form post** carries a CSRF token (an HMAC of the session, or of
//!   `local`) and must not come from another site: `Sec-Fetch-Site` cross-site or
//!   same-site, or an `Origin` other than the page's own host, is refused whatever
//!   token it carries.

use super::i18n::{self, Texts};
use crate::core::{CoreError, Gateway, now_ms};
use crate::domain::console::Admin;
use appotapay_protocol::Lang;
use axum::http::{HeaderMap, header};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "apgw_console";
/// The language cookie's name.
pub const LANG_COOKIE: &str = "apgw_console_lang";
/// How long a login lasts.
pub const SESSION_TTL_MS: i64 = 12 * 60 * 60 * 1000;

const SESSION_PURPOSE: &str = "console-session";
const CSRF_PURPOSE: &str = "console-csrf";

/// The person at the browser.
#[derive(Clone, Debug)]
pub struct Visitor {
    /// Who they are, if signed in (or local).
    pub admin: Option<Admin>,
    /// Whether they are the local developer of a loopback sandbox.
    pub local: bool,
    /// Their language.
    pub lang: Lang,
    /// The CSRF token of their forms.
    pub csrf: String,
}

impl Visitor {
    /// Their phrases.
    pub fn t(&self) -> &'static Texts {
        i18n::texts(self.lang)
    }
}

fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// The language of a request: the console's cookie, else `Accept-Language` (English
/// when it prefers English), else Vietnamese.
pub fn lang(headers: &HeaderMap) -> Lang {
    match cookie(headers, LANG_COOKIE) {
        Some("en") => return Lang::En,
        Some("vi") => return Lang::Vi,
        _ => {}
    }
    let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if accept.trim_start().to_ascii_lowercase().starts_with("en") { Lang::En } else { Lang::Vi }
}

/// Who is asking.
pub async fn visitor(gw: &Gateway, headers: &HeaderMap) -> Result<Visitor, CoreError> {
    let lang = lang(headers);
    if gw.config().console_open() {
        return Ok(Visitor {
            admin: Some(Admin::local()),
            local: true,
            lang,
            csrf: gw.form_token("local", CSRF_PURPOSE),
        });
    }
    let Some(value) = cookie(headers, SESSION_COOKIE) else {
        return Ok(Visitor { admin: None, local: false, lang, csrf: login_csrf(gw) });
    };
    let admin = match session_admin_id(gw, value) {
        Some(id) => gw.admin_by_id(id).await?,
        None => None,
    };
    let csrf = if admin.is_some() { gw.form_token(value, CSRF_PURPOSE) } else { login_csrf(gw) };
    Ok(Visitor { admin, local: false, lang, csrf })
}

/// The CSRF token of the login form (there is no session yet).
pub fn login_csrf(gw: &Gateway) -> String {
    gw.form_token("login", CSRF_PURPOSE)
}

/// The admin token id of a valid, unexpired session cookie value.
fn session_admin_id<'v>(gw: &Gateway, value: &'v str) -> Option<&'v str> {
    let (signed, sig) = value.rsplit_once('.')?;
    let (id, exp) = signed.split_once('.')?;
    let exp: i64 = exp.parse().ok()?;
    (exp > now_ms() && gw.verify_form_token(signed, SESSION_PURPOSE, sig)).then_some(id)
}

/// The `Set-Cookie` value of a new session of the admin token `id`.
pub fn session_cookie(gw: &Gateway, id: &str) -> String {
    let signed = format!("{id}.{}", now_ms() + SESSION_TTL_MS);
    let sig = gw.form_token(&signed, SESSION_PURPOSE);
    let secure = if gw.config().cookies_secure() { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={signed}.{sig}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={}{secure}",
        SESSION_TTL_MS / 1000
    )
}

/// The `Set-Cookie` value that ends a session.
pub fn logout_cookie(gw: &Gateway) -> String {
    let secure = if gw.config().cookies_secure() { "; Secure" } else { "" };
    format!("{SESSION_COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

/// The `Set-Cookie` value remembering a language.
pub fn lang_cookie(lang: Lang) -> String {
    let code = match lang {
        Lang::Vi => "vi",
        Lang::En => "en",
    };
    format!("{LANG_COOKIE}={code}; Path=/; SameSite=Lax; Max-Age=31536000")
}

/// Whether a post comes from the console's own pages: not flagged cross-site by the
/// browser, and with no `Origin` but the host's own.
pub fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site == "cross-site" || site == "same-site" {
            return false;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else { return true };
    let Ok(origin) = origin.to_str() else { return false };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    match url::Url::parse(origin) {
        Ok(u) => {
            let authority = match u.port() {
                Some(p) => format!("{}:{p}", u.host_str().unwrap_or("")),
                None => u.host_str().unwrap_or("").to_owned(),
            };
            !host.is_empty() && authority.eq_ignore_ascii_case(host)
        }
        Err(_) => false,
    }
}

/// Whether a form's CSRF token is the visitor's (constant time).
pub fn csrf_ok(gw: &Gateway, headers: &HeaderMap, given: &str) -> bool {
    if gw.config().console_open() {
        return gw.verify_form_token("local", CSRF_PURPOSE, given);
    }
    match cookie(headers, SESSION_COOKIE) {
        Some(value) if session_admin_id(gw, value).is_some() => gw.verify_form_token(value, CSRF_PURPOSE, given),
        _ => false,
    }
}

/// Whether a login form's CSRF token is right.
pub fn login_csrf_ok(gw: &Gateway, given: &str) -> bool {
    gw.verify_form_token("login", CSRF_PURPOSE, given)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn posts_from_other_sites_are_refused() {
        assert!(same_origin(&headers(&[("host", "127.0.0.1:8080")])));
        assert!(same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:8080")])));
        assert!(same_origin(&headers(&[("host", "gw.example"), ("origin", "https://gw.example")])));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:9999")])));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:8080"), ("origin", "null")])));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", "cross-site")])));
        assert!(!same_origin(&headers(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", "same-site")])));
        assert!(same_origin(&headers(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", "same-origin")])));
    }

    #[test]
    fn cookies_are_found_among_others() {
        let h = headers(&[("cookie", "a=1; apgw_console=adm_x.5.sig"), ("cookie", "apgw_console_lang=en")]);
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("adm_x.5.sig"));
        assert_eq!(lang(&h), Lang::En);
        assert_eq!(lang(&headers(&[("accept-language", "en-US,en;q=0.9")])), Lang::En);
        assert_eq!(lang(&headers(&[("accept-language", "vi-VN")])), Lang::Vi);
        assert_eq!(lang(&HeaderMap::new()), Lang::Vi);
    }
}
