//! The language a checkout page speaks, chosen by the customer and remembered in a
//! cookie, so that every page of one payment (and the next payment) keeps it.

use super::i18n::{self, Texts};
use appotapay_protocol::Lang;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;

const LANG_COOKIE: &str = "checkout_lang";

/// The page language: `?lang=` (remembered in a cookie), else the cookie, else
/// Vietnamese. `Accept-Language` is deliberately ignored: the checkout speaks
/// Vietnamese unless the customer asks otherwise.
#[derive(Clone, Copy, Debug)]
pub struct UiLang {
    pub(super) lang: Lang,
    pub(super) remember: bool,
}

fn parse_lang(v: &str) -> Option<Lang> {
    match v {
        "vi" => Some(Lang::Vi),
        "en" => Some(Lang::En),
        _ => None,
    }
}

impl<S: Send + Sync> FromRequestParts<S> for UiLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(UiLang::of(parts))
    }
}

impl UiLang {
    /// The language of a request (see [`UiLang`]).
    pub(super) fn of(parts: &Parts) -> UiLang {
        let from_query = parts
            .uri
            .query()
            .and_then(|q| form_urlencoded::parse(q.as_bytes()).find(|(k, _)| k == "lang"))
            .and_then(|(_, v)| parse_lang(&v));
        if let Some(lang) = from_query {
            return UiLang { lang, remember: true };
        }
        let from_cookie = parts
            .headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == LANG_COOKIE)
            .and_then(|(_, v)| parse_lang(v));
        UiLang { lang: from_cookie.unwrap_or(Lang::Vi), remember: false }
    }

    pub(super) fn texts(self) -> &'static Texts {
        i18n::texts(self.lang)
    }

    pub(super) fn other(self) -> &'static str {
        match self.lang {
            Lang::Vi => "en",
            Lang::En => "vi",
        }
    }

    /// The `Set-Cookie` value that remembers a language the customer just chose.
    pub(super) fn cookie(self) -> Option<String> {
        self.remember
            .then(|| format!("{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly", self.lang.code()))
    }
}
