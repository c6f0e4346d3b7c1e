//! Gallery and thumbnail figures. Prints medians, p95 and ratios; asserts nothing on time.
//!
//!   cargo bench -p nexhina-core --bench gallery
//!
//! 1. Gallery page queries over 20,000 generations (first page, a deep page by cursor,
//!    filtered by model, favourites, and prompt words).
//! 2. Thumbnails per second over photo-sized JPEGs: nexhina's path (scaled DCT decode +
//!    fast_image_resize + JPEG encode, one thread) beside `vipsthumbnail` and ImageMagick
//!    `mogrify -thumbnail`, each over the same files in one process.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use nexhina_core::library::Library;
use nexhina_core::types::GalleryFilter;

const ITEMS: usize = 20_000;
const PHOTOS: usize = 24;

fn bench_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/bench-data")
}

fn gallery_library() -> Library {
    let dir = bench_dir().join("gallery-v1");
    let fresh = !dir.join("library.sqlite3").exists();
    let library = Library::open(&dir).expect("open the bench library");
    if fresh {
        let started = Instant::now();
        let conn = rusqlite::Connection::open(dir.join("library.sqlite3")).unwrap();
        conn.execute_batch("BEGIN").unwrap();
        let words = ["harbour", "sunset", "lighthouse", "forest", "city", "neon", "portrait", "mountain", "river", "cat"];
        let models = ["gpt-image-1", "dall-e-3", "flux-pro"];
        for i in 0..ITEMS {
            let sha = format!("{:064x}", i as u128 * 7919 + 1);
            conn.execute(
                "INSERT INTO assets (sha256, mime, size_bytes, width, height, origin, thumbnail_sha256, created_at)
                 VALUES (?1, 'image/png', 1500000, 1024, 1024, 'generated', ?1, ?2)",
                (&sha, i as i64),
            )
            .unwrap();
            let asset = conn.last_insert_rowid();
            let prompt = format!("{} {} over the {} number {i}", words[i % 10], words[(i / 10) % 10], words[(i / 100) % 10]);
            conn.execute(
                "INSERT INTO generations (kind, model, prompt, params, status, progress, favourite, rating, created_at, updated_at)
                 VALUES ('image', ?1, ?2, '{}', 'complete', 100, ?3, ?4, ?5, ?5)",
                (models[i % 3], &prompt, (i % 17 == 0) as i64, (i % 5 + 1) as i64, 1_700_000_000_000i64 + i as i64 * 1000),
            )
            .unwrap();
            let generation = conn.last_insert_rowid();
            conn.execute(
                "INSERT INTO generation_assets (generation_id, role, position, asset_id) VALUES (?1, 'output', 0, ?2)",
                (generation, asset),
            )
            .unwrap();
        }
        conn.execute_batch("COMMIT; ANALYZE;").unwrap();
        println!("generated {ITEMS} gallery items in {:.1} s", started.elapsed().as_secs_f64());
    }
    library
}

fn time_query(runs: usize, mut f: impl FnMut()) -> Vec<Duration> {
    f();
    (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect()
}

fn gallery_queries() {
    let library = gallery_library();
    let page = |filter: &GalleryFilter, cursor: Option<&str>| library.gallery(filter, cursor, 100).unwrap();
    let deep_cursor = {
        let mut cursor = None;
        for _ in 0..100 {
            cursor = page(&GalleryFilter::default(), cursor.as_deref()).next_cursor;
        }
        cursor
    };
    let cases: Vec<(&str, GalleryFilter, Option<String>)> = vec![
        ("first page (100 cards)", GalleryFilter::default(), None),
        ("page 101 by cursor", GalleryFilter::default(), deep_cursor),
        ("model = dall-e-3", GalleryFilter { model: Some("dall-e-3".into()), ..Default::default() }, None),
        ("favourites", GalleryFilter { favourites: true, ..Default::default() }, None),
        ("prompt words \"lighthouse sunset\"", GalleryFilter { query: Some("lighthouse sunset".into()), ..Default::default() }, None),
    ];
    println!("\nGallery page over {ITEMS} generations (200 runs each)");
    println!("{:<36} {:>10} {:>10}", "query", "median ms", "p95 ms");
    for (name, filter, cursor) in cases {
        let samples = time_query(200, || {
            page(&filter, cursor.as_deref());
        });
        println!("{:<36} {:>10.3} {:>10.3}", name, common::median_ms(&samples), common::pct_ms(&samples, 95.0));
    }
}

fn photos() -> Vec<PathBuf> {
    let dir = bench_dir().join("photos-v1");
    std::fs::create_dir_all(&dir).unwrap();
    (0..PHOTOS)
        .map(|i| {
            let path = dir.join(format!("photo-{i:02}.jpg"));
            if !path.exists() {
                // Photo-like content: smooth gradients plus per-pixel noise, 6 megapixels.
                let mut seed = 0x9E37_79B9u32.wrapping_mul(i as u32 + 1);
                let img = image::RgbImage::from_fn(3000, 2000, |x, y| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    let n = (seed % 24) as u8;
                    image::Rgb([((x / 12) as u8).wrapping_add(n), ((y / 8) as u8).wrapping_add(n), ((x + y) / 20) as u8 + (i as u8 * 7)])
                });
                img.save_with_format(&path, image::ImageFormat::Jpeg).unwrap();
            }
            path
        })
        .collect()
}

fn thumbnails() {
    let files = photos();
    let bytes: Vec<Vec<u8>> = files.iter().map(|p| std::fs::read(p).unwrap()).collect();
    let out = tempfile::tempdir().unwrap();

    let ours = {
        let runs: Vec<Duration> = (0..3)
            .map(|_| {
                let t = Instant::now();
                for (i, b) in bytes.iter().enumerate() {
                    let thumb = nexhina_core::media::thumbnail_jpeg(b, None).unwrap().unwrap();
                    std::fs::write(out.path().join(format!("n{i}.jpg")), thumb).unwrap();
                }
                t.elapsed()
            })
            .collect();
        common::median_ms(&runs)
    };
    let command_ms = |make: &dyn Fn() -> Command| -> Option<f64> {
        let runs: Vec<Duration> = (0..3)
            .map(|_| {
                let t = Instant::now();
                let status = make().status().ok()?;
                status.success().then(|| t.elapsed())
            })
            .collect::<Option<_>>()?;
        Some(common::median_ms(&runs))
    };
    let vips = command_ms(&|| {
        let mut c = Command::new("vipsthumbnail");
        c.args(&files).args(["-s", "256", "-o"]).arg(out.path().join("v%s.jpg")).env("VIPS_CONCURRENCY", "1");
        c
    });
    let magick = command_ms(&|| {
        let mut c = Command::new("mogrify");
        c.args(["-limit", "thread", "1", "-path"]).arg(out.path()).args(["-format", "jpg", "-thumbnail", "256x256"]).args(&files);
        c
    });
    let per_sec = |ms: f64| PHOTOS as f64 / (ms / 1000.0);
    println!("\nThumbnails of {PHOTOS} JPEG photos, 3000x2000, to 256 px (median of 3 runs, one thread each)");
    println!("{:<34} {:>10} {:>12}", "tool", "total ms", "images/s");
    println!("{:<34} {:>10.0} {:>12.1}", "nexhina (scaled decode + fir)", ours, per_sec(ours));
    match vips {
        Some(v) => println!("{:<34} {:>10.0} {:>12.1}   nexhina = {:.2}x vips", "vipsthumbnail", v, per_sec(v), v / ours),
        None => println!("vipsthumbnail: not installed (apt-get install libvips-tools)"),
    }
    match magick {
        Some(m) => println!("{:<34} {:>10.0} {:>12.1}   nexhina = {:.2}x ImageMagick", "ImageMagick mogrify -thumbnail", m, per_sec(m), m / ours),
        None => println!("mogrify: not installed (apt-get install imagemagick)"),
    }
}

fn main() {
    gallery_queries();
    thumbnails();
}
