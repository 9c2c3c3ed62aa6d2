//! The audit bundle's `report.html`: one self-contained page an auditor
//! reads, rendered from the certification record alone.
//!
//! The page carries everything inline (CSS, charts as server-side SVG), loads
//! nothing from anywhere and says so in a Content-Security-Policy meta tag,
//! so an accidental external reference is blocked by the browser. Every
//! string of the record is HTML-escaped by the template engine; links to
//! evidence are emitted only for relative bundle paths. The output is a
//! pure function of the record (no clock, no environment).

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;
use thiserror::Error;

use super::layout;
use super::record::{Certification, Ratio, Status, TargetSummary};

/// The Content-Security-Policy of the page: nothing but inline styles and
/// `data:` images.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/// Background of the verdict banner when the run passed (`#17753a`).
pub const PASS_BANNER_RGB: [u8; 3] = [0x17, 0x75, 0x3a];
/// Background of the verdict banner when the run failed (`#b3261e`).
pub const FAIL_BANNER_RGB: [u8; 3] = [0xb3, 0x26, 0x1e];

const TEMPLATE_NAME: &str = "report.html.j2";
const TEMPLATE: &str = include_str!("../../templates/report/report.html.j2");

/// Rendering the report failed (a template defect, never the record's fault).
#[derive(Debug, Error)]
pub enum ReportError {
    #[error("report template {name}: {message}")]
    Template { name: String, message: String },
}

/// Renders `report.html` for `cert`.
pub fn render_html(cert: &Certification) -> Result<String, ReportError> {
    let env = environment()?;
    let template = env
        .get_template(TEMPLATE_NAME)
        .map_err(|e| template_error(&e))?;
    let page = Page::new(cert);
    template.render(&page).map_err(|e| template_error(&e))
}

fn environment() -> Result<Environment<'static>, ReportError> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    env.set_lstrip_blocks(true);
    env.set_keep_trailing_newline(true);
    env.add_filter("group", |v: u64| group(v));
    env.add_template(TEMPLATE_NAME, TEMPLATE)
        .map_err(|e| template_error(&e))?;
    Ok(env)
}

fn template_error(e: &minijinja::Error) -> ReportError {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    ReportError::Template {
        name: TEMPLATE_NAME.to_string(),
        message,
    }
}

// ---------------------------------------------------------------------------
// The view model: everything the template shows, formatted here so the
// template stays markup only.

#[derive(Serialize)]
struct Page<'a> {
    csp: &'static str,
    cert: &'a Certification,
    verdict: &'static str,
    verdict_word: &'static str,
    title: String,
    profile_label: String,
    requirements: Vec<RequirementView<'a>>,
    n_requirements: usize,
    n_passed: usize,
    n_failed: usize,
    /// The verdict disagrees with the requirement rows (a defective record).
    inconsistent: bool,
    targets: Vec<TargetView<'a>>,
    /// Some target has execution-time figures.
    has_timing: bool,
    charts: Vec<Figure>,
    coverage: Vec<CoverageRow>,
    links: Vec<Link>,
    files: Files,
}

/// Bundle paths the template links to by name.
#[derive(Serialize)]
struct Files {
    resources: &'static str,
    timing: &'static str,
    sarif: &'static str,
    compliance: &'static str,
    review: &'static str,
}

#[derive(Serialize)]
struct RequirementView<'a> {
    id: &'a str,
    title: &'a str,
    demanded: &'a str,
    measured: &'a str,
    status: &'static str,
    evidence: Vec<Evidence<'a>>,
}

#[derive(Serialize)]
struct Evidence<'a> {
    path: &'a str,
    /// Percent-encoded relative link; None when the path is not a plain
    /// relative bundle path (then it is shown as text only).
    href: Option<String>,
}

#[derive(Serialize)]
struct Link {
    label: &'static str,
    href: String,
}

#[derive(Serialize)]
struct TargetView<'a> {
    name: &'a str,
    description: &'a str,
    status: &'a str,
    ok: bool,
    rows_run: String,
    mismatches: String,
    text: String,
    rodata: String,
    data: String,
    bss: String,
    total: String,
    stack_estimate: String,
    stack_measured: String,
    stack_budget: String,
    verify_href: Option<String>,
    /// Estimate or measurement above the budget.
    over_budget: bool,
    /// Execution time per call (levels with a timing budget).
    timing: Option<TimingView>,
}

#[derive(Serialize)]
struct TimingView {
    bound_instructions: String,
    bound_cycles: String,
    bound_us: String,
    measured_max: String,
    measured_median: String,
    budget_cycles: String,
    /// "static bound" or "measured only".
    basis: &'static str,
    over_budget: bool,
}

#[derive(Serialize)]
struct CoverageRow {
    name: &'static str,
    covered: String,
    total: String,
    percent: String,
    /// Width of the meter fill, 0..=100, one decimal.
    fill: String,
}

/// A chart with its heading and caption.
#[derive(Serialize)]
struct Figure {
    /// Prefix of the element ids.
    id: &'static str,
    heading: &'static str,
    /// The SVG <title>.
    title: &'static str,
    caption: &'static str,
    /// Shown instead of the chart when there are no figures.
    empty: &'static str,
    chart: Option<Chart>,
}

/// A horizontal bar chart as SVG geometry (user units of the viewBox).
#[derive(Serialize)]
struct Chart {
    width: u32,
    height: u32,
    plot_x: u32,
    plot_w: u32,
    plot_top: u32,
    plot_bottom: u32,
    axis_label: &'static str,
    ticks: Vec<Tick>,
    rows: Vec<ChartRow>,
    legend: Vec<LegendItem>,
    /// What the chart shows, for the SVG <desc>.
    desc: String,
}

#[derive(Serialize)]
struct Tick {
    x: String,
    label: String,
}

#[derive(Serialize)]
struct ChartRow {
    label: String,
    label_y: String,
    bars: Vec<Bar>,
    markers: Vec<Marker>,
    /// Text right of the bars ("12,345 B") or the reason there is no bar.
    note: String,
    note_x: String,
    note_y: String,
}

#[derive(Serialize)]
struct Bar {
    x: String,
    y: String,
    w: String,
    h: String,
    class: &'static str,
    title: String,
}

#[derive(Serialize)]
struct Marker {
    x: String,
    y1: String,
    y2: String,
    title: String,
}

#[derive(Serialize)]
struct LegendItem {
    x: u32,
    class: &'static str,
    label: &'static str,
    /// Drawn as a line (a marker), not a box.
    line: bool,
}

impl<'a> Page<'a> {
    fn new(cert: &'a Certification) -> Page<'a> {
        let requirements: Vec<RequirementView<'a>> = cert
            .requirements
            .iter()
            .map(|r| RequirementView {
                id: &r.id,
                title: &r.title,
                demanded: &r.demanded,
                measured: &r.measured,
                status: r.status.as_str(),
                evidence: r
                    .evidence
                    .iter()
                    .map(|p| Evidence {
                        path: p,
                        href: bundle_href(p),
                    })
                    .collect(),
            })
            .collect();
        let n_failed = cert
            .requirements
            .iter()
            .filter(|r| r.status == Status::Fail)
            .count();
        let n_requirements = cert.requirements.len();
        let inconsistent = match cert.verdict {
            Status::Pass => n_failed > 0,
            Status::Fail => n_requirements > 0 && n_failed == 0,
        };
        let profile_label = match &cert.profile.level {
            Some(level) => format!("{} {}", cert.profile.standard, level),
            None => cert.profile.standard.clone(),
        };
        let verdict_word = match cert.verdict {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
        };
        let title = format!(
            "{verdict_word}: {} against {} ({})",
            cert.model.file_name, profile_label, cert.profile.name
        );
        let mut coverage = Vec::new();
        if let Some(c) = &cert.coverage {
            coverage.push(coverage_row(
                "Statement (gcov line coverage: executable lines)",
                &c.statement,
            ));
            coverage.push(coverage_row("Branch (gcov branch arcs)", &c.branch));
            if let Some(m) = &c.mcdc {
                coverage.push(coverage_row(
                    "MC/DC (conditions of decisions with two or more)",
                    m,
                ));
            }
        }
        let links = [
            ("Certification record", layout::CERTIFICATION),
            ("Manifest (sha256 of every file)", layout::MANIFEST),
            ("Rule check (SARIF 2.1.0)", layout::CHECK_SARIF),
            ("Guideline compliance summary", layout::CHECK_SUMMARY),
            ("Guideline plan", layout::CHECK_PLAN),
            ("MISRA review record", layout::CHECK_REVIEW),
            ("Test vectors", layout::VECTORS),
            ("Coverage", layout::COVERAGE),
            ("Stack and size", layout::RESOURCES),
            ("Toolchain", layout::TOOLCHAIN),
            ("Traceability", layout::TRACEABILITY),
            ("Provenance (in-toto / SLSA)", layout::PROVENANCE),
            ("Test result attestation", layout::TEST_RESULT),
            ("Intermediate representation", layout::IR),
        ]
        .into_iter()
        .filter_map(|(label, path)| bundle_href(path).map(|href| Link { label, href }))
        .collect();
        Page {
            csp: CONTENT_SECURITY_POLICY,
            cert,
            verdict: cert.verdict.as_str(),
            verdict_word,
            title,
            profile_label,
            n_passed: n_requirements - n_failed,
            n_requirements,
            n_failed,
            inconsistent,
            targets: cert.targets.iter().map(target_view).collect(),
            has_timing: cert.targets.iter().any(|t| t.timing.is_some()),
            charts: vec![
                Figure {
                    id: "size-chart",
                    heading: "Size per target",
                    title: "Code and table size per target (.text, .rodata, .data stacked)",
                    caption: "Bytes of the model's own code and constant tables per target, stacked by section.",
                    empty: "No target reported section sizes.",
                    chart: size_chart(&cert.targets),
                },
                Figure {
                    id: "stack-chart",
                    heading: "Stack per target",
                    title: "Stack per call and target: bound, measured peak and budget",
                    caption: "Upper bar: the sound bound the stack row decides on; lower bar: the measured peak (corroboration); black line: the profile's budget. A bar above its budget is drawn in orange-red.",
                    empty: "No target reported stack figures.",
                    chart: stack_chart(&cert.targets),
                },
            ],
            coverage,
            requirements,
            links,
            files: Files {
                resources: layout::RESOURCES,
                timing: layout::TIMING,
                sarif: layout::CHECK_SARIF,
                compliance: layout::CHECK_SUMMARY,
                review: layout::CHECK_REVIEW,
            },
        }
    }
}

fn coverage_row(name: &'static str, r: &Ratio) -> CoverageRow {
    let percent = r.percent().clamp(0.0, 100.0);
    CoverageRow {
        name,
        covered: group(r.covered),
        total: group(r.total),
        percent: format!("{:.1} %", r.percent()),
        fill: format!("{percent:.1}"),
    }
}

fn target_view(t: &TargetSummary) -> TargetView<'_> {
    let total = match (t.text, t.rodata, t.data) {
        (None, None, None) => None,
        (a, b, c) => Some(
            a.unwrap_or(0)
                .saturating_add(b.unwrap_or(0))
                .saturating_add(c.unwrap_or(0)),
        ),
    };
    TargetView {
        name: &t.name,
        description: &t.description,
        status: &t.status,
        ok: t.status == "pass",
        rows_run: group(t.rows_run as u64),
        mismatches: group(t.mismatches as u64),
        text: opt(t.text),
        rodata: opt(t.rodata),
        data: opt(t.data),
        bss: opt(t.bss),
        total: opt(total),
        stack_estimate: opt(t.stack_estimate),
        stack_measured: opt(t.stack_measured),
        stack_budget: opt(t.stack_budget),
        verify_href: bundle_href(&layout::verify_file(&t.name)),
        over_budget: t.stack_budget.is_some_and(|b| {
            t.stack_estimate.is_some_and(|v| v > b) || t.stack_measured.is_some_and(|v| v > b)
        }),
        timing: t.timing.as_ref().map(|m| TimingView {
            bound_instructions: opt(m.bound_instructions),
            bound_cycles: opt(m.bound_cycles),
            bound_us: match (m.bound_us, m.clock_mhz) {
                (Some(us), Some(mhz)) => format!("{us:.2} at {mhz} MHz"),
                _ => "\u{2014}".to_string(),
            },
            measured_max: opt(m.measured_max),
            measured_median: opt(m.measured_median),
            budget_cycles: group(m.budget_cycles),
            basis: if m.bound_cycles.is_some() {
                "static bound"
            } else {
                "measured only"
            },
            over_budget: m.bound_cycles.is_some_and(|c| c > m.budget_cycles)
                || matches!((m.measured_max, m.bound_instructions), (Some(a), Some(b)) if a > b),
        }),
    }
}

fn opt(v: Option<u64>) -> String {
    v.map_or_else(|| "\u{2014}".to_string(), group)
}

/// `1234567` -> `1,234,567`.
fn group(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A relative link to a bundle file, or None when `path` is not a plain
/// relative bundle path (scheme, absolute, `..`, backslash, empty segment).
fn bundle_href(path: &str) -> Option<String> {
    if path.is_empty() || path.starts_with('/') || path.contains('\\') {
        return None;
    }
    let segments: Vec<&str> = path.split('/').collect();
    if segments
        .iter()
        .any(|s| s.is_empty() || *s == "." || *s == "..")
    {
        return None;
    }
    // A ':' in the first segment would read as a URL scheme.
    if segments.first().is_some_and(|s| s.contains(':')) {
        return None;
    }
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Some(out)
}

// ---------------------------------------------------------------------------
// Charts.

const CHART_WIDTH: u32 = 980;
const LABEL_W: u32 = 170;
const NOTE_W: u32 = 220;
const TOP: u32 = 34;
const AXIS_H: u32 = 34;

/// Coordinates with one decimal, so the text is stable across platforms.
fn c(v: f64) -> String {
    format!("{v:.1}")
}

/// A "nice" tick step (1, 2 or 5 times a power of ten) giving at most about
/// six ticks up to `max`.
fn tick_step(max: u64) -> u64 {
    let mut pow = 1u64;
    loop {
        for m in [1u64, 2, 5] {
            let step = m.saturating_mul(pow);
            if step.saturating_mul(6) >= max {
                return step.max(1);
            }
        }
        match pow.checked_mul(10) {
            Some(p) => pow = p,
            None => return u64::MAX,
        }
    }
}

struct Scale {
    x0: f64,
    w: f64,
    max: u64,
}

impl Scale {
    fn new(data_max: u64) -> Scale {
        let step = tick_step(data_max.max(1));
        let max = data_max.max(1).div_ceil(step).saturating_mul(step);
        Scale {
            x0: f64::from(LABEL_W),
            w: f64::from(CHART_WIDTH - LABEL_W - NOTE_W),
            max,
        }
    }
    fn x(&self, v: u64) -> f64 {
        self.x0 + self.w * (v.min(self.max) as f64) / (self.max as f64)
    }
    fn len(&self, v: u64) -> f64 {
        self.w * (v.min(self.max) as f64) / (self.max as f64)
    }
    fn ticks(&self) -> Vec<Tick> {
        let step = tick_step(self.max);
        let mut ticks = Vec::new();
        let mut v = 0u64;
        while v <= self.max {
            ticks.push(Tick {
                x: c(self.x(v)),
                label: group(v),
            });
            match v.checked_add(step) {
                Some(n) => v = n,
                None => break,
            }
        }
        ticks
    }
}

fn chart_frame(
    n_rows: usize,
    row_h: u32,
    axis_label: &'static str,
    scale: &Scale,
    legend: Vec<LegendItem>,
    desc: String,
) -> Chart {
    let n = u32::try_from(n_rows).unwrap_or(u32::MAX / 64);
    let plot_bottom = TOP + n * row_h;
    Chart {
        width: CHART_WIDTH,
        height: plot_bottom + AXIS_H,
        plot_x: LABEL_W,
        plot_w: CHART_WIDTH - LABEL_W - NOTE_W,
        plot_top: TOP - 6,
        plot_bottom,
        axis_label,
        ticks: scale.ticks(),
        rows: Vec::new(),
        legend,
        desc,
    }
}

/// Stacked text / rodata / data bars per target.
fn size_chart(targets: &[TargetSummary]) -> Option<Chart> {
    let totals: Vec<Option<u64>> = targets
        .iter()
        .map(|t| match (t.text, t.rodata, t.data) {
            (None, None, None) => None,
            (a, b, c) => Some(
                a.unwrap_or(0)
                    .saturating_add(b.unwrap_or(0))
                    .saturating_add(c.unwrap_or(0)),
            ),
        })
        .collect();
    let max = totals.iter().flatten().copied().max()?;
    let scale = Scale::new(max);
    let row_h = 28u32;
    let legend = vec![
        LegendItem {
            x: LABEL_W,
            class: "s-text",
            label: ".text",
            line: false,
        },
        LegendItem {
            x: LABEL_W + 90,
            class: "s-rodata",
            label: ".rodata",
            line: false,
        },
        LegendItem {
            x: LABEL_W + 195,
            class: "s-data",
            label: ".data",
            line: false,
        },
    ];
    let desc = format!(
        "Bytes of the model's code and tables per target, stacked by section; scale 0 to {} bytes.",
        group(scale.max)
    );
    let mut chart = chart_frame(targets.len(), row_h, "bytes", &scale, legend, desc);
    for (i, (t, total)) in targets.iter().zip(&totals).enumerate() {
        let i = u32::try_from(i).unwrap_or(0);
        let y = f64::from(TOP + i * row_h);
        let bar_y = y + 5.0;
        let bar_h = f64::from(row_h) - 10.0;
        let mut bars = Vec::new();
        let mut acc = 0u64;
        for (value, class, section) in [
            (t.text, "s-text", ".text"),
            (t.rodata, "s-rodata", ".rodata"),
            (t.data, "s-data", ".data"),
        ] {
            let Some(v) = value else { continue };
            if v == 0 {
                continue;
            }
            bars.push(Bar {
                x: c(scale.x(acc)),
                y: c(bar_y),
                w: c(scale.len(v)),
                h: c(bar_h),
                class,
                title: format!("{}: {section} {} bytes", t.name, group(v)),
            });
            acc = acc.saturating_add(v);
        }
        let (note, note_x) = match total {
            Some(total) => (format!("{} B", group(*total)), scale.x(*total) + 6.0),
            None => ("no figures".to_string(), scale.x(0) + 6.0),
        };
        chart.rows.push(ChartRow {
            label: t.name.clone(),
            label_y: c(y + f64::from(row_h) / 2.0 + 4.0),
            bars,
            markers: Vec::new(),
            note,
            note_x: c(note_x),
            note_y: c(y + f64::from(row_h) / 2.0 + 4.0),
        });
    }
    Some(chart)
}

/// Estimated and measured stack per call, with the budget as a marker.
fn stack_chart(targets: &[TargetSummary]) -> Option<Chart> {
    let max = targets
        .iter()
        .flat_map(|t| [t.stack_estimate, t.stack_measured, t.stack_budget])
        .flatten()
        .max()?;
    let scale = Scale::new(max);
    let row_h = 36u32;
    let legend = vec![
        LegendItem {
            x: LABEL_W,
            class: "k-est",
            label: "bound",
            line: false,
        },
        LegendItem {
            x: LABEL_W + 105,
            class: "k-meas",
            label: "measured",
            line: false,
        },
        LegendItem {
            x: LABEL_W + 215,
            class: "k-over",
            label: "over budget",
            line: false,
        },
        LegendItem {
            x: LABEL_W + 345,
            class: "k-budget",
            label: "budget",
            line: true,
        },
    ];
    let desc = format!(
        "Stack bytes per call and target: sound bound, measured peak and the profile's budget; scale 0 to {} bytes.",
        group(scale.max)
    );
    let mut chart = chart_frame(targets.len(), row_h, "bytes of stack", &scale, legend, desc);
    for (i, t) in targets.iter().enumerate() {
        let i = u32::try_from(i).unwrap_or(0);
        let y = f64::from(TOP + i * row_h);
        let bar_h = 11.0;
        let over = |v: u64| t.stack_budget.is_some_and(|b| v > b);
        let mut bars = Vec::new();
        let mut notes = Vec::new();
        if let Some(v) = t.stack_estimate {
            bars.push(Bar {
                x: c(scale.x(0)),
                y: c(y + 6.0),
                w: c(scale.len(v)),
                h: c(bar_h),
                class: if over(v) { "k-over" } else { "k-est" },
                title: format!("{}: bound {} bytes", t.name, group(v)),
            });
            notes.push(format!("est {}", group(v)));
        }
        if let Some(v) = t.stack_measured {
            bars.push(Bar {
                x: c(scale.x(0)),
                y: c(y + 6.0 + bar_h + 2.0),
                w: c(scale.len(v)),
                h: c(bar_h),
                class: if over(v) { "k-over" } else { "k-meas" },
                title: format!("{}: measured {} bytes", t.name, group(v)),
            });
            notes.push(format!("meas {}", group(v)));
        }
        if let Some(b) = t.stack_budget {
            if !notes.is_empty() {
                notes.push(format!("budget {}", group(b)));
            }
        }
        let mut markers = Vec::new();
        if let Some(b) = t.stack_budget {
            markers.push(Marker {
                x: c(scale.x(b)),
                y1: c(y + 2.0),
                y2: c(y + f64::from(row_h) - 2.0),
                title: format!("{}: budget {} bytes", t.name, group(b)),
            });
        }
        let right = [t.stack_estimate, t.stack_measured, t.stack_budget]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(0);
        let note = if notes.is_empty() {
            "no figures".to_string()
        } else {
            notes.join(" · ")
        };
        chart.rows.push(ChartRow {
            label: t.name.clone(),
            label_y: c(y + f64::from(row_h) / 2.0 + 4.0),
            bars,
            markers,
            note,
            note_x: c(scale.x(right) + 6.0),
            note_y: c(y + f64::from(row_h) / 2.0 + 4.0),
        });
    }
    Some(chart)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hrefs_only_for_relative_bundle_paths() {
        assert_eq!(
            bundle_href("verify/cortex-m4f.json").as_deref(),
            Some("verify/cortex-m4f.json")
        );
        assert_eq!(bundle_href("a b&c.json").as_deref(), Some("a%20b%26c.json"));
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../b",
            "javascript:alert(1)",
            "http://example.com/x",
            "//example.com/x",
            "a\\b",
            "a//b",
        ] {
            assert_eq!(bundle_href(bad), None, "{bad}");
        }
    }

    #[test]
    fn grouping_and_ticks() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1234567), "1,234,567");
        assert_eq!(tick_step(1), 1);
        assert_eq!(tick_step(10), 2);
        assert_eq!(tick_step(1000), 200);
        assert_eq!(tick_step(25_000), 5000);
        assert!(tick_step(u64::MAX) > 0);
    }
}
