//! SVG plots of a run (plotters, SVG backend): accuracy per round, mean time split, upload size.

use super::report::ConfigReport;
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use std::path::Path;

/// Reads one phase's mean seconds from a report.
type PhaseGetter = fn(&ConfigReport) -> f64;

type PlotResult = Result<(), Box<dyn std::error::Error>>;

const PALETTE: [RGBColor; 6] = [
    RGBColor(214, 39, 40),
    RGBColor(255, 127, 14),
    RGBColor(31, 119, 180),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
];

/// Dash length and gap (pixels) of each configuration's accuracy curve; gap 0 is a solid line.
const DASHES: [(u32, u32); 5] = [(1, 0), (10, 5), (4, 4), (14, 4), (2, 6)];

/// The marker of each configuration's accuracy points (filled circle, hollow triangle, cross, hollow
/// square, hollow circle), named in the legend.
const MARKER_NAMES: [&str; 5] = ["●", "△", "✕", "□", "○"];

/// Writes `accuracy.svg`, `time_split.svg` and `upload_bytes.svg` into `dir`.
pub fn write_all(dir: &Path, configs: &[ConfigReport]) -> PlotResult {
    accuracy(&dir.join("accuracy.svg"), configs)?;
    time_split(&dir.join("time_split.svg"), configs)?;
    upload(&dir.join("upload_bytes.svg"), configs)?;
    Ok(())
}

fn accuracy(path: &Path, configs: &[ConfigReport]) -> PlotResult {
    let rounds = configs
        .iter()
        .map(|c| c.accuracy_per_round.len())
        .max()
        .unwrap_or(1);
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Test accuracy per round", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(55)
        .build_cartesian_2d(1f64..rounds.max(2) as f64, 0f64..100f64)?;
    chart
        .configure_mesh()
        .x_desc("round")
        .y_desc("accuracy (%)")
        .x_labels(rounds.max(2))
        .draw()?;
    // Configurations often have (nearly) the same curve — plain_clean and zkfl_clean, or every run before
    // the attack starts — so each gets its own dash pattern and marker shape besides its colour, and a
    // curve drawn later cannot hide one drawn earlier.
    for (i, c) in configs.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let pts: Vec<(f64, f64)> = c
            .accuracy_per_round
            .iter()
            .enumerate()
            .map(|(r, a)| ((r + 1) as f64, 100.0 * a))
            .collect();
        let style = color.stroke_width(2);
        let (dash, gap) = DASHES[i % DASHES.len()];
        let series = if gap == 0 {
            chart.draw_series(LineSeries::new(pts.clone(), style))?
        } else {
            chart.draw_series(DashedLineSeries::new(pts.clone(), dash, gap, style))?
        };
        // The legend shows the dash pattern; it names the marker (plotters' legend takes no mixed shapes).
        let legend_dash = if gap == 0 { (30, 1) } else { (dash, gap) };
        series
            .label(format!(
                "{} ({})",
                c.name,
                MARKER_NAMES[i % MARKER_NAMES.len()]
            ))
            .legend(move |(x, y)| {
                DashedPathElement::new(
                    vec![(x, y), (x + 30, y)],
                    legend_dash.0,
                    legend_dash.1,
                    style,
                )
            });
        let area = chart.plotting_area();
        let line = color.stroke_width(2);
        for p in pts {
            let at = EmptyElement::at(p);
            match i % MARKER_NAMES.len() {
                0 => area.draw(&(at + Circle::new((0, 0), 4, color.filled())))?,
                1 => area.draw(&(at + TriangleMarker::new((0, 0), 6, line)))?,
                2 => area.draw(&(at + Cross::new((0, 0), 5, line)))?,
                3 => area.draw(&(at + Rectangle::new([(-4, -4), (4, 4)], line)))?,
                _ => area.draw(&(at + Circle::new((0, 0), 6, line)))?,
            }
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// The stacked segments of a round-time bar. The last one, `other`, is the rest of the measured mean round
/// time (upload, waiting for the slowest clinic, evaluation), so a bar is as tall as the table's "mean round
/// time" (`ConfigReport::mean_round_s`) and not just the sum of the phases.
const PHASES: [(&str, PhaseGetter); 7] = [
    ("train", |c| c.mean_time_split_s.train),
    ("encrypt", |c| c.mean_time_split_s.encrypt),
    ("prove", |c| c.mean_time_split_s.prove),
    ("verify", |c| c.mean_time_split_s.verify),
    ("aggregate", |c| c.mean_time_split_s.aggregate),
    ("decrypt", |c| c.mean_time_split_s.decrypt),
    ("other", |c| c.other_round_s()),
];

/// Height of a configuration's round-time bar.
fn bar_height(c: &ConfigReport) -> f64 {
    PHASES.iter().map(|(_, get)| get(c)).sum()
}

fn time_split(path: &Path, configs: &[ConfigReport]) -> PlotResult {
    let top = configs
        .iter()
        .map(bar_height)
        .fold(0.0f64, f64::max)
        .max(1e-3)
        * 1.15;
    let axes = BarAxes {
        caption: "Mean time per round, by phase",
        y_desc: "seconds",
        y_label_area: 60,
        top,
    };
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    let mut chart = bar_chart(&root, configs, &axes)?;
    for (p, (label, get)) in PHASES.iter().enumerate() {
        let color = PALETTE[p % PALETTE.len()];
        let bars = configs.iter().enumerate().map(|(i, c)| {
            let below: f64 = PHASES[..p].iter().map(|(_, g)| g(c)).sum();
            let x = i as f64;
            Rectangle::new(
                [(x + 0.2, below), (x + 0.8, below + get(c))],
                color.filled(),
            )
        });
        chart
            .draw_series(bars)?
            .label(*label)
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled()));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

fn upload(path: &Path, configs: &[ConfigReport]) -> PlotResult {
    let kib: Vec<f64> = configs
        .iter()
        .map(|c| c.upload_bytes_per_clinic / 1024.0)
        .collect();
    let axes = BarAxes {
        caption: "Upload per clinic per round",
        y_desc: "KiB",
        y_label_area: 70,
        top: kib.iter().copied().fold(0.0f64, f64::max).max(1.0) * 1.15,
    };
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    let mut chart = bar_chart(&root, configs, &axes)?;
    chart.draw_series(kib.iter().enumerate().map(|(i, &v)| {
        let x = i as f64;
        Rectangle::new([(x + 0.2, 0.0), (x + 0.8, v)], PALETTE[2].filled())
    }))?;
    root.present()?;
    Ok(())
}

/// What differs between the bar plots: the caption and the y axis (its label, the room for its tick labels,
/// its top).
struct BarAxes {
    caption: &'static str,
    y_desc: &'static str,
    y_label_area: u32,
    top: f64,
}

/// The chart of a bar plot: x in `0..configs`, one category per configuration (its bar spans i + 0.2 to
/// i + 0.8), y in `0..top`.
type BarChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Clears `root` and draws the axes of a bar plot of `configs`, each configuration's name under its bar.
fn bar_chart<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    configs: &[ConfigReport],
    axes: &BarAxes,
) -> Result<BarChart<'a, 'b>, Box<dyn std::error::Error>> {
    let names: Vec<String> = configs.iter().map(|c| c.name.clone()).collect();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(root)
        .caption(axes.caption, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(axes.y_label_area)
        .build_cartesian_2d(0f64..configs.len().max(1) as f64, 0f64..axes.top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(configs.len().max(1) * 2 + 1)
        .x_label_formatter(&|x| category_label(&names, *x))
        .y_desc(axes.y_desc)
        .draw()?;
    Ok(chart)
}

/// Label bar centres (i + 0.5) with the configuration name, nothing elsewhere.
fn category_label(names: &[String], x: f64) -> String {
    let i = (x - 0.5).round();
    if (x - 0.5 - i).abs() < 1e-6 && i >= 0.0 {
        names.get(i as usize).cloned().unwrap_or_default()
    } else {
        String::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::pipeline::TimeSplit;
    use crate::demo::runner::ConfigSpec;

    fn report(name: &'static str, acc: &[f64], round_s: f64, split: TimeSplit) -> ConfigReport {
        let spec = ConfigSpec {
            name,
            description: "",
            with_attacker: false,
        };
        let mut r = ConfigReport::new(&spec, 10, "n/a", Vec::new());
        r.accuracy_per_round = acc.to_vec();
        r.mean_round_s = round_s;
        r.mean_time_split_s = split;
        r
    }

    #[test]
    fn round_time_bars_are_as_tall_as_the_tables_round_time() {
        let split = TimeSplit {
            train: 0.5,
            encrypt: 0.25,
            prove: 1.0,
            verify: 0.125,
            aggregate: 0.0625,
            decrypt: 0.0625,
        };
        let r = report("zkfl", &[0.5], 3.0, split);
        assert!((bar_height(&r) - 3.0).abs() < 1e-12);
        assert!((r.other_round_s() - 1.0).abs() < 1e-12);
        // Phases can only add up to more than the round if clocks disagree; the bar then shows the phases.
        let r = report("zkfl", &[0.5], 1.0, split);
        assert_eq!(r.other_round_s(), 0.0);
    }

    #[test]
    fn identical_accuracy_curves_stay_distinguishable() {
        let dir = std::env::temp_dir().join(format!("zkfl-plots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let same = [0.4, 0.5, 0.6];
        let configs: Vec<ConfigReport> = ["plain", "plain_clean", "kem", "zkfl", "zkfl_clean"]
            .into_iter()
            .map(|n| report(n, &same, 1.0, TimeSplit::default()))
            .collect();
        write_all(&dir, &configs).expect("plots");
        let svg = std::fs::read_to_string(dir.join("accuracy.svg")).expect("svg");
        let _ = std::fs::remove_dir_all(&dir);
        // Five curves on top of each other: each still has its own marker shape and legend entry.
        assert!(svg.contains("<circle"), "circles");
        assert!(
            svg.contains("<polygon") || svg.contains("<polyline"),
            "triangles"
        );
        assert!(svg.contains("<rect"), "squares");
        for (n, m) in ["plain", "plain_clean", "kem", "zkfl", "zkfl_clean"]
            .iter()
            .zip(MARKER_NAMES)
        {
            assert!(
                svg.contains(&format!("{n} ({m})")),
                "legend entry {n} ({m})"
            );
        }
        // Every configuration draws one marker per round (3 rounds × 5 configurations, circles: 2 configs).
        let circles = svg.matches("<circle").count();
        assert!(circles >= 6, "{circles} circles");
    }
}
