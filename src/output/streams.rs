//! The two standard streams, written without the panics of `println!` and `eprintln!`.
//!
//! Results go to stdout with write errors returned: a reader that went away
//! (`prep … | head`, EPIPE) is [`OutputClosed`], which the binary answers by exiting
//! quietly with status 0 as ripgrep does; any other failure (ENOSPC on `> /dev/full`) is
//! an error naming stdout.
//!
//! Diagnostics (notes, errors, the summary) go to stderr through [`write_diagnostic`],
//! which drops write errors: stderr is where a failure would be reported, so when it is
//! closed (`2>&-`) or full (`2>/dev/full`) there is nowhere left to say anything, and the
//! exit status still tells the outcome.

use std::io::{self, Write};

/// The reader of an output stream closed it (EPIPE): nothing more can be delivered and
/// nothing went wrong on our side.
#[derive(Debug, thiserror::Error)]
#[error("{0} was closed by its reader")]
pub struct OutputClosed(pub &'static str);

/// Writes `bytes` to stdout and flushes them.
pub fn write_stdout(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .map_err(|err| write_error(err, "stdout"))
}

/// Writes one diagnostic line to stderr; a failed write is dropped (see the module
/// documentation).
pub fn write_diagnostic(line: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{line}").and_then(|()| err.flush());
}

/// A failed write to the stream named `stream`: [`OutputClosed`] for a broken pipe, the
/// I/O error with the stream's name otherwise.
pub fn write_error(err: io::Error, stream: &'static str) -> anyhow::Error {
    if err.kind() == io::ErrorKind::BrokenPipe {
        OutputClosed(stream).into()
    } else {
        anyhow::Error::new(err).context(format!("writing to {stream}"))
    }
}

/// Whether `error` (or its cause) is [`OutputClosed`].
pub fn is_output_closed(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| cause.is::<OutputClosed>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_pipe_is_output_closed_and_other_errors_name_the_stream() {
        let closed = write_error(io::Error::from(io::ErrorKind::BrokenPipe), "stdout");
        assert!(is_output_closed(&closed));
        let full = write_error(io::Error::from_raw_os_error(28), "stdout");
        assert!(!is_output_closed(&full));
        assert!(format!("{full:#}").starts_with("writing to stdout: No space left on device"), "{full:#}");
    }
}
