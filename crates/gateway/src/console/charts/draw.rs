//! The drawing under every chart of [`super`]: the plot's geometry, the value axis,
//! and the SVG document a chart is written into (its frame, its "no data" notice,
//! its legend). What a chart shows is [`super`]'s; how it is laid out is here.

use super::{
    BODY_HEIGHT, LEFT, LEGEND_ROW, MAX_TIME_LABELS, PLOT_HEIGHT, RIGHT, TOP, Tone, Unit, WIDTH, escape, vietnam_hhmm,
};
use crate::domain::calendar::VN_OFFSET_MS;
use crate::domain::stats::Span;
use std::fmt::Write;

pub(super) fn plot_width() -> f64 {
    WIDTH - LEFT - RIGHT
}

pub(super) fn plot_bottom() -> f64 {
    TOP + PLOT_HEIGHT
}

/// A coordinate with at most two decimals, without trailing zeros.
pub(super) fn num(v: f64) -> String {
    let s = format!("{v:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.into() }
}

/// `minute`, `15 minutes`: a bucket's length in words.
pub(super) fn bucket_name(span: &Span) -> String {
    match span.bucket_ms / 60_000 {
        1 => "minute".into(),
        m if span.bucket_ms % 60_000 == 0 => format!("{m} minutes"),
        _ => format!("{} s", span.bucket_ms / 1_000),
    }
}

/// `14:05–14:06`: a bucket's time span in Vietnam time.
pub(super) fn bucket_label(span: &Span, i: usize) -> String {
    format!("{}–{}", vietnam_hhmm(span.start_ms(i)), vietnam_hhmm(span.start_ms(i + 1)))
}

/// The value axis: from 0 to `max`, in `ticks` steps.
pub(super) struct YAxis {
    max: i64,
    step: i64,
    unit: Unit,
}

impl YAxis {
    pub(super) fn new(greatest: i64, unit: Unit) -> YAxis {
        if unit == Unit::BasisPoints {
            return YAxis { max: 10_000, step: 2_500, unit };
        }
        let raw = (greatest.max(1) + 3) / 4;
        let mut magnitude = 1i64;
        let step = loop {
            if let Some(s) = [1, 2, 5].iter().map(|m| m * magnitude).find(|&s| s >= raw) {
                break s;
            }
            magnitude = magnitude.saturating_mul(10);
        };
        YAxis { max: step.saturating_mul(4), step, unit }
    }

    /// The `y` of a value.
    pub(super) fn y(&self, v: i64) -> f64 {
        plot_bottom() - (v.min(self.max) as f64 / self.max as f64) * PLOT_HEIGHT
    }
}

/// An SVG document being written.
pub(super) struct Canvas {
    /// The markup written so far; a chart adds its bars or lines here.
    pub(super) out: String,
    /// Each entry's escaped text, colour and width.
    legend: Vec<(String, Tone, f64)>,
}

impl Canvas {
    pub(super) fn new(title: &str, kind: &str, legend: &[(&str, Tone)]) -> Canvas {
        let legend: Vec<(String, Tone, f64)> = legend.iter().map(|(l, t)| (escape(l), *t, legend_width(l))).collect();
        let height = BODY_HEIGHT + LEGEND_ROW * legend_rows(&legend) as f64;
        let title = escape(title);
        let mut out = String::with_capacity(8 * 1024);
        let _ = write!(
            out,
            r##"<svg xmlns="http://www.w3.org/2000/svg" class="chart {kind}" viewBox="0 0 {} {}" width="100%" preserveAspectRatio="xMidYMid meet" role="img" aria-label="{title}" font-family="system-ui, sans-serif" font-size="12"><title>{title}</title><text class="chart-title" x="{}" y="18" font-size="14" font-weight="600" fill="#0f172a">{title}</text>"##,
            num(WIDTH),
            num(height),
            num(LEFT)
        );
        Canvas { out, legend }
    }

    /// The grid, the value labels and the time labels.
    pub(super) fn frame(&mut self, span: &Span, axis: &YAxis) {
        let right = WIDTH - RIGHT;
        let mut v = 0;
        while v <= axis.max {
            let y = num(axis.y(v));
            let _ = write!(
                self.out,
                r##"<line class="chart-grid" x1="{}" y1="{y}" x2="{}" y2="{y}" stroke="#e2e8f0" stroke-width="1"/><text class="chart-axis" x="{}" y="{y}" dy="4" text-anchor="end" fill="#475569">{}</text>"##,
                num(LEFT),
                num(right),
                num(LEFT - 6.0),
                escape(&axis.unit.format(v))
            );
            v += axis.step;
        }
        let slot = plot_width() / span.buckets.max(1) as f64;
        let every = label_step_ms(span);
        for i in 0..span.buckets {
            let t = span.start_ms(i);
            if (t + VN_OFFSET_MS).rem_euclid(every) != 0 {
                continue;
            }
            let x = num(LEFT + i as f64 * slot);
            let _ = write!(
                self.out,
                r##"<line class="chart-grid" x1="{x}" y1="{}" x2="{x}" y2="{}" stroke="#94a3b8" stroke-width="1"/><text class="chart-axis" x="{x}" y="{}" text-anchor="middle" fill="#475569">{}</text>"##,
                num(plot_bottom()),
                num(plot_bottom() + 4.0),
                num(plot_bottom() + 18.0),
                vietnam_hhmm(t)
            );
        }
        let _ = write!(
            self.out,
            r##"<text class="chart-axis" x="{}" y="18" text-anchor="end" fill="#475569">UTC+7</text>"##,
            num(right)
        );
    }

    /// The "no data" notice over an empty plot.
    pub(super) fn empty(&mut self) {
        let _ = write!(
            self.out,
            r##"<text class="chart-empty" x="{}" y="{}" text-anchor="middle" font-size="14" fill="#64748b">No data in this window</text>"##,
            num(LEFT + plot_width() / 2.0),
            num(TOP + PLOT_HEIGHT / 2.0)
        );
    }

    pub(super) fn finish(mut self) -> String {
        let mut x = LEFT;
        let mut y = BODY_HEIGHT - 6.0;
        let _ = write!(self.out, r#"<g class="chart-legend">"#);
        for (label, tone, w) in &self.legend {
            let w = *w;
            if x + w > WIDTH - RIGHT && x > LEFT {
                x = LEFT;
                y += LEGEND_ROW;
            }
            let _ = write!(
                self.out,
                r##"<rect class="{}" fill="{}" x="{}" y="{}" width="10" height="10"/><text x="{}" y="{}" fill="#334155">{label}</text>"##,
                tone.class(),
                tone.color(),
                num(x),
                num(y - 9.0),
                num(x + 14.0),
                num(y)
            );
            x += w;
        }
        self.out.push_str("</g></svg>");
        self.out
    }
}

/// The room a legend entry takes: its mark and an estimate of its text's width.
pub(super) fn legend_width(label: &str) -> f64 {
    14.0 + label.chars().count() as f64 * 7.0 + 16.0
}

pub(super) fn legend_rows(legend: &[(String, Tone, f64)]) -> usize {
    let (mut rows, mut x) = (1, LEFT);
    for &(_, _, w) in legend {
        if x + w > WIDTH - RIGHT && x > LEFT {
            rows += 1;
            x = LEFT;
        }
        x += w;
    }
    rows
}

/// The time between two time labels: the shortest round length that gives at most
/// [`MAX_TIME_LABELS`] labels over the span.
pub(super) fn label_step_ms(span: &Span) -> i64 {
    const STEPS_MIN: [i64; 12] = [1, 2, 5, 10, 15, 30, 60, 120, 180, 240, 360, 720];
    let total = span.bucket_ms.saturating_mul(span.buckets as i64);
    STEPS_MIN
        .iter()
        .map(|m| m * 60_000)
        .find(|&s| s >= span.bucket_ms && total / s <= MAX_TIME_LABELS)
        .unwrap_or(1_440 * 60_000)
}
