//! SVG charts for reports, drawn with plotters' SVG backend (text is written
//! as SVG `<text>` elements: no font file is read, the viewer's sans-serif
//! draws it). Pure: figures in, an SVG document out. What may be drawn is
//! decided from the views the tables publish ([`countries::published`],
//! [`curves::published`]), so a chart never shows what the table hides.

use chrono::NaiveDate;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::countries;
use super::curves::{self, ShownStep};
use crate::domain::{CountryCode, Language};

/// The population a chart covers, for its title.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub sent_from: Option<NaiveDate>,
    pub sent_to: Option<NaiveDate>,
    pub as_of: NaiveDate,
}

impl Period {
    /// E.g. "Requests sent 2025-01-01 – 2025-12-31, as of 2026-11-29", or
    /// "All requests sent, as of 2026-11-29"; in French with the dates
    /// written out ("Demandes envoyées du 1er janvier 2025 au …").
    pub fn describe(&self, language: Language) -> String {
        let date = |d: NaiveDate| match language {
            Language::En => d.to_string(),
            Language::Fr => language.date(&d),
        };
        let (from, to, as_of) = (
            self.sent_from.map(date),
            self.sent_to.map(date),
            date(self.as_of),
        );
        match language {
            Language::En => {
                let sent = match (from, to) {
                    (None, None) => "All requests sent".to_string(),
                    (Some(from), Some(to)) => format!("Requests sent {from} – {to}"),
                    (Some(from), None) => format!("Requests sent from {from}"),
                    (None, Some(to)) => format!("Requests sent up to {to}"),
                };
                format!("{sent}, as of {as_of}")
            }
            Language::Fr => {
                let sent = match (from, to) {
                    (None, None) => "Toutes les demandes envoyées".to_string(),
                    (Some(from), Some(to)) => format!("Demandes envoyées du {from} au {to}"),
                    (Some(from), None) => format!("Demandes envoyées à partir du {from}"),
                    (None, Some(to)) => format!("Demandes envoyées jusqu'au {to}"),
                };
                format!("{sent}, chiffres au {as_of}")
            }
        }
    }
}

/// The fixed words of the charts in one language. English is what the API
/// has always sent; the pages ask for the reader's language.
struct Words {
    rates_title: &'static str,
    rates_axis: &'static str,
    rates_bars_published: &'static str,
    rates_bars_exact: &'static str,
    rates_counts: &'static str,
    no_country: &'static str,
    curves_title: &'static str,
    curves_km: &'static str,
    curves_km_bands: &'static str,
    curves_x: &'static str,
    curves_y: &'static str,
    no_curve: &'static str,
}

const ENGLISH: Words = Words {
    rates_title: "Requests still unanswered after a year, by country",
    rates_axis: "Still unanswered 365 days after sending (share_unanswered_365)",
    rates_bars_published: "Bars: the share of requests still without a first response 365 days after sending, pending requests censored (a life table of the published counts, which carry a noise of at most 2).",
    rates_bars_exact: "Bars: the Kaplan–Meier estimate of the share of requests still without a first response 365 days after sending, pending requests censored.",
    rates_counts: "Counts: requests answered / requests sent.",
    no_country: "No country to show",
    curves_title: "Time to a first response: share of requests still unanswered",
    curves_km: "Kaplan–Meier estimate: requests still pending are censored at the analysis date.",
    curves_km_bands: "Kaplan–Meier estimate: requests still pending are censored at the analysis date. Bands: 95 % confidence intervals (Greenwood, log(−log)).",
    curves_x: "Days since sending",
    curves_y: "Still unanswered",
    no_curve: "No curve to show",
};

const FRENCH: Words = Words {
    rates_title: "Demandes toujours sans réponse après un an, par pays",
    rates_axis: "Encore sans réponse 365 jours après l'envoi (share_unanswered_365)",
    rates_bars_published: "Barres : la part des demandes encore sans première réponse 365 jours après l'envoi, les demandes en attente censurées (table de survie des effectifs publiés, qui portent un bruit d'au plus 2).",
    rates_bars_exact: "Barres : l'estimation de Kaplan-Meier de la part des demandes encore sans première réponse 365 jours après l'envoi, les demandes en attente censurées.",
    rates_counts: "Effectifs : demandes ayant reçu une réponse / demandes envoyées.",
    no_country: "Aucun pays à représenter",
    curves_title: "Délai de première réponse : part des demandes encore sans réponse",
    curves_km: "Estimation de Kaplan-Meier : les demandes encore en attente sont censurées à la date d'analyse.",
    curves_km_bands: "Estimation de Kaplan-Meier : les demandes encore en attente sont censurées à la date d'analyse. Bandes : intervalles de confiance à 95 % (Greenwood, log(−log)).",
    curves_x: "Jours depuis l'envoi",
    curves_y: "Encore sans réponse",
    no_curve: "Aucune courbe à représenter",
};

fn words(language: Language) -> &'static Words {
    match language {
        Language::En => &ENGLISH,
        Language::Fr => &FRENCH,
    }
}

/// A count as the language groups its digits; English as the API always
/// wrote it (no grouping).
fn count(n: u64, language: Language) -> String {
    match language {
        Language::En => n.to_string(),
        Language::Fr => language.number(i64::try_from(n).unwrap_or(i64::MAX)),
    }
}

/// A percentage on an axis or a bar: `42 %`, with a narrow no-break space
/// in French.
pub fn percent(x: f64, language: Language) -> String {
    match language {
        Language::En => format!("{x:.0} %"),
        Language::Fr => format!("{x:.0}\u{202f}%"),
    }
}

/// A country's name in `language`: the table's own (the API's English
/// names) in English, the translated name otherwise.
fn country_name(code: &str, name: String, language: Language) -> String {
    match (language, CountryCode::parse(code)) {
        (Language::En, _) | (_, Err(_)) => name,
        (_, Ok(code)) => code.name_in(language).to_string(),
    }
}

/// One bar of the response-rate chart.
#[derive(Debug, Clone, PartialEq)]
pub struct RateBar {
    pub country_name: String,
    /// `share_unanswered_365`, 0 to 1.
    pub unanswered: f64,
    pub answered: u64,
    pub requests: u64,
}

/// The countries a response-rate chart leaves out, and why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LeftOut {
    /// Their share or counts are hidden in the published view.
    pub hidden: usize,
    /// None of their requests was followed for 365 days: the share after a
    /// year does not exist yet (never 0 % or 100 %).
    pub not_estimable: usize,
}

/// The bars of the response-rate chart from the country table as shown,
/// most unanswered first, and the countries left out. Names are in
/// `language`.
pub fn rate_bars(table: &super::ShownTable, language: Language) -> (Vec<RateBar>, LeftOut) {
    let mut bars = Vec::new();
    let mut left_out = LeftOut::default();
    for row in &table.rows {
        let share = row.get("share_unanswered_365").and_then(|v| v.as_f64());
        let answered = row.get("answered").and_then(|v| v.as_u64());
        let requests = row.get("requests").and_then(|v| v.as_u64());
        match (share, answered, requests) {
            (Some(unanswered), Some(answered), Some(requests)) => bars.push(RateBar {
                country_name: country_name(
                    &text(row, "country"),
                    text(row, "country_name"),
                    language,
                ),
                unanswered,
                answered,
                requests,
            }),
            (None, Some(_), Some(_)) if !hidden(row, "share_unanswered_365") => {
                left_out.not_estimable += 1
            }
            _ => left_out.hidden += 1,
        }
    }
    bars.sort_by(|a, b| {
        b.unanswered
            .total_cmp(&a.unanswered)
            .then(b.requests.cmp(&a.requests))
            .then(a.country_name.cmp(&b.country_name))
    });
    (bars, left_out)
}

/// Whether the published view hid `field` in `row`.
fn hidden(row: &countries::ShownRow, field: &str) -> bool {
    row.get("suppressed")
        .and_then(|s| s.as_array())
        .is_some_and(|s| s.iter().any(|f| f == field))
}

fn text(row: &countries::ShownRow, field: &str) -> String {
    row.get(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

/// One curve of the response-curve chart.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveLine {
    /// The legend: country name and number of requests.
    pub label: String,
    pub steps: Vec<ShownStep>,
}

/// How many curves the chart shows when no country is asked for.
pub const DEFAULT_CURVES: usize = 5;

/// The curves to draw and the footnotes saying what was left out: the
/// countries `asked` for (in that order), or else the
/// [`DEFAULT_CURVES`] with the most requests among those whose curve is
/// shown. `threshold` is the published view's, for the footnotes; the
/// legend and the footnotes are in `language`.
pub fn pick_curves(
    shown: &curves::Shown,
    asked: &[CountryCode],
    threshold: Option<u64>,
    language: Language,
) -> (Vec<CurveLine>, Vec<String>) {
    let requests = |i: usize| shown.table.rows[i].get("requests").and_then(|v| v.as_u64());
    let indices: Vec<usize> = if asked.is_empty() {
        let mut candidates: Vec<usize> = (0..shown.countries.len())
            .filter(|&i| shown.countries[i].curve.is_some())
            .collect();
        candidates.sort_by(|&a, &b| requests(b).cmp(&requests(a)).then(a.cmp(&b)));
        candidates.truncate(DEFAULT_CURVES);
        candidates
    } else {
        let mut seen = Vec::new();
        for code in asked {
            if let Some(i) = shown
                .countries
                .iter()
                .position(|c| c.country == code.as_str())
                && !seen.contains(&i)
            {
                seen.push(i);
            }
        }
        seen
    };
    let mut lines = Vec::new();
    let mut hidden = Vec::new();
    for i in indices {
        let c = &shown.countries[i];
        let name = country_name(&c.country, c.country_name.clone(), language);
        match (&c.curve, requests(i)) {
            (Some(steps), Some(n)) => lines.push(CurveLine {
                label: format!(
                    "{name} ({} {}{})",
                    count(n, language),
                    match language {
                        Language::En => "request",
                        Language::Fr => "demande",
                    },
                    if n == 1 { "" } else { "s" }
                ),
                steps: steps.clone(),
            }),
            _ => hidden.push(name),
        }
    }
    let threshold = count(threshold.unwrap_or_default(), language);
    let mut notes = Vec::new();
    if !hidden.is_empty() {
        let hidden = hidden.join(", ");
        notes.push(match language {
            Language::En => format!(
                "Left out, hidden in the published view (fewer than {threshold} requests, or a hidden count): {hidden}."
            ),
            Language::Fr => format!(
                "Non représentés, masqués dans la vue publiée (moins de {threshold} demandes, ou un effectif masqué) : {hidden}."
            ),
        });
    }
    let absent: Vec<&str> = asked
        .iter()
        .filter(|code| !shown.countries.iter().any(|c| c.country == code.as_str()))
        .map(|code| match language {
            Language::En => code.name(),
            Language::Fr => code.name_in(language),
        })
        .collect();
    if !absent.is_empty() {
        let absent = absent.join(", ");
        notes.push(match language {
            Language::En => format!("No request in the period: {absent}."),
            Language::Fr => format!("Aucune demande sur la période : {absent}."),
        });
    }
    (lines, notes)
}

/// Okabe–Ito colours (distinguishable with colour-blindness), yellow left
/// out for contrast on white.
const COLOURS: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(213, 94, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(230, 159, 0),
    RGBColor(86, 180, 233),
    RGBColor(0, 0, 0),
];

const FONT: &str = "sans-serif";
const WIDTH: u32 = 960;
const FOOT_LINE: u32 = 20;

/// Text of `px` pixels (plotters writes `font-size` as its size / 1.24).
fn style(px: u32) -> TextStyle<'static> {
    (FONT, f64::from(px) * 1.24).into_font().color(&BLACK)
}

/// A generous estimate of the width of `text` in a sans-serif of `px`.
fn estimated_width(text: &str, px: u32) -> u32 {
    (f64::from(px) * 0.6 * text.chars().count() as f64).ceil() as u32
}

/// `notes` broken into lines that fit the chart's width in 13 px text.
fn wrap(notes: &[String]) -> Vec<String> {
    let max = ((WIDTH - 40) as f64 / (13.0 * 0.55)) as usize;
    let mut lines = Vec::new();
    for note in notes {
        let mut line = String::new();
        for word in note.split(' ') {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > max {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// Title, subtitle and footnotes around the chart; returns the area left
/// for the chart.
fn frame<'a>(
    root: &Area<'a>,
    title: &str,
    subtitle: &str,
    footnotes: &[String],
) -> anyhow::Result<Area<'a>> {
    let footnotes = wrap(footnotes);
    root.fill(&WHITE)?;
    let height = root.dim_in_pixel().1;
    let foot = FOOT_LINE * footnotes.len() as u32 + 10;
    let (upper, lower) = root.split_vertically(height - foot);
    for (i, note) in footnotes.iter().enumerate() {
        lower.draw(&Text::new(
            note.clone(),
            (20, FOOT_LINE as i32 * i as i32),
            style(13),
        ))?;
    }
    upper.draw(&Text::new(title.to_string(), (20, 12), style(22)))?;
    upper.draw(&Text::new(
        subtitle.to_string(),
        (20, 42),
        style(15).color(&RGBColor(80, 80, 80)),
    ))?;
    Ok(upper.split_vertically(68).1)
}

/// Countries ranked by the share of their requests still unanswered after
/// 365 days, as horizontal bars labelled with the name and `answered /
/// requests`; the countries `left_out` are counted in footnotes that say
/// why. Every word is in `language`.
pub fn response_rates_svg(
    period: &Period,
    bars: &[RateBar],
    left_out: LeftOut,
    threshold: Option<u64>,
    language: Language,
) -> anyhow::Result<String> {
    let words = words(language);
    let labels: Vec<String> = bars
        .iter()
        .map(|b| {
            format!(
                "{}  {} / {}",
                b.country_name,
                count(b.answered, language),
                count(b.requests, language)
            )
        })
        .collect();
    let n = bars.len().max(1);
    let mut footnotes = vec![
        if threshold.is_some() {
            words.rates_bars_published.to_string()
        } else {
            words.rates_bars_exact.to_string()
        },
        words.rates_counts.to_string(),
    ];
    if left_out.not_estimable > 0 {
        let n = left_out.not_estimable;
        let one = n == 1;
        footnotes.push(match language {
            Language::En => format!(
                "{n} countr{} left out: none of {} requests has been followed for 365 days yet, so the share after a year cannot be estimated.",
                if one { "y" } else { "ies" },
                if one { "its" } else { "their" },
            ),
            Language::Fr => format!(
                "{n} pays non représenté{} : aucune de {} demandes n'a encore été suivie 365 jours, la part après un an n'est donc pas estimable.",
                if one { "" } else { "s" },
                if one { "ses" } else { "leurs" },
            ),
        });
    }
    let left_out = left_out.hidden;
    if left_out > 0 {
        let threshold = count(threshold.unwrap_or_default(), language);
        let one = left_out == 1;
        footnotes.push(match language {
            Language::En => format!(
                "{left_out} countr{} left out: {} share or counts are hidden in the published view (fewer than {threshold} requests, or a hidden count).",
                if one { "y" } else { "ies" },
                if one { "its" } else { "their" },
            ),
            Language::Fr => format!(
                "{left_out} pays non représenté{} : {} part ou {} effectifs sont masqués dans la vue publiée (moins de {threshold} demandes, ou un effectif masqué).",
                if one { "" } else { "s" },
                if one { "sa" } else { "leur" },
                if one { "ses" } else { "leurs" },
            ),
        });
    }
    let height = 68 + 26 * n as u32 + 90 + FOOT_LINE * wrap(&footnotes).len() as u32 + 30;
    let label_width = labels
        .iter()
        .map(|l| estimated_width(l, 14))
        .max()
        .unwrap_or(0)
        .clamp(120, WIDTH / 2)
        + 16;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let area = frame(
            &root,
            words.rates_title,
            &period.describe(language),
            &footnotes,
        )?;
        let mut chart = ChartBuilder::on(&area)
            .margin(10)
            .margin_right(30)
            .x_label_area_size(50)
            .y_label_area_size(label_width)
            .build_cartesian_2d(0f64..100f64, 0f64..n as f64)?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(11)
            .x_label_formatter(&|x| percent(*x, language))
            .x_desc(words.rates_axis)
            .label_style(style(14))
            .axis_desc_style(style(14))
            .draw()?;
        // Row i from the top is drawn at y = n − 1 − i, labelled left of
        // the axis.
        chart.draw_series(labels.iter().enumerate().map(|(i, label)| {
            EmptyElement::at((0.0, (n - 1 - i) as f64 + 0.5))
                + Text::new(
                    label.clone(),
                    (-8, 0),
                    style(14).pos(Pos::new(HPos::Right, VPos::Center)),
                )
        }))?;
        let bar_colour = RGBColor(0, 114, 178);
        for (i, bar) in bars.iter().enumerate() {
            let y = (n - 1 - i) as f64;
            let x = bar.unanswered * 100.0;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(0.0, y + 0.18), (x, y + 0.82)],
                bar_colour.filled(),
            )))?;
            let percent = percent(x, language);
            let label = if x > 88.0 {
                Text::new(
                    percent,
                    (x - 1.0, y + 0.5),
                    style(13)
                        .color(&WHITE)
                        .pos(Pos::new(HPos::Right, VPos::Center)),
                )
            } else {
                Text::new(
                    percent,
                    (x + 1.0, y + 0.5),
                    style(13).pos(Pos::new(HPos::Left, VPos::Center)),
                )
            };
            chart.draw_series(std::iter::once(label))?;
        }
        if bars.is_empty() {
            chart.draw_series(std::iter::once(Text::new(
                words.no_country.to_string(),
                (50.0, 0.5),
                style(16).pos(Pos::new(HPos::Center, VPos::Center)),
            )))?;
        }
        root.present()?;
    }
    Ok(svg)
}

/// Kaplan–Meier step curves of the share still unanswered (0–100 %) against
/// the days since sending, with their 95 % intervals as light bands, a
/// legend, and `footnotes` saying what was left out; the chart's own words
/// in `language`.
pub fn response_curves_svg(
    period: &Period,
    lines: &[CurveLine],
    footnotes: &[String],
    language: Language,
) -> anyhow::Result<String> {
    let words = words(language);
    let banded = lines
        .iter()
        .any(|l| l.steps.iter().any(|s| s.lower.is_some()));
    let mut notes = vec![if banded {
        words.curves_km_bands.to_string()
    } else {
        words.curves_km.to_string()
    }];
    notes.extend_from_slice(footnotes);
    let last_day = lines
        .iter()
        .filter_map(|l| l.steps.last().map(|s| s.day))
        .max()
        .unwrap_or(0);
    let x_max = f64::from(nice_ceiling(last_day.max(30)));
    let height = 68 + 480 + FOOT_LINE * wrap(&notes).len() as u32 + 30;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let area = frame(
            &root,
            words.curves_title,
            &period.describe(language),
            &notes,
        )?;
        let mut chart = ChartBuilder::on(&area)
            .margin(10)
            .margin_right(30)
            .x_label_area_size(50)
            .y_label_area_size(70)
            .build_cartesian_2d(0f64..x_max, 0f64..100f64)?;
        chart
            .configure_mesh()
            .x_label_formatter(&|x| format!("{x:.0}"))
            .x_desc(words.curves_x)
            .y_desc(words.curves_y)
            .y_label_formatter(&|y| percent(*y, language))
            .label_style(style(14))
            .axis_desc_style(style(14))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        for (i, line) in lines.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let (survival, band) = step_paths(&line.steps);
            chart.draw_series(std::iter::once(Polygon::new(
                band,
                colour.mix(0.12).filled(),
            )))?;
            chart
                .draw_series(LineSeries::new(survival, colour.stroke_width(2)))?
                .label(line.label.clone())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
                });
        }
        if lines.is_empty() {
            chart.draw_series(std::iter::once(Text::new(
                words.no_curve.to_string(),
                (x_max / 2.0, 50.0),
                style(16).pos(Pos::new(HPos::Center, VPos::Center)),
            )))?;
        } else {
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.9))
                .border_style(RGBColor(180, 180, 180))
                .label_font(style(14))
                .draw()?;
        }
        root.present()?;
    }
    Ok(svg)
}

/// Points of a line or polygon in chart coordinates.
type Path = Vec<(f64, f64)>;

/// The survival step line (in %) from day 0, and the interval band as a
/// closed polygon (upper bound forward, lower bound back); no band when the
/// bounds are hidden (the published view).
fn step_paths(steps: &[ShownStep]) -> (Path, Path) {
    let mut line = vec![(0.0, 100.0)];
    let mut upper = vec![(0.0, 100.0)];
    let mut lower = vec![(0.0, 100.0)];
    for s in steps {
        let day = f64::from(s.day);
        for (path, value) in [
            (&mut line, s.survival),
            (&mut upper, s.upper.unwrap_or(s.survival)),
            (&mut lower, s.lower.unwrap_or(s.survival)),
        ] {
            let previous = path.last().map_or(100.0, |p| p.1);
            path.push((day, previous));
            path.push((day, value * 100.0));
        }
    }
    lower.reverse();
    upper.extend(lower);
    (line, upper)
}

/// The smallest of 1, 2, 2.5 or 5 × 10^k (k ≥ 1) at or above `day`, for
/// the axis.
fn nice_ceiling(day: u32) -> u32 {
    let mut scale = 1u64;
    loop {
        for m in [10u64, 20, 25, 50] {
            let v = m * scale;
            if v >= u64::from(day) {
                return u32::try_from(v).unwrap_or(u32::MAX);
            }
        }
        scale *= 10;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::aggregates::{Aggregates, CountryCounts, CountryDay, DayKeys};
    use crate::stats::km::DayCount;

    fn period() -> Period {
        Period {
            sent_from: None,
            sent_to: None,
            as_of: NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
        }
    }

    /// The chart's text elements, after checking it is XML with an
    /// `<svg>` root.
    fn texts(svg: &str) -> Vec<String> {
        let doc = roxmltree::Document::parse(svg).expect("the chart is XML");
        assert_eq!(doc.root_element().tag_name().name(), "svg");
        doc.descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn periods_are_described_for_the_title() {
        let mut p = period();
        assert_eq!(
            p.describe(Language::En),
            "All requests sent, as of 2026-11-29"
        );
        p.sent_from = NaiveDate::from_ymd_opt(2025, 1, 1);
        p.sent_to = NaiveDate::from_ymd_opt(2025, 12, 31);
        assert_eq!(
            p.describe(Language::En),
            "Requests sent 2025-01-01 – 2025-12-31, as of 2026-11-29"
        );
        p.sent_from = None;
        assert_eq!(
            p.describe(Language::En),
            "Requests sent up to 2025-12-31, as of 2026-11-29"
        );
    }

    #[test]
    fn axis_ends_on_a_round_number() {
        assert_eq!(nice_ceiling(30), 50);
        assert_eq!(nice_ceiling(100), 100);
        assert_eq!(nice_ceiling(101), 200);
        assert_eq!(nice_ceiling(230), 250);
        assert_eq!(nice_ceiling(1100), 2000);
    }

    #[test]
    fn response_rates_are_ranked_labelled_and_titled() {
        let bars = vec![
            RateBar {
                country_name: "Philippines".into(),
                unanswered: 0.91,
                answered: 11,
                requests: 87,
            },
            RateBar {
                country_name: "Côte d'Ivoire & <Co>".into(),
                unanswered: 0.2,
                answered: 40,
                requests: 50,
            },
        ];
        let svg = response_rates_svg(
            &period(),
            &bars,
            LeftOut {
                hidden: 3,
                not_estimable: 0,
            },
            Some(5),
            Language::En,
        )
        .unwrap();
        assert!(svg.starts_with("<svg"), "{svg}");
        let texts = texts(&svg);
        let all = texts.join("\n");
        assert!(all.contains("All requests sent, as of 2026-11-29"), "{all}");
        assert!(all.contains("Philippines  11 / 87"), "{all}");
        assert!(all.contains("Côte d'Ivoire & <Co>  40 / 50"), "{all}");
        assert!(all.contains("share_unanswered_365"), "{all}");
        assert!(all.contains("91 %"), "{all}");
        assert!(all.contains("3 countries left out"), "{all}");
        // The most unanswered is drawn on top, i.e. with the smaller y.
        let y_of = |needle: &str| {
            let at = svg.find(needle).unwrap();
            let tag = &svg[svg[..at].rfind("<text").unwrap()..at];
            let y = tag.split("y=\"").nth(1).unwrap().split('"').next().unwrap();
            y.parse::<f64>().unwrap()
        };
        assert!(y_of("Philippines  11") < y_of("Côte"), "{svg}");
    }

    #[test]
    fn an_empty_chart_says_so() {
        let svg =
            response_rates_svg(&period(), &[], LeftOut::default(), None, Language::En).unwrap();
        assert!(svg.contains("No country to show"));
        assert!(!svg.contains("left out"));
        let svg = response_curves_svg(&period(), &[], &[], Language::En).unwrap();
        assert!(svg.contains("No curve to show"));
    }

    /// Every count keyed at u = 0.5: noise 0 for each country's cells.
    fn sample() -> Aggregates {
        let mid = 1 << 31;
        let counts = |country: &str, requests: i64, answered: i64| CountryCounts {
            country: country.into(),
            requests,
            answered,
            pending: requests - answered,
            requests_key: mid,
            answered_key: mid,
            pending_key: mid,
            ..CountryCounts::default()
        };
        let day = |country: &str, day, events, censored| CountryDay {
            country: country.into(),
            count: DayCount {
                day,
                events,
                censored,
            },
            keys: DayKeys {
                events: mid,
                censored: mid,
            },
        };
        Aggregates {
            counts: vec![
                counts("DE", 12, 6),
                counts("FR", 20, 10),
                counts("JP", 2, 0),
                counts("NO", 4, 2),
            ],
            response_days: vec![
                day("DE", 20, 6, 0),
                day("DE", 400, 0, 6),
                day("FR", 40, 10, 0),
                day("FR", 400, 0, 10),
                day("JP", 5, 0, 1),
                day("JP", 100, 0, 1),
                day("NO", 10, 1, 0),
                day("NO", 30, 1, 0),
                day("NO", 100, 0, 2),
            ],
            acknowledgement_days: Vec::new(),
            execution_days: Vec::new(),
        }
    }

    #[test]
    fn published_charts_leave_out_hidden_countries_and_say_so() {
        let published = curves::published(&sample(), 5);
        let (bars, left_out) = rate_bars(&published.table, Language::En);
        let names: Vec<&str> = bars.iter().map(|b| b.country_name.as_str()).collect();
        assert!(
            !names.contains(&"Norway") && !names.contains(&"Japan"),
            "{names:?}"
        );
        assert_eq!(names.len() + left_out.hidden + left_out.not_estimable, 4);
        let svg = response_rates_svg(&period(), &bars, left_out, Some(5), Language::En).unwrap();
        assert!(!svg.contains("Norway") && !svg.contains("Japan"));
        assert!(
            svg.contains(&format!("{} countries left out", left_out.hidden)),
            "{svg}"
        );

        let (lines, notes) = pick_curves(&published, &[], Some(5), Language::En);
        assert!(lines.iter().all(|l| !l.label.starts_with("Norway")));
        assert!(
            notes.is_empty(),
            "the default picks shown curves: {notes:?}"
        );
        let asked = [
            CountryCode::parse("NO").unwrap(),
            CountryCode::parse("FR").unwrap(),
            CountryCode::parse("PH").unwrap(),
        ];
        let (lines, notes) = pick_curves(&published, &asked, Some(5), Language::En);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert_eq!(lines[0].label, "France (20 requests)");
        assert!(notes[0].contains("Norway") && notes[0].contains("fewer than 5"));
        assert_eq!(notes[1], "No request in the period: Philippines.");
        let svg = response_curves_svg(&period(), &lines, &notes, Language::En).unwrap();
        let all = texts(&svg).join("\n");
        assert!(all.contains("France (20 requests)"), "{all}");
        assert!(all.contains("as of 2026-11-29"), "{all}");
        assert!(
            all.contains("Left out, hidden in the published view"),
            "{all}"
        );
        assert!(all.contains("Days since sending"), "{all}");
    }

    #[test]
    fn exact_charts_default_to_the_five_largest() {
        let exact = curves::exact(&curves::of(sample()));
        let (lines, notes) = pick_curves(&exact, &[], None, Language::En);
        let labels: Vec<&str> = lines.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "France (20 requests)",
                "Germany (12 requests)",
                "Norway (4 requests)",
                "Japan (2 requests)"
            ]
        );
        assert!(notes.is_empty());
        let (bars, left_out) = rate_bars(&exact.table, Language::En);
        // Japan's and Norway's requests were followed for 100 days only.
        assert_eq!(bars.len(), 2);
        assert_eq!(
            left_out,
            LeftOut {
                hidden: 0,
                not_estimable: 2
            }
        );
        let svg = response_rates_svg(&period(), &bars, left_out, None, Language::En).unwrap();
        assert!(
            svg.contains(
                "2 countries left out: none of their requests has been followed for 365 days yet"
            ),
            "{svg}"
        );
    }

    /// Every word a reader sees comes out in French: titles, axes, legend,
    /// footnotes, country names, digits grouped as French groups them.
    #[test]
    fn charts_speak_french_when_asked() {
        let fr = Language::Fr;
        let mut p = period();
        p.sent_from = NaiveDate::from_ymd_opt(2025, 1, 1);
        p.sent_to = NaiveDate::from_ymd_opt(2025, 12, 31);
        assert_eq!(
            p.describe(fr),
            "Demandes envoyées du 1er janvier 2025 au 31 décembre 2025, chiffres au 29 novembre 2026"
        );
        let published = curves::published(&sample(), 5);
        let (bars, left_out) = rate_bars(&published.table, fr);
        assert!(
            bars.iter().any(|b| b.country_name == "Allemagne"),
            "{bars:?}"
        );
        let svg = response_rates_svg(&p, &bars, left_out, Some(5), fr).unwrap();
        let all = texts(&svg).join("\n");
        for words in [
            "Demandes toujours sans réponse après un an, par pays",
            "Encore sans réponse 365 jours après l'envoi",
            "Effectifs : demandes ayant reçu une réponse / demandes envoyées.",
            "pays non représentés : leur part ou leurs effectifs sont masqués",
            "moins de 5 demandes",
            "Allemagne",
        ] {
            assert!(all.contains(words), "{words} missing from {all}");
        }
        assert!(
            !all.contains("Germany") && !all.contains("requests"),
            "{all}"
        );

        let asked = [
            CountryCode::parse("NO").unwrap(),
            CountryCode::parse("FR").unwrap(),
            CountryCode::parse("PH").unwrap(),
        ];
        let (lines, notes) = pick_curves(&published, &asked, Some(5), fr);
        assert_eq!(lines[0].label, "France (20 demandes)");
        assert!(notes[0].starts_with("Non représentés, masqués dans la vue publiée (moins de 5"));
        assert!(notes[0].contains("Norvège"), "{notes:?}");
        assert_eq!(notes[1], "Aucune demande sur la période : Philippines.");
        let svg = response_curves_svg(&p, &lines, &notes, fr).unwrap();
        let all = texts(&svg).join("\n");
        for words in [
            "Délai de première réponse : part des demandes encore sans réponse",
            "Jours depuis l'envoi",
            "Encore sans réponse",
            "Estimation de Kaplan-Meier",
            "France (20 demandes)",
        ] {
            assert!(all.contains(words), "{words} missing from {all}");
        }
        assert!(!all.contains("Days since sending"), "{all}");
        let empty = response_curves_svg(&p, &[], &[], fr).unwrap();
        assert!(empty.contains("Aucune courbe à représenter"));
    }

    #[test]
    fn step_paths_drop_vertically_on_event_days() {
        let step = |day, survival: f64| ShownStep {
            day,
            survival,
            lower: Some(survival - 0.1),
            upper: Some((survival + 0.1).min(1.0)),
            at_risk: None,
            events: None,
        };
        let (line, band) = step_paths(&[step(10, 0.75), step(30, 0.5)]);
        assert_eq!(
            line,
            [
                (0.0, 100.0),
                (10.0, 100.0),
                (10.0, 75.0),
                (30.0, 75.0),
                (30.0, 50.0)
            ]
        );
        assert_eq!(band.len(), 10);
        assert_eq!(band[0], (0.0, 100.0));
        assert_eq!(*band.last().unwrap(), (0.0, 100.0));
    }
}
