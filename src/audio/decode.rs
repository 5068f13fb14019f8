//! Decoding a span of an audio file with symphonia, to mono f32.
//!
//! The reader seeks (sample-accurately) to the span start and then places every decoded
//! packet by its own timestamp, so a span costs decoding the span, not the file before it.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, SeekMode, SeekTo, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::units::{Time, TimeBase, Timestamp};

use super::MonoAudio;

/// Decodes [start_s, end_s) of the file at `path`, downmixed to mono (channel mean).
pub fn decode_span(path: &Path, start_s: f64, end_s: f64) -> Result<MonoAudio> {
    decode(path, start_s, end_s).with_context(|| format!("decoding {} [{start_s} s, {end_s} s)", path.display()))
}

fn decode(path: &Path, start_s: f64, end_s: f64) -> Result<MonoAudio> {
    if !(0.0 <= start_s && start_s <= end_s) {
        bail!("the span is not a non-negative interval");
    }
    let file = File::open(path).context("opening the file")?;
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(extension) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(extension);
    }
    let mut format = symphonia::default::get_probe()
        .probe(&hint, stream, FormatOptions::default(), MetadataOptions::default())
        .context("not a supported audio format")?;
    let track = format.default_track(TrackType::Audio).ok_or_else(|| anyhow!("no audio track"))?;
    let track_id = track.id;
    let params = track.codec_params.as_ref().and_then(|p| p.audio()).ok_or_else(|| anyhow!("no audio codec"))?;
    let sample_rate = params.sample_rate.ok_or_else(|| anyhow!("no sample rate"))?;
    let time_base = track.time_base.or_else(|| TimeBase::try_from_recip(sample_rate));
    let mut decoder = symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
        .context("no decoder for the codec")?;

    let first = (start_s * f64::from(sample_rate)).round() as u64;
    let last = (end_s * f64::from(sample_rate)).round() as u64;
    if first > 0 {
        let time = Time::try_from_secs_f64(start_s).ok_or_else(|| anyhow!("start {start_s} s is not a time"))?;
        format.seek(SeekMode::Accurate, SeekTo::Time { time, track_id: Some(track_id) }).context("seeking")?;
        decoder.reset();
    }

    let mut samples = Vec::with_capacity((last - first) as usize);
    let mut interleaved: Vec<f32> = Vec::new();
    while let Some(packet) = next_packet(format.as_mut())? {
        if packet.track_id != track_id {
            continue;
        }
        let position = frame_of(packet.pts, time_base, sample_rate);
        if position >= last {
            break;
        }
        let buffer = match decoder.decode(&packet) {
            Ok(buffer) => buffer,
            // A corrupt packet: skip it, the next one is placed by its own timestamp.
            Err(SymphoniaError::DecodeError(_)) => continue,
            Err(e) => return Err(e).context("decoding a packet"),
        };
        let channels = buffer.spec().channels().count().max(1);
        buffer.copy_to_vec_interleaved(&mut interleaved);
        for (offset, frame) in interleaved.chunks(channels).enumerate() {
            let index = position + offset as u64;
            if (first..last).contains(&index) {
                samples.push(frame.iter().sum::<f32>() / channels as f32);
            }
        }
    }
    Ok(MonoAudio { sample_rate, samples })
}

/// The next packet, or `None` at the end of the stream (which some formats signal with an
/// unexpected-EOF error).
fn next_packet(format: &mut dyn symphonia::core::formats::FormatReader) -> Result<Option<symphonia::core::packet::Packet>> {
    match format.next_packet() {
        Ok(packet) => Ok(packet),
        Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e).context("reading a packet"),
    }
}

/// A timestamp in the track's time base as a frame index at `sample_rate`.
fn frame_of(ts: Timestamp, time_base: Option<TimeBase>, sample_rate: u32) -> u64 {
    match time_base.and_then(|tb| tb.calc_time(ts)) {
        Some(time) => (time.as_secs_f64() * f64::from(sample_rate)).round().max(0.0) as u64,
        None => ts.get().max(0) as u64,
    }
}
