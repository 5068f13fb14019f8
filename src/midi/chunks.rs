//! The container layer of a Standard MIDI File: the `MThd` header and the `MTrk` chunks.
//!
//! midly is lenient here by design: a chunk whose length field runs past the end of the
//! file is silently cut short, which would let a truncated download pass for a complete
//! piece. This module frames the chunks itself, checking every length against the bytes
//! actually present (so a bogus 2 GB length costs nothing), and leaves the events inside
//! each track to midly.
//!
//! Two framing quirks of real files are tolerated, as mido and pretty_midi tolerate them,
//! without letting a truncated file through:
//! - a last track whose length field overruns the end of the file by at most
//!   `MAX_OVERRUN` bytes: its bytes are kept with the overrun noted (`TrackChunk::overrun`),
//!   and the reader accepts the track only when its events end with an end-of-track event,
//!   i.e. only the length field was wrong (writers that count the chunk header or a
//!   padding into it);
//! - `MTrk` chunks after the number the header declares: read as further tracks when they
//!   are complete (a writer that counted wrong); anything else after the declared tracks
//!   is ignored.

/// How ticks relate to time, from the header's division field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Division {
    /// Ticks per quarter note (1..=32767).
    Metrical(u16),
    /// SMPTE timecode: `frames_per_second` is 24, 25, 29 (meaning 29.97) or 30, each frame
    /// split into `subframes` (> 0) ticks.
    Timecode { frames_per_second: u8, subframes: u8 },
}

/// The framed content of a MIDI file: the division, the raw bytes of each track, and
/// whether the tracks play one after another (format 2) instead of together (formats 0
/// and 1).
#[derive(Debug)]
pub(super) struct Container<'a> {
    pub division: Division,
    pub tracks: Vec<TrackChunk<'a>>,
    /// Format 2: each track is a pattern of its own, played after the one before it.
    pub sequential: bool,
}

/// Bytes by which a last track's length field may overrun the file (see the module doc):
/// the 8 of a chunk header, the largest miscount seen in writers.
const MAX_OVERRUN: usize = 8;

/// The bytes of one `MTrk` chunk.
#[derive(Debug)]
pub(super) struct TrackChunk<'a> {
    pub bytes: &'a [u8],
    /// For a chunk whose length field runs past the end of the file (`bytes` then holds
    /// what is there): the error to report unless those bytes hold the whole track.
    pub overrun: Option<String>,
}

/// Splits a file into header and tracks. Unknown chunk types are skipped (as the standard
/// asks); complete `MTrk` chunks after the declared tracks are read too, other bytes after
/// them are ignored. Errors name the problem and, where it helps, the byte offset.
pub(super) fn split(bytes: &[u8]) -> Result<Container<'_>, String> {
    if !bytes.starts_with(b"MThd") {
        let start = &bytes[..bytes.len().min(4)];
        return Err(format!("expected the 'MThd' magic, found {}", printable(start)));
    }
    let mut rest = bytes;
    let (_, header) = next_chunk(bytes, &mut rest).map_err(|overrun| overrun.reason)?;
    let [f0, f1, n0, n1, d0, d1, ..] = *header else {
        return Err(format!("header chunk has {} bytes, expected at least 6", header.len()));
    };
    let format = u16::from_be_bytes([f0, f1]);
    let declared_tracks = u16::from_be_bytes([n0, n1]);
    if format > 2 {
        return Err(format!("unknown format {format}"));
    }
    if declared_tracks == 0 {
        return Err("header declares zero tracks".to_string());
    }
    let division = division(d0, d1)?;
    let mut tracks = Vec::with_capacity(usize::from(declared_tracks).min(rest.len() / 8));
    while tracks.len() < usize::from(declared_tracks) {
        if rest.is_empty() {
            return Err(format!(
                "header declares {declared_tracks} tracks but the file ends after {} (truncated file?)",
                tracks.len()
            ));
        }
        match next_chunk(bytes, &mut rest) {
            Ok((id, data)) if id == *b"MTrk" => tracks.push(TrackChunk { bytes: data, overrun: None }),
            Ok(_) => {}
            Err(Overrun { id, body, missing, reason }) if id == *b"MTrk" && missing <= MAX_OVERRUN => {
                tracks.push(TrackChunk { bytes: body, overrun: Some(reason) });
                rest = &[];
            }
            Err(overrun) => return Err(overrun.reason),
        }
    }
    while let Ok((id, data)) = next_chunk(bytes, &mut rest) {
        if id == *b"MTrk" {
            tracks.push(TrackChunk { bytes: data, overrun: None });
        }
    }
    Ok(Container { division, tracks, sequential: format == 2 })
}

/// A chunk whose declared length runs past the end of the file (or whose 8-byte header
/// is cut short: then `id` is blank and `body` empty).
struct Overrun<'a> {
    id: [u8; 4],
    body: &'a [u8],
    /// How many bytes the declared length wants beyond the end of the file.
    missing: usize,
    reason: String,
}

/// Reads the chunk at the front of `rest` (a suffix of `file`) and advances past it.
fn next_chunk<'a>(file: &[u8], rest: &mut &'a [u8]) -> Result<([u8; 4], &'a [u8]), Overrun<'a>> {
    let offset = file.len() - rest.len();
    let Some((&[i0, i1, i2, i3, l0, l1, l2, l3], body)) = rest.split_first_chunk::<8>() else {
        let reason = format!("chunk header at byte {offset} is cut short (truncated file?)");
        return Err(Overrun { id: [0; 4], body: &[], missing: 8 - rest.len(), reason });
    };
    let id = [i0, i1, i2, i3];
    let declared = u32::from_be_bytes([l0, l1, l2, l3]);
    let Some(data) = usize::try_from(declared).ok().and_then(|len| body.get(..len)) else {
        let reason = format!(
            "chunk {} at byte {offset} declares {declared} bytes but only {} remain (truncated file?)",
            printable(&id),
            body.len()
        );
        let missing = usize::try_from(declared).map_or(usize::MAX, |len| len - body.len());
        return Err(Overrun { id, body, missing, reason });
    };
    *rest = &body[data.len()..];
    Ok((id, data))
}

/// Decodes the division field (two bytes, big endian).
fn division(high: u8, low: u8) -> Result<Division, String> {
    if high & 0x80 == 0 {
        let ticks = u16::from_be_bytes([high, low]);
        if ticks == 0 {
            return Err("division of 0 ticks per quarter note".to_string());
        }
        return Ok(Division::Metrical(ticks));
    }
    // The high byte is the negated frame rate in two's complement.
    let frames_per_second = (high as i8).unsigned_abs();
    if ![24, 25, 29, 30].contains(&frames_per_second) {
        return Err(format!("SMPTE division with an unknown frame rate of {frames_per_second} fps"));
    }
    if low == 0 {
        return Err("SMPTE division with 0 ticks per frame".to_string());
    }
    Ok(Division::Timecode { frames_per_second, subframes: low })
}

/// A chunk id or magic for an error message: the text when printable, else the bytes.
fn printable(id: &[u8]) -> String {
    if !id.is_empty() && id.iter().all(|b| b.is_ascii_graphic()) {
        format!("'{}'", String::from_utf8_lossy(id))
    } else {
        format!("{id:02x?}")
    }
}
