//! Line charts: a panel with two value axes, a caption and curves, and the curves' shared vocabulary.

use std::path::{Path, PathBuf};

use plotters::chart::ChartBuilder;
use plotters::element::{Circle, DashedPathElement, DottedPathElement, PathElement};
use plotters::style::{Color, RGBColor, ShapeStyle, BLACK};

use super::axis::ValueAxis;
use super::canvas::{render_png, Area, DrawResult};
use super::error::ReportError;
use super::legend::{draw_legend, LegendEntry};
use super::style::{self, Dash};

/// The size in pixels of a picture of one panel with its legend ([`render_panel`]: loss, η, step size).
pub(crate) const PANEL_SIZE: (u32, u32) = (1100, 650);
/// The width of the legend strip on the right of a picture.
pub(crate) const LEGEND_WIDTH: u32 = 270;
/// Where the legend's first entry starts, in pixels from the top of its strip: level with the plotting area.
pub(crate) const LEGEND_TOP: i32 = 56;

/// One series of a line chart, in value space.
#[derive(Clone, Debug)]
pub(crate) struct Curve {
    /// The points in order; a point that cannot be plotted (NaN, or ≤ 0 on a log axis) breaks the line.
    pub points: Vec<(f64, f64)>,
    /// Its colour.
    pub colour: RGBColor,
    /// How the points are joined; `None` draws markers only.
    pub line: Option<Dash>,
    /// The radius of a filled circle at each point, if any.
    pub marker: Option<u32>,
}

/// A chart: caption, axes and curves.
#[derive(Clone, Debug)]
pub(crate) struct LinePanel {
    /// Shown above the chart.
    pub caption: String,
    /// What x is.
    pub x_desc: String,
    /// What y is.
    pub y_desc: String,
    /// The x axis.
    pub x: ValueAxis,
    /// The y axis.
    pub y: ValueAxis,
    /// The series, drawn in order (later ones on top).
    pub curves: Vec<Curve>,
}

/// Writes the PNG `path`: `panel`, with `legend` in a strip on its right.
pub(crate) fn render_panel(
    path: &Path,
    panel: &LinePanel,
    legend: &[LegendEntry],
) -> Result<PathBuf, ReportError> {
    render_png(path, PANEL_SIZE, |root| {
        let (chart, side) = root.split_horizontally(PANEL_SIZE.0 - LEGEND_WIDTH);
        draw_panel(&chart, panel)?;
        draw_legend(&side, LEGEND_TOP, legend)
    })
}

/// The stroke width of curves, in pixels.
const LINE_WIDTH: u32 = 2;

/// Draws `panel` filling `area`.
pub(crate) fn draw_panel(area: &Area<'_>, panel: &LinePanel) -> DrawResult {
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.caption, style::caption())
        .margin(12)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(panel.x.coord(), panel.y.coord())?;
    let x_label = |v: &f64| panel.x.label(*v);
    let y_label = |v: &f64| panel.y.label(*v);
    chart
        .configure_mesh()
        .x_desc(panel.x_desc.as_str())
        .y_desc(panel.y_desc.as_str())
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .label_style(style::tick_label())
        .axis_desc_style(style::axis_desc())
        .axis_style(BLACK)
        .bold_line_style(style::GRID)
        .light_line_style(style::GRID.mix(0.4))
        .draw()?;
    for curve in &panel.curves {
        let pieces = plot_pieces(curve, panel);
        if let Some(dash) = curve.line {
            let stroke = curve.colour.stroke_width(LINE_WIDTH);
            for piece in pieces.iter().filter(|p| p.len() >= 2) {
                match dash {
                    Dash::Solid => {
                        chart.draw_series(std::iter::once(PathElement::new(
                            piece.clone(),
                            stroke,
                        )))?;
                    }
                    Dash::Dashed => {
                        chart.draw_series(std::iter::once(DashedPathElement::new(
                            piece.clone(),
                            9,
                            6,
                            stroke,
                        )))?;
                    }
                    Dash::Dotted => {
                        let colour = curve.colour;
                        chart.draw_series(std::iter::once(DottedPathElement::new(
                            piece.clone(),
                            0,
                            6,
                            move |c| Circle::new(c, 1, colour.filled()),
                        )))?;
                    }
                }
            }
        }
        if let Some(radius) = curve.marker {
            let fill: ShapeStyle = curve.colour.filled();
            let points = pieces.iter().flatten().copied();
            chart.draw_series(points.map(|p| Circle::new(p, radius, fill)))?;
        }
    }
    Ok(())
}

/// The curve's points in plot space, cut where a point cannot be plotted.
fn plot_pieces(curve: &Curve, panel: &LinePanel) -> Vec<Vec<(f64, f64)>> {
    let mut pieces = vec![Vec::new()];
    for &(x, y) in &curve.points {
        match (panel.x.to_plot(x), panel.y.to_plot(y)) {
            (Some(px), Some(py)) => pieces.last_mut().map_or((), |p| p.push((px, py))),
            _ => {
                if pieces.last().is_some_and(|p| !p.is_empty()) {
                    pieces.push(Vec::new());
                }
            }
        }
    }
    pieces.retain(|p| !p.is_empty());
    pieces
}
