//! The JSON a Casso v2 signature is computed over: the parsed body serialised again,
//! keys sorted A→Z at every level, compact, integers as integers, text escaped after
//! one of the three signers Casso publishes samples for ([`Escaping`]; see
//! [`super`]). Apart because it is a serialiser of its own, with its own rules.

use serde_json::Value;
use std::fmt::Write as _;

/// How a canonical JSON string writes text, after the signer it imitates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Escaping {
    /// JavaScript `JSON.stringify`: non-ASCII as raw UTF-8.
    Utf8,
    /// Python `json.dumps` (`ensure_ascii`): everything outside space..`~` as `\uXXXX`.
    Ascii,
    /// PHP `json_encode`: non-ASCII as `\uXXXX` and `/` as `\/`.
    Php,
}

pub(super) const STYLES: [Escaping; 3] = [Escaping::Utf8, Escaping::Ascii, Escaping::Php];

fn write_u16_escape(out: &mut String, unit: u16) {
    // Writing into a String cannot fail.
    let _ = write!(out, "\\u{unit:04x}");
}

fn write_string(out: &mut String, s: &str, style: Escaping) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => write_u16_escape(out, c as u16),
            '/' if style == Escaping::Php => out.push_str("\\/"),
            '\u{7f}' if style == Escaping::Ascii => write_u16_escape(out, 0x7f),
            c if !c.is_ascii() && style != Escaping::Utf8 => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    write_u16_escape(out, *unit);
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_number(out: &mut String, n: &serde_json::Number) {
    if n.is_i64() || n.is_u64() {
        out.push_str(&n.to_string());
        return;
    }
    match n.as_f64() {
        // An integer-valued float is written as an integer, as JavaScript does.
        Some(f) if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e21 => {
            let _ = write!(out, "{f:.0}");
        }
        _ => out.push_str(&n.to_string()),
    }
}

fn write_canonical(out: &mut String, v: &Value, style: Escaping) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(out, n),
        Value::String(s) => write_string(out, s, style),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(out, item, style);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k, style);
                out.push(':');
                write_canonical(out, item, style);
            }
            out.push('}');
        }
    }
}

/// `v` as the signer of `style` serialises it: keys sorted at every level, compact.
pub(super) fn canonical(v: &Value, style: Escaping) -> String {
    let mut out = String::new();
    write_canonical(&mut out, v, style);
    out
}
