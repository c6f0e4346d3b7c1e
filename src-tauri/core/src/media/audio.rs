//! Audio files: recognising them before upload, and native playback through rodio on a
//! thread of its own (an output stream cannot move between threads).

use std::fs::File;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rodio::Source;

use crate::error::{Error, Result};
use crate::types::PlaybackState;

/// The platform's upload limit for speech-to-text is 25 MB.
pub const MAX_AUDIO_BYTES: u64 = 25 * 1024 * 1024;

/// The mime type of an audio file by its first bytes, for the formats the platform takes.
pub fn sniff_audio(bytes: &[u8]) -> Option<&'static str> {
    let at = |offset: usize, magic: &[u8]| bytes.len() >= offset + magic.len() && &bytes[offset..offset + magic.len()] == magic;
    if at(0, b"RIFF") && at(8, b"WAVE") {
        Some("audio/wav")
    } else if at(0, b"ID3") || (bytes.len() > 1 && bytes[0] == 0xFF && bytes[1] & 0xE0 == 0xE0 && bytes[1] & 0x06 != 0) {
        Some("audio/mpeg")
    } else if at(0, b"fLaC") {
        Some("audio/flac")
    } else if at(0, b"OggS") {
        Some("audio/ogg")
    } else if at(4, b"ftyp") {
        Some("audio/mp4")
    } else if at(0, &[0x1A, 0x45, 0xDF, 0xA3]) {
        Some("audio/webm")
    } else if bytes.len() > 1 && bytes[0] == 0xFF && bytes[1] & 0xF6 == 0xF0 {
        Some("audio/aac")
    } else {
        None
    }
}

/// The length of an audio file, by decoding its headers.
pub fn duration_of(path: &Path) -> Option<Duration> {
    let file = File::open(path).ok()?;
    let decoder = rodio::Decoder::try_from(file).ok()?;
    decoder.total_duration()
}

type StateSink = Arc<dyn Fn(PlaybackState) + Send + Sync>;

enum Command {
    Play { path: PathBuf, asset_id: i64, reply: Sender<Result<()>> },
    Pause,
    Resume,
    Stop,
    Seek(Duration),
}

/// The app's one audio player. Commands go to its thread; state comes back through the
/// sink about five times a second while something plays.
pub struct AudioPlayer {
    commands: Mutex<Option<Sender<Command>>>,
    state: Arc<Mutex<PlaybackState>>,
    sink: StateSink,
}

impl AudioPlayer {
    pub fn new(sink: StateSink) -> Self {
        AudioPlayer {
            commands: Mutex::new(None),
            state: Arc::new(Mutex::new(PlaybackState { asset_id: None, playing: false, paused: false, position_ms: 0, duration_ms: None })),
            sink,
        }
    }

    pub fn state(&self) -> PlaybackState {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Plays a file from the start; fails clearly when there is no sound output.
    pub fn play(&self, path: &Path, asset_id: i64) -> Result<()> {
        let (reply, answer) = mpsc::channel();
        self.send(Command::Play { path: path.to_path_buf(), asset_id, reply })?;
        answer.recv().map_err(|_| Error::Internal("the audio player stopped".into()))?
    }

    pub fn pause(&self) -> Result<()> {
        self.send(Command::Pause)
    }

    pub fn resume(&self) -> Result<()> {
        self.send(Command::Resume)
    }

    pub fn stop(&self) -> Result<()> {
        self.send(Command::Stop)
    }

    pub fn seek(&self, position: Duration) -> Result<()> {
        self.send(Command::Seek(position))
    }

    fn send(&self, command: Command) -> Result<()> {
        let mut guard = self.commands.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let (tx, rx) = mpsc::channel();
            let state = self.state.clone();
            let sink = self.sink.clone();
            std::thread::Builder::new()
                .name("audio".into())
                .spawn(move || audio_thread(rx, state, sink))
                .map_err(|e| Error::Internal(format!("could not start the audio player: {e}")))?;
            *guard = Some(tx);
        }
        if guard.as_ref().is_some_and(|tx| tx.send(command).is_err()) {
            *guard = None;
            return Err(Error::Internal("the audio player stopped; try again".into()));
        }
        Ok(())
    }
}

const NO_OUTPUT: &str = "No sound output is available (no audio device or sound server). The clip is saved and can be exported or played later.";

fn audio_thread(commands: Receiver<Command>, state: Arc<Mutex<PlaybackState>>, sink: StateSink) {
    // Opened on first use and kept: opening a device is slow.
    let mut output: Option<rodio::MixerDeviceSink> = None;
    let mut player: Option<rodio::Player> = None;
    let publish = |update: &dyn Fn(&mut PlaybackState)| {
        let snapshot = {
            let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
            update(&mut s);
            s.clone()
        };
        sink(snapshot);
    };
    loop {
        let command = match commands.recv_timeout(Duration::from_millis(200)) {
            Ok(c) => Some(c),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        };
        match command {
            Some(Command::Play { path, asset_id, reply }) => {
                if output.is_none() {
                    match rodio::DeviceSinkBuilder::open_default_sink() {
                        Ok(mut opened) => {
                            opened.log_on_drop(false);
                            output = Some(opened);
                        }
                        Err(_) => {
                            let _ = reply.send(Err(Error::NotSupported { message: NO_OUTPUT.into(), request_id: None }));
                            continue;
                        }
                    }
                }
                let decoded = File::open(&path)
                    .map_err(|e| Error::Storage(format!("the clip's file is missing: {e}")))
                    .and_then(|f| {
                        rodio::Decoder::try_from(BufReader::new(f))
                            .map_err(|e| Error::InvalidInput(format!("this audio cannot be played here ({e}); export it to play it elsewhere")))
                    });
                match (decoded, output.as_ref()) {
                    (Ok(source), Some(out)) => {
                        if let Some(old) = player.take() {
                            old.stop();
                        }
                        let duration = source.total_duration().map(|d| d.as_millis() as u64);
                        let new_player = rodio::Player::connect_new(out.mixer());
                        new_player.append(source);
                        player = Some(new_player);
                        publish(&|s| *s = PlaybackState { asset_id: Some(asset_id), playing: true, paused: false, position_ms: 0, duration_ms: duration });
                        let _ = reply.send(Ok(()));
                    }
                    (Err(e), _) => {
                        let _ = reply.send(Err(e));
                    }
                    (Ok(_), None) => {
                        let _ = reply.send(Err(Error::NotSupported { message: NO_OUTPUT.into(), request_id: None }));
                    }
                }
            }
            Some(Command::Pause) => {
                if let Some(p) = &player {
                    p.pause();
                    publish(&|s| s.paused = true);
                }
            }
            Some(Command::Resume) => {
                if let Some(p) = &player {
                    p.play();
                    publish(&|s| s.paused = false);
                }
            }
            Some(Command::Stop) => {
                if let Some(p) = player.take() {
                    p.stop();
                }
                publish(&|s| {
                    s.playing = false;
                    s.paused = false;
                    s.position_ms = 0;
                });
            }
            Some(Command::Seek(position)) => {
                if let Some(p) = &player {
                    let _ = p.try_seek(position);
                    let ms = position.as_millis() as u64;
                    publish(&|s| s.position_ms = ms);
                }
            }
            None => {}
        }
        // While something plays, report where it is; when it ends, say so once.
        if let Some(p) = &player {
            if p.empty() {
                player = None;
                publish(&|s| {
                    s.playing = false;
                    s.paused = false;
                    s.position_ms = s.duration_ms.unwrap_or(s.position_ms);
                });
            } else if !p.is_paused() {
                let ms = p.get_pos().as_millis() as u64;
                publish(&|s| s.position_ms = ms);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_formats_are_recognised_by_their_first_bytes() {
        assert_eq!(sniff_audio(b"RIFF\0\0\0\0WAVEfmt "), Some("audio/wav"));
        assert_eq!(sniff_audio(b"ID3\x04\0\0"), Some("audio/mpeg"));
        assert_eq!(sniff_audio(b"fLaC\0\0"), Some("audio/flac"));
        assert_eq!(sniff_audio(b"OggS\0\0"), Some("audio/ogg"));
        assert_eq!(sniff_audio(b"\0\0\0\x20ftypM4A "), Some("audio/mp4"));
        assert_eq!(sniff_audio(b"hello world"), None);
        assert_eq!(sniff_audio(b"%PDF-1.7"), None);
    }
}
