//! SVG plots of a run (plotters, SVG backend): accuracy per round, mean time split, upload size.

use super::report::ConfigReport;
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
    for (i, c) in configs.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let pts: Vec<(f64, f64)> = c
            .accuracy_per_round
            .iter()
            .enumerate()
            .map(|(r, a)| ((r + 1) as f64, 100.0 * a))
            .collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))?
            .label(c.name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
        chart.draw_series(pts.into_iter().map(|p| Circle::new(p, 3, color.filled())))?;
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

fn time_split(path: &Path, configs: &[ConfigReport]) -> PlotResult {
    let phases: [(&str, PhaseGetter); 6] = [
        ("train", |c| c.mean_time_split_s.train),
        ("encrypt", |c| c.mean_time_split_s.encrypt),
        ("prove", |c| c.mean_time_split_s.prove),
        ("verify", |c| c.mean_time_split_s.verify),
        ("aggregate", |c| c.mean_time_split_s.aggregate),
        ("decrypt", |c| c.mean_time_split_s.decrypt),
    ];
    let top = configs
        .iter()
        .map(|c| c.mean_time_split_s.total())
        .fold(0.0f64, f64::max)
        .max(1e-3)
        * 1.15;
    let names: Vec<String> = configs.iter().map(|c| c.name.clone()).collect();
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Mean time per round, by phase", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d(0f64..configs.len().max(1) as f64, 0f64..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(configs.len().max(1) * 2 + 1)
        .x_label_formatter(&|x| category_label(&names, *x))
        .y_desc("seconds")
        .draw()?;
    for (p, (label, get)) in phases.iter().enumerate() {
        let color = PALETTE[p % PALETTE.len()];
        let bars = configs.iter().enumerate().map(|(i, c)| {
            let below: f64 = phases[..p].iter().map(|(_, g)| g(c)).sum();
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
    let top = kib.iter().copied().fold(0.0f64, f64::max).max(1.0) * 1.15;
    let names: Vec<String> = configs.iter().map(|c| c.name.clone()).collect();
    let root = SVGBackend::new(path, (900, 520)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Upload per clinic per round", ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(0f64..configs.len().max(1) as f64, 0f64..top)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(configs.len().max(1) * 2 + 1)
        .x_label_formatter(&|x| category_label(&names, *x))
        .y_desc("KiB")
        .draw()?;
    chart.draw_series(kib.iter().enumerate().map(|(i, &v)| {
        let x = i as f64;
        Rectangle::new([(x + 0.2, 0.0), (x + 0.8, v)], PALETTE[2].filled())
    }))?;
    root.present()?;
    Ok(())
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
