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

/// The length of an audio file, by decoding its headers (ffprobe for what rodio cannot read).
pub fn duration_of(path: &Path) -> Option<Duration> {
    let from_headers = File::open(path).ok().and_then(|file| rodio::Decoder::try_from(file).ok()).and_then(|d| d.total_duration());
    from_headers.or_else(|| super::video::probe_duration_ms(path).map(|ms| Duration::from_millis(ms as u64)))
}

/// A file the native player can decode: the file itself, or for what the pure-Rust decoders
/// do not read (Opus) a WAV copy made once with ffmpeg into `cache`.
pub fn playable_copy(path: &Path, cache: &Path) -> Result<PathBuf> {
    if File::open(path).ok().is_some_and(|f| rodio::Decoder::try_from(BufReader::new(f)).is_ok()) {
        return Ok(path.to_path_buf());
    }
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("clip");
    let copy = cache.join(format!("{stem}.wav"));
    if copy.exists() {
        return Ok(copy);
    }
    std::fs::create_dir_all(cache).map_err(|e| Error::Storage(format!("cannot create {}: {e}", cache.display())))?;
    let partial = cache.join(format!("{stem}.partial.wav"));
    let converted = std::process::Command::new("ffmpeg")
        .args(["-v", "error", "-nostdin", "-y", "-i"])
        .arg(path)
        .args(["-f", "wav", "-acodec", "pcm_s16le"])
        .arg(&partial)
        .status()
        .is_ok_and(|s| s.success());
    if !converted {
        let _ = std::fs::remove_file(&partial);
        return Err(Error::NotSupported {
            message: "This audio format cannot be played here (install ffmpeg to play Opus); export it to play it elsewhere.".into(),
            request_id: None,
        });
    }
    std::fs::rename(&partial, &copy).map_err(|e| Error::Storage(format!("cannot write {}: {e}", copy.display())))?;
    Ok(copy)
}

type StateSink = Arc<dyn Fn(PlaybackState) + Send + Sync>;

enum Command {
    /// Plays a clip's parts in order from the start.
    Play { clip_id: i64, parts: Vec<PathBuf>, reply: Sender<Result<()>> },
    /// A part of the clip now playing that was synthesized after playback began.
    Append { clip_id: i64, part: PathBuf },
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
        AudioPlayer { commands: Mutex::new(None), state: Arc::new(Mutex::new(PlaybackState::default())), sink }
    }

    pub fn state(&self) -> PlaybackState {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Plays a clip (its parts one after another) from the start; fails clearly when there
    /// is no sound output or a part cannot be decoded.
    pub fn play(&self, clip_id: i64, parts: Vec<PathBuf>) -> Result<()> {
        let (reply, answer) = mpsc::channel();
        self.send(Command::Play { clip_id, parts, reply })?;
        answer.recv().map_err(|_| Error::Internal("the audio player stopped".into()))?
    }

    /// Queues one more part of the clip that is playing (ignored for any other clip).
    pub fn append(&self, clip_id: i64, part: PathBuf) -> Result<()> {
        self.send(Command::Append { clip_id, part })
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
                .spawn(move || PlayerThread { state, sink, output: None, player: None, parts: Vec::new(), playing_from: 0 }.run(rx))
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

type Decoded = rodio::Decoder<BufReader<File>>;

fn decode(path: &Path) -> Result<(Decoded, Option<Duration>)> {
    let file = File::open(path).map_err(|e| Error::Storage(format!("the clip's file is missing: {e}")))?;
    let source = rodio::Decoder::try_from(BufReader::new(file))
        .map_err(|e| Error::InvalidInput(format!("this audio cannot be played here ({e}); export it to play it elsewhere")))?;
    let duration = source.total_duration();
    Ok((source, duration))
}

struct PlayerThread {
    state: Arc<Mutex<PlaybackState>>,
    sink: StateSink,
    /// Opened on first use and kept: opening a device is slow.
    output: Option<rodio::MixerDeviceSink>,
    player: Option<rodio::Player>,
    /// Every part of the current clip with its length.
    parts: Vec<(PathBuf, Option<Duration>)>,
    /// The index of the part the player's queue starts at (after a seek into a later part).
    playing_from: usize,
}

impl PlayerThread {
    fn run(mut self, commands: Receiver<Command>) {
        loop {
            match commands.recv_timeout(Duration::from_millis(200)) {
                Ok(command) => self.handle(command),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
            self.report_position();
        }
    }

    fn publish(&self, update: impl FnOnce(&mut PlaybackState)) {
        let snapshot = {
            let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
            update(&mut s);
            s.clone()
        };
        (self.sink)(snapshot);
    }

    fn clip(&self) -> Option<i64> {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clip_id
    }

    fn total_ms(&self) -> Option<u64> {
        self.parts.iter().map(|(_, d)| d.map(|d| d.as_millis() as u64)).sum()
    }

    /// Where the clip is: the parts already played plus the position in the current one.
    fn position(&self, player: &rodio::Player) -> Duration {
        let queued = player.len();
        let current = self.parts.len().saturating_sub(queued).max(self.playing_from);
        let before: Duration = self.parts[..current.min(self.parts.len())].iter().filter_map(|(_, d)| *d).sum();
        before + player.get_pos()
    }

    fn open_output(&mut self) -> Result<&rodio::MixerDeviceSink> {
        if self.output.is_none() {
            let mut opened = rodio::DeviceSinkBuilder::open_default_sink()
                .map_err(|_| Error::NotSupported { message: NO_OUTPUT.into(), request_id: None })?;
            opened.log_on_drop(false);
            self.output = Some(opened);
        }
        Ok(self.output.as_ref().expect("opened above"))
    }

    /// A fresh player holding parts `from..`, sought to `offset` within the first of them.
    fn start_at(&mut self, from: usize, offset: Duration, paused: bool) -> Result<()> {
        let sources: Vec<Decoded> = self.parts[from..].iter().map(|(p, _)| decode(p).map(|(s, _)| s)).collect::<Result<_>>()?;
        let mixer = self.open_output()?.mixer().clone();
        if let Some(old) = self.player.take() {
            old.stop();
        }
        let player = rodio::Player::connect_new(&mixer);
        if paused {
            player.pause();
        }
        for source in sources {
            player.append(source);
        }
        if !offset.is_zero() {
            let _ = player.try_seek(offset);
        }
        self.playing_from = from;
        self.player = Some(player);
        Ok(())
    }

    fn handle(&mut self, command: Command) {
        match command {
            Command::Play { clip_id, parts, reply } => {
                let decoded: Result<Vec<_>> = parts.iter().map(|p| decode(p).map(|(_, d)| (p.clone(), d))).collect();
                let result = decoded.and_then(|parts| {
                    self.parts = parts;
                    self.start_at(0, Duration::ZERO, false)
                });
                if result.is_ok() {
                    let total = self.total_ms();
                    self.publish(|s| *s = PlaybackState { clip_id: Some(clip_id), playing: true, paused: false, position_ms: 0, duration_ms: total });
                }
                let _ = reply.send(result);
            }
            Command::Append { clip_id, part } => {
                let state = self.state.lock().unwrap_or_else(|p| p.into_inner()).clone();
                // A clip the user stopped, or another clip, is left alone.
                if state.clip_id != Some(clip_id) || !state.playing {
                    return;
                }
                let Ok((source, duration)) = decode(&part) else { return };
                self.parts.push((part, duration));
                match &self.player {
                    Some(player) => player.append(source),
                    // The earlier parts ended before this one was ready: carry on with it.
                    None => {
                        let from = self.parts.len() - 1;
                        let _ = self.start_at(from, Duration::ZERO, state.paused);
                    }
                }
                let total = self.total_ms();
                self.publish(|s| s.duration_ms = total);
            }
            Command::Pause => {
                if let Some(p) = &self.player {
                    p.pause();
                    self.publish(|s| s.paused = true);
                }
            }
            Command::Resume => {
                if let Some(p) = &self.player {
                    p.play();
                    self.publish(|s| s.paused = false);
                }
            }
            Command::Stop => {
                if let Some(p) = self.player.take() {
                    p.stop();
                }
                self.publish(|s| {
                    s.playing = false;
                    s.paused = false;
                    s.position_ms = 0;
                });
            }
            Command::Seek(position) => self.seek(position),
        }
    }

    fn seek(&mut self, position: Duration) {
        if self.clip().is_none() || self.parts.is_empty() {
            return;
        }
        // Find the part the position falls in.
        let mut before = Duration::ZERO;
        let mut index = self.parts.len() - 1;
        for (i, (_, d)) in self.parts.iter().enumerate() {
            let d = d.unwrap_or(Duration::MAX);
            if position < before.saturating_add(d) {
                index = i;
                break;
            }
            if i + 1 < self.parts.len() {
                before += d;
            }
        }
        let offset = position.saturating_sub(before);
        let paused = self.state().paused;
        let same_part = self.player.as_ref().is_some_and(|p| self.parts.len().saturating_sub(p.len()).max(self.playing_from) == index);
        let moved = if same_part {
            self.player.as_ref().is_some_and(|p| p.try_seek(offset).is_ok())
        } else {
            false
        };
        if !moved && self.start_at(index, offset, paused).is_err() {
            return;
        }
        let ms = position.as_millis() as u64;
        self.publish(|s| {
            s.position_ms = ms;
            s.playing = true;
        });
    }

    fn state(&self) -> PlaybackState {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// While something plays, report where it is; when it ends, say so once.
    fn report_position(&mut self) {
        let Some(player) = &self.player else { return };
        if player.empty() {
            self.player = None;
            self.publish(|s| {
                s.playing = false;
                s.paused = false;
                s.position_ms = s.duration_ms.unwrap_or(s.position_ms);
            });
        } else if !player.is_paused() {
            let ms = self.position(player).as_millis() as u64;
            self.publish(|s| s.position_ms = ms);
        }
    }
}

/// Decodes any supported clip(s) and writes them, one after another, as one 16-bit WAV.
pub fn write_wav(parts: &[PathBuf], out: &Path) -> Result<()> {
    let mut writer: Option<hound::WavWriter<std::io::BufWriter<File>>> = None;
    let mut format = None;
    for part in parts {
        let (source, _) = decode(part)?;
        let (channels, rate) = (source.channels().get(), source.sample_rate().get());
        match format {
            None => format = Some((channels, rate)),
            Some(f) if f != (channels, rate) => {
                return Err(Error::InvalidInput("the clip's parts differ in sample rate or channels".into()));
            }
            Some(_) => {}
        }
        if writer.is_none() {
            let spec = hound::WavSpec { channels, sample_rate: rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
            writer = Some(hound::WavWriter::create(out, spec).map_err(|e| Error::Storage(format!("cannot write {}: {e}", out.display())))?);
        }
        let w = writer.as_mut().expect("created above");
        for sample in source {
            let value = (sample.clamp(-1.0, 1.0) * i16::MAX as f32) as i16;
            w.write_sample(value).map_err(|e| Error::Storage(format!("cannot write {}: {e}", out.display())))?;
        }
    }
    if let Some(w) = writer {
        w.finalize().map_err(|e| Error::Storage(format!("cannot write {}: {e}", out.display())))?;
    }
    Ok(())
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

    /// Real files (espeak-ng speech encoded by ffmpeg, see the simulator's fixtures).
    #[test]
    fn real_speech_files_decode_with_their_rate_channels_and_length() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/simulator/fixtures");
        let cache = tempfile::tempdir().unwrap();
        for (name, rate, seconds) in [("speech.wav", 24_000, 2.46), ("speech.mp3", 24_000, 2.52), ("speech.flac", 24_000, 2.46), ("speech.opus", 48_000, 2.47)] {
            let path = fixtures.join(name);
            assert!(sniff_audio(&std::fs::read(&path).unwrap()).is_some(), "{name}");
            let length = duration_of(&path).unwrap_or_else(|| panic!("{name} has a length")).as_secs_f64();
            assert!((length - seconds).abs() < 0.08, "{name}: {length}");
            // Opus is played from a WAV copy; the others as they are.
            let playable = playable_copy(&path, cache.path()).unwrap();
            assert_eq!(playable == path, name != "speech.opus", "{name}");
            let (source, _) = decode(&playable).unwrap();
            assert_eq!((source.sample_rate().get(), source.channels().get()), (rate, 1), "{name}");
            let frames = source.count() as f64 / rate as f64;
            assert!((frames - seconds).abs() < 0.1, "{name}: decoded {frames} s");
        }
    }

    #[test]
    fn parts_are_joined_into_one_wav() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/simulator/fixtures");
        let out = tempfile::tempdir().unwrap();
        let joined = out.path().join("joined.wav");
        write_wav(&[fixtures.join("speech.flac"), fixtures.join("speech.wav")], &joined).unwrap();
        let length = duration_of(&joined).unwrap().as_secs_f64();
        assert!((length - 4.92).abs() < 0.05, "{length}");
        let opus_as_wav = playable_copy(&fixtures.join("speech.opus"), out.path()).unwrap();
        let mismatched = write_wav(&[fixtures.join("speech.wav"), opus_as_wav], &out.path().join("x.wav"));
        assert!(mismatched.is_err(), "48 kHz after 24 kHz is refused, not garbled");
    }
}
