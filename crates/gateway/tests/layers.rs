//! The gateway's layering, checked on its source: which module may name which.
//!
//! The rules (see the crate documentation):
//! - `domain/` names only the domain;
//! - the adapters (`store/**`, `acquirer/**`) name only the domain, their own port
//!   and `metrics`/`now_ms`;
//! - `core/` names no entry point and no adapter;
//! - entry points (`api/`, `checkout/`, `console/`, `jobs/`) name no other entry point, no store
//!   and no acquirer adapter: they call the core;
//! - the leaves (`config`, `crypto`, `metrics`, `notify`) name no entry point and no
//!   core;
//! - only start-up (`config.rs` and `config/`, `server.rs`, `cli.rs`) looks at the
//!   configured mode.
//!
//! A `crate::…` path in code (comments and doc comments are skipped) is what counts,
//! in `use` lines and inline alike; `use crate::{a, b}` groups count each member.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).expect("read src").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The code of a line, without its comment.
fn code(line: &str) -> &str {
    let t = line.trim_start();
    if t.starts_with("//") {
        return "";
    }
    match line.find("//") {
        // A `//` inside a string (URLs) is not a comment; good enough for this source.
        Some(i) if !line[..i].contains('"') => &line[..i],
        _ => line,
    }
}

/// The top-level modules (and their first sub-module) a source names through
/// `crate::`, e.g. `store`, `store::sqlite`, `acquirer::sandbox`.
fn named(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let code: String = text.lines().map(code).collect::<Vec<_>>().join("\n");
    let mut rest = code.as_str();
    while let Some(i) = rest.find("crate::") {
        let after = &rest[i + "crate::".len()..];
        if let Some(group) = after.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for member in group[..end].split(',') {
                out.insert(path_head(member.trim()));
            }
        } else {
            out.insert(path_head(after));
        }
        rest = after;
    }
    out.retain(|s| !s.is_empty());
    out
}

fn path_head(p: &str) -> String {
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    let first = ident(p);
    let second = p.get(first.len()..).and_then(|r| r.strip_prefix("::")).map(ident).unwrap_or_default();
    if second.is_empty() || second.chars().next().is_some_and(char::is_uppercase) {
        first
    } else {
        format!("{first}::{second}")
    }
}

/// The layer of a source file, by its path under `src/`.
fn layer(rel: &str) -> &'static str {
    let top = rel.split('/').next().unwrap_or_default().trim_end_matches(".rs");
    match top {
        "domain" => "domain",
        "store" | "acquirer" => "adapter",
        "core" => "core",
        "api" | "checkout" | "console" | "jobs" => "entry",
        "config" | "crypto" | "logging" | "metrics" | "notify" => "leaf",
        _ => "top",
    }
}

fn allowed(layer: &str, own: &str, name: &str) -> bool {
    let top = name.split("::").next().unwrap_or_default();
    let entry = ["api", "checkout", "console", "jobs", "cli", "server"];
    let adapters = [
        "store::sqlite",
        "store::postgres",
        "store::sql",
        "acquirer::sandbox",
        "acquirer::unconnected",
        "acquirer::bank_feeds",
    ];
    match layer {
        "domain" => top == "domain",
        "adapter" => ["domain", "metrics", "now_ms"].contains(&top) || top == own,
        "core" => !entry.contains(&top) && !adapters.contains(&name),
        "entry" => top == own || !(entry.contains(&top) || top == "store" || adapters.contains(&name)),
        "leaf" => !entry.contains(&top) && top != "core",
        _ => true,
    }
}

#[test]
fn imports_go_one_way() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    assert!(files.len() > 30, "the sources were found");
    let mut broken = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
        let text = std::fs::read_to_string(f).expect("read");
        let layer = layer(&rel);
        let own = rel.split('/').next().unwrap_or_default().trim_end_matches(".rs");
        for name in named(&text) {
            if !allowed(layer, own, &name) {
                broken.push(format!("{rel} ({layer}) names crate::{name}"));
            }
        }
    }
    assert!(broken.is_empty(), "imports against the layering:\n{}", broken.join("\n"));
}

#[test]
fn only_start_up_looks_at_the_mode() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut broken = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).expect("under src").to_string_lossy().replace('\\', "/");
        if ["config.rs", "server.rs", "cli.rs"].contains(&rel.as_str()) || rel.starts_with("config/") {
            continue;
        }
        let text = std::fs::read_to_string(f).expect("read");
        for (n, line) in text.lines().enumerate() {
            let c = code(line);
            let asks = ["Mode::", "config.mode", "config().mode", ".mode ==", "sandbox()"];
            if asks.iter().any(|a| c.contains(a)) {
                broken.push(format!("{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(broken.is_empty(), "the mode is asked outside start-up:\n{}", broken.join("\n"));
}

#[test]
fn the_checker_sees_what_it_must() {
    let text = "use crate::store::{Order, Store};\nuse crate::{api, core::Gateway};\n// crate::jobs\n\
                let x = crate::acquirer::sandbox::cards::mask(n);";
    let names = named(text);
    let want: BTreeSet<String> = ["store", "api", "core", "acquirer::sandbox"].into_iter().map(String::from).collect();
    assert_eq!(names, want);
    assert!(!allowed("domain", "domain", "store"));
    assert!(!allowed("adapter", "store", "core"));
    assert!(allowed("adapter", "store", "store"));
    assert!(!allowed("core", "core", "acquirer::sandbox"));
    assert!(allowed("core", "core", "acquirer"));
    assert!(!allowed("entry", "checkout", "api"));
    assert!(!allowed("entry", "api", "store"));
    assert!(allowed("entry", "checkout", "checkout"));
    assert!(!allowed("leaf", "config", "core"));
}
