//! Photo preparation figures for a 12 MP camera photo (4000×3000, made in memory: a lit scene with
//! gradients, shapes, fine texture and sensor noise, JPEG q92 4:2:0 with an EXIF block as phones
//! write it). Run with `cargo bench -p baladiya-core --bench photo`. Prints figures; asserts
//! nothing. Target on the reference machine (2 cores): median ≤ 250 ms.

use std::time::Instant;

use baladiya_core::photo::{self, PreparedPhoto};

const WIDTH: u32 = 4000;
const HEIGHT: u32 = 3000;
const ROUNDS: usize = 15;

/// xorshift32: deterministic noise without a dependency.
struct Rng(u32);

impl Rng {
    fn next(&mut self) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 17;
        self.0 ^= self.0 << 5;
        self.0
    }
    /// Roughly Gaussian (sum of four uniforms), standard deviation ≈ `sigma`.
    fn gauss(&mut self, sigma: f32) -> f32 {
        let r = self.next();
        let sum: u32 = (0..4).map(|i| (r >> (i * 8)) & 0xFF).sum();
        (sum as f32 - 510.0) / 147.8 * sigma
    }
}

/// A street scene as a camera sees it: a sky gradient, a wall with bricks, a road with gravel-like
/// texture, a few dark objects with hard edges, vignetting and sensor noise (luma and chroma, of
/// standard deviation `noise_sigma` and 0.4 of it).
fn camera_pixels(noise_sigma: f32) -> Vec<u8> {
    let mut rng = Rng(0x2545_F491);
    let mut px = Vec::with_capacity(WIDTH as usize * HEIGHT as usize * 3);
    let (w, h) = (WIDTH as f32, HEIGHT as f32);
    for y in 0..HEIGHT {
        let fy = y as f32 / h;
        for x in 0..WIDTH {
            let fx = x as f32 / w;
            let (mut r, mut g, mut b) = if fy < 0.35 {
                // Sky: blue to pale towards the horizon.
                (110.0 + 120.0 * fy, 150.0 + 100.0 * fy, 230.0 - 20.0 * fy)
            } else if fy < 0.7 {
                // Wall: bricks with mortar lines and per-brick tint.
                let row = y / 40;
                let shift = if row & 1 == 0 { 0 } else { 45 };
                let mortar = y % 40 < 4 || (x + shift) % 90 < 4;
                let tint = (((x + shift) / 90).wrapping_mul(2_654_435_761) ^ row.wrapping_mul(40_503)) % 40;
                if mortar {
                    (170.0, 165.0, 150.0)
                } else {
                    (150.0 + tint as f32, 80.0 + tint as f32 / 2.0, 60.0)
                }
            } else {
                // Road: grey with gravel-like fine texture.
                let t = ((x as f32 * 0.7).sin() * (y as f32 * 0.9).cos()) * 18.0;
                (105.0 + t, 100.0 + t, 95.0 + t)
            };
            // Dark objects (a car, a bin) with hard edges.
            if (0.15..0.42).contains(&fx) && (0.6..0.82).contains(&fy) {
                (r, g, b) = (40.0 + 30.0 * fx, 45.0, 55.0);
            }
            if (0.7..0.78).contains(&fx) && (0.55..0.78).contains(&fy) {
                (r, g, b) = (30.0, 90.0, 40.0);
            }
            // Vignetting and noise.
            let d = (fx - 0.5).powi(2) + (fy - 0.5).powi(2);
            let light = 1.0 - 0.6 * d;
            let luma_noise = rng.gauss(noise_sigma);
            let chroma_noise = rng.gauss(noise_sigma * 0.4);
            px.push((r * light + luma_noise + chroma_noise).clamp(0.0, 255.0) as u8);
            px.push((g * light + luma_noise).clamp(0.0, 255.0) as u8);
            px.push((b * light + luma_noise - chroma_noise).clamp(0.0, 255.0) as u8);
        }
    }
    px
}

/// An EXIF block (TIFF, big-endian) with Make, Orientation and a GPS position, as phones write.
fn exif(orientation: u16) -> Vec<u8> {
    let mut t = b"Exif\0\0MM\0*\0\0\0\x08".to_vec();
    let entry = |t: &mut Vec<u8>, tag: u16, typ: u16, count: u32, value: [u8; 4]| {
        t.extend(tag.to_be_bytes());
        t.extend(typ.to_be_bytes());
        t.extend(count.to_be_bytes());
        t.extend(value);
    };
    // Offsets are from the TIFF header (after "Exif\0\0"): IFD0 at 8, 3 entries → data at 50.
    t.extend(3u16.to_be_bytes());
    entry(&mut t, 0x010F, 2, 8, 50u32.to_be_bytes());
    let o = orientation.to_be_bytes();
    entry(&mut t, 0x0112, 3, 1, [o[0], o[1], 0, 0]);
    entry(&mut t, 0x8825, 4, 1, 58u32.to_be_bytes());
    t.extend(0u32.to_be_bytes());
    t.extend(b"PHONE\0\0\0");
    // GPS IFD at 58: latitude ref and latitude (rationals at 58 + 30 = 88).
    t.extend(2u16.to_be_bytes());
    entry(&mut t, 0x0001, 2, 2, *b"N\0\0\0");
    entry(&mut t, 0x0002, 5, 3, 88u32.to_be_bytes());
    t.extend(0u32.to_be_bytes());
    for (n, d) in [(31u32, 1u32), (30, 1), (314_159, 10_000)] {
        t.extend(n.to_be_bytes());
        t.extend(d.to_be_bytes());
    }
    t
}

fn camera_jpeg(pixels: &[u8], orientation: u16) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 92);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    encoder.add_app_segment(1, exif(orientation)).expect("EXIF segment");
    encoder.encode(pixels, WIDTH as u16, HEIGHT as u16, jpeg_encoder::ColorType::Rgb).expect("encode");
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn run(label: &str, input: &[u8]) {
    // One warm-up (page faults, the resizer's CPU detection), not counted.
    let mut last: PreparedPhoto = photo::prepare(input).expect("prepare");
    let mut times = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let start = Instant::now();
        last = photo::prepare(input).expect("prepare");
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    println!("{label}");
    println!("  input:  {WIDTH}×{HEIGHT}, {:.2} MB", input.len() as f64 / 1e6);
    println!(
        "  output: {}×{}, {:.1} KB (limit {} KB)",
        last.width,
        last.height,
        last.jpeg.len() as f64 / 1024.0,
        photo::TARGET_BYTES / 1024
    );
    println!(
        "  prepare × {ROUNDS}: median {:.1} ms, p95 {:.1} ms, min {:.1} ms, max {:.1} ms (target median ≤ 250 ms)",
        percentile(&times, 50.0),
        percentile(&times, 95.0),
        times[0],
        times[times.len() - 1]
    );
}

fn main() {
    let start = Instant::now();
    let pixels = camera_pixels(5.0);
    let landscape = camera_jpeg(&pixels, 1);
    let portrait = camera_jpeg(&pixels, 6);
    let grainy = camera_jpeg(&camera_pixels(14.0), 1);
    drop(pixels);
    println!("(test photos made in {:.1} s)", start.elapsed().as_secs_f64());
    run("12 MP camera JPEG, landscape (EXIF orientation 1, GPS)", &landscape);
    run("12 MP camera JPEG, held upright (EXIF orientation 6, GPS): rotated to portrait", &portrait);
    run("12 MP grainy low-light shot (noise σ 14): needs lower quality to fit", &grainy);
}
