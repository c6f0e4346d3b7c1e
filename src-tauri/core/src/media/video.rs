//! Storing videos: a container check, and a poster frame and duration from ffmpeg, so the
//! gallery never decodes a video to draw its grid.

use std::path::Path;
use std::process::Command;

use crate::error::{Error, Result};

/// The mime type of a video by its first bytes: MP4/MOV (`ftyp`) or WebM/Matroska (EBML).
pub fn sniff_video(bytes: &[u8]) -> Result<&'static str> {
    if bytes.len() > 12 && &bytes[4..8] == b"ftyp" {
        return Ok("video/mp4");
    }
    if bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]) {
        return Ok("video/webm");
    }
    let preview: String = String::from_utf8_lossy(&bytes[..bytes.len().min(60)]).chars().filter(|c| !c.is_control()).collect();
    Err(Error::InvalidResponse(format!("the platform sent a file that is not a video (it starts with \"{preview}\")")))
}

/// The first frame as a JPEG and the duration in ms, read by ffmpeg/ffprobe. `None`s when
/// ffmpeg is not installed: the gallery then shows a video icon, and playback still works.
pub fn poster_and_duration(video: &Path) -> (Option<Vec<u8>>, Option<i64>) {
    let poster = Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-i"])
        .arg(video)
        .args(["-frames:v", "1", "-f", "image2", "-c:v", "mjpeg", "-q:v", "3", "pipe:1"])
        .output()
        .ok()
        .filter(|o| o.status.success() && o.stdout.starts_with(&[0xFF, 0xD8]))
        .map(|o| o.stdout);
    (poster, probe_duration_ms(video))
}

/// A media file's duration in ms by ffprobe; `None` without ffprobe or for an unreadable file.
pub fn probe_duration_ms(file: &Path) -> Option<i64> {
    Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse::<f64>().ok())
        .map(|secs| (secs * 1000.0).round() as i64)
}
