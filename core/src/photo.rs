//! Photo preparation for complaint attachments: a citizen's camera photo becomes a small, upright,
//! metadata-free JPEG before it is stored or sent.
//!
//! [`prepare`] takes the bytes of one picture (JPEG or PNG) and returns a baseline JPEG whose
//! long side is at most [`MAX_LONG_SIDE`] and whose size is at most [`TARGET_BYTES`]. A complaint
//! carries at most [`MAX_PHOTOS`] of them (the caller enforces that).
//!
//! - **Privacy.** The output is encoded from pixels alone: no EXIF (so no GPS position of the
//!   citizen's home, no camera serial number, no time stamp), no XMP, no maker notes, no ICC
//!   profile (a Display P3 photo loses a little saturation). Only the encoder's JFIF header is
//!   there.
//! - **Upright.** Phones store the sensor's pixels as they came and say in an EXIF tag how to turn
//!   them; the turn is applied to the pixels before the tag is dropped.
//! - **Hostile input.** Anything that is not a readable picture is a
//!   [`Error::Validation`] on field `photo`. The size of the file
//!   is checked before anything is parsed, the dimensions are read from the header and checked
//!   (at most [`MAX_PIXELS`]), and so is the memory decoding would take (at most
//!   [`MAX_DECODE_BYTES`]: pixel count × bytes a pixel at the decoded size, plus what the decoder
//!   keeps on the way), before any pixel buffer is allocated, and the decoders run under
//!   `catch_unwind` so that a bug in a third-party decoder becomes an error, not a crash.
//! - **HEIC/HEIF** (the iPhone camera's default, an option on some Android phones) is not decoded
//!   here: no pure-Rust HEVC decoder exists. It is recognised and refused with its own reason; the
//!   iOS and Android shells ask the system picker for a compatible (JPEG) representation.
//! - **WebP** is not decoded either: no phone camera writes it (it comes from web pages and
//!   stickers), and its decoder was 0.15 MB of a library citizens download over paid data (issue
//!   11). It is recognised and refused with its own reason, a [`Error::Validation`] on `photo`
//!   saying to choose a JPEG or PNG; a shell that wants to accept it decodes it with the platform
//!   (which reads WebP on Android and iOS 14+) and hands over a JPEG, as the iOS shell does with
//!   HEIC.
//!
//! ## How, and why this way
//!
//! Measured on the 2-core reference machine, bench profile, a 12 MP camera JPEG (4000×3000, q92):
//!
//! | step                                                              | time   |
//! |-------------------------------------------------------------------|--------|
//! | decode, `jpeg-decoder`, full size                                 | 143 ms |
//! | decode, `zune-jpeg` (what `image` 0.25 uses), full size           | 110 ms |
//! | decode, `jpeg-decoder`, DCT-scaled to 1/2                         | 105 ms |
//! | Catmull-Rom resize 2080×1560 → 2048×1536 (`photo/resize.rs`)      |  33 ms |
//! | … 2000×1500 → 1280×960 (a 12 MP photo on a slow link)             |  13 ms |
//! | encode 2048×1536 q80 4:2:0, `jpeg-encoder`                        |  30 ms |
//! | … with optimised Huffman tables and averaged chroma               |  45 ms |
//!
//! and the whole of [`prepare`] takes a median of ~120 ms (~130 ms when the photo must be turned;
//! ~200 ms for a grainy low-light shot that needs a second encode): `cargo bench --bench photo`.
//!
//! Entropy decoding dominates and no decoder avoids it, but scaling in the DCT domain skips most of
//! the inverse transform, the colour conversion and the upsampling of the full-size image, and
//! never materialises it: a 12 MP photo decoded at 1/2 takes 9 MB of RGB instead of 36 MB (and a
//! baseline 48 MP one decoded at 1/4 the same 9 MB instead of 144 MB), which matters more on a 2 GB phone
//! than the milliseconds. So JPEGs are decoded with `jpeg-decoder` at the largest 1/2ⁿ scale whose
//! long side is still at least 90 % of [`MAX_LONG_SIDE`]; when that lands at or under the limit
//! (4000 and 4032 px wide 12 MP photos → 2000/2016 px; 8000 px 48 MP → 2000 px) the image is used as
//! it is — the reduced IDCT is itself a proper low-pass downscale — and otherwise (13 MP 4160 px →
//! 2080 px; 8 MP 3264 px decoded full; every photo on a slow link) a Catmull-Rom resize of our own
//! finishes (`photo/resize.rs`: plain Rust, a few KB where the SIMD resizer it replaced took 0.14 MB
//! of the aarch64 library and 0.62 MB of the x86_64 one; about half its speed on x86, well inside
//! the budget). Not resizing at all in the common case also avoids a second resampling.
//!
//! The JPEG is written by `jpeg-encoder` (without its x86-only `simd` feature: it would flatter
//! this machine and do nothing on ARM phones): baseline, 4:2:0 with box-averaged chroma (no
//! colour fringes on edges, 5 ms), optimised Huffman tables (14 % smaller at the same quality for
//! 10 ms, which saves the citizen data and often a quality step). Quality starts at [`QUALITY_START`] and is lowered along a log-linear
//! size model (one more encode is usually enough); at [`QUALITY_FLOOR`] the dimensions shrink
//! instead, so a very detailed scene stays legible rather than turning to blocks.
//!
//! All of it is pure Rust (no C library to cross-compile for Android and iOS).

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::error::{Error, Result};

mod resize;

/// The most photos one complaint carries.
pub const MAX_PHOTOS: usize = 3;
/// The long side of a prepared photo is at most this many pixels.
pub const MAX_LONG_SIDE: u32 = 2048;
/// A prepared photo is at most this many bytes.
pub const TARGET_BYTES: usize = 400 * 1024;
/// Larger input is refused before it is parsed.
pub const MAX_INPUT_BYTES: usize = 30 * 1024 * 1024;
/// Pictures with more pixels than this (read from the header) are refused before decoding: a guard
/// against decompression bombs. 50 MP admits the full-resolution mode of 50 MP phone cameras
/// (8160×6120) while refusing a small file that claims to unpack to gigabytes.
pub const MAX_PIXELS: u64 = 50_000_000;
/// The most memory decoding one picture may take: the pixels the decoder hands over and what it
/// holds on the way (a JPEG's component planes, a progressive JPEG's coefficients), worked out from the header before any of it is allocated. [`MAX_PIXELS`] alone does not
/// bound it: a 7000×7000 16-bit RGBA PNG of 381 KB (49 MP) took 343 MB to prepare (issue 10).
/// 100 MB admits any camera JPEG (a 12 MP one, DCT-scaled, needs ~20 MB; the worst case, a
/// 13.6 MP square decoded in full, 82 MB), a 12 MP progressive one (~50 MB) and a 24 MP PNG
/// without alpha or 16 MP with (72 / 64 MB).
pub const MAX_DECODE_BYTES: u64 = 100_000_000;
/// The quality a photo is first encoded at.
pub const QUALITY_START: u8 = 80;
/// Quality is not lowered below this; the dimensions are reduced instead.
pub const QUALITY_FLOOR: u8 = 50;

/// A DCT-scaled JPEG whose long side is at least this fraction of [`MAX_LONG_SIDE`] (and not above
/// it) is kept at that size, without resampling: (numerator, denominator).
const DCT_SNAP: (u32, u32) = (9, 10);
/// How fast the size of a JPEG falls with its quality between 50 and 80: size ∝ e^(k·q), with k
/// measured at 0.029–0.037 on noisy camera-like images; a middle value plus one point of margin
/// (below) makes the second encode fit in the common case.
const SIZE_PER_QUALITY: f64 = 0.033;
/// Bound on encode attempts (quality steps and shrinks together); in practice 1–3 are needed.
const MAX_ATTEMPTS: usize = 24;
/// Shrinking stops here; a photo this small that is still too large cannot be helped.
const MIN_SIDE: u32 = 16;

/// How large a prepared photo may be: its long side and its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoSize {
    pub long_side: u32,
    pub target_bytes: usize,
}

impl PhotoSize {
    /// Full quality: [`MAX_LONG_SIDE`], [`TARGET_BYTES`].
    pub const FULL: PhotoSize = PhotoSize { long_side: MAX_LONG_SIDE, target_bytes: TARGET_BYTES };
    /// For a slow link (issue 17): 1280 px and about 150 KB, a third of the bytes, still enough
    /// to see a leak or a pothole.
    pub const SLOW_LINK: PhotoSize = PhotoSize { long_side: 1280, target_bytes: 150 * 1024 };
}

/// A photo ready to be attached: a baseline JPEG without metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedPhoto {
    /// The JPEG file, from `FF D8` to `FF D9`.
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

/// Prepares one photo for a complaint: decodes a JPEG or PNG, turns it upright, scales it to
/// at most [`MAX_LONG_SIDE`] on its long side (never up) and encodes it as a metadata-free baseline
/// JPEG of at most [`TARGET_BYTES`].
///
/// Errors: [`Error::Validation`] with field `photo` for empty, oversized, unknown, damaged,
/// truncated or too-large-in-pixels input. Never panics.
pub fn prepare(input: &[u8]) -> Result<PreparedPhoto> {
    prepare_sized(input, PhotoSize::FULL)
}

/// [`prepare`] to another size ([`PhotoSize::SLOW_LINK`] on a slow link).
pub fn prepare_sized(input: &[u8], size: PhotoSize) -> Result<PreparedPhoto> {
    if input.is_empty() {
        return Err(invalid("the file is empty"));
    }
    if input.len() > MAX_INPUT_BYTES {
        return Err(invalid(format!("the file is larger than {} MB", MAX_INPUT_BYTES / (1024 * 1024))));
    }
    let format = sniff(input)?;
    // Everything below works on untrusted data with third-party code: a panic there is a bug, but it
    // must not take the app down. (The workspace builds with panic = "unwind".)
    catch_unwind(AssertUnwindSafe(|| prepare_format(input, format, size)))
        .unwrap_or_else(|_| Err(invalid(DECODER_FAULT)))
}

fn prepare_format(input: &[u8], format: Format, size: PhotoSize) -> Result<PreparedPhoto> {
    let Decoded { raster, orientation } = match format {
        Format::Jpeg => decode_jpeg(input, size.long_side)?,
        Format::Png => decode_png(input)?,
    };
    let (w, h) = fit_within(raster.width, raster.height, size.long_side);
    let raster = if (w, h) == (raster.width, raster.height) { raster } else { resize(&raster, w, h)? };
    let raster = apply_orientation(raster, orientation);
    encode_within_budget(raster, size.target_bytes)
}

/// The reason a WebP is refused with (module documentation: "WebP").
const WEBP_REFUSED: &str = "WebP pictures are not supported; choose a JPEG or PNG";

/// The reason given when a decoder panicked on the input.
const DECODER_FAULT: &str = "the image could not be read (decoder fault)";

fn invalid(reason: impl Into<String>) -> Error {
    Error::validation("photo", reason)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Jpeg,
    Png,
}

fn sniff(input: &[u8]) -> Result<Format> {
    if input.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Ok(Format::Jpeg)
    } else if input.starts_with(b"\x89PNG\r\n\x1a\n") {
        Ok(Format::Png)
    } else if input.len() >= 12 && &input[..4] == b"RIFF" && &input[8..12] == b"WEBP" {
        Err(invalid(WEBP_REFUSED))
    } else if input.len() >= 12 && &input[4..8] == b"ftyp" {
        // ISO base media file: HEIC/HEIF/AVIF photos (or a video).
        Err(invalid("HEIC/HEIF photos are not supported; choose a JPEG or PNG"))
    } else {
        Err(invalid("not a JPEG or PNG image"))
    }
}

/// Pixels, 8 bits per sample, `channels` interleaved samples per pixel (1: grey, 3: RGB), rows top
/// to bottom without padding.
struct Raster {
    px: Vec<u8>,
    width: u32,
    height: u32,
    channels: u8,
}

struct Decoded {
    raster: Raster,
    /// EXIF orientation, 1–8 (1: as stored).
    orientation: u8,
}

fn check_dimensions(width: u32, height: u32) -> Result<()> {
    if width == 0 || height == 0 {
        return Err(invalid("the image has no pixels"));
    }
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(invalid(format!(
            "the image is {width}×{height} pixels; at most {} megapixels are accepted",
            MAX_PIXELS / 1_000_000
        )));
    }
    Ok(())
}

/// Refuses a picture of `width`×`height` whose decoding would take more than
/// [`MAX_DECODE_BYTES`]: `bytes`, from its header.
fn check_decode_bytes(width: u32, height: u32, bytes: u64) -> Result<()> {
    if bytes > MAX_DECODE_BYTES {
        return Err(invalid(format!(
            "the image is {width}×{height} pixels and would take {} MB of memory to read; at most {} MB are allowed",
            bytes.div_ceil(1_000_000),
            MAX_DECODE_BYTES / 1_000_000
        )));
    }
    Ok(())
}

fn check_length(px: &[u8], width: u32, height: u32, channels: usize) -> Result<()> {
    let expected = (width as usize).checked_mul(height as usize).and_then(|n| n.checked_mul(channels));
    if expected == Some(px.len()) {
        Ok(())
    } else {
        Err(invalid("the image could not be read (unexpected pixel data)"))
    }
}

// ---------------------------------------------------------------------------------------------
// JPEG

fn decode_jpeg(input: &[u8], long_side: u32) -> Result<Decoded> {
    use jpeg_decoder::{CodingProcess, PixelFormat};

    let damaged = |e: jpeg_decoder::Error| invalid(format!("the JPEG is damaged or incomplete ({e})"));
    let mut decoder = jpeg_decoder::Decoder::new(input);
    decoder.read_info().map_err(damaged)?;
    let info = decoder.info().ok_or_else(|| invalid("the JPEG has no image"))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    check_dimensions(width, height)?;
    if info.coding_process == CodingProcess::Lossless {
        return Err(invalid("lossless JPEG is not supported"));
    }
    let denominator = dct_scale_denominator(width.max(height), long_side);
    let (mut out_width, mut out_height) = (width, height);
    if denominator > 1 {
        let (w, h) = decoder
            .scale(width.div_ceil(denominator) as u16, height.div_ceil(denominator) as u16)
            .map_err(damaged)?;
        (out_width, out_height) = (u32::from(w), u32::from(h));
    }
    // Each component's plane at the decoded size and the interleaved output (at most as many
    // bytes again; CMYK also its RGB), and for a progressive JPEG the coefficients of the whole
    // picture, kept at full size until the last scan.
    let components = match info.pixel_format {
        PixelFormat::L8 => 1,
        PixelFormat::RGB24 => 3,
        PixelFormat::CMYK32 => 4 + 4 + 3,
        PixelFormat::L16 => return Err(invalid("16-bit JPEG is not supported")),
    };
    let mut bytes = u64::from(out_width) * u64::from(out_height) * 2 * components;
    if info.coding_process == CodingProcess::DctProgressive {
        // Without a readable frame header: as if no component were subsampled.
        bytes += jpeg_coefficient_bytes(input).unwrap_or(u64::from(width) * u64::from(height) * 2 * 4);
    }
    check_decode_bytes(width, height, bytes)?;
    decoder.set_max_decoding_buffer_size(MAX_DECODE_BYTES as usize);
    let px = decoder.decode().map_err(damaged)?;
    let info = decoder.info().ok_or_else(|| invalid("the JPEG has no image"))?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    check_dimensions(width, height)?;
    let orientation = decoder.exif_data().and_then(exif_orientation).unwrap_or(1);
    let raster = match info.pixel_format {
        PixelFormat::L8 => {
            check_length(&px, width, height, 1)?;
            Raster { px, width, height, channels: 1 }
        }
        PixelFormat::RGB24 => {
            check_length(&px, width, height, 3)?;
            Raster { px, width, height, channels: 3 }
        }
        PixelFormat::CMYK32 => {
            check_length(&px, width, height, 4)?;
            // The decoder has undone Adobe's inversion: plain CMYK, 0 = no ink.
            let rgb = px
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = 255 - u32::from(p[3]);
                    [0, 1, 2].map(|i| ((255 - u32::from(p[i])) * k / 255) as u8)
                })
                .collect();
            Raster { px: rgb, width, height, channels: 3 }
        }
        PixelFormat::L16 => return Err(invalid("16-bit JPEG is not supported")),
    };
    Ok(Decoded { raster, orientation })
}

/// The bytes of DCT coefficients a progressive JPEG's decoder holds: 64 `i16` for every 8×8 block
/// of every component, at the sampling of the frame header (SOF), whole MCUs. `None` without a
/// readable frame header.
fn jpeg_coefficient_bytes(input: &[u8]) -> Option<u64> {
    let mut at = 2;
    loop {
        if *input.get(at)? != 0xFF {
            return None;
        }
        let marker = *input.get(at + 1)?;
        if marker == 0xFF {
            at += 1; // a fill byte
            continue;
        }
        let len = usize::from(u16::from_be_bytes([*input.get(at + 2)?, *input.get(at + 3)?]));
        let segment = input.get(at + 4..(at + 2).checked_add(len)?)?;
        // SOF0–SOF15 but DHT (C4), JPG (C8) and DAC (CC).
        if (0xC0..=0xCF).contains(&marker) && ![0xC4, 0xC8, 0xCC].contains(&marker) {
            // P, Y (2), X (2), Nf, then Nf × (id, H << 4 | V, Tq).
            let height = u64::from(u16::from_be_bytes([*segment.get(1)?, *segment.get(2)?]));
            let width = u64::from(u16::from_be_bytes([*segment.get(3)?, *segment.get(4)?]));
            let n = usize::from(*segment.get(5)?);
            let factors: Vec<(u64, u64)> = (0..n)
                .map(|i| segment.get(7 + 3 * i).map(|hv| (u64::from(hv >> 4), u64::from(hv & 15))))
                .collect::<Option<_>>()?;
            let h_max = factors.iter().map(|f| f.0).max().filter(|&h| h > 0)?;
            let v_max = factors.iter().map(|f| f.1).max().filter(|&v| v > 0)?;
            let (mcus_x, mcus_y) = (width.div_ceil(8 * h_max), height.div_ceil(8 * v_max));
            return Some(factors.iter().map(|&(h, v)| mcus_x * h * mcus_y * v * 64 * 2).sum());
        }
        at += 2 + len;
    }
}

/// The 1/n (n ∈ 1, 2, 4, 8) at which to decode a JPEG whose long side is `long`: the smallest
/// scale whose long side is still at least [`DCT_SNAP`] of `max` ([`MAX_LONG_SIDE`] at full size).
fn dct_scale_denominator(long: u32, max: u32) -> u32 {
    if long <= max {
        return 1;
    }
    [8, 4, 2]
        .into_iter()
        .find(|&n| {
            u64::from(long.div_ceil(n)) * u64::from(DCT_SNAP.1) >= u64::from(max) * u64::from(DCT_SNAP.0)
        })
        .unwrap_or(1)
}

// ---------------------------------------------------------------------------------------------
// PNG

fn decode_png(input: &[u8]) -> Result<Decoded> {
    let damaged = |e: png::DecodingError| invalid(format!("the PNG is damaged or incomplete ({e})"));
    // The decoder's own budget for its internal buffers (rows, metadata chunks).
    let limits = png::Limits { bytes: 16 * 1024 * 1024 };
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(input), limits);
    decoder.set_transformations(png::Transformations::normalize_to_color8());
    let header = decoder.read_header_info().map_err(damaged)?;
    let (width, height) = header.size();
    check_dimensions(width, height)?;
    // 8 bits a sample once normalised (16-bit samples are cut to 8 row by row, in the decoder's
    // own bounded buffers); a palette becomes RGB, or RGBA with a transparent entry. Alpha is
    // flattened in place, so this is the whole of it.
    let bytes_per_pixel = match header.color_type {
        png::ColorType::Grayscale => 1,
        png::ColorType::GrayscaleAlpha => 2,
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba | png::ColorType::Indexed => 4,
    };
    check_decode_bytes(width, height, u64::from(width) * u64::from(height) * bytes_per_pixel)?;
    let mut reader = decoder.read_info().map_err(damaged)?;
    let orientation = reader.info().exif_metadata.as_deref().and_then(exif_orientation).unwrap_or(1);
    let size = reader.output_buffer_size().ok_or_else(|| invalid("the PNG is too large"))?;
    let mut buf = zeroed(size)?;
    let frame = reader.next_frame(&mut buf).map_err(damaged)?;
    buf.truncate(frame.buffer_size());
    let (width, height) = (frame.width, frame.height);
    check_dimensions(width, height)?;
    if frame.bit_depth != png::BitDepth::Eight
        || frame.line_size != width as usize * frame.color_type.samples()
    {
        return Err(invalid("the PNG could not be read (unexpected pixel layout)"));
    }
    let raster = match frame.color_type {
        png::ColorType::Grayscale => Raster { px: buf, width, height, channels: 1 },
        png::ColorType::Rgb => Raster { px: buf, width, height, channels: 3 },
        png::ColorType::GrayscaleAlpha => Raster { px: flatten_alpha(buf, 1), width, height, channels: 1 },
        png::ColorType::Rgba => Raster { px: flatten_alpha(buf, 3), width, height, channels: 3 },
        png::ColorType::Indexed => return Err(invalid("the PNG could not be read (palette)")),
    };
    check_length(&raster.px, width, height, usize::from(raster.channels))?;
    Ok(Decoded { raster, orientation })
}

/// A zeroed buffer whose allocation failure (a 32-bit phone, a large PNG) is an error, not an abort.
fn zeroed(size: usize) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    buf.try_reserve_exact(size).map_err(|_| invalid("the image is too large for this phone's memory"))?;
    buf.resize(size, 0);
    Ok(buf)
}

/// Composites `colour`+alpha pixels over white (JPEG has no transparency; a transparent screenshot
/// over black would be unreadable), in the same buffer: pixel i moves down to i·colour, never past
/// a byte still to be read.
fn flatten_alpha(mut px: Vec<u8>, colour: usize) -> Vec<u8> {
    let pixels = px.len() / (colour + 1);
    for i in 0..pixels {
        let from = i * (colour + 1);
        let a = u32::from(px[from + colour]);
        for c in 0..colour {
            let v = u32::from(px[from + c]);
            px[i * colour + c] = ((v * a + 255 * (255 - a) + 127) / 255) as u8;
        }
    }
    px.truncate(pixels * colour);
    px
}

// ---------------------------------------------------------------------------------------------
// EXIF orientation

/// The Orientation tag (0x0112) of IFD0 of an EXIF block (a TIFF structure, with or without the
/// `Exif\0\0` prefix of the JPEG APP1 segment); `None` when absent, malformed or out of 1–8.
fn exif_orientation(exif: &[u8]) -> Option<u8> {
    let tiff = exif.strip_prefix(b"Exif\0\0").unwrap_or(exif);
    let little = match tiff.get(..4)? {
        [b'I', b'I', 42, 0] => true,
        [b'M', b'M', 0, 42] => false,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b = tiff.get(at..at.checked_add(2)?)?;
        Some(if little { u16::from_le_bytes([b[0], b[1]]) } else { u16::from_be_bytes([b[0], b[1]]) })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let entries = u16_at(ifd)?;
    for i in 0..usize::from(entries) {
        let entry = ifd.checked_add(2)?.checked_add(i * 12)?;
        if u16_at(entry)? != 0x0112 {
            continue;
        }
        let value = match u16_at(entry.checked_add(2)?)? {
            3 => u32::from(u16_at(entry.checked_add(8)?)?), // SHORT, the standard type
            4 => u32_at(entry.checked_add(8)?)?,            // LONG, seen from sloppy writers
            _ => return None,
        };
        return u8::try_from(value).ok().filter(|v| (1..=8).contains(v));
    }
    None
}

/// Turns stored pixels so they display upright, per EXIF orientation `o` (1: as stored; 2: mirrored;
/// 3: 180°; 4: flipped; 5: transposed; 6: needs 90° clockwise; 7: transversed; 8: needs 90°
/// counter-clockwise).
fn apply_orientation(src: Raster, o: u8) -> Raster {
    if !(2..=8).contains(&o) {
        return src;
    }
    let (w, h, c) = (src.width as usize, src.height as usize, usize::from(src.channels));
    let (dw, dh) = if o >= 5 { (h, w) } else { (w, h) };
    let mut px = vec![0u8; src.px.len()];
    // Source pixel of destination (x, y), as a start and per-x / per-y steps in pixels, so the inner
    // loop is one add; tiles of 64×64 keep the column walks of the rotations in the cache.
    let (wi, hi) = (w as isize, h as isize);
    let (start, step_x, step_y): (isize, isize, isize) = match o {
        2 => (wi - 1, -1, wi),        // (w-1-x, y)
        3 => (wi * hi - 1, -1, -wi),  // (w-1-x, h-1-y)
        4 => ((hi - 1) * wi, 1, -wi), // (x, h-1-y)
        5 => (0, wi, 1),              // (y, x)
        6 => ((hi - 1) * wi, -wi, 1), // (y, h-1-x)
        7 => (wi * hi - 1, -wi, -1),  // (w-1-y, h-1-x)
        _ => (wi - 1, wi, -1),        // 8: (w-1-y, x)
    };
    const TILE: usize = 64;
    for ty in (0..dh).step_by(TILE) {
        for tx in (0..dw).step_by(TILE) {
            for y in ty..(ty + TILE).min(dh) {
                let mut s = start + step_y * y as isize + step_x * tx as isize;
                let row = y * dw;
                for x in tx..(tx + TILE).min(dw) {
                    let (si, di) = (s as usize * c, (row + x) * c);
                    px[di..di + c].copy_from_slice(&src.px[si..si + c]);
                    s += step_x;
                }
            }
        }
    }
    Raster { px, width: dw as u32, height: dh as u32, channels: src.channels }
}

// ---------------------------------------------------------------------------------------------
// Resize and encode

/// The size that fits `width`×`height` within `max` on its long side, keeping the aspect ratio and
/// never enlarging.
fn fit_within(width: u32, height: u32, max: u32) -> (u32, u32) {
    let long = width.max(height);
    if long <= max {
        return (width, height);
    }
    let scale = |side: u32| {
        ((u64::from(side) * u64::from(max) + u64::from(long) / 2) / u64::from(long)).max(1) as u32
    };
    (scale(width), scale(height))
}

/// `src` resampled to `width`×`height` (Catmull-Rom, low-passed when shrinking: [`resize`]).
fn resize(src: &Raster, width: u32, height: u32) -> Result<Raster> {
    let px = resize::resize(&src.px, src.width, src.height, src.channels, width, height)
        .ok_or_else(|| invalid("the image could not be resized"))?;
    Ok(Raster { px, width, height, channels: src.channels })
}

fn encode(raster: &Raster, quality: u8) -> Result<Vec<u8>> {
    let failed = |e: jpeg_encoder::EncodingError| invalid(format!("the photo could not be encoded ({e})"));
    let (Ok(width), Ok(height)) = (u16::try_from(raster.width), u16::try_from(raster.height)) else {
        return Err(invalid("the photo could not be encoded (too large)"));
    };
    let mut jpeg = Vec::with_capacity(raster.px.len() / 8);
    let mut encoder = jpeg_encoder::Encoder::new(&mut jpeg, quality);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    encoder.set_chroma_subsampling_method(jpeg_encoder::ChromaSubsamplingMethod::Average);
    encoder.set_optimized_huffman_tables(true);
    encoder.set_progressive(false);
    let colour =
        if raster.channels == 1 { jpeg_encoder::ColorType::Luma } else { jpeg_encoder::ColorType::Rgb };
    encoder.encode(&raster.px, width, height, colour).map_err(failed)?;
    Ok(jpeg)
}

/// Encodes at [`QUALITY_START`], then lower along the size model down to [`QUALITY_FLOOR`], then
/// smaller, until the JPEG fits in `target` bytes ([`TARGET_BYTES`] at full size).
fn encode_within_budget(mut raster: Raster, target: usize) -> Result<PreparedPhoto> {
    let mut quality = QUALITY_START;
    for _ in 0..MAX_ATTEMPTS {
        let jpeg = encode(&raster, quality)?;
        if jpeg.len() <= target {
            return Ok(PreparedPhoto { jpeg, width: raster.width, height: raster.height });
        }
        let excess = jpeg.len() as f64 / target as f64;
        if quality > QUALITY_FLOOR {
            // One point of margin so the next try usually fits.
            let step = (excess.ln() / SIZE_PER_QUALITY).ceil() as u32 + 1;
            quality = quality.saturating_sub(step.clamp(2, 40) as u8).max(QUALITY_FLOOR);
        } else {
            // Bytes go roughly with the pixel count.
            let factor = ((1.0 / excess).sqrt() * 0.95).clamp(0.5, 0.9);
            let (w, h) = (raster.width, raster.height);
            if w.min(h) <= MIN_SIDE {
                break;
            }
            let long = ((w.max(h) as f64 * factor) as u32).max(MIN_SIDE);
            let (nw, nh) = fit_within(w, h, long);
            raster = resize(&raster, nw, nh)?;
        }
    }
    Err(invalid(format!("the photo could not be compressed to {} KB", target / 1024)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic xorshift generator (tests must not depend on a random seed).
    struct Noise(u32);

    impl Noise {
        fn next(&mut self) -> u32 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 17;
            self.0 ^= self.0 << 5;
            self.0
        }
        /// Uniform in -amp..=amp.
        fn sample(&mut self, amp: i32) -> i32 {
            (self.next() % (2 * amp as u32 + 1)) as i32 - amp
        }
    }

    /// Gradients, a few hard edges and per-pixel noise, so JPEG cannot compress it to nothing.
    fn photo_rgb(width: u32, height: u32) -> Vec<u8> {
        let mut noise = Noise(0x9E37_79B9);
        let mut px = Vec::with_capacity(width as usize * height as usize * 3);
        for y in 0..height {
            for x in 0..width {
                let n = noise.sample(14);
                let edge = if (x / 97 + y / 61) % 2 == 0 { 30 } else { -30 };
                let r = (x * 200 / width) as i32 + 20 + n + edge;
                let g = (y * 200 / height) as i32 + 20 + n;
                let b = ((x + y) * 150 / (width + height)) as i32 + 60 - n - edge;
                px.extend([r, g, b].map(|v| v.clamp(0, 255) as u8));
            }
        }
        px
    }

    fn jpeg_of(px: &[u8], width: u32, height: u32, quality: u8) -> Vec<u8> {
        let mut out = Vec::new();
        let encoder = jpeg_encoder::Encoder::new(&mut out, quality);
        encoder.encode(px, width as u16, height as u16, jpeg_encoder::ColorType::Rgb).unwrap();
        out
    }

    fn png_of(px: &[u8], width: u32, height: u32, colour: png::ColorType) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(colour);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(px).unwrap();
        writer.finish().unwrap();
        out
    }

    fn webp_of(
        px: &[u8],
        width: u32,
        height: u32,
        colour: image_webp::ColorType,
        exif: Option<Vec<u8>>,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = image_webp::WebPEncoder::new(&mut out);
        if let Some(exif) = exif {
            encoder.set_exif_metadata(exif);
        }
        encoder.encode(px, width, height, colour).unwrap();
        out
    }

    fn decode(jpeg: &[u8]) -> (Vec<u8>, u32, u32) {
        let mut decoder = jpeg_decoder::Decoder::new(jpeg);
        let px = decoder.decode().expect("the output decodes");
        let info = decoder.info().unwrap();
        assert_eq!(info.pixel_format, jpeg_decoder::PixelFormat::RGB24);
        (px, u32::from(info.width), u32::from(info.height))
    }

    /// The markers of the header segments (up to and including SOS), walked by their lengths.
    fn header_markers(jpeg: &[u8]) -> Vec<u8> {
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8]);
        let mut markers = Vec::new();
        let mut at = 2;
        loop {
            assert_eq!(jpeg[at], 0xFF, "a marker at {at}");
            let marker = jpeg[at + 1];
            markers.push(marker);
            if marker == 0xDA {
                return markers;
            }
            let len = usize::from(u16::from_be_bytes([jpeg[at + 2], jpeg[at + 3]]));
            at += 2 + len;
        }
    }

    fn assert_valid_output(photo: &PreparedPhoto) {
        let jpeg = &photo.jpeg;
        assert_eq!(&jpeg[..2], &[0xFF, 0xD8], "starts with SOI");
        assert_eq!(&jpeg[jpeg.len() - 2..], &[0xFF, 0xD9], "ends with EOI");
        assert!(jpeg.len() <= TARGET_BYTES, "{} bytes", jpeg.len());
        assert!(photo.width.max(photo.height) <= MAX_LONG_SIDE);
        let markers = header_markers(jpeg);
        assert!(markers.contains(&0xC0), "baseline (SOF0): {markers:02X?}");
        assert!(
            markers.iter().all(|m| !(0xE1..=0xEF).contains(m) && *m != 0xFE),
            "no APP1–APP15 or comment segment: {markers:02X?}"
        );
        let (_, w, h) = decode(jpeg);
        assert_eq!((w, h), (photo.width, photo.height));
    }

    fn assert_photo_error(result: Result<PreparedPhoto>, reason_part: &str) {
        match result {
            Err(Error::Validation { field, reason, .. }) => {
                assert_eq!(field, "photo");
                assert!(reason.contains(reason_part), "reason {reason:?} lacks {reason_part:?}");
            }
            Ok(photo) => {
                panic!("expected a photo validation error, got a {}×{} photo", photo.width, photo.height)
            }
            Err(other) => panic!("expected a photo validation error, got {other:?}"),
        }
    }

    /// A TIFF block as a phone writes it: IFD0 with Orientation, Make and a GPS IFD pointer, and the
    /// GPS IFD with latitude and longitude. `big_endian` picks "MM" (else "II").
    fn exif_block(orientation: u16, big_endian: bool) -> Vec<u8> {
        let mut t: Vec<u8> = Vec::new();
        let u16b = |v: u16| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
        let u32b = |v: u32| if big_endian { v.to_be_bytes() } else { v.to_le_bytes() };
        let entry = |t: &mut Vec<u8>, tag: u16, typ: u16, count: u32, value: [u8; 4]| {
            t.extend(u16b(tag));
            t.extend(u16b(typ));
            t.extend(u32b(count));
            t.extend(value);
        };
        t.extend(if big_endian { *b"MM\0*" } else { *b"II*\0" });
        t.extend(u32b(8));
        // IFD0 at 8: 3 entries (2 + 36 + 4 = 42 bytes) → data from 50.
        let make_at = 50u32;
        let gps_at = make_at + 16;
        t.extend(u16b(3));
        let o = u16b(orientation);
        entry(&mut t, 0x010F, 2, 16, u32b(make_at)); // Make (ASCII)
        entry(&mut t, 0x0112, 3, 1, [o[0], o[1], 0, 0]); // Orientation
        entry(&mut t, 0x8825, 4, 1, u32b(gps_at)); // GPS IFD pointer
        t.extend(u32b(0));
        assert_eq!(t.len(), make_at as usize);
        t.extend(b"SECRETPHONE-X1\0\0");
        // GPS IFD: 4 entries (2 + 48 + 4 = 54 bytes) → rationals from gps_at + 54.
        let lat_at = gps_at + 54;
        let lon_at = lat_at + 24;
        t.extend(u16b(4));
        entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0"); // GPSLatitudeRef
        entry(&mut t, 0x0002, 5, 3, u32b(lat_at)); // GPSLatitude
        entry(&mut t, 0x0003, 2, 2, *b"E\0\0\0"); // GPSLongitudeRef
        entry(&mut t, 0x0004, 5, 3, u32b(lon_at)); // GPSLongitude
        t.extend(u32b(0));
        assert_eq!(t.len(), lat_at as usize);
        for (num, den) in [(31, 1), (30, 1), (3_141_592, 100_000), (34, 1), (27, 1), (2_718_281, 100_000)] {
            t.extend(u32b(num));
            t.extend(u32b(den));
        }
        t
    }

    /// Inserts an APP1 Exif segment right after SOI, where cameras put it.
    fn with_exif(jpeg: &[u8], tiff: &[u8]) -> Vec<u8> {
        let mut payload = b"Exif\0\0".to_vec();
        payload.extend(tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend([0xFF, 0xE1]);
        out.extend(((payload.len() + 2) as u16).to_be_bytes());
        out.extend(payload);
        out.extend(&jpeg[2..]);
        out
    }

    fn find(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_12_mp_camera_jpeg_is_scaled_compressed_and_decodes() {
        let (w, h) = (4000, 3000);
        let input = jpeg_of(&photo_rgb(w, h), w, h, 92);
        assert!(input.len() > TARGET_BYTES * 3, "input is a heavy photo: {} bytes", input.len());
        let photo = prepare(&input).unwrap();
        assert_valid_output(&photo);
        // DCT-scaled to 1/2, within 10 % of the limit: kept as is.
        assert_eq!((photo.width, photo.height), (2000, 1500));
    }

    #[test]
    fn on_a_slow_link_a_12_mp_photo_is_prepared_smaller() {
        let (w, h) = (4000, 3000);
        let input = jpeg_of(&photo_rgb(w, h), w, h, 92);
        let full = prepare(&input).unwrap();
        let small = prepare_sized(&input, PhotoSize::SLOW_LINK).unwrap();
        assert!(small.jpeg.len() <= 150 * 1024, "{} bytes", small.jpeg.len());
        assert_eq!((small.width, small.height), (1280, 960));
        assert!(small.jpeg.len() * 2 < full.jpeg.len(), "{} against {}", small.jpeg.len(), full.jpeg.len());
        let (_, dw, dh) = decode(&small.jpeg);
        assert_eq!((dw, dh), (1280, 960));
    }

    #[test]
    fn an_odd_sized_jpeg_is_resampled_to_exactly_the_limit() {
        // 1/2 would give 1250: too far under the limit, so full decode and Lanczos to 2048.
        let (w, h) = (2500, 1100);
        let photo = prepare(&jpeg_of(&photo_rgb(w, h), w, h, 90)).unwrap();
        assert_valid_output(&photo);
        assert_eq!((photo.width, photo.height), (2048, 901));
    }

    #[test]
    fn a_small_png_keeps_its_size_and_becomes_a_jpeg() {
        let (w, h) = (640, 480);
        let input = png_of(&photo_rgb(w, h), w, h, png::ColorType::Rgb);
        let photo = prepare(&input).unwrap();
        assert_valid_output(&photo);
        assert_eq!((photo.width, photo.height), (640, 480));
    }

    #[test]
    fn a_transparent_png_is_flattened_on_white() {
        let (w, h) = (32, 16);
        let px: Vec<u8> = (0..w * h).flat_map(|_| [0, 0, 0, 0]).collect();
        let photo = prepare(&png_of(&px, w, h, png::ColorType::Rgba)).unwrap();
        assert_valid_output(&photo);
        let (out, ..) = decode(&photo.jpeg);
        assert!(out.iter().all(|&v| v >= 250), "white, not black");
    }

    #[test]
    fn a_grey_png_gives_a_jpeg() {
        let (w, h) = (300, 200);
        let px: Vec<u8> = (0..w * h).map(|i| (i % 251) as u8).collect();
        let photo = prepare(&png_of(&px, w, h, png::ColorType::Grayscale)).unwrap();
        assert_eq!(&photo.jpeg[..2], &[0xFF, 0xD8]);
        assert_eq!(&photo.jpeg[photo.jpeg.len() - 2..], &[0xFF, 0xD9]);
        assert_eq!((photo.width, photo.height), (300, 200));
    }

    /// Top half red, bottom half blue, 400×300 as stored, with GPS and orientation 6 (the phone was
    /// held upright): displayed upright it is 300×400 with red on the right and blue on the left.
    #[test]
    fn exif_and_gps_are_stripped_and_the_orientation_is_applied() {
        let (w, h) = (400u32, 300u32);
        let px: Vec<u8> = (0..h)
            .flat_map(|y| (0..w).flat_map(move |_| if y < h / 2 { [220, 20, 20] } else { [20, 20, 220] }))
            .collect();
        for big_endian in [true, false] {
            let input = with_exif(&jpeg_of(&px, w, h, 90), &exif_block(6, big_endian));
            assert!(find(&input, b"Exif\0\0") && find(&input, b"SECRETPHONE"));
            assert_eq!(
                jpeg_decoder::Decoder::new(&input[..]).decode().map(|_| ()).ok(),
                Some(()),
                "the test input itself is a valid JPEG"
            );

            let photo = prepare(&input).unwrap();
            assert_valid_output(&photo);
            assert_eq!((photo.width, photo.height), (300, 400), "rotated: width and height swapped");
            assert!(!find(&photo.jpeg, b"Exif"), "no Exif block");
            assert!(!find(&photo.jpeg, b"SECRETPHONE"), "no maker data");
            assert!(!find(&photo.jpeg, &[0xFF, 0xE1]), "no APP1 marker at all");

            let (out, ow, _) = decode(&photo.jpeg);
            let pixel = |x: u32, y: u32| &out[((y * ow + x) * 3) as usize..][..3];
            for y in [10, 200, 390] {
                let (left, right) = (pixel(20, y), pixel(280, y));
                assert!(left[2] > 150 && left[0] < 80, "left is blue at y={y}: {left:?}");
                assert!(right[0] > 150 && right[2] < 80, "right is red at y={y}: {right:?}");
            }
        }
    }

    /// WebP is not decoded (module documentation): a real one — lossless RGB with EXIF, with
    /// alpha, and one claiming to be huge — is refused as a photo validation error with the reason
    /// that tells the citizen what to choose instead, before any of it is parsed.
    #[test]
    fn a_webp_is_refused_with_its_own_reason() {
        let (w, h) = (120, 80);
        let clear: Vec<u8> = (0..w * h).flat_map(|_| [0, 0, 0, 0]).collect();
        let mut huge = webp_of(&photo_rgb(16, 16), 16, 16, image_webp::ColorType::Rgb8, None);
        assert_eq!(&huge[12..16], b"VP8L");
        let bits = u32::from_le_bytes(huge[21..25].try_into().unwrap());
        huge[21..25].copy_from_slice(&((bits & !((1 << 28) - 1)) | 6999 | (6999 << 14)).to_le_bytes());
        let webps = [
            webp_of(&photo_rgb(w, h), w, h, image_webp::ColorType::Rgb8, Some(exif_block(8, false))),
            webp_of(&clear, w, h, image_webp::ColorType::Rgba8, None),
            huge,
        ];
        for webp in &webps {
            // A valid picture: the platform would read it.
            assert!(image_webp::WebPDecoder::new(Cursor::new(&webp[..])).is_ok());
            for result in [prepare(webp), prepare_sized(webp, PhotoSize::SLOW_LINK)] {
                match result {
                    Err(Error::Validation { field, reason, more }) => {
                        assert_eq!((field.as_str(), reason.as_str()), ("photo", WEBP_REFUSED));
                        assert!(more.is_empty());
                    }
                    Ok(photo) => panic!("a WebP became a {}×{} photo", photo.width, photo.height),
                    Err(other) => panic!("expected a photo validation error, got {other:?}"),
                }
            }
        }
        assert!(WEBP_REFUSED.contains("JPEG or PNG"));
    }

    /// Random damage to valid files (bit flips, overwritten runs, cuts) gives a valid photo or a
    /// photo validation error, never a panic; and the decoders themselves did not panic either.
    #[test]
    fn damaged_files_never_panic() {
        let (w, h) = (64, 48);
        let px = photo_rgb(w, h);
        let bases = [
            with_exif(&jpeg_of(&px, w, h, 85), &exif_block(6, true)),
            png_of(&px, w, h, png::ColorType::Rgb),
        ];
        let mut rng = Noise(0xC0FF_EE11);
        let (mut accepted, mut refused, mut faults) = (0, 0, 0);
        for base in &bases {
            for _ in 0..MUTATIONS {
                let mut damaged = base.clone();
                let at = rng.next() as usize % damaged.len();
                match rng.next() % 4 {
                    0 => damaged[at] ^= 1 << (rng.next() % 8),
                    1 => damaged.truncate(at.max(1)),
                    2 => {
                        let end = (at + 1 + rng.next() as usize % 16).min(damaged.len());
                        let byte = if rng.next() & 1 == 0 { 0xFF } else { rng.next() as u8 };
                        damaged[at..end].fill(byte);
                    }
                    _ => {
                        for _ in 0..8 {
                            let i = rng.next() as usize % damaged.len();
                            damaged[i] = rng.next() as u8;
                        }
                    }
                }
                match prepare(&damaged) {
                    Ok(photo) => {
                        assert_valid_output(&photo);
                        accepted += 1;
                    }
                    Err(Error::Validation { field, reason, .. }) => {
                        assert_eq!(field, "photo");
                        if reason == DECODER_FAULT {
                            faults += 1;
                        }
                        refused += 1;
                    }
                    Err(other) => panic!("unexpected error {other:?}"),
                }
            }
        }
        eprintln!("damaged files: {accepted} accepted, {refused} refused, of which {faults} decoder faults");
        assert_eq!(faults, 0, "a decoder panicked (caught)");
    }

    const MUTATIONS: usize = 500;

    #[test]
    fn every_orientation_maps_corners_as_exif_says() {
        // A 3×2 grey image with distinct values; each orientation checked against the EXIF spec's
        // reading of where stored row 0 / column 0 go.
        let src = || Raster { px: vec![1, 2, 3, 4, 5, 6], width: 3, height: 2, channels: 1 };
        // Stored:  1 2 3
        //          4 5 6
        let expected: [(u8, &[u8], u32); 8] = [
            (1, &[1, 2, 3, 4, 5, 6], 3),
            (2, &[3, 2, 1, 6, 5, 4], 3),
            (3, &[6, 5, 4, 3, 2, 1], 3),
            (4, &[4, 5, 6, 1, 2, 3], 3),
            (5, &[1, 4, 2, 5, 3, 6], 2),
            (6, &[4, 1, 5, 2, 6, 3], 2),
            (7, &[6, 3, 5, 2, 4, 1], 2),
            (8, &[3, 6, 2, 5, 1, 4], 2),
        ];
        for (o, px, width) in expected {
            let out = apply_orientation(src(), o);
            assert_eq!((out.px.as_slice(), out.width), (px, width), "orientation {o}");
        }
        // RGB and larger than a tile: orientation 6 then 8 is the identity.
        let (w, h) = (130, 70);
        let rgb = Raster { px: photo_rgb(w, h), width: w, height: h, channels: 3 };
        let original = rgb.px.clone();
        let back = apply_orientation(apply_orientation(rgb, 6), 8);
        assert_eq!((back.width, back.height), (w, h));
        assert!(back.px == original);
    }

    #[test]
    fn orientation_parsing_is_defensive() {
        assert_eq!(exif_orientation(&exif_block(6, true)), Some(6));
        assert_eq!(exif_orientation(&exif_block(8, false)), Some(8));
        assert_eq!(exif_orientation(&exif_block(9, false)), None);
        assert_eq!(exif_orientation(&exif_block(0, true)), None);
        let block = exif_block(3, true);
        for cut in 0..block.len() {
            let _ = exif_orientation(&block[..cut]); // no panic at any length
        }
        assert_eq!(exif_orientation(b"MM\0*\xFF\xFF\xFF\xFF"), None);
        assert_eq!(exif_orientation(b""), None);
    }

    #[test]
    fn garbage_empty_truncated_and_unknown_input_are_refused() {
        assert_photo_error(prepare(&[]), "empty");
        let mut noise = Noise(7);
        let garbage: Vec<u8> = (0..10_000).map(|_| noise.next() as u8).collect();
        assert_photo_error(prepare(&garbage), "not a JPEG");
        assert_photo_error(prepare(b"GIF89a\x01\0\x01\0"), "not a JPEG");
        assert_photo_error(prepare(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"), "HEIC");

        let (w, h) = (800, 600);
        let jpeg = jpeg_of(&photo_rgb(w, h), w, h, 90);
        for cut in [3, 20, 200, jpeg.len() / 2, jpeg.len() - 200] {
            assert_photo_error(prepare(&jpeg[..cut]), "JPEG");
        }
        let mut fake = vec![0xFF, 0xD8, 0xFF];
        fake.extend(&garbage);
        assert_photo_error(prepare(&fake), "JPEG");

        let png = png_of(&photo_rgb(w, h), w, h, png::ColorType::Rgb);
        for cut in [8, 30, png.len() / 2, png.len() - 20] {
            assert_photo_error(prepare(&png[..cut]), "PNG");
        }
        let mut fake = b"\x89PNG\r\n\x1a\n".to_vec();
        fake.extend(&garbage);
        assert_photo_error(prepare(&fake), "PNG");
        assert_photo_error(prepare(b"RIFF\x10\0\0\0WEBPVP8 \0\0\0\0"), "WebP");
    }

    #[test]
    fn a_file_over_the_input_limit_is_refused_before_decoding() {
        let mut big = vec![0u8; MAX_INPUT_BYTES + 1];
        big[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
        assert_photo_error(prepare(&big), "larger than 30 MB");
    }

    #[test]
    fn a_decompression_bomb_is_refused_from_its_header() {
        // A small valid JPEG whose SOF0 claims 10000×10000 (100 MP).
        let mut jpeg = jpeg_of(&photo_rgb(16, 16), 16, 16, 80);
        let sof = jpeg.windows(2).position(|m| m == [0xFF, 0xC0]).unwrap();
        jpeg[sof + 5..sof + 9].copy_from_slice(&[0x27, 0x10, 0x27, 0x10]);
        assert_photo_error(prepare(&jpeg), "megapixels");

        // A PNG whose IHDR claims 20000×20000 (400 MP), CRC fixed so only the size is wrong.
        let mut png = png_of(&photo_rgb(16, 16), 16, 16, png::ColorType::Rgb);
        png[16..24].copy_from_slice(&[0, 0, 0x4E, 0x20, 0, 0, 0x4E, 0x20]);
        let mut crc = flate2::Crc::new();
        crc.update(&png[12..29]);
        png[29..33].copy_from_slice(&crc.sum().to_be_bytes());
        assert_photo_error(prepare(&png), "megapixels");
    }

    /// A valid PNG of `width`×`height` 16-bit RGBA pixels, all zero, small on disk: its zlib stream
    /// is one fixed-Huffman deflate block of a zero literal and then 258-byte copies of it (13 bits
    /// each), so 7000×7000 (392 MB of samples) is 2.5 MB.
    fn zero_png_16bit_rgba(width: u32, height: u32) -> Vec<u8> {
        struct Bits {
            out: Vec<u8>,
            acc: u64,
            n: u32,
        }
        impl Bits {
            /// `len` bits of `v`, least significant first (deflate's bit order).
            fn put(&mut self, v: u32, len: u32) {
                self.acc |= u64::from(v) << self.n;
                self.n += len;
                while self.n >= 8 {
                    self.out.push(self.acc as u8);
                    self.acc >>= 8;
                    self.n -= 8;
                }
            }
            /// A Huffman code, sent most significant bit first.
            fn code(&mut self, code: u32, len: u32) {
                self.put(code.reverse_bits() >> (32 - len), len);
            }
        }
        // Every row is its filter byte (0, none) and 8 zero bytes a pixel.
        let raw = u64::from(height) * (1 + u64::from(width) * 8);
        let mut bits = Bits { out: vec![0x78, 0x01], acc: 0, n: 0 };
        bits.put(1, 1); // final block
        bits.put(1, 2); // fixed Huffman codes
        bits.code(0x30, 8); // literal 0
        let mut left = raw - 1;
        while left >= 258 {
            bits.code(0b1100_0101, 8); // length 258 (code 285)
            bits.code(0, 5); // distance 1
            left -= 258;
        }
        for _ in 0..left {
            bits.code(0x30, 8);
        }
        bits.code(0, 7); // end of block
        bits.put(0, 7);
        let mut zlib = bits.out;
        // Adler-32 of zeros: a stays 1, b gains 1 a byte.
        zlib.extend((((raw % 65_521) << 16) | 1).to_be_bytes()[4..].iter());
        let chunk = |png: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
            png.extend((data.len() as u32).to_be_bytes());
            let mut crc = flate2::Crc::new();
            crc.update(kind);
            crc.update(data);
            png.extend(kind);
            png.extend(data);
            png.extend(crc.sum().to_be_bytes());
        };
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        let mut ihdr = width.to_be_bytes().to_vec();
        ihdr.extend(height.to_be_bytes());
        ihdr.extend([16, 6, 0, 0, 0]); // 16 bits, RGBA, deflate, adaptive filters, no interlace
        chunk(&mut png, b"IHDR", &ihdr);
        chunk(&mut png, b"IDAT", &zlib);
        chunk(&mut png, b"IEND", &[]);
        png
    }

    #[test]
    fn a_zero_png_of_the_test_builder_is_valid() {
        let (w, h) = (40, 30);
        let png = zero_png_16bit_rgba(w, h);
        let mut decoder = png::Decoder::new(Cursor::new(&png[..]));
        decoder.set_transformations(png::Transformations::normalize_to_color8());
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![1u8; reader.output_buffer_size().unwrap()];
        let frame = reader.next_frame(&mut buf).unwrap();
        assert_eq!((frame.width, frame.height, frame.color_type), (w, h, png::ColorType::Rgba));
        assert!(buf.iter().all(|&v| v == 0));
        let photo = prepare(&png).unwrap();
        assert_valid_output(&photo);
        assert!(decode(&photo.jpeg).0.iter().all(|&v| v >= 250), "transparent: white");
    }

    /// Issue 10: a 7000×7000 16-bit RGBA PNG is under the pixel limit (49 of 50 MP) but unpacks to
    /// 196 MB of 8-bit RGBA (392 MB of samples); it took 343 MB to prepare. Refused from its header.
    #[test]
    fn a_png_whose_pixels_need_too_much_memory_is_refused_from_its_header() {
        let png = zero_png_16bit_rgba(7000, 7000);
        assert!(png.len() < 3_000_000, "small on disk: {} bytes", png.len());
        assert_photo_error(prepare(&png), "of memory");
    }

    /// A small progressive JPEG whose frame header claims `width`×`height` (4:2:0).
    fn progressive_jpeg_claiming(width: u16, height: u16) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = jpeg_encoder::Encoder::new(&mut out, 80);
        encoder.set_progressive(true);
        encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
        encoder.encode(&photo_rgb(16, 16), 16, 16, jpeg_encoder::ColorType::Rgb).unwrap();
        let sof = out.windows(2).position(|m| m == [0xFF, 0xC2]).unwrap();
        out[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
        out[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
        out
    }

    /// A progressive JPEG keeps every coefficient of the full picture until its last scan,
    /// whatever the DCT scale: 7000×7000 (under the pixel limit) would take 147 MB of them.
    #[test]
    fn a_progressive_jpeg_whose_coefficients_need_too_much_memory_is_refused() {
        // 4:2:0: per 16×16 MCU, four luma blocks and one of each chroma, 128 bytes a block.
        assert_eq!(jpeg_coefficient_bytes(&progressive_jpeg_claiming(4000, 3000)), Some(250 * 188 * 6 * 128));
        assert_photo_error(prepare(&progressive_jpeg_claiming(7000, 7000)), "of memory");
        assert_eq!(jpeg_coefficient_bytes(&[0xFF, 0xD8, 0xFF, 0xC2, 0, 40]), None);
        assert_eq!(jpeg_coefficient_bytes(b"\xFF\xD8\xFF\xE0\xFF\xFF"), None);
    }

    #[test]
    fn an_incompressible_photo_is_shrunk_until_it_fits() {
        // Pure noise does not fit in 400 KB at any sane quality.
        let (w, h) = (1200u32, 1200u32);
        let mut noise = Noise(42);
        let px: Vec<u8> = (0..w * h * 3).map(|_| noise.next() as u8).collect();
        let photo = prepare(&png_of(&px, w, h, png::ColorType::Rgb)).unwrap();
        assert_valid_output(&photo);
        assert!(photo.width < w && photo.width == photo.height, "{}×{}", photo.width, photo.height);
    }

    /// Photo preparation timed where the resize runs (the 12 MP bench, `cargo bench --bench photo`,
    /// never resizes: its 4000 px photos are DCT-scaled straight to 2000 px). Run in the shipped
    /// profile: `cargo test -p baladiya-core --profile release --lib photo::tests::timing --
    /// --ignored --nocapture`.
    #[test]
    #[ignore = "a timing, not a check: run by hand in the release profile"]
    fn timing_of_the_resizing_paths() {
        let cases = [
            ("12 MP 4000×3000, full size (DCT 1/2, no resize)", 4000, 3000, PhotoSize::FULL),
            ("12 MP 4000×3000, slow link (DCT 1/2, resize 2000 → 1280)", 4000, 3000, PhotoSize::SLOW_LINK),
            ("13 MP 4160×3120, full size (DCT 1/2, resize 2080 → 2048)", 4160, 3120, PhotoSize::FULL),
            ("8 MP 3264×2448, full size (decoded full, resize 3264 → 2048)", 3264, 2448, PhotoSize::FULL),
        ];
        for (label, w, h, size) in cases {
            let input = jpeg_of(&photo_rgb(w, h), w, h, 92);
            let mut times: Vec<f64> = (0..11)
                .map(|_| {
                    let start = std::time::Instant::now();
                    let photo = prepare_sized(&input, size).unwrap();
                    assert!(photo.width.max(photo.height) <= size.long_side);
                    start.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            times.sort_by(f64::total_cmp);
            // The resize step alone, from the size the JPEG is decoded to.
            let n = dct_scale_denominator(w.max(h), size.long_side);
            let (dw, dh) = (w.div_ceil(n), h.div_ceil(n));
            let decoded = Raster { px: photo_rgb(dw, dh), width: dw, height: dh, channels: 3 };
            let (tw, th) = fit_within(dw, dh, size.long_side);
            if (tw, th) == (dw, dh) {
                eprintln!(
                    "{label}: {:.2} MB in, median {:.0} ms, min {:.0}, max {:.0}",
                    input.len() as f64 / 1e6,
                    times[5],
                    times[0],
                    times[10]
                );
                continue;
            }
            let resize_ms = (0..5)
                .map(|_| {
                    let start = std::time::Instant::now();
                    let _ = resize(&decoded, tw, th).unwrap();
                    start.elapsed().as_secs_f64() * 1e3
                })
                .fold(f64::MAX, f64::min);
            eprintln!(
                "{label}: {:.2} MB in, median {:.0} ms, min {:.0}, max {:.0}; the resize {dw}×{dh} → {tw}×{th} alone {resize_ms:.0} ms",
                input.len() as f64 / 1e6,
                times[5],
                times[0],
                times[10]
            );
        }
    }

    #[test]
    fn scale_choice() {
        assert_eq!(dct_scale_denominator(2048, MAX_LONG_SIDE), 1);
        assert_eq!(dct_scale_denominator(3264, MAX_LONG_SIDE), 1); // 1632 is too small: full decode + resize
        assert_eq!(dct_scale_denominator(4000, MAX_LONG_SIDE), 2); // 2000: kept
        assert_eq!(dct_scale_denominator(4160, MAX_LONG_SIDE), 2); // 2080: resized to 2048
        assert_eq!(dct_scale_denominator(8000, MAX_LONG_SIDE), 4); // 2000: kept
        assert_eq!(dct_scale_denominator(16000, MAX_LONG_SIDE), 8);
        assert_eq!(fit_within(4000, 3000, 2048), (2048, 1536));
        assert_eq!(fit_within(3000, 4000, 2048), (1536, 2048));
        assert_eq!(fit_within(60000, 1, 2048), (2048, 1));
        assert_eq!(fit_within(640, 480, 2048), (640, 480));
    }
}
