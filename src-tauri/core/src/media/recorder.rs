//! Recording from the microphone (rodio over cpal) into a 16-bit mono WAV in memory, with a
//! level for a meter. The webview is not used: WebKitGTK's getUserMedia depends on the
//! distribution's GStreamer build and permission handling, while cpal reaches the same
//! devices the player uses.

use std::io::Cursor;
use std::num::NonZero;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use rodio::microphone::MicrophoneBuilder;
use rodio::Source;

use crate::error::{Error, Result};

/// Ten minutes of 16 kHz mono stays well under the platform's 25 MB upload limit.
pub const MAX_RECORDING: Duration = Duration::from_secs(600);

const NO_MICROPHONE: &str = "No microphone is available (no input device or sound server). You can pick an audio file instead.";

/// Loudness of the last ~50 ms, 0..1, and the seconds recorded so far.
pub type LevelSink = Arc<dyn Fn(f32, f64) + Send + Sync>;

struct Running {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Result<Vec<u8>>>,
}

/// One recording at a time.
#[derive(Default)]
pub struct Recorder {
    running: Mutex<Option<Running>>,
}

impl Recorder {
    /// Opens the default input and starts recording; fails clearly without one.
    pub fn start(&self, levels: LevelSink) -> Result<()> {
        let mut running = self.running.lock().unwrap_or_else(|p| p.into_inner());
        if running.is_some() {
            return Err(Error::InvalidInput("A recording is already running.".into()));
        }
        let stop = Arc::new(AtomicBool::new(false));
        let (opened_tx, opened_rx) = std::sync::mpsc::channel();
        let thread_stop = stop.clone();
        // The stream lives on the thread that reads it (cpal streams do not move between threads).
        let thread = std::thread::Builder::new()
            .name("recorder".into())
            .spawn(move || record(thread_stop, levels, opened_tx))
            .map_err(|e| Error::Internal(format!("could not start recording: {e}")))?;
        match opened_rx.recv() {
            Ok(Ok(())) => {
                *running = Some(Running { stop, thread });
                Ok(())
            }
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => Err(thread.join().ok().and_then(Result::err).unwrap_or_else(|| Error::Internal("the recorder stopped".into()))),
        }
    }

    pub fn is_recording(&self) -> bool {
        self.running.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }

    /// Stops and returns the recording as WAV bytes.
    pub fn stop(&self) -> Result<Vec<u8>> {
        let running = self.running.lock().unwrap_or_else(|p| p.into_inner()).take();
        let Some(running) = running else {
            return Err(Error::InvalidInput("Nothing is being recorded.".into()));
        };
        running.stop.store(true, Ordering::SeqCst);
        running.thread.join().map_err(|_| Error::Internal("the recorder stopped unexpectedly".into()))?
    }

    /// Stops and throws the recording away.
    pub fn cancel(&self) {
        let _ = self.stop();
    }
}

fn record(stop: Arc<AtomicBool>, levels: LevelSink, opened: std::sync::mpsc::Sender<Result<()>>) -> Result<Vec<u8>> {
    let no_mic = |_| Error::NotSupported { message: NO_MICROPHONE.into(), request_id: None };
    let mic = MicrophoneBuilder::new()
        .default_device()
        .map_err(no_mic)
        .and_then(|b| b.default_config().map_err(no_mic))
        .map(|b| {
            b.prefer_sample_rates([NonZero::new(16_000).expect("not zero"), NonZero::new(24_000).expect("not zero"), NonZero::new(48_000).expect("not zero")])
                .prefer_channel_counts([NonZero::new(1).expect("not zero"), NonZero::new(2).expect("not zero")])
        })
        .and_then(|b| b.open_stream().map_err(|_| Error::NotSupported { message: NO_MICROPHONE.into(), request_id: None }));
    let mut mic = match mic {
        Ok(mic) => {
            let _ = opened.send(Ok(()));
            mic
        }
        Err(e) => {
            let _ = opened.send(Err(e));
            return Err(Error::Internal("no microphone was opened".into()));
        }
    };
    let channels = mic.channels().get() as usize;
    let rate = mic.sample_rate().get();
    let spec = hound::WavSpec { channels: 1, sample_rate: rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
    let mut buffer = Cursor::new(Vec::new());
    let mut writer = hound::WavWriter::new(&mut buffer, spec).map_err(|e| Error::Internal(format!("cannot encode the recording: {e}")))?;
    let per_level = (rate as usize / 20).max(1);
    let max_frames = MAX_RECORDING.as_secs() as usize * rate as usize;
    let (mut frames, mut sum_squares, mut in_window) = (0usize, 0f32, 0usize);
    let mut frame = Vec::with_capacity(channels);
    while !stop.load(Ordering::SeqCst) && frames < max_frames {
        // Read only what has arrived, so a stop is never stuck behind a silent device.
        let available = mic.size_hint().0;
        if available == 0 {
            std::thread::sleep(Duration::from_millis(10));
            continue;
        }
        for _ in 0..available {
            let Some(sample) = mic.next() else { break };
            frame.push(sample);
            if frame.len() < channels {
                continue;
            }
            let mono = frame.iter().sum::<f32>() / channels as f32;
            frame.clear();
            writer
                .write_sample((mono.clamp(-1.0, 1.0) * i16::MAX as f32) as i16)
                .map_err(|e| Error::Internal(format!("cannot encode the recording: {e}")))?;
            frames += 1;
            sum_squares += mono * mono;
            in_window += 1;
            if in_window == per_level {
                let rms = (sum_squares / in_window as f32).sqrt();
                levels((rms * 4.0).min(1.0), frames as f64 / rate as f64);
                sum_squares = 0.0;
                in_window = 0;
            }
        }
    }
    writer.finalize().map_err(|e| Error::Internal(format!("cannot encode the recording: {e}")))?;
    if frames == 0 {
        return Err(Error::InvalidInput("The recording is empty: no sound reached the microphone.".into()));
    }
    Ok(buffer.into_inner())
}
