//! Real media: procedural PNGs, committed speech and video fixtures (see
//! `fixtures/make-fixtures.sh`), format sniffing, and the `/files` "CDN".

use std::io::Cursor;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::state::SimState;
use crate::text::SplitMix;

/// What the speech fixtures say, and so what transcription answers.
pub(crate) const SPOKEN_SENTENCE: &str = "Hello from the Nexhina demo platform.";

pub(crate) static SPEECH_MP3: &[u8] = include_bytes!("../fixtures/speech.mp3");
pub(crate) static SPEECH_WAV: &[u8] = include_bytes!("../fixtures/speech.wav");
pub(crate) static SPEECH_FLAC: &[u8] = include_bytes!("../fixtures/speech.flac");
pub(crate) static SPEECH_OPUS: &[u8] = include_bytes!("../fixtures/speech.opus");
pub(crate) static SPEECH_AAC: &[u8] = include_bytes!("../fixtures/speech.aac");
pub(crate) static CLIP_MP4: &[u8] = include_bytes!("../fixtures/clip.mp4");

/// The samples of a canonical WAV file (the `data` chunk), and its duration in seconds.
pub(crate) fn wav_samples(wav: &[u8]) -> Option<(&[u8], f64)> {
    if wav.len() < 12 || &wav[..4] != b"RIFF" || &wav[8..12] != b"WAVE" {
        return None;
    }
    let mut byte_rate = None;
    let mut offset = 12;
    while offset + 8 <= wav.len() {
        let id = &wav[offset..offset + 4];
        let size = u32::from_le_bytes(wav[offset + 4..offset + 8].try_into().ok()?) as usize;
        let start = offset + 8;
        let end = start.saturating_add(size).min(wav.len());
        if id == b"fmt " && end >= start + 12 {
            byte_rate = Some(u32::from_le_bytes(
                wav[start + 8..start + 12].try_into().ok()?,
            ));
        } else if id == b"data" {
            let data = &wav[start..end];
            let seconds = byte_rate
                .filter(|r| *r > 0)
                .map_or(0.0, |r| data.len() as f64 / r as f64);
            return Some((data, seconds));
        }
        offset = start + size + (size & 1);
    }
    None
}

/// Raw 24 kHz 16-bit mono little-endian samples, cut from the WAV fixture.
pub(crate) fn speech_pcm() -> &'static [u8] {
    wav_samples(SPEECH_WAV).map_or(&[], |(data, _)| data)
}

pub(crate) fn speech_seconds() -> f64 {
    wav_samples(SPEECH_WAV).map_or(2.5, |(_, s)| s)
}

/// Audio containers Whisper accepts, recognised by their first bytes.
pub(crate) fn looks_like_audio(bytes: &[u8]) -> bool {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    (bytes.len() >= 12 && starts(b"RIFF") && &bytes[8..12] == b"WAVE")
        || starts(b"ID3")
        // An MPEG audio frame sync (MP3, and AAC in ADTS).
        || (bytes.len() >= 2 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0)
        || starts(b"fLaC")
        || starts(b"OggS")
        || (bytes.len() >= 8 && &bytes[4..8] == b"ftyp")
        || starts(&[0x1A, 0x45, 0xDF, 0xA3])
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ImageKind {
    Png,
    Jpeg,
    Webp,
}

pub(crate) fn image_kind(bytes: &[u8]) -> Option<ImageKind> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageKind::Png)
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageKind::Jpeg)
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageKind::Webp)
    } else {
        None
    }
}

/// An RGBA8 picture in memory.
pub(crate) struct Canvas {
    pub width: u32,
    pub height: u32,
    pub rgba: Vec<u8>,
}

impl Canvas {
    /// A diagonal gradient with a few discs, all colours drawn from `seed`: different
    /// prompts give visibly different pictures.
    pub fn procedural(seed: u64, width: u32, height: u32) -> Canvas {
        let mut rng = SplitMix::new(seed);
        let mut colour = || {
            [
                rng.below(256) as i32,
                rng.below(256) as i32,
                rng.below(256) as i32,
            ]
        };
        let from = colour();
        let to = colour();
        let disc_colours: Vec<[i32; 3]> = (0..4).map(|_| colour()).collect();
        let (w, h) = (width as i64, height as i64);
        let discs: Vec<(i64, i64, i64, [i32; 3])> = disc_colours
            .into_iter()
            .map(|c| {
                let cx = rng.below(w as u64) as i64;
                let cy = rng.below(h as u64) as i64;
                let r = (w.min(h) / 10).max(1) + rng.below((w.min(h) / 4).max(1) as u64) as i64;
                (cx, cy, r * r, c)
            })
            .collect();
        let span = (w + h).max(1);
        let mut rgba = Vec::with_capacity((width * height * 4) as usize);
        for y in 0..h {
            for x in 0..w {
                let t = (x + y) * 256 / span;
                let mut px = [0i32; 3];
                for (i, p) in px.iter_mut().enumerate() {
                    *p = from[i] + (to[i] - from[i]) * t as i32 / 256;
                }
                for (cx, cy, r2, c) in &discs {
                    let (dx, dy) = (x - cx, y - cy);
                    if dx * dx + dy * dy <= *r2 {
                        px = *c;
                    }
                }
                rgba.extend_from_slice(&[px[0] as u8, px[1] as u8, px[2] as u8, 255]);
            }
        }
        Canvas {
            width,
            height,
            rgba,
        }
    }

    /// Decodes a PNG (any colour type) into RGBA8.
    pub fn decode_png(bytes: &[u8]) -> Option<Canvas> {
        let mut decoder = png::Decoder::new(Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::normalize_to_color8());
        let mut reader = decoder.read_info().ok()?;
        let mut buf = vec![0; reader.output_buffer_size()?];
        let info = reader.next_frame(&mut buf).ok()?;
        let pixels = (info.width * info.height) as usize;
        let src = &buf[..info.buffer_size()];
        let rgba = match info.color_type {
            png::ColorType::Rgba => src.to_vec(),
            png::ColorType::Rgb => src
                .chunks_exact(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect(),
            png::ColorType::GrayscaleAlpha => src
                .chunks_exact(2)
                .flat_map(|p| [p[0], p[0], p[0], p[1]])
                .collect(),
            png::ColorType::Grayscale => src.iter().flat_map(|&g| [g, g, g, 255]).collect(),
            png::ColorType::Indexed => return None,
        };
        (rgba.len() == pixels * 4).then_some(Canvas {
            width: info.width,
            height: info.height,
            rgba,
        })
    }

    /// Nearest-neighbour scaling: crude, fast, and enough for a derived picture.
    pub fn resized(&self, width: u32, height: u32) -> Canvas {
        if self.width == width && self.height == height {
            return Canvas {
                width,
                height,
                rgba: self.rgba.clone(),
            };
        }
        let mut rgba = Vec::with_capacity((width * height * 4) as usize);
        for y in 0..height {
            let sy = (y as u64 * self.height as u64 / height as u64) as usize;
            for x in 0..width {
                let sx = (x as u64 * self.width as u64 / width as u64) as usize;
                let i = (sy * self.width as usize + sx) * 4;
                rgba.extend_from_slice(&self.rgba[i..i + 4]);
            }
        }
        Canvas {
            width,
            height,
            rgba,
        }
    }

    pub fn encode_png(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, self.width, self.height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let written = encoder.write_header().and_then(|mut writer| {
            writer
                .write_image_data(&self.rgba)
                .and_then(|_| writer.finish())
        });
        match written {
            Ok(()) => out,
            // Only reachable with inconsistent dimensions, which the callers rule out.
            Err(_) => Vec::new(),
        }
    }
}

/// `GET /files/<id>.<ext>`: generated images and finished videos, no key needed (like a
/// vendor's CDN URL).
pub(crate) async fn hosted_file(
    State(state): State<Arc<SimState>>,
    Path(name): Path<String>,
) -> Response {
    let id = name.rsplit_once('.').map_or(name.as_str(), |(id, _)| id);
    if let Some(file) = state.hosted_file(id) {
        return file_response(file.content_type, file.bytes);
    }
    if crate::video::finished_video(&state, id) {
        return file_response("video/mp4", Bytes::from_static(CLIP_MP4));
    }
    (
        StatusCode::NOT_FOUND,
        [(CONTENT_TYPE, "text/plain")],
        "file not found or expired",
    )
        .into_response()
}

fn file_response(content_type: &'static str, bytes: Bytes) -> Response {
    (
        StatusCode::OK,
        [
            (CONTENT_TYPE, content_type),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixtures_are_what_they_claim() {
        assert!(SPEECH_MP3.starts_with(b"ID3") || SPEECH_MP3[0] == 0xFF);
        assert!(looks_like_audio(SPEECH_WAV));
        assert!(looks_like_audio(SPEECH_FLAC));
        assert!(looks_like_audio(SPEECH_OPUS));
        assert!(looks_like_audio(SPEECH_AAC));
        assert_eq!(&CLIP_MP4[4..8], b"ftyp");
        let (pcm, seconds) = wav_samples(SPEECH_WAV).unwrap();
        assert_eq!(pcm.len() % 2, 0);
        assert!((1.0..6.0).contains(&seconds), "{seconds}");
        assert!(!looks_like_audio(b"hello, not audio"));
    }

    #[test]
    fn png_round_trips() {
        let canvas = Canvas::procedural(7, 40, 30);
        let png = canvas.encode_png();
        assert_eq!(image_kind(&png), Some(ImageKind::Png));
        let back = Canvas::decode_png(&png).unwrap();
        assert_eq!((back.width, back.height), (40, 30));
        assert_eq!(back.rgba, canvas.rgba);
        assert_ne!(Canvas::procedural(8, 40, 30).rgba, canvas.rgba);
        assert_eq!(canvas.resized(20, 15).rgba.len(), 20 * 15 * 4);
    }
}
