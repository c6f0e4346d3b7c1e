//! A gallery seeded the way the CLI fills one: real pictures through the core's own
//! store (files, thumbnails, asset rows) and real generation rows. The pictures are drawn
//! here (landscapes, plasma, rings, bokeh, paper waves, mosaics in many hues and four
//! shapes) and cached under `target/e2e-fixtures` so later runs only store them.

use std::path::{Path, PathBuf};
use std::time::Instant;

use image::codecs::jpeg::JpegEncoder;
use image::{ExtendedColorType, ImageFormat, RgbImage};
use nexhina_core::library::generations::NewGeneration;
use nexhina_core::library::Library;
use nexhina_core::types::GenerationKind;
use nexhina_e2e::serde_json::json;

pub const MODELS: [&str; 4] = ["gpt-image-1", "dall-e-3", "flux-1.1-pro", "sdxl-lightning"];

const SHAPES: [(u32, u32); 4] = [(640, 640), (768, 512), (512, 768), (800, 450)];

const SUBJECTS: [[&str; 4]; 6] = [
    [
        "misty mountain ridges at dawn",
        "an alpine valley under a violet sky",
        "desert mesas at golden hour",
        "volcanic islands at sunset",
    ],
    [
        "liquid marble swirling with ink",
        "a nebula of pastel smoke",
        "oil on water under neon light",
        "silk fabric rippling in the wind",
    ],
    [
        "ripples on a pond seen from above",
        "the growth rings of an ancient tree",
        "a hypnotic tunnel of light",
        "sound waves made visible",
    ],
    [
        "city lights out of focus on a rainy night",
        "fireflies in a summer forest",
        "lanterns floating over a river",
        "christmas lights through a frosted window",
    ],
    [
        "rolling hills in layered paper",
        "ocean waves as a paper cut-out",
        "sand dunes at noon",
        "a mountain lake in flat layers",
    ],
    [
        "a low-poly fox in a meadow",
        "stained glass of a cathedral window",
        "a mosaic floor in a Roman villa",
        "crystal shards catching the light",
    ],
];

const STYLES: [&str; 8] = [
    "watercolour",
    "35mm film photo",
    "matte painting",
    "minimalist poster",
    "oil on canvas",
    "isometric 3D render",
    "soft pastel illustration",
    "long exposure",
];

/// One seeded picture: the file's bytes and how to describe it.
pub struct Picture {
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub prompt: String,
}

/// The prompt of picture `i` (the same for a given `i` on every run).
pub fn prompt_of(i: usize) -> String {
    let pattern = i % 6;
    let subject = SUBJECTS[pattern][(i / 6) % 4];
    let style = STYLES[(i / 24 + i) % STYLES.len()];
    format!("{subject}, {style}")
}

fn cache_dir() -> PathBuf {
    let dir = nexhina_e2e::target_dir().join("e2e-fixtures/gallery-v1");
    std::fs::create_dir_all(&dir).expect("create the fixture cache");
    dir
}

/// Picture `i`: drawn once, then read from the cache. Every fourth is a PNG, the rest JPEG.
pub fn picture(i: usize) -> Picture {
    let (width, height) = SHAPES[(i / 3) % SHAPES.len()];
    let png = i % 4 == 3;
    let path = cache_dir().join(format!("{i:04}.{}", if png { "png" } else { "jpg" }));
    let bytes = match std::fs::read(&path) {
        Ok(bytes) if !bytes.is_empty() => bytes,
        _ => {
            let img = draw(i, width, height);
            let mut bytes = Vec::new();
            if png {
                img.write_to(&mut std::io::Cursor::new(&mut bytes), ImageFormat::Png)
                    .expect("encode PNG");
            } else {
                JpegEncoder::new_with_quality(&mut bytes, 88)
                    .encode(img.as_raw(), width, height, ExtendedColorType::Rgb8)
                    .expect("encode JPEG");
            }
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, &bytes).expect("write the fixture");
            std::fs::rename(&tmp, &path).expect("keep the fixture");
            bytes
        }
    };
    Picture {
        bytes,
        width,
        height,
        prompt: prompt_of(i),
    }
}

/// What [`seed_gallery`] made, oldest first.
pub struct Seeded {
    pub ids: Vec<i64>,
    pub prompts: Vec<String>,
    pub distinct_files: usize,
}

/// Stores `distinct` pictures through the core and records `count` completed image
/// generations over them (newest last), with models, favourites and ratings spread out.
pub fn seed_gallery(data_dir: &Path, count: usize, distinct: usize) -> Seeded {
    let started = Instant::now();
    let library = Library::open(data_dir).expect("open the library to seed");
    let mut assets = Vec::with_capacity(distinct);
    let mut shapes = Vec::with_capacity(distinct);
    for i in 0..distinct.min(count).max(1) {
        let picture = picture(i);
        let asset = library
            .store_generated_image(&picture.bytes)
            .unwrap_or_else(|e| panic!("store picture {i}: {e}"));
        assert!(
            asset.thumbnail_path.is_some(),
            "picture {i} got no thumbnail"
        );
        assets.push(asset.id);
        shapes.push((picture.width, picture.height));
    }
    let mut ids = Vec::with_capacity(count);
    let mut prompts = Vec::with_capacity(count);
    for i in 0..count {
        let slot = i % assets.len();
        let prompt = prompt_of(i);
        let model = MODELS[(i * 7 / 3) % MODELS.len()];
        let (w, h) = shapes[slot];
        let params = json!({
            "model": model,
            "prompt": prompt,
            "size": format!("{w}x{h}"),
            "n": 1,
            "quality": null,
            "style": null,
            "extra": null,
            "input_asset_ids": [],
            "mask_asset_id": null,
        });
        let id = library
            .insert_generation(&NewGeneration {
                profile_id: None,
                kind: GenerationKind::Image,
                model,
                prompt: &prompt,
                params: &params,
                parent_generation_id: None,
                inputs: &[],
            })
            .expect("insert a generation");
        library
            .complete_generation(id, &[assets[slot]], None, None)
            .expect("complete a generation");
        if i % 7 == 2 {
            library.set_favourite(id, true).expect("favourite");
        }
        let stars = (i * 37 % 6) as u8;
        if stars > 0 {
            library.set_rating(id, Some(stars)).expect("rate");
        }
        ids.push(id);
        prompts.push(prompt);
    }
    eprintln!(
        "[seed] {count} generations over {} stored pictures in {:.1} s",
        assets.len(),
        started.elapsed().as_secs_f64()
    );
    Seeded {
        ids,
        prompts,
        distinct_files: assets.len(),
    }
}

// ---------------------------------------------------------------------------------------
// Drawing

/// A small deterministic generator (xorshift), so picture `i` is the same on every run.
struct Rng(u64);

impl Rng {
    fn new(seed: usize) -> Rng {
        Rng((seed as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> f32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 40) as f32 / (1u64 << 24) as f32
    }
}

/// Hue in degrees, saturation and value in 0..1.
fn hsv(h: f32, s: f32, v: f32) -> [f32; 3] {
    let h = h.rem_euclid(360.0) / 60.0;
    let c = v * s;
    let x = c * (1.0 - (h % 2.0 - 1.0).abs());
    let (r, g, b) = match h as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let m = v - c;
    [r + m, g + m, b + m]
}

fn mix(a: [f32; 3], b: [f32; 3], t: f32) -> [f32; 3] {
    let t = t.clamp(0.0, 1.0);
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

fn to_px(c: [f32; 3]) -> image::Rgb<u8> {
    image::Rgb(c.map(|v| (v.clamp(0.0, 1.0) * 255.0 + 0.5) as u8))
}

fn draw(i: usize, width: u32, height: u32) -> RgbImage {
    let mut rng = Rng::new(i);
    // Golden-angle steps spread the hues evenly however many pictures there are.
    let hue = (i as f32 * 137.508 + rng.next() * 20.0) % 360.0;
    let (w, h) = (width as f32, height as f32);
    match i % 6 {
        0 => landscape(&mut rng, hue, width, height),
        1 => {
            let (a, b, c) = (
                0.006 + rng.next() * 0.012,
                0.006 + rng.next() * 0.012,
                0.004 + rng.next() * 0.008,
            );
            let (cx, cy) = (rng.next() * w, rng.next() * h);
            RgbImage::from_fn(width, height, |x, y| {
                let (x, y) = (x as f32, y as f32);
                let d = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
                let v = (x * a).sin() + (y * b).sin() + ((x + y) * c).sin() + (d * 0.012).sin();
                to_px(hsv(
                    hue + v * 28.0,
                    0.55 + 0.2 * (v * 1.3).sin(),
                    0.62 + 0.3 * (v * 0.9).cos(),
                ))
            })
        }
        2 => {
            let (cx, cy) = (w * (0.3 + rng.next() * 0.4), h * (0.3 + rng.next() * 0.4));
            let k = 0.035 + rng.next() * 0.03;
            RgbImage::from_fn(width, height, |x, y| {
                let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
                let band = 0.5 + 0.5 * (d * k).cos();
                let fade = (1.0 - d / (w.max(h) * 0.9)).clamp(0.15, 1.0);
                to_px(hsv(hue + d * 0.12, 0.65, (0.3 + 0.65 * band) * fade))
            })
        }
        3 => bokeh(&mut rng, hue, width, height),
        4 => {
            let bands = 6;
            let waves: Vec<(f32, f32, f32)> = (0..bands)
                .map(|_| {
                    (
                        0.004 + rng.next() * 0.01,
                        rng.next() * 6.28,
                        10.0 + rng.next() * 30.0,
                    )
                })
                .collect();
            RgbImage::from_fn(width, height, |x, y| {
                let (x, y) = (x as f32, y as f32);
                let mut layer = 0;
                for (n, (f, p, amp)) in waves.iter().enumerate() {
                    let edge =
                        h * (n as f32 + 1.0) / (bands as f32 + 1.0) + amp * (x * f + p).sin();
                    if y > edge {
                        layer = n + 1;
                    }
                }
                let t = layer as f32 / bands as f32;
                let base = hsv(hue + t * 40.0, 0.35 + 0.45 * t, 0.95 - 0.6 * t);
                // A soft shadow under each paper edge.
                let shade = 1.0 - 0.08 * ((y * 0.05).sin() * 0.5 + 0.5) * t;
                to_px(base.map(|c| c * shade))
            })
        }
        _ => {
            let cell = 40.0 + rng.next() * 30.0;
            let jitter: Vec<f32> = (0..4096).map(|_| rng.next()).collect();
            RgbImage::from_fn(width, height, |x, y| {
                let (x, y) = (x as f32, y as f32);
                let (gx, gy) = ((x / cell) as usize, (y / cell) as usize);
                let (fx, fy) = (x / cell - gx as f32, y / cell - gy as f32);
                let upper = fx + fy < 1.0;
                let j = jitter[(gx * 31 + gy * 17 + upper as usize * 7) % jitter.len()];
                let t = (x + y) / (w + h);
                to_px(hsv(
                    hue + t * 70.0 + j * 24.0,
                    0.5 + 0.3 * j,
                    0.55 + 0.35 * (1.0 - t) + 0.1 * j,
                ))
            })
        }
    }
}

fn landscape(rng: &mut Rng, hue: f32, width: u32, height: u32) -> RgbImage {
    let (w, h) = (width as f32, height as f32);
    let horizon = h * (0.55 + rng.next() * 0.15);
    let (sun_x, sun_y, sun_r) = (
        w * (0.2 + rng.next() * 0.6),
        horizon - h * (0.08 + rng.next() * 0.2),
        h * (0.05 + rng.next() * 0.05),
    );
    let ridges: Vec<(f32, f32, f32, f32)> = (0..3)
        .map(|n| {
            (
                horizon + n as f32 * h * 0.1 - h * 0.12,
                0.008 + rng.next() * 0.01,
                rng.next() * 6.28,
                h * (0.04 + rng.next() * 0.05),
            )
        })
        .collect();
    let top = hsv(hue + 200.0, 0.55, 0.35);
    let low = hsv(hue + 20.0, 0.55, 0.98);
    let sun = hsv(hue + 40.0, 0.25, 1.0);
    RgbImage::from_fn(width, height, |x, y| {
        let (x, y) = (x as f32, y as f32);
        let mut c = mix(top, low, y / horizon);
        let d = ((x - sun_x).powi(2) + (y - sun_y).powi(2)).sqrt();
        if d < sun_r {
            c = sun;
        } else {
            c = mix(
                c,
                sun,
                0.5 * (1.0 - (d - sun_r) / (h * 0.35)).max(0.0).powi(2),
            );
        }
        for (n, (base, f, p, amp)) in ridges.iter().enumerate() {
            let edge = base + amp * (x * f + p).sin() + amp * 0.4 * (x * f * 3.1 + p).sin();
            if y > edge {
                let depth = (n + 1) as f32 / 3.0;
                c = mix(
                    hsv(hue + 230.0, 0.4, 0.55),
                    hsv(hue + 250.0, 0.6, 0.12),
                    depth,
                );
                c = mix(c, low, 0.15 * (1.0 - depth));
            }
        }
        to_px(c)
    })
}

fn bokeh(rng: &mut Rng, hue: f32, width: u32, height: u32) -> RgbImage {
    let (w, h) = (width as f32, height as f32);
    let discs: Vec<(f32, f32, f32, [f32; 3])> = (0..22)
        .map(|_| {
            let r = h * (0.03 + rng.next() * 0.1);
            (
                rng.next() * w,
                rng.next() * h,
                r,
                hsv(hue + (rng.next() - 0.5) * 120.0, 0.6, 1.0),
            )
        })
        .collect();
    let deep = hsv(hue + 180.0, 0.6, 0.08);
    let glow = hsv(hue, 0.7, 0.35);
    RgbImage::from_fn(width, height, |x, y| {
        let (x, y) = (x as f32, y as f32);
        let mut c = mix(deep, glow, y / h);
        for (cx, cy, r, colour) in &discs {
            let d = ((x - cx).powi(2) + (y - cy).powi(2)).sqrt();
            if d < r + 2.0 {
                let a = (r + 2.0 - d).min(2.0) / 2.0 * (0.35 + 0.2 * d / r);
                c = mix(c, *colour, a);
            }
        }
        to_px(c)
    })
}
