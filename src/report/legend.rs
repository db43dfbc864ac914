//! Legends drawn in a strip of their own beside the charts, so that they never hide a curve.

use plotters::element::{Circle, DashedPathElement, DottedPathElement, PathElement, Text};
use plotters::style::{Color, RGBColor, TextStyle};

use super::canvas::{Area, DrawResult};
use super::style::{self, Dash};

/// One line of a legend.
#[derive(Clone, Debug)]
pub(crate) struct LegendEntry {
    /// The text.
    pub label: String,
    /// The key's colour.
    pub colour: RGBColor,
    /// The key's line, if any.
    pub line: Option<Dash>,
    /// Whether the key has a marker.
    pub marker: bool,
}

impl LegendEntry {
    /// An entry whose key is a line.
    pub fn line(label: impl Into<String>, colour: RGBColor, dash: Dash) -> Self {
        Self {
            label: label.into(),
            colour,
            line: Some(dash),
            marker: false,
        }
    }

    /// An entry whose key is a marker.
    pub fn marker(label: impl Into<String>, colour: RGBColor) -> Self {
        Self {
            label: label.into(),
            colour,
            line: None,
            marker: true,
        }
    }
}

/// The height of one entry, in pixels.
const ROW: i32 = 24;
/// The width of a key.
const KEY: i32 = 34;

/// Draws `entries` from the top of `area` (after `top` pixels), one per row; labels too wide are shortened with
/// `…`, and entries that do not fit are summed up in a last line.
pub(crate) fn draw_legend(area: &Area<'_>, top: i32, entries: &[LegendEntry]) -> DrawResult {
    let (width, height) = area.dim_in_pixel();
    let text_style = style::legend();
    let text_x = 8 + KEY + 8;
    let max_text = (width as i32 - text_x - 6).max(20) as u32;
    let rows = ((height as i32 - top - 8) / ROW).max(1) as usize;
    let shown = if entries.len() > rows {
        rows - 1
    } else {
        entries.len()
    };
    for (i, entry) in entries.iter().take(shown).enumerate() {
        let y = top + ROW * i as i32 + ROW / 2;
        draw_key(area, (8, y), entry)?;
        let label = fit_text(area, &entry.label, &text_style, max_text)?;
        area.draw(&Text::new(label, (text_x, y - 6), text_style.clone()))?;
    }
    if shown < entries.len() {
        let y = top + ROW * shown as i32 + ROW / 2;
        let more = format!("… and {} more", entries.len() - shown);
        area.draw(&Text::new(more, (text_x, y - 6), text_style))?;
    }
    Ok(())
}

/// The key of `entry` with its left end at `(x, y)`.
fn draw_key(area: &Area<'_>, (x, y): (i32, i32), entry: &LegendEntry) -> DrawResult {
    let stroke = entry.colour.stroke_width(2);
    let ends = vec![(x, y), (x + KEY, y)];
    match entry.line {
        Some(Dash::Solid) => area.draw(&PathElement::new(ends, stroke))?,
        Some(Dash::Dashed) => area.draw(&DashedPathElement::new(ends, 9, 6, stroke))?,
        Some(Dash::Dotted) => {
            let colour = entry.colour;
            area.draw(&DottedPathElement::new(ends, 0, 6, move |c| {
                Circle::new(c, 1, colour.filled())
            }))?
        }
        None => {}
    }
    if entry.marker {
        area.draw(&Circle::new((x + KEY / 2, y), 4, entry.colour.filled()))?;
    }
    Ok(())
}

/// `text`, shortened with `…` until it is at most `max_width` pixels wide in `style`.
pub(crate) fn fit_text(
    area: &Area<'_>,
    text: &str,
    style: &TextStyle<'_>,
    max_width: u32,
) -> DrawResult<String> {
    if area.estimate_text_size(text, style)?.0 <= max_width {
        return Ok(text.to_string());
    }
    let chars: Vec<char> = text.chars().collect();
    for keep in (1..chars.len()).rev() {
        let short: String = chars[..keep].iter().chain(['…'].iter()).collect();
        if area.estimate_text_size(&short, style)?.0 <= max_width {
            return Ok(short);
        }
    }
    Ok("…".into())
}
