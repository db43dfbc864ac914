//! Tests of `jetnewton report` on synthetic run directories.

mod fixtures;
mod load;
mod parts;
mod pictures;

use std::collections::HashSet;
use std::fs::File;
use std::path::Path;

/// Decodes the PNG at `path` and returns its size after checking that it is not blank: at least `min_colours`
/// distinct colours (axes, text and curves on white).
fn check_png(path: &Path, min_colours: usize) -> (u32, u32) {
    let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = png::Decoder::new(file).read_info().expect("a PNG header");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut pixels).expect("PNG image data");
    assert_eq!(frame.color_type, png::ColorType::Rgb, "{}", path.display());
    let pixels = &pixels[..frame.buffer_size()];
    let colours: HashSet<&[u8]> = pixels.chunks_exact(3).collect();
    assert!(
        colours.len() >= min_colours,
        "{}: only {} colours",
        path.display(),
        colours.len()
    );
    (frame.width, frame.height)
}
