//! Photos sent with a request are decoded before they are accepted, because they are served back
//! to everyone under an image type.
//!
//! A photo is kept only when it is a JPEG or a PNG whose header gives its size, whose pixel count
//! is at most the server's limit (checked before any pixel is decoded), and whose every byte of
//! image data then decodes. A file that merely starts like an image (an HTML page behind
//! `FF D8 FF`) fails the decode; a small file declaring a huge image (a 379 KB PNG of
//! 20000×20000) fails the pixel limit. The decode costs little memory: a JPEG is decoded at an
//! eighth of its size (in the DCT domain, every block still read), a PNG one row at a time, and
//! both decoders' own buffers are capped.
//!
//! The bytes stored are the bytes sent (verified, not re-encoded): the app already strips
//! metadata and re-encodes, and a re-encode here would double the CPU per upload.

use std::io::Cursor;

/// A photo of at most this many pixels (a 24 MP camera, 6000×4000).
pub const DEFAULT_MAX_PIXELS: u64 = 24_000_000;
/// What the decoders may allocate for one photo.
const DECODER_BUFFER_BYTES: usize = 64 * 1024 * 1024;

/// A photo that decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Check `bytes` as described above; the error is the reason, for `media: …`.
pub fn check(bytes: &[u8], max_pixels: u64) -> Result<Checked, String> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        check_jpeg(bytes, max_pixels)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        check_png(bytes, max_pixels)
    } else {
        Err("only JPEG and PNG photos are accepted".into())
    }
}

fn too_many(width: u32, height: u32, max_pixels: u64) -> Option<String> {
    (u64::from(width) * u64::from(height) > max_pixels)
        .then(|| format!("a photo of {width}×{height} is larger than {} megapixels", max_pixels as f64 / 1e6))
}

fn check_jpeg(bytes: &[u8], max_pixels: u64) -> Result<Checked, String> {
    let bad = |_| "not a readable JPEG image".to_owned();
    let mut d = jpeg_decoder::Decoder::new(Cursor::new(bytes));
    d.set_max_decoding_buffer_size(DECODER_BUFFER_BYTES);
    d.read_info().map_err(bad)?;
    let info = d.info().ok_or("not a readable JPEG image")?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    if width == 0 || height == 0 {
        return Err("not a readable JPEG image".into());
    }
    if let Some(e) = too_many(width, height, max_pixels) {
        return Err(e);
    }
    // The smallest scale (1/8) still reads and decodes every block of image data.
    d.scale(1, 1).map_err(bad)?;
    d.decode().map_err(bad)?;
    Ok(Checked { content_type: "image/jpeg", width, height })
}

fn check_png(bytes: &[u8], max_pixels: u64) -> Result<Checked, String> {
    let bad = |_| "not a readable PNG image".to_owned();
    let mut d = png::Decoder::new(Cursor::new(bytes));
    d.set_limits(png::Limits { bytes: DECODER_BUFFER_BYTES });
    let header = d.read_header_info().map_err(bad)?;
    let (width, height) = (header.width, header.height);
    if let Some(e) = too_many(width, height, max_pixels) {
        return Err(e);
    }
    let mut reader = d.read_info().map_err(bad)?;
    while reader.next_row().map_err(bad)?.is_some() {}
    reader.finish().map_err(bad)?;
    Ok(Checked { content_type: "image/png", width, height })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png_of(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = png::Encoder::new(&mut out, width, height);
        e.set_color(png::ColorType::Grayscale);
        let mut w = e.write_header().expect("header");
        w.write_image_data(&vec![7u8; (width * height) as usize]).expect("data");
        w.finish().expect("finish");
        out
    }

    #[test]
    fn a_real_png_passes_and_a_huge_or_cut_one_does_not() {
        let ok = png_of(40, 30);
        assert_eq!(check(&ok, 10_000), Ok(Checked { content_type: "image/png", width: 40, height: 30 }));
        assert!(check(&ok, 1_000).unwrap_err().contains("40×30"));
        assert!(check(&ok[..ok.len() - 20], 10_000).is_err());
    }

    #[test]
    fn html_behind_a_jpeg_signature_is_refused() {
        let mut fake = vec![0xFF, 0xD8, 0xFF, 0xE0];
        fake.extend_from_slice(b"<html><script>alert(document.cookie)</script></html>");
        assert!(check(&fake, DEFAULT_MAX_PIXELS).is_err());
        assert!(check(b"GIF89a", DEFAULT_MAX_PIXELS).is_err());
    }
}
