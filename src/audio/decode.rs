//! Decoding a span of an audio file with symphonia, to mono f32.
//!
//! The reader seeks (sample-accurately) to a little before the span start and then places
//! every decoded packet by its own timestamp, so a span costs decoding the span plus a
//! second, not the file before it.
//!
//! A damaged file is an error, never silence or shifted audio: a packet inside the span
//! that does not decode, a hole between packets (one the reader skipped), or a stream
//! that ends more than one packet before the length its header declares (a truncated
//! FLAC, MP3 or WAV) fails the span with the time where it happened, and so does a
//! sample that is not a finite number (a float WAV can hold NaN or infinity).
//! A header sample rate of 0 is refused when the file is opened.

use std::fs::File;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use symphonia::core::codecs::audio::AudioDecoderOptions;
use symphonia::core::errors::Error as SymphoniaError;
use symphonia::core::formats::probe::Hint;
use symphonia::core::formats::{FormatOptions, SeekMode, SeekTo, TrackType};
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::units::{Time, TimeBase};

use super::MonoAudio;

/// How far before a span's start decoding begins. A lossy decoder needs the frames before
/// the first one it outputs (MP3's bit reservoir reaches back up to 511 bytes, ten frames
/// at low bitrates; after a bare seek symphonia's MP3 decoder outputs ~0.1 s of silence);
/// the pre-rolled samples are decoded and dropped.
const PRE_ROLL_S: f64 = 1.0;

/// Samples reserved up front for a span at most (about 6 minutes at 48 kHz); longer
/// spans grow as they decode.
const MAX_RESERVED: usize = 1 << 24;

/// Decodes [start_s, end_s) of the file at `path`, downmixed to mono (channel mean).
pub fn decode_span(path: &Path, start_s: f64, end_s: f64) -> Result<MonoAudio> {
    decode(path, start_s, end_s).with_context(|| format!("decoding {} [{start_s} s, {end_s} s)", path.display()))
}

/// The number of frames (samples per channel) and the sample rate of the file at `path`:
/// from its header when it states them, else by decoding it through (memory stays bounded
/// by a packet).
pub fn frame_count(path: &Path) -> Result<(u64, u32)> {
    count_frames(path).with_context(|| format!("reading the length of {}", path.display()))
}

fn count_frames(path: &Path) -> Result<(u64, u32)> {
    let mut opened = open(path)?;
    if let Some(frames) = opened.num_frames {
        return Ok((frames, opened.sample_rate));
    }
    let mut frames = 0u64;
    while let Some(packet) = next_packet(opened.format.as_mut())? {
        if packet.track_id != opened.track_id {
            continue;
        }
        match opened.decoder.decode(&packet) {
            Ok(buffer) => frames += buffer.frames() as u64,
            Err(SymphoniaError::DecodeError(_)) => continue,
            Err(e) => return Err(e).context("decoding a packet"),
        }
    }
    Ok((frames, opened.sample_rate))
}

/// A file's audio track, ready to decode.
struct Opened {
    format: Box<dyn symphonia::core::formats::FormatReader>,
    decoder: Box<dyn symphonia::core::codecs::audio::AudioDecoder>,
    track_id: u32,
    sample_rate: u32,
    time_base: Option<TimeBase>,
    /// The track's playable length, when the container states it.
    num_frames: Option<u64>,
}

fn open(path: &Path) -> Result<Opened> {
    let file = File::open(path).context("opening the file")?;
    let stream = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(extension) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(extension);
    }
    let format = symphonia::default::get_probe()
        .probe(&hint, stream, FormatOptions::default(), MetadataOptions::default())
        .context("not a supported audio format")?;
    let track = format
        .default_track(TrackType::Audio)
        .ok_or_else(|| anyhow!("no audio track"))?;
    let params = track
        .codec_params
        .as_ref()
        .and_then(|p| p.audio())
        .ok_or_else(|| anyhow!("no audio codec"))?;
    let sample_rate = match params.sample_rate {
        None => bail!("the header states no sample rate"),
        Some(0) => bail!("the header states a sample rate of 0"),
        Some(rate) => rate,
    };
    let decoder = symphonia::default::get_codecs()
        .make_audio_decoder(params, &AudioDecoderOptions::default())
        .context("no decoder for the codec")?;
    Ok(Opened {
        track_id: track.id,
        time_base: track.time_base.or_else(|| TimeBase::try_from_recip(sample_rate)),
        num_frames: track.num_frames,
        sample_rate,
        decoder,
        format,
    })
}

fn decode(path: &Path, start_s: f64, end_s: f64) -> Result<MonoAudio> {
    if !(0.0 <= start_s && start_s <= end_s) {
        bail!("the span is not a non-negative interval");
    }
    let Opened {
        mut format,
        mut decoder,
        track_id,
        sample_rate,
        time_base,
        num_frames,
    } = open(path)?;

    let first = (start_s * f64::from(sample_rate)).round() as u64;
    let last = (end_s * f64::from(sample_rate)).round() as u64;
    let seek_s = start_s - PRE_ROLL_S;
    if seek_s > 0.0 {
        let time = Time::try_from_secs_f64(seek_s).ok_or_else(|| anyhow!("start {start_s} s is not a time"))?;
        format
            .seek(
                SeekMode::Accurate,
                SeekTo::Time {
                    time,
                    track_id: Some(track_id),
                },
            )
            .context("seeking")?;
        decoder.reset();
    }

    // Reserve what the span needs, but never more than a header's rate can make us
    // reserve before a single sample is decoded.
    let mut samples = Vec::with_capacity(usize::try_from(last - first).unwrap_or(usize::MAX).min(MAX_RESERVED));
    let mut planes: Vec<Vec<f32>> = Vec::new();
    let mut largest_packet = 0u64;
    let mut next_position: Option<i64> = None;
    while let Some(packet) = next_packet(format.as_mut())? {
        if packet.track_id != track_id {
            continue;
        }
        // Decoders drop the packet's `trim_start` frames (encoder delay, pre-roll), so
        // the first frame they return sits at pts + trim_start.
        let first_ts = packet.pts.get().saturating_add_unsigned(packet.trim_start.get());
        let position = frame_of(first_ts, time_base, sample_rate);
        if position >= last as i64 {
            break;
        }
        let buffer = match decoder.decode(&packet) {
            Ok(buffer) => buffer,
            // A corrupt packet in the pre-roll only costs the decoder's warm-up.
            Err(SymphoniaError::DecodeError(_)) if packet_end(&packet, time_base, sample_rate) <= first as i64 => continue,
            Err(e) => {
                let at = position.max(0) as f64 / f64::from(sample_rate);
                return Err(e).with_context(|| format!("the packet at {at:.3} s does not decode: the file is damaged"));
            }
        };
        // A packet the reader dropped (a damaged FLAC frame is skipped at the next sync
        // code) leaves a hole; appending the next one would shift the rest of the span.
        if let Some(next) = next_position
            && position > next + 1
            && position > first as i64
        {
            let seconds = |frame: i64| frame.max(0) as f64 / f64::from(sample_rate);
            bail!(
                "the audio jumps from {:.3} s to {:.3} s: a damaged stretch of the file was skipped",
                seconds(next),
                seconds(position)
            );
        }
        next_position = Some(position + buffer.frames() as i64);
        largest_packet = largest_packet.max(buffer.frames() as u64);
        buffer.copy_to_vecs_planar(&mut planes);
        // The packet's frames inside [first, last), as the mean of the channels.
        let frames = planes.first().map_or(0, Vec::len) as i64;
        let from = (first as i64 - position).clamp(0, frames) as usize;
        let to = (last as i64 - position).clamp(0, frames) as usize;
        let appended = samples.len();
        downmix_onto(&mut samples, &planes, from..to);
        if let Some(bad) = samples[appended..].iter().position(|s| !s.is_finite()) {
            let at = (first + (appended + bad) as u64) as f64 / f64::from(sample_rate);
            bail!("the sample at {at:.3} s is not a number (NaN or infinite): the file is damaged");
        }
    }
    if let Some(declared) = num_frames {
        let expected = declared.min(last).saturating_sub(first);
        let got = samples.len() as u64;
        if got + largest_packet < expected {
            let seconds = |frames: u64| frames as f64 / f64::from(sample_rate);
            bail!(
                "the audio stops at {:.3} s but the header declares {:.3} s: the file is truncated or damaged",
                seconds(first + got),
                seconds(declared)
            );
        }
    }
    Ok(MonoAudio { sample_rate, samples })
}

/// Appends the mean of the channels' samples in `range` to `mono` (channel by channel, so
/// the additions run over whole slices).
fn downmix_onto(mono: &mut Vec<f32>, planes: &[Vec<f32>], range: std::ops::Range<usize>) {
    let Some((first, rest)) = planes.split_first() else {
        return;
    };
    let start = mono.len();
    mono.extend_from_slice(&first[range.clone()]);
    for plane in rest {
        for (sum, &x) in mono[start..].iter_mut().zip(&plane[range.clone()]) {
            *sum += x;
        }
    }
    if !rest.is_empty() {
        let channels = planes.len() as f32;
        mono[start..].iter_mut().for_each(|sum| *sum /= channels);
    }
}

/// The next packet, or `None` at the end of the stream (which some formats signal with an
/// unexpected-EOF error).
fn next_packet(
    format: &mut dyn symphonia::core::formats::FormatReader,
) -> Result<Option<symphonia::core::packet::Packet>> {
    match format.next_packet() {
        Ok(packet) => Ok(packet),
        Err(SymphoniaError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e).context("reading a packet"),
    }
}

/// The frame index just after `packet`'s last frame.
fn packet_end(packet: &symphonia::core::packet::Packet, time_base: Option<TimeBase>, sample_rate: u32) -> i64 {
    frame_of(packet.pts.saturating_add(packet.dur).get(), time_base, sample_rate)
}

/// A timestamp in the track's time base as a frame index at `sample_rate` (negative
/// before the start of the audio).
fn frame_of(ts: i64, time_base: Option<TimeBase>, sample_rate: u32) -> i64 {
    match time_base {
        Some(tb) => {
            let numerator = i128::from(ts) * i128::from(tb.numer.get()) * i128::from(sample_rate);
            let denominator = i128::from(tb.denom.get());
            // Round to nearest, symmetric around zero.
            ((2 * numerator + numerator.signum() * denominator) / (2 * denominator)) as i64
        }
        None => ts,
    }
}
