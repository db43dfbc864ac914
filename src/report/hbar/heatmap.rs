//! Drawing hbar and hbar⁻¹ as heatmaps: per matrix, its panels (blocks) side by side and a colour bar.

use plotters::element::{PathElement, Rectangle, Text};
use plotters::style::text_anchor::{HPos, VPos};
use plotters::style::{Color, RGBColor, BLACK};

use super::blocks::{Block, Panels};
use super::symlog::SymLog;
use crate::report::axis::format_sig;
use crate::report::canvas::{Area, DrawResult};
use crate::report::legend::fit_text;
use crate::report::style;

/// What to draw.
pub(crate) struct Heatmap<'a> {
    /// The picture's title.
    pub title: String,
    /// How each matrix is cut.
    pub panels: &'a Panels,
    /// The label of each group, by group index (names when few, indices otherwise).
    pub labels: Vec<String>,
    /// Whether the labels are names (drawn turned under the columns) rather than indices.
    pub named: bool,
    /// The matrices, one row (or column) of panels each: a name and the S×S entries.
    pub matrices: Vec<(&'static str, &'a [Vec<f64>])>,
}

/// Where things go, in pixels.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Layout {
    /// The picture's size.
    pub size: (u32, u32),
    /// The side of a cell (fractional: cells are placed by rounding their edges).
    cell: f64,
    /// The room for row labels left of a panel.
    label_w: i32,
    /// The room for column labels below the panels.
    col_label_h: i32,
    /// The size of one matrix's panels with their labels and colour bar.
    group: (i32, i32),
    /// The height of the colour bar.
    bar_h: i32,
    /// Matrices side by side (one panel each) rather than stacked (three panels each).
    side_by_side: bool,
}

/// Around the picture.
const MARGIN: i32 = 16;
/// The picture's title.
const TITLE_H: i32 = 52;
/// A panel's caption.
const CAPTION_H: i32 = 30;
/// Between neighbouring panels.
const GAP: i32 = 18;
/// The colour bar, its ticks, labels and description.
const BAR_AREA: i32 = 200;
/// The colour bar itself.
const BAR_W: i32 = 22;
/// Room above the bar for its description.
const BAR_TOP: i32 = 44;
/// Panels together take about this width (split) or this side (whole), in pixels.
const SPLIT_WIDTH: f64 = 1100.0;
/// Split panels are at most this tall.
const SPLIT_HEIGHT: f64 = 420.0;
/// The side of a whole-matrix panel.
const WHOLE_SIDE: f64 = 520.0;
/// The size of axis labels.
pub(crate) const LABEL_SIZE: f64 = 13.0;
/// The least distance between two labelled ticks of a colour bar.
const MIN_TICK_GAP: i32 = 16;
/// Longer labels are shortened with `…`.
const MAX_LABEL: u32 = 160;

/// The width of the widest of `labels` in pixels, as axis labels.
pub(crate) fn widest_label<'a>(labels: impl IntoIterator<Item = &'a String>) -> u32 {
    let font = style::text(LABEL_SIZE).font;
    labels
        .into_iter()
        // A font error cannot happen once the font is registered; a rough width keeps the layout sane anyway.
        .map(|l| {
            font.box_size(l)
                .map_or(8 * l.chars().count() as u32, |b| b.0)
        })
        .max()
        .unwrap_or(0)
}

/// The layout for `panels` of `matrices` matrices, labelled by name (turned under the columns) or by index, the
/// widest label being `label_px` pixels wide.
pub(crate) fn layout(panels: &Panels, matrices: usize, named: bool, label_px: u32) -> Layout {
    let label_px = label_px.min(MAX_LABEL) as i32;
    let label_w = label_px + 14;
    let col_label_h = if named { label_px + 12 } else { 24 };
    let (cell, panels_w, rows) = match panels {
        Panels::Whole(order) => {
            let n = order.len().max(1) as f64;
            let cell = WHOLE_SIDE / n;
            (cell, label_w + (n * cell).round() as i32, n)
        }
        Panels::Split { weights, biases } => {
            let (w, b) = (weights.len() as f64, biases.len() as f64);
            let cell = (SPLIT_WIDTH / (w + 2.0 * b)).min(SPLIT_HEIGHT / w.max(b));
            let width = label_w
                + (w * cell).round() as i32
                + GAP
                + (b * cell).round() as i32
                + label_w
                + GAP
                + (b * cell).round() as i32;
            (cell, width, w.max(b))
        }
    };
    let panel_h = (rows * cell).round() as i32;
    let bar_h = (panel_h - BAR_TOP).max(220);
    let group = (
        panels_w + BAR_AREA,
        CAPTION_H + panel_h.max(BAR_TOP + bar_h + 24) + col_label_h + 16,
    );
    let side_by_side = matches!(panels, Panels::Whole(_));
    let m = matrices.max(1) as i32;
    let size = if side_by_side {
        (2 * MARGIN + m * group.0, TITLE_H + group.1)
    } else {
        (2 * MARGIN + group.0, TITLE_H + m * group.1)
    };
    Layout {
        size: (size.0 as u32, size.1 as u32),
        cell,
        label_w,
        col_label_h,
        group,
        bar_h,
        side_by_side,
    }
}

/// Draws the heatmaps on `root`, laid out by `layout`.
pub(crate) fn draw(root: &Area<'_>, map: &Heatmap<'_>, layout: &Layout) -> DrawResult {
    root.draw(&Text::new(map.title.clone(), (MARGIN, 16), style::title()))?;
    for (m, &(name, matrix)) in map.matrices.iter().enumerate() {
        let m = m as i32;
        let origin = if layout.side_by_side {
            (MARGIN + m * layout.group.0, TITLE_H)
        } else {
            (MARGIN, TITLE_H + m * layout.group.1)
        };
        draw_matrix(root, map, layout, origin, name, matrix)?;
    }
    Ok(())
}

/// One matrix: its panels, then its colour bar, with the group's top-left corner at `(gx, gy)`.
fn draw_matrix(
    root: &Area<'_>,
    map: &Heatmap<'_>,
    layout: &Layout,
    (gx, gy): (i32, i32),
    name: &str,
    matrix: &[Vec<f64>],
) -> DrawResult {
    let scale = SymLog::fit(matrix.iter().flatten().copied());
    let top = gy + CAPTION_H;
    let mut x = gx + layout.label_w;
    for (i, block) in map.panels.blocks().iter().enumerate() {
        if i == 2 {
            // The bias-bias block has rows of its own: room for their labels.
            x += layout.label_w;
        }
        let caption = if block.name.is_empty() {
            name.to_string()
        } else {
            format!("{name}: {}", block.name)
        };
        root.draw(&Text::new(caption, (x, gy + 4), style::caption()))?;
        // The weight-bias block shares its rows with the weight-weight block on its left.
        let row_labels = i != 1;
        draw_block(
            root,
            map,
            layout,
            (x, top),
            block,
            &scale,
            matrix,
            row_labels,
        )?;
        x += (block.cols.len() as f64 * layout.cell).round() as i32 + GAP;
    }
    let bar_x = gx + layout.group.0 - BAR_AREA + 36;
    let missing = matrix.iter().flatten().any(|v| !v.is_finite());
    draw_colour_bar(root, layout, (bar_x, top), &scale, missing)
}

/// One block's cells, frame and labels, its top-left corner at `(x0, y0)`.
#[allow(clippy::too_many_arguments)]
fn draw_block(
    root: &Area<'_>,
    map: &Heatmap<'_>,
    layout: &Layout,
    (x0, y0): (i32, i32),
    block: &Block,
    scale: &SymLog,
    matrix: &[Vec<f64>],
    row_labels: bool,
) -> DrawResult {
    let c = layout.cell;
    let edge = |origin: i32, k: usize| origin + (k as f64 * c).round() as i32;
    // Big cells get a hairline of background between them, so that neighbours of one colour stay apart.
    let inset = i32::from(c >= 12.0);
    for (i, row) in block.extract(matrix).iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            let colour = style::diverging(scale.norm(v));
            let corners = [
                (edge(x0, j), edge(y0, i)),
                (edge(x0, j + 1) - 1 - inset, edge(y0, i + 1) - 1 - inset),
            ];
            root.draw(&Rectangle::new(corners, colour.filled()))?;
        }
    }
    let (x1, y1) = (edge(x0, block.cols.len()), edge(y0, block.rows.len()));
    root.draw(&Rectangle::new(
        [(x0 - 1, y0 - 1), (x1, y1)],
        style::KEY.stroke_width(1),
    ))?;
    let label_style = style::anchored(LABEL_SIZE, HPos::Right, VPos::Center);
    if row_labels {
        let every = label_stride(block.rows.len(), c, 15.0);
        for (i, &g) in block
            .rows
            .iter()
            .enumerate()
            .filter(|(i, _)| i % every == 0)
        {
            let text = fit_text(
                root,
                &map.labels[g],
                &label_style,
                (layout.label_w - 10) as u32,
            )?;
            let y = y0 + ((i as f64 + 0.5) * c).round() as i32;
            root.draw(&Text::new(text, (x0 - 6, y), label_style.clone()))?;
        }
    }
    let (min_gap, col_style) = if map.named {
        (15.0, style::upward(LABEL_SIZE))
    } else {
        (28.0, style::anchored(LABEL_SIZE, HPos::Center, VPos::Top))
    };
    let every = label_stride(block.cols.len(), c, min_gap);
    for (j, &g) in block
        .cols
        .iter()
        .enumerate()
        .filter(|(j, _)| j % every == 0)
    {
        let text = fit_text(
            root,
            &map.labels[g],
            &label_style,
            (layout.col_label_h - 10) as u32,
        )?;
        let x = x0 + ((j as f64 + 0.5) * c).round() as i32;
        root.draw(&Text::new(text, (x, y1 + 6), col_style.clone()))?;
    }
    Ok(())
}

/// Label every k-th of `n` cells of side `cell` so that labels are at least `min_gap` pixels apart.
fn label_stride(n: usize, cell: f64, min_gap: f64) -> usize {
    if n == 0 || cell <= 0.0 {
        return 1;
    }
    ((min_gap / cell).ceil() as usize).clamp(1, n)
}

/// The colour bar of `scale`, its top-left corner at `(x, top)` less the room for its description.
fn draw_colour_bar(
    root: &Area<'_>,
    layout: &Layout,
    (x, top): (i32, i32),
    scale: &SymLog,
    missing: bool,
) -> DrawResult {
    let small = style::text(LABEL_SIZE);
    for (k, line) in scale.describe().into_iter().enumerate() {
        root.draw(&Text::new(
            line,
            (x - 24, top + 18 * k as i32),
            small.clone(),
        ))?;
    }
    let y0 = top + BAR_TOP;
    let h = layout.bar_h;
    for py in 0..h {
        let t = 1.0 - 2.0 * f64::from(py) / f64::from(h - 1);
        let colour: RGBColor = style::diverging(t);
        root.draw(&PathElement::new(
            vec![(x, y0 + py), (x + BAR_W - 1, y0 + py)],
            colour,
        ))?;
    }
    root.draw(&Rectangle::new(
        [(x - 1, y0 - 1), (x + BAR_W, y0 + h)],
        BLACK.stroke_width(1),
    ))?;
    let tick_style = style::anchored(LABEL_SIZE, HPos::Left, VPos::Center);
    let tick_y = |v: f64| y0 + ((1.0 - scale.norm(v)) / 2.0 * f64::from(h - 1)).round() as i32;
    // 0 first, then the largest magnitudes: a tick too close to one already kept (the small decades crowd around
    // 0) is dropped.
    let mut candidates = scale.ticks(5);
    candidates.sort_by(|a, b| {
        (*a != 0.0)
            .cmp(&(*b != 0.0))
            .then(b.abs().total_cmp(&a.abs()))
    });
    let mut kept: Vec<i32> = Vec::new();
    for v in candidates {
        let y = tick_y(v);
        if kept.iter().any(|&k| (k - y).abs() < MIN_TICK_GAP) {
            continue;
        }
        kept.push(y);
        root.draw(&PathElement::new(
            vec![(x + BAR_W, y), (x + BAR_W + 5, y)],
            BLACK,
        ))?;
        root.draw(&Text::new(
            format_sig(v, 2),
            (x + BAR_W + 9, y),
            tick_style.clone(),
        ))?;
    }
    if missing {
        root.draw(&Rectangle::new(
            [(x, y0 + h + 10), (x + BAR_W - 1, y0 + h + 24)],
            style::MISSING.filled(),
        ))?;
        root.draw(&Text::new(
            "NaN or ±inf",
            (x + BAR_W + 9, y0 + h + 17),
            tick_style,
        ))?;
    }
    Ok(())
}
