//! Colours, line styles and text styles shared by every picture.

use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontDesc, FontStyle, FontTransform, RGBColor, TextStyle, BLACK};

use super::font::FAMILY;

/// matplotlib's `tab10`: distinct hues for up to ten runs or groups, the palette of most papers' figures.
const TAB10: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// viridis, sampled: an ordered colour per item when there are too many items for distinct hues (the colour then
/// tells the depth of a group). Stops before viridis' pale yellow, which vanishes on white.
const VIRIDIS: [RGBColor; 5] = [
    RGBColor(0x44, 0x01, 0x54),
    RGBColor(0x3b, 0x52, 0x8b),
    RGBColor(0x21, 0x91, 0x8c),
    RGBColor(0x5e, 0xc9, 0x62),
    RGBColor(0xb5, 0xde, 0x2b),
];

/// ColorBrewer's RdBu, reversed: blue for negative, near-white for 0, red for positive.
const DIVERGING: [RGBColor; 11] = [
    RGBColor(0x05, 0x30, 0x61),
    RGBColor(0x21, 0x66, 0xac),
    RGBColor(0x43, 0x93, 0xc3),
    RGBColor(0x92, 0xc5, 0xde),
    RGBColor(0xd1, 0xe5, 0xf0),
    RGBColor(0xf7, 0xf7, 0xf7),
    RGBColor(0xfd, 0xdb, 0xc7),
    RGBColor(0xf4, 0xa5, 0x82),
    RGBColor(0xd6, 0x60, 0x4d),
    RGBColor(0xb2, 0x18, 0x2b),
    RGBColor(0x67, 0x00, 0x1f),
];

/// The colour of cells whose value is NaN or infinite.
pub(crate) const MISSING: RGBColor = RGBColor(0x99, 0x99, 0x99);

/// Grid lines and frames.
pub(crate) const GRID: RGBColor = RGBColor(0xcc, 0xcc, 0xcc);

/// Legend keys that stand for a style rather than a series.
pub(crate) const KEY: RGBColor = RGBColor(0x44, 0x44, 0x44);

/// The colour of item `i` of `n`: distinct hues up to ten, an ordered colour map beyond.
pub(crate) fn series_colour(i: usize, n: usize) -> RGBColor {
    if n <= TAB10.len() {
        TAB10[i % TAB10.len()]
    } else {
        interpolate(&VIRIDIS, i as f64 / (n - 1) as f64)
    }
}

/// The diverging colour of `t` in [-1, 1] (clamped); NaN gets [`MISSING`].
pub(crate) fn diverging(t: f64) -> RGBColor {
    if t.is_nan() {
        MISSING
    } else {
        interpolate(&DIVERGING, (t.clamp(-1.0, 1.0) + 1.0) / 2.0)
    }
}

/// Linear interpolation along `stops` at `t` in [0, 1].
fn interpolate(stops: &[RGBColor], t: f64) -> RGBColor {
    let x = t.clamp(0.0, 1.0) * (stops.len() - 1) as f64;
    let i = (x.floor() as usize).min(stops.len() - 2);
    let f = x - i as f64;
    let (a, b) = (stops[i], stops[i + 1]);
    let mix = |p: u8, q: u8| (f64::from(p) + f * (f64::from(q) - f64::from(p))).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// How a line is stroked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dash {
    /// Continuous.
    Solid,
    /// Long dashes.
    Dashed,
    /// Dots.
    Dotted,
}

/// Method 1's diagonal approximation is drawn dashed, as the paper draws it apart from Method 1 (figures 2, 6).
pub(crate) fn optimiser_dash(optimizer: &str) -> Dash {
    if optimizer.ends_with("diag") {
        Dash::Dashed
    } else {
        Dash::Solid
    }
}

/// Text of `size` pixels.
pub(crate) fn text(size: f64) -> TextStyle<'static> {
    TextStyle::from(FontDesc::new(FAMILY, size, FontStyle::Normal)).color(&BLACK)
}

/// Text of `size` pixels anchored at `h`, `v`.
pub(crate) fn anchored(size: f64, h: HPos, v: VPos) -> TextStyle<'static> {
    text(size).pos(Pos::new(h, v))
}

/// Text of `size` pixels reading upwards, anchored at its end (`HPos::Right` is the end of the text before it is
/// turned, so the text hangs below the anchor point).
pub(crate) fn upward(size: f64) -> TextStyle<'static> {
    anchored(size, HPos::Right, VPos::Center).transform(FontTransform::Rotate270)
}

/// The title of a picture.
pub(crate) fn title() -> TextStyle<'static> {
    text(22.0)
}

/// The caption of a panel.
pub(crate) fn caption() -> TextStyle<'static> {
    text(18.0)
}

/// Tick labels.
pub(crate) fn tick_label() -> TextStyle<'static> {
    text(14.0)
}

/// Axis descriptions.
pub(crate) fn axis_desc() -> TextStyle<'static> {
    text(16.0)
}

/// Legend entries.
pub(crate) fn legend() -> TextStyle<'static> {
    text(14.0)
}
