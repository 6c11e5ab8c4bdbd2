//! The chart beside BENCHMARKS.md: per database, each case's median per
//! library as a multiple of hand-written sqlx on one connection (the
//! current-thread runtime), as grouped bars on a log scale.

use crate::record::Record;
use crate::report::SQLX;
use plotters::prelude::*;

const WIDTH: u32 = 1100;
const PANEL_HEIGHT: u32 = 420;
/// The legend's column, right of the bars.
const LEGEND_WIDTH: u32 = 230;

/// A colour per library, stable across runs (by position in this list).
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The SVG text of the chart, or an error naming what plotters refused.
pub fn svg(records: &[Record]) -> Result<String, String> {
    let runtime = "current-thread";
    let databases: Vec<String> = ["postgres", "sqlite"]
        .into_iter()
        .filter(|d| {
            records
                .iter()
                .any(|r| r.database == *d && r.runtime == runtime)
        })
        .map(String::from)
        .collect();
    let mut out = String::new();
    {
        let height = PANEL_HEIGHT * databases.len().max(1) as u32;
        let root = SVGBackend::with_string(&mut out, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let panels = root.split_evenly((databases.len().max(1), 1));
        for (db, area) in databases.iter().zip(panels) {
            let (plot, legend_area) = area.split_horizontally(WIDTH - LEGEND_WIDTH);
            let libs = panel(&plot, records, db, runtime)?;
            legend(&legend_area, &libs)?;
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

fn panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    records: &[Record],
    database: &str,
    runtime: &str,
) -> Result<Vec<String>, String> {
    let here: Vec<&Record> = records
        .iter()
        .filter(|r| r.database == database && r.runtime == runtime)
        .collect();
    let mut cases: Vec<String> = Vec::new();
    let mut libs: Vec<String> = Vec::new();
    for r in &here {
        if !cases.contains(&r.case) {
            cases.push(r.case.clone());
        }
        if !libs.contains(&r.library) {
            libs.push(r.library.clone());
        }
    }
    let ratio = |case: &str, lib: &str| -> Option<f64> {
        let get = |l: &str| here.iter().find(|r| r.case == case && r.library == l);
        Some(get(lib)?.median_us / get(SQLX)?.median_us)
    };
    let (mut lo, mut hi) = (1.0f64, 1.0f64);
    for c in &cases {
        for l in &libs {
            if let Some(r) = ratio(c, l) {
                lo = lo.min(r);
                hi = hi.max(r);
            }
        }
    }
    let mut chart = ChartBuilder::on(area)
        .caption(
            format!("{database}, {runtime} runtime: median ÷ {SQLX} (log scale, lower is faster)"),
            ("sans-serif", 18),
        )
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(50)
        .build_cartesian_2d(0f64..cases.len() as f64, (lo * 0.8..hi * 1.25).log_scale())
        .map_err(|e| e.to_string())?;
    let case_labels = cases.clone();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(cases.len() * 2 + 1)
        .x_label_formatter(&|x| {
            let i = x.floor() as usize;
            if (x - i as f64 - 0.5).abs() < 0.01 {
                case_labels.get(i).map(|c| short(c)).unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| format!("{y:.2}×"))
        .draw()
        .map_err(|e| e.to_string())?;
    let width = 0.8 / libs.len().max(1) as f64;
    for (k, lib) in libs.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let bars: Vec<Rectangle<(f64, f64)>> = cases
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let r = ratio(c, lib)?;
                let x0 = i as f64 + 0.1 + k as f64 * width;
                Some(Rectangle::new(
                    [(x0, lo * 0.8), (x0 + width * 0.9, r)],
                    color.filled(),
                ))
            })
            .collect();
        chart.draw_series(bars).map_err(|e| e.to_string())?;
    }
    Ok(libs)
}

/// One coloured square and name per library, top to bottom, in bar order.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    libs: &[String],
) -> Result<(), String> {
    for (k, lib) in libs.iter().enumerate() {
        let y = 50 + 22 * k as i32;
        let color = PALETTE[k % PALETTE.len()];
        area.draw(&Rectangle::new([(4, y - 6), (16, y + 6)], color.filled()))
            .map_err(|e| e.to_string())?;
        area.draw(&Text::new(lib.clone(), (22, y - 7), ("sans-serif", 14)))
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// A case name short enough for an axis label: `medium/10000`.
fn short(case: &str) -> String {
    case.replace("medium_complex_query", "medium")
        .replace("trivial_query", "trivial")
}
