//! Drawing into an in-memory RGB bitmap and writing it as a PNG file, atomically.

use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use plotters::backend::{BitMapBackend, DrawingBackend};
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, DrawingAreaErrorKind, IntoDrawingArea};
use plotters::style::WHITE;

use super::error::ReportError;
use super::font;

/// The drawing area of a picture.
pub(crate) type Area<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// What plotters returns when drawing fails.
pub(crate) type DrawError =
    DrawingAreaErrorKind<<BitMapBackend<'static> as DrawingBackend>::ErrorType>;

/// The result of a drawing step.
pub(crate) type DrawResult<T = ()> = Result<T, DrawError>;

/// Draws a `width`×`height` picture with `draw` on a white background and writes it to `path`; returns `path`.
pub(crate) fn render_png(
    path: &Path,
    (width, height): (u32, u32),
    draw: impl FnOnce(&Area<'_>) -> DrawResult,
) -> Result<PathBuf, ReportError> {
    font::ensure_registered()?;
    let mut pixels = vec![0u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        let drawn = root
            .fill(&WHITE)
            .and_then(|()| draw(&root))
            .and_then(|()| root.present());
        drawn.map_err(|e| ReportError::Draw {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
    }
    write_png(path, (width, height), &pixels)?;
    Ok(path.to_path_buf())
}

/// Encodes RGB pixels as a PNG file. The file is written beside `path` and renamed over it, so that a reader (or
/// a run killed while plotting) never sees half a picture.
fn write_png(path: &Path, (width, height): (u32, u32), rgb: &[u8]) -> Result<(), ReportError> {
    // Unique per process and call: two reports drawing into one directory never rename each other's file.
    let tmp = crate::run::atomic::temp_path(path);
    let png_error = |source| ReportError::Png {
        path: path.to_path_buf(),
        source,
    };
    let result = (|| {
        let file = File::create(&tmp).map_err(|e| ReportError::io(&tmp, e))?;
        let mut encoder = png::Encoder::new(BufWriter::new(file), width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().map_err(png_error)?;
        writer.write_image_data(rgb).map_err(png_error)?;
        writer.finish().map_err(png_error)?;
        fs::rename(&tmp, path).map_err(|e| ReportError::io(path, e))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}
