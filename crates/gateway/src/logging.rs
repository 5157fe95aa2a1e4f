//! The log subscriber, and a cheaper way to write its fields.
//!
//! Every request opens a span (`request{method=… path=… request_id=…}`), and the
//! text log formats a span's fields when the span opens, whether or not anything is
//! logged inside it. The subscriber's own field formatter paints each field's name
//! with a style even when colours are off (an empty style, written through
//! `Display` all the same): in a callgrind profile of the HTTP stack around a static
//! handler, the request span was 13 % of a request's instructions, most of it that
//! painting. [`PlainFields`] writes the same text without it. Colours on (a
//! terminal) and everything but plain `name=value` fields (the message, errors,
//! `r#` names, bridged `log` metadata) still go through the subscriber's own
//! formatter, so the output is the same byte for byte; a test holds it to that.

use std::fmt;
use tracing::field::{Field, Visit};
use tracing_subscriber::field::{RecordFields, VisitOutput};
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::{DefaultFields, DefaultVisitor, Writer};

/// Installs the log subscriber (once; later calls are ignored). `RUST_LOG` filters,
/// default `info`. Colours only on a terminal: in a log file they are noise, and
/// styling every request span's fields was a tenth of a static request's
/// instructions.
pub fn init_tracing(json: bool) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = if json { builder.json().try_init() } else { builder.fmt_fields(PlainFields).try_init() };
}

/// The text log's field formatter: the subscriber's default output, written
/// without styling what has no style.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlainFields;

impl<'w> FormatFields<'w> for PlainFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'w>, fields: R) -> fmt::Result {
        if writer.has_ansi_escapes() {
            return DefaultFields::new().format_fields(writer, fields);
        }
        let mut v = PlainVisitor { writer, is_empty: true, result: Ok(()) };
        fields.record(&mut v);
        v.result
    }
}

/// Writes `name=value` fields itself and hands every other kind to the default
/// visitor, carrying over whether anything was written before (for the space).
struct PlainVisitor<'w> {
    writer: Writer<'w>,
    is_empty: bool,
    result: fmt::Result,
}

impl PlainVisitor<'_> {
    /// Lets the default visitor write this one field, exactly as it would have.
    fn by_default(&mut self, field: &Field, record: impl FnOnce(&mut DefaultVisitor<'_>, &Field)) {
        if self.result.is_err() {
            return;
        }
        let mut v = DefaultVisitor::new(self.writer.by_ref(), self.is_empty);
        record(&mut v, field);
        self.result = v.finish();
        // The default visitor writes every field but bridged `log` metadata.
        if !field.name().starts_with("log.") {
            self.is_empty = false;
        }
    }

    fn pad(&mut self) -> fmt::Result {
        if self.is_empty {
            self.is_empty = false;
            Ok(())
        } else {
            self.writer.write_str(" ")
        }
    }
}

impl Visit for PlainVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.by_default(field, |v, f| v.record_str(f, value));
        } else {
            self.record_debug(field, &value);
        }
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.by_default(field, |v, f| v.record_error(f, value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let name = field.name();
        if name == "message" || name.starts_with("log.") || name.starts_with("r#") {
            self.by_default(field, |v, f| v.record_debug(f, value));
            return;
        }
        if self.result.is_err() {
            return;
        }
        self.result = self.pad().and_then(|()| {
            self.writer.write_str(name)?;
            self.writer.write_str("=")?;
            write!(self.writer, "{value:?}")
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::fmt::MakeWriter;

    /// Where a test subscriber writes.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Buffer {
        type Writer = Buffer;
        fn make_writer(&'a self) -> Buffer {
            self.clone()
        }
    }

    #[derive(Debug)]
    struct Outer(Inner);
    #[derive(Debug)]
    struct Inner;
    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("outer failed")
        }
    }
    impl fmt::Display for Inner {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("inner \"cause\"")
        }
    }
    impl std::error::Error for Inner {}
    impl std::error::Error for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    /// Logs the same spans and events of every kind of field.
    fn log_everything() {
        let span = tracing::info_span!("request", method = %"POST", path = %"/api/v1/orders", request_id = %"a-b");
        let _g = span.enter();
        tracing::info!("plain message");
        tracing::info!(count = 3, ok = true, ratio = 0.5, name = "quoted \"x\"", "with {} args", 2);
        tracing::warn!(error = %"display", detail = ?Some("debug"), "mixed");
        let e = Outer(Inner);
        tracing::error!(error = &e as &(dyn std::error::Error + 'static), "an error with a source");
        tracing::error!(error = &Inner as &(dyn std::error::Error + 'static));
        tracing::info!(r#type = "raw", message = "message as a field");
        tracing::info!(empty = "", "\u{1b}[31mescaped\u{1b}[0m");
        let inner = tracing::info_span!("inner", n = 1u64);
        inner.in_scope(|| {
            tracing::info!(late = tracing::field::Empty, "nested");
        });
        let rec = tracing::info_span!("recorded", later = tracing::field::Empty, first = 1);
        rec.record("later", "set afterwards");
        rec.in_scope(|| tracing::info!("after record"));
    }

    fn render<N>(fields: N) -> String
    where
        N: for<'w> FormatFields<'w> + Send + Sync + 'static,
    {
        let out = Buffer::default();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(out.clone())
            .with_ansi(false)
            .without_time()
            .fmt_fields(fields)
            .finish();
        tracing::subscriber::with_default(subscriber, log_everything);
        let bytes = out.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        String::from_utf8(bytes).expect("utf-8 log")
    }

    /// The plain formatter's log is the default formatter's, byte for byte, for
    /// every kind of field, in spans and events.
    #[test]
    fn writes_what_the_default_formatter_writes() {
        let plain = render(PlainFields);
        let default = render(DefaultFields::new());
        assert_eq!(plain, default);
        // And the log holds what was logged (the comparison is not of two empty logs).
        assert!(plain.contains("request{method=POST path=/api/v1/orders request_id=a-b}"), "{plain}");
        assert!(plain.contains("count=3 ok=true ratio=0.5 name=\"quoted \\\"x\\\"\""), "{plain}");
        assert!(plain.contains("error.sources=[inner \"cause\"]"), "{plain}");
        assert!(plain.contains("recorded{first=1 later=\"set afterwards\"}"), "{plain}");
        assert_eq!(plain.lines().count(), 9, "{plain}");
    }
}
