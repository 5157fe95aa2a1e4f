//! Who is looking at the console, and whether a form post may act.
//!
//! - **Sessions** are stateless: the cookie holds the admin token's id, an expiry
//!   and an HMAC of both and of the token's hash under the gateway's link key, so any
//!   node can check it and nothing is stored (and a replaced `admin_token` ends the
//!   sessions of the old one). The token is looked up again on every request: a revoked
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

/// Whether a request reached the gateway directly on a loopback name: its `Host` is
/// `localhost`, `127.0.0.1` or `[::1]`, and no proxy forwarded it. A loopback sandbox
/// opens its console without a login only to such requests: one relayed by a tunnel
/// or a proxy on the same machine, or a page whose name was rebound to 127.0.0.1
/// (its `Host` is its own name), must sign in like anyone else.
pub fn loopback_request(headers: &HeaderMap) -> bool {
    if ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip"].iter().any(|k| headers.contains_key(*k)) {
        return false;
    }
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let name = match host.rsplit_once(':') {
        Some((n, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => host,
    };
    matches!(name.to_ascii_lowercase().as_str(), "localhost" | "127.0.0.1" | "[::1]")
}

/// Whether this request gets the local developer's console without a login.
fn open_to(gw: &Gateway, headers: &HeaderMap) -> bool {
    gw.config().console_open() && loopback_request(headers)
}

/// Who is asking.
pub async fn visitor(gw: &Gateway, headers: &HeaderMap) -> Result<Visitor, CoreError> {
    let lang = lang(headers);
    if open_to(gw, headers) {
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
    let admin = session_admin(gw, value).await?;
    let csrf = if admin.is_some() { gw.form_token(value, CSRF_PURPOSE) } else { login_csrf(gw) };
    Ok(Visitor { admin, local: false, lang, csrf })
}

/// The CSRF token of the login form (there is no session yet).
pub fn login_csrf(gw: &Gateway) -> String {
    gw.form_token("login", CSRF_PURPOSE)
}

/// The holder of a valid, unexpired session cookie value: `<token id>.<expiry
/// ms>.<HMAC of both and the token's hash>`.
async fn session_admin(gw: &Gateway, value: &str) -> Result<Option<Admin>, CoreError> {
    let Some((signed, sig)) = value.rsplit_once('.') else { return Ok(None) };
    let Some((id, exp)) = signed.split_once('.') else { return Ok(None) };
    if exp.parse::<i64>().map_or(true, |exp| exp <= now_ms()) {
        return Ok(None);
    }
    let Some((admin, token_hash)) = gw.admin_by_id(id).await? else { return Ok(None) };
    Ok(gw.verify_form_token(&format!("{signed}\n{token_hash}"), SESSION_PURPOSE, sig).then_some(admin))
}

/// The `Set-Cookie` value of a new session of the admin token `id` (whose hash is
/// `token_hash`).
pub fn session_cookie(gw: &Gateway, id: &str, token_hash: &str) -> String {
    let signed = format!("{id}.{}", now_ms() + SESSION_TTL_MS);
    let sig = gw.form_token(&format!("{signed}\n{token_hash}"), SESSION_PURPOSE);
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
/// browser, and with no `Origin` but the host's own or the public URL's (a proxy may
/// rewrite `Host`).
pub fn same_origin(gw: &Gateway, headers: &HeaderMap) -> bool {
    let public = url::Url::parse(&gw.config().public_url).ok().map(|u| u.origin().ascii_serialization());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    if origin.is_some() && origin == public.as_deref() && !cross_site(headers) {
        return true;
    }
    same_host(headers)
}

fn cross_site(headers: &HeaderMap) -> bool {
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site == "cross-site" || site == "same-site")
}

/// [`same_origin`] without the public URL: the browser's flag and `Host`.
fn same_host(headers: &HeaderMap) -> bool {
    if cross_site(headers) {
        return false;
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

/// Whether a form's CSRF token is the signed-in visitor's (constant time).
pub async fn csrf_ok(gw: &Gateway, headers: &HeaderMap, given: &str) -> Result<bool, CoreError> {
    if open_to(gw, headers) {
        return Ok(gw.verify_form_token("local", CSRF_PURPOSE, given));
    }
    let Some(value) = cookie(headers, SESSION_COOKIE) else { return Ok(false) };
    Ok(session_admin(gw, value).await?.is_some() && gw.verify_form_token(value, CSRF_PURPOSE, given))
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
        assert!(same_host(&headers(&[("host", "127.0.0.1:8080")])));
        assert!(same_host(&headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:8080")])));
        assert!(same_host(&headers(&[("host", "gw.example"), ("origin", "https://gw.example")])));
        assert!(!same_host(&headers(&[("host", "127.0.0.1:8080"), ("origin", "http://127.0.0.1:9999")])));
        assert!(!same_host(&headers(&[("host", "127.0.0.1:8080"), ("origin", "null")])));
        assert!(!same_host(&headers(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", "cross-site")])));
        assert!(!same_host(&headers(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", "same-site")])));
        assert!(same_host(&headers(&[("host", "127.0.0.1:8080"), ("sec-fetch-site", "same-origin")])));
        assert!(cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
    }

    #[test]
    fn only_direct_loopback_requests_are_local() {
        for host in ["127.0.0.1:8080", "localhost:8080", "LOCALHOST", "[::1]:8080", "127.0.0.1"] {
            assert!(loopback_request(&headers(&[("host", host)])), "{host}");
        }
        for host in ["evil.example:8080", "evil.example", "10.0.0.5:8080", "127.0.0.1.nip.io", ""] {
            assert!(!loopback_request(&headers(&[("host", host)])), "{host}");
        }
        assert!(!loopback_request(&headers(&[("host", "127.0.0.1:8080"), ("x-forwarded-for", "203.0.113.9")])));
        assert!(!loopback_request(&headers(&[("host", "localhost"), ("forwarded", "for=203.0.113.9")])));
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
