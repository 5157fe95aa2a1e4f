//! The Overview page's charts, drawn on the server as inline SVG: pure functions
//! from series to markup, no I/O.
//!
//! The page embeds each chart's `<svg>` element as it is. A chart has a `viewBox`
//! and `width="100%"`, so it scales with its container (from a 375 px phone to a
//! 1440 px screen); it uses no external asset, no script, no `style` attribute. Its
//! colours are presentation attributes (`fill="#…"`, which a Content Security Policy
//! without `'unsafe-inline'` allows) beside class names a stylesheet can override to
//! theme them: `chart`, `chart-title`, `chart-grid`, `chart-axis`, `chart-legend`,
//! `chart-empty`, and one of [`Tone::class`] on each bar, line and legend mark.
//!
//! Each bar and point carries a `<title>` (the browser shows it on hover): its time
//! span in Vietnam time (UTC+7, `HH:MM`) and its value. Every text given by the
//! caller (titles, series labels) is XML-escaped ([`escape`]). A chart without
//! data still draws its frame and says "No data in this window".
//!
//! Two kinds: [`stacked_bars`] (counts per bucket by key) and [`line_chart`] (one
//! value per bucket, gaps where there is none); and one function per chart of the
//! Overview page, from an [`Overview`]:
//!
//! ```
//! use appotapay_gateway::console::charts;
//! use appotapay_gateway::domain::stats::{Overview, StatsRows, Window};
//!
//! let overview = Overview::build(Window::LastHour, 1_700_000_000_000, &StatsRows::default(), 0);
//! let svg = charts::orders_by_method(&overview);
//! assert!(svg.starts_with("<svg") && svg.contains("No data in this window"));
//! ```

use crate::domain::calendar::VN_OFFSET_MS;
use crate::domain::refund::RefundStatus;
use crate::domain::stats::{AttemptOutcome, OrderResult, Overview, Span};
use std::fmt::Write;

mod draw;
use draw::{Canvas, YAxis, bucket_label, bucket_name, num, plot_width};

/// Width of the drawing, in `viewBox` units.
pub const WIDTH: f64 = 640.0;
/// Height of the plot area and its axes, without the legend, in `viewBox` units.
const BODY_HEIGHT: f64 = 236.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 10.0;
const TOP: f64 = 30.0;
const PLOT_HEIGHT: f64 = 160.0;
const LEGEND_ROW: f64 = 18.0;
/// At most this many time labels under a chart.
const MAX_TIME_LABELS: i64 = 6;

/// The colour of a series: a class for the stylesheet and a default fill.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// The `n`-th colour of a palette of distinct ones (`series-n`).
    Series(usize),
    /// A good outcome (`tone-good`, green).
    Good,
    /// A bad outcome (`tone-bad`, red).
    Bad,
    /// Still waiting (`tone-wait`, amber).
    Wait,
    /// Neither (`tone-muted`, grey).
    Muted,
    /// Something else worth a colour of its own (`tone-other`, violet).
    Other,
}

const PALETTE: [&str; 8] = ["#2563eb", "#0891b2", "#d97706", "#7c3aed", "#db2777", "#65a30d", "#dc2626", "#475569"];

impl Tone {
    /// The class name.
    pub fn class(self) -> String {
        match self {
            Tone::Series(n) => format!("series-{}", n % PALETTE.len()),
            Tone::Good => "tone-good".into(),
            Tone::Bad => "tone-bad".into(),
            Tone::Wait => "tone-wait".into(),
            Tone::Muted => "tone-muted".into(),
            Tone::Other => "tone-other".into(),
        }
    }

    /// The default colour.
    pub fn color(self) -> &'static str {
        match self {
            Tone::Series(n) => PALETTE[n % PALETTE.len()],
            Tone::Good => "#16a34a",
            Tone::Bad => "#dc2626",
            Tone::Wait => "#d97706",
            Tone::Muted => "#94a3b8",
            Tone::Other => "#7c3aed",
        }
    }
}

/// What a chart's values are, for its labels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// A count: `1234`.
    Count,
    /// Milliseconds: `150 ms`, `1.5 s`.
    Millis,
    /// Basis points shown as a percentage, on a fixed 0–100 % axis: `75.5 %`.
    BasisPoints,
    /// VND: `150.000 ₫`.
    Vnd,
}

impl Unit {
    /// A value as the labels show it.
    pub fn format(self, v: i64) -> String {
        match self {
            Unit::Count => v.to_string(),
            Unit::Millis if v.abs() < 1_000 => format!("{v} ms"),
            Unit::Millis if v % 1_000 == 0 || v.abs() >= 100_000 => format!("{} s", v / 1_000),
            Unit::Millis => format!("{}.{} s", v / 1_000, (v % 1_000).abs() / 100),
            Unit::BasisPoints => {
                let tenths = (v + 5).div_euclid(10);
                match tenths % 10 {
                    0 => format!("{} %", tenths / 10),
                    d => format!("{}.{} %", tenths / 10, d.abs()),
                }
            }
            Unit::Vnd => format!("{} ₫", grouped(v)),
        }
    }
}

/// `1234567` as `1.234.567` (Vietnamese grouping).
fn grouped(v: i64) -> String {
    let digits = v.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(c);
    }
    if v < 0 { format!("-{out}") } else { out }
}

/// One key's bars: one value per bucket.
#[derive(Clone, Copy, Debug)]
pub struct Bars<'a> {
    /// The legend's text (escaped when drawn).
    pub label: &'a str,
    /// Its colour.
    pub tone: Tone,
    /// One value per bucket of the span, oldest first (negative values count as 0).
    pub values: &'a [i64],
}

/// One line: a value per bucket, `None` where there is none (a gap).
#[derive(Clone, Copy, Debug)]
pub struct Line<'a> {
    /// The legend's text (escaped when drawn).
    pub label: &'a str,
    /// Its colour.
    pub tone: Tone,
    /// One point per bucket of the span, oldest first.
    pub points: &'a [Option<i64>],
}

/// Text made safe inside XML content and attribute values: `&`, `<`, `>`, `"` and
/// `'` escaped, and the control characters XML 1.0 forbids replaced by U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `HH:MM` in Vietnam time of a Unix time in ms.
pub fn vietnam_hhmm(t_ms: i64) -> String {
    let minutes = (t_ms + VN_OFFSET_MS).div_euclid(60_000).rem_euclid(24 * 60);
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Stacked bars: per bucket of `span`, one bar per series on top of the previous
/// ones, the first at the bottom. Heights are proportional to the values, on an axis
/// from 0 to a round number at or above the tallest stack.
pub fn stacked_bars(title: &str, span: &Span, series: &[Bars<'_>], unit: Unit) -> String {
    let n = span.buckets;
    let value = |s: &Bars<'_>, i: usize| s.values.get(i).copied().unwrap_or(0).max(0);
    let tallest = (0..n).map(|i| series.iter().map(|s| value(s, i)).sum::<i64>()).max().unwrap_or(0);
    let axis = YAxis::new(tallest, unit);
    let legend: Vec<(&str, Tone)> = series.iter().map(|s| (s.label, s.tone)).collect();
    let mut c = Canvas::new(title, "chart-bars", &legend);
    c.frame(span, &axis);
    if tallest == 0 {
        c.empty();
    } else {
        let slot = plot_width() / n.max(1) as f64;
        let (bar, pad) = (slot * 0.8, slot * 0.1);
        for i in 0..n {
            let mut base = 0i64;
            for s in series {
                let v = value(s, i);
                if v == 0 {
                    continue;
                }
                let (y0, y1) = (axis.y(base), axis.y(base + v));
                base += v;
                let tip = format!("{} · {}: {}", bucket_label(span, i), s.label, unit.format(v));
                let _ = write!(
                    c.out,
                    r#"<rect class="{}" fill="{}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>"#,
                    s.tone.class(),
                    s.tone.color(),
                    num(LEFT + i as f64 * slot + pad),
                    num(y1),
                    num(bar),
                    num(y0 - y1),
                    escape(&tip)
                );
            }
        }
    }
    c.finish()
}

/// Lines: per series, its points joined bucket to bucket (at each bucket's middle),
/// broken where a bucket has none, each point with its tooltip. The axis goes from
/// 0 to a round number at or above the greatest value (0–100 % for
/// [`Unit::BasisPoints`]).
pub fn line_chart(title: &str, span: &Span, series: &[Line<'_>], unit: Unit) -> String {
    let n = span.buckets;
    let greatest = series.iter().flat_map(|s| s.points.iter().take(n).flatten()).copied().max();
    let axis = YAxis::new(greatest.unwrap_or(0).max(0), unit);
    let legend: Vec<(&str, Tone)> = series.iter().map(|s| (s.label, s.tone)).collect();
    let mut c = Canvas::new(title, "chart-lines", &legend);
    c.frame(span, &axis);
    if greatest.is_none() {
        c.empty();
    } else {
        let slot = plot_width() / n.max(1) as f64;
        let x = |i: usize| LEFT + (i as f64 + 0.5) * slot;
        for s in series {
            let (class, color) = (s.tone.class(), s.tone.color());
            let mut run: Vec<String> = Vec::new();
            let mut runs: Vec<Vec<String>> = Vec::new();
            for i in 0..n {
                match s.points.get(i).copied().flatten() {
                    Some(v) => run.push(format!("{},{}", num(x(i)), num(axis.y(v.max(0))))),
                    None if !run.is_empty() => runs.push(std::mem::take(&mut run)),
                    None => {}
                }
            }
            if !run.is_empty() {
                runs.push(run);
            }
            for r in runs.iter().filter(|r| r.len() > 1) {
                let _ = write!(
                    c.out,
                    r#"<polyline class="{class}" fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#,
                    r.join(" ")
                );
            }
            for i in 0..n {
                if let Some(v) = s.points.get(i).copied().flatten() {
                    let tip = format!("{} · {}: {}", bucket_label(span, i), s.label, unit.format(v));
                    let _ = write!(
                        c.out,
                        r#"<circle class="{class}" fill="{color}" cx="{}" cy="{}" r="2.5"><title>{}</title></circle>"#,
                        num(x(i)),
                        num(axis.y(v.max(0))),
                        escape(&tip)
                    );
                }
            }
        }
    }
    c.finish()
}

// --- The Overview page's charts ----------------------------------------------------

/// Orders per bucket, stacked by payment method.
pub fn orders_by_method(o: &Overview) -> String {
    let labels: Vec<&str> = o.orders_by_method.iter().map(|s| s.key.as_str()).collect();
    let bars: Vec<Bars<'_>> = o
        .orders_by_method
        .iter()
        .zip(&labels)
        .enumerate()
        .map(|(i, (s, label))| Bars { label, tone: Tone::Series(i), values: &s.values })
        .collect();
    stacked_bars(&format!("Orders by payment method, per {}", bucket_name(&o.span)), &o.span, &bars, Unit::Count)
}

/// Orders per bucket, stacked by result (success, failed, cancelled, pending,
/// expired).
pub fn orders_by_result(o: &Overview) -> String {
    let tone = |r: OrderResult| match r {
        OrderResult::Success => Tone::Good,
        OrderResult::Failed => Tone::Bad,
        OrderResult::Cancelled => Tone::Muted,
        OrderResult::Open => Tone::Wait,
        OrderResult::Expired => Tone::Other,
    };
    let bars: Vec<Bars<'_>> = o
        .orders_by_result
        .iter()
        .map(|s| Bars { label: s.key.as_str(), tone: tone(s.key), values: &s.values })
        .collect();
    stacked_bars(&format!("Orders by result, per {}", bucket_name(&o.span)), &o.span, &bars, Unit::Count)
}

/// The success rate per bucket: successful orders among the final ones.
pub fn success_rate(o: &Overview) -> String {
    let lines = [Line { label: "success rate", tone: Tone::Good, points: &o.success_rate_bp }];
    line_chart("Success rate of final orders", &o.span, &lines, Unit::BasisPoints)
}

/// The IPN attempts' p50 and p99 latency per bucket (each the upper bound of its
/// latency bin).
pub fn ipn_latency(o: &Overview) -> String {
    let lines = [
        Line { label: "p50", tone: Tone::Series(0), points: &o.ipn_p50_ms },
        Line { label: "p99", tone: Tone::Series(2), points: &o.ipn_p99_ms },
    ];
    line_chart("IPN delivery latency", &o.span, &lines, Unit::Millis)
}

/// IPN attempts per bucket, stacked by outcome.
pub fn ipn_outcomes(o: &Overview) -> String {
    let labels: Vec<String> = o.ipn_outcomes.iter().map(|s| s.key.label()).collect();
    let mut http = 0;
    let bars: Vec<Bars<'_>> = o
        .ipn_outcomes
        .iter()
        .zip(&labels)
        .map(|(s, label)| {
            let tone = match s.key {
                AttemptOutcome::Delivered => Tone::Good,
                AttemptOutcome::NoAnswer => Tone::Muted,
                AttemptOutcome::Http(_) => {
                    http += 1;
                    if http == 1 { Tone::Bad } else { Tone::Series(http + 1) }
                }
            };
            Bars { label, tone, values: &s.values }
        })
        .collect();
    stacked_bars(&format!("IPN attempts by outcome, per {}", bucket_name(&o.span)), &o.span, &bars, Unit::Count)
}

/// The outbox depth at the end of each bucket; the title gives the depth now.
pub fn outbox_depth(o: &Overview) -> String {
    let points: Vec<Option<i64>> = o.outbox_depth.iter().map(|&d| Some(d)).collect();
    let lines = [Line { label: "pending IPNs", tone: Tone::Wait, points: &points }];
    line_chart(&format!("IPN outbox depth (now {})", o.outbox_depth_now), &o.span, &lines, Unit::Count)
}

/// Refunds per bucket, stacked by status.
pub fn refund_counts(o: &Overview) -> String {
    let counts: Vec<Vec<i64>> = o.refunds.iter().map(|s| s.values.iter().map(|t| t.count).collect()).collect();
    let bars = refund_bars(o, &counts);
    stacked_bars(&format!("Refunds by status, per {}", bucket_name(&o.span)), &o.span, &bars, Unit::Count)
}

/// The amount refunded per bucket, stacked by status.
pub fn refund_amounts(o: &Overview) -> String {
    let amounts: Vec<Vec<i64>> = o.refunds.iter().map(|s| s.values.iter().map(|t| t.amount).collect()).collect();
    let bars = refund_bars(o, &amounts);
    stacked_bars(&format!("Refunded amount by status, per {}", bucket_name(&o.span)), &o.span, &bars, Unit::Vnd)
}

fn refund_bars<'a>(o: &Overview, values: &'a [Vec<i64>]) -> Vec<Bars<'a>> {
    o.refunds
        .iter()
        .zip(values)
        .map(|(s, values)| {
            let tone = match s.key {
                RefundStatus::Success => Tone::Good,
                RefundStatus::Error => Tone::Bad,
                RefundStatus::Pending => Tone::Wait,
                RefundStatus::Processing => Tone::Other,
            };
            Bars { label: s.key.as_str(), tone, values }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::draw::label_step_ms;
    use super::*;
    use crate::domain::stats::{StatsRows, Window};

    const NOW: i64 = 1_700_000_000_000;

    fn parse(svg: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(svg).unwrap_or_else(|e| panic!("not XML ({e}):\n{svg}"))
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(escape(r#"<script>alert("x")</script>"#), "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
        assert_eq!(escape(r#"&"'"#), "&amp;&quot;&#39;");
        assert_eq!(escape("Cửa hàng\u{0}\u{1b}"), "Cửa hàng\u{FFFD}\u{FFFD}");
        let hostile = r#"<script>alert(1)</script> & "q" 'a' ]]>"#;
        let span = Window::LastHour.span(NOW);
        let values = vec![1i64; span.buckets];
        let points = vec![Some(3i64); span.buckets];
        for svg in [
            stacked_bars(hostile, &span, &[Bars { label: hostile, tone: Tone::Good, values: &values }], Unit::Count),
            line_chart(hostile, &span, &[Line { label: hostile, tone: Tone::Bad, points: &points }], Unit::Millis),
        ] {
            assert!(!svg.contains("<script"), "{svg}");
            let doc = parse(&svg);
            let title = doc.descendants().find(|n| n.has_tag_name("title")).and_then(|n| n.text());
            assert_eq!(title, Some(hostile), "the text reads back as given");
            assert!(
                doc.descendants()
                    .filter(|n| n.has_tag_name("title"))
                    .any(|n| n.text().is_some_and(|t| t.contains(hostile)))
            );
        }
    }

    #[test]
    fn times_are_vietnam_time() {
        assert_eq!(vietnam_hhmm(0), "07:00");
        assert_eq!(vietnam_hhmm(17 * 3_600_000 + 5 * 60_000), "00:05");
        assert_eq!(vietnam_hhmm(NOW), "05:13", "2023-11-14T22:13:20Z");
        let hour = Window::LastHour.span(NOW);
        assert_eq!(label_step_ms(&hour), 10 * 60_000);
        assert_eq!(label_step_ms(&Window::LastDay.span(NOW)), 240 * 60_000);
        assert_eq!(bucket_label(&hour, 59), "05:13–05:14");
    }

    #[test]
    fn units_format() {
        assert_eq!(Unit::Millis.format(150), "150 ms");
        assert_eq!(Unit::Millis.format(1_500), "1.5 s");
        assert_eq!(Unit::Millis.format(10_000), "10 s");
        assert_eq!(Unit::BasisPoints.format(7_550), "75.5 %");
        assert_eq!(Unit::BasisPoints.format(10_000), "100 %");
        assert_eq!(Unit::Vnd.format(1_234_567), "1.234.567 ₫");
        assert_eq!(Unit::Vnd.format(500), "500 ₫");
        assert_eq!(Unit::Count.format(42), "42");
    }

    #[test]
    fn bars_are_proportional_to_their_values() {
        let span = Window::LastHour.span(NOW);
        let mut a = vec![0i64; span.buckets];
        let mut b = vec![0i64; span.buckets];
        (a[0], a[10], b[10], a[59]) = (3, 6, 2, 1);
        let svg = stacked_bars(
            "Orders",
            &span,
            &[
                Bars { label: "ATM", tone: Tone::Series(0), values: &a },
                Bars { label: "CC", tone: Tone::Series(1), values: &b },
            ],
            Unit::Count,
        );
        let doc = parse(&svg);
        let bars: Vec<(String, f64, f64, String)> = doc
            .descendants()
            .filter(|n| n.has_tag_name("rect") && n.parent().is_some_and(|p| p.has_tag_name("svg")))
            .map(|n| {
                let f = |a: &str| n.attribute(a).and_then(|v| v.parse::<f64>().ok()).expect("a number");
                let tip = n.children().find(|c| c.has_tag_name("title")).and_then(|t| t.text()).unwrap_or_default();
                (n.attribute("class").unwrap_or_default().to_owned(), f("height"), f("y"), tip.to_owned())
            })
            .collect();
        assert_eq!(bars.len(), 4, "one rect per non-zero value");
        let per_unit = bars[0].1 / 3.0;
        let heights: Vec<f64> = bars.iter().map(|b| (b.1 / per_unit * 100.0).round() / 100.0).collect();
        assert_eq!(heights, [3.0, 6.0, 2.0, 1.0]);
        assert_eq!(bars[2].0, "series-1");
        assert!((bars[2].2 + bars[2].1 - bars[1].2).abs() < 0.02, "CC sits on top of ATM");
        assert_eq!(bars[1].3, "04:24–04:25 · ATM: 6", "bucket 10 of the hour to 05:13");
        // The axis: 8 is the tallest stack, drawn to a round 8 (4 steps of 2).
        assert!((bars[1].1 + bars[2].1 - PLOT_HEIGHT).abs() < 0.02);
        assert!(svg.contains(r#"viewBox="0 0 640 "#) && svg.contains(r#"width="100%""#));
        assert!(!svg.contains("style=") && !svg.contains("<script") && !svg.contains("href"));
    }

    #[test]
    fn empty_charts_say_so() {
        let o = Overview::build(Window::LastDay, NOW, &StatsRows::default(), 0);
        let charts = [
            orders_by_method(&o),
            orders_by_result(&o),
            success_rate(&o),
            ipn_latency(&o),
            ipn_outcomes(&o),
            refund_counts(&o),
            refund_amounts(&o),
        ];
        for svg in &charts {
            parse(svg);
            assert!(svg.contains("No data in this window"), "{svg}");
        }
        let depth = outbox_depth(&o);
        parse(&depth);
        assert!(!depth.contains("No data"), "a depth of 0 is data");
        let span = Window::LastHour.span(NOW);
        parse(&stacked_bars("none", &span, &[], Unit::Count));
        parse(&line_chart("none", &span, &[], Unit::Count));
        let zero = Span { since_ms: NOW, bucket_ms: 60_000, buckets: 0 };
        parse(&line_chart("no buckets", &zero, &[], Unit::Count));
    }

    #[test]
    fn lines_break_where_a_bucket_has_no_value() {
        let span = Window::LastHour.span(NOW);
        let mut p = vec![None; span.buckets];
        (p[1], p[2], p[3], p[10], p[20], p[21]) = (Some(10), Some(20), Some(5), Some(7), Some(0), Some(2));
        let svg =
            line_chart("Latency", &span, &[Line { label: "p50", tone: Tone::Series(0), points: &p }], Unit::Millis);
        let doc = parse(&svg);
        let lines: Vec<usize> = doc
            .descendants()
            .filter(|n| n.has_tag_name("polyline"))
            .map(|n| n.attribute("points").unwrap_or_default().split(' ').count())
            .collect();
        assert_eq!(lines, [3, 2], "the single point at bucket 10 is a dot only");
        assert_eq!(doc.descendants().filter(|n| n.has_tag_name("circle")).count(), 6);
        let rate = vec![Some(10_000), Some(5_000)];
        let svg = line_chart(
            "Rate",
            &Span { buckets: 2, ..span },
            &[Line { label: "r", tone: Tone::Good, points: &rate }],
            Unit::BasisPoints,
        );
        assert!(svg.contains(">100 %<") && svg.contains("50 %"));
    }

    #[test]
    fn the_overview_charts_parse() {
        use crate::domain::order::State;
        use crate::domain::stats::{AttemptCount, OrderCount, OutboxMoves};
        use appotapay_protocol::PaymentMethod;
        let rows = StatsRows {
            orders: vec![
                OrderCount { bucket: 3, method: PaymentMethod::Atm, state: State::Success, count: 4 },
                OrderCount { bucket: 3, method: PaymentMethod::Qr, state: State::Expired, count: 1 },
            ],
            attempts: vec![
                AttemptCount {
                    bucket: 3,
                    bin: 6,
                    delivered: true,
                    http_status: Some(200),
                    count: 4,
                    max_latency_ms: 40,
                },
                AttemptCount {
                    bucket: 3,
                    bin: 6,
                    delivered: false,
                    http_status: Some(503),
                    count: 1,
                    max_latency_ms: 40,
                },
                AttemptCount {
                    bucket: 4,
                    bin: 6,
                    delivered: false,
                    http_status: Some(404),
                    count: 1,
                    max_latency_ms: 40,
                },
            ],
            outbox: vec![OutboxMoves { bucket: 3, entered: 5, left: 4 }],
            refunds: vec![],
        };
        let o = Overview::build(Window::LastHour, NOW, &rows, 1);
        for svg in [
            orders_by_method(&o),
            orders_by_result(&o),
            success_rate(&o),
            ipn_latency(&o),
            ipn_outcomes(&o),
            outbox_depth(&o),
        ] {
            let doc = parse(&svg);
            assert!(!svg.contains("No data"), "{svg}");
            assert!(doc.descendants().any(|n| n.has_tag_name("title") && n.text().is_some_and(|t| t.contains("·"))));
        }
        assert!(outbox_depth(&o).contains("(now 1)"));
        assert!(ipn_outcomes(&o).contains("HTTP 503") && ipn_outcomes(&o).contains("HTTP 404"));
    }
}
