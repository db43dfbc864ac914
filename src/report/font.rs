//! The font of every picture, compiled into the binary so that drawing needs no system fonts or fontconfig.

use std::sync::OnceLock;

use plotters::style::{register_font, FontFamily, FontStyle};

use super::error::ReportError;

/// DejaVu Sans (licence: `assets/fonts/LICENSE-DejaVu.txt`).
static DEJAVU_SANS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

/// The family every text style uses. Registering the font under plotters' own `sans-serif` name also covers the
/// few places where plotters falls back to its default family.
pub(crate) const FAMILY: FontFamily<'static> = FontFamily::SansSerif;

/// Registers the embedded font with plotters, once per process.
pub(crate) fn ensure_registered() -> Result<(), ReportError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED
        .get_or_init(|| register_font(FAMILY.as_str(), FontStyle::Normal, DEJAVU_SANS).is_ok());
    if ok {
        Ok(())
    } else {
        Err(ReportError::Font)
    }
}
