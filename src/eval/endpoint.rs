//! A client for an OpenAI-compatible chat-completions server, as vLLM serves
//! Qwen2-Audio: one request per clip and run, the audio inline, answers cached on disk.
//!
//! The request: one user message whose content is the audio part then the question;
//! `model`, `temperature`, `top_p`, `max_tokens` and a per-run `seed` (the user's seed
//! plus the run). The audio goes either as an `input_audio` part (`{"data": base64,
//! "format": "wav"}`, OpenAI's form, which vLLM accepts) or as an `audio_url` part with
//! a `data:audio/...;base64,` URL (vLLM's own form): [`AudioPart`].
//!
//! Reliability: requests run on `concurrency` threads; 429, 5xx and connection errors
//! are retried with exponential backoff; a request slower than `timeout` fails (and is
//! not retried: a server that slow would only be loaded more). Every answer is kept in the
//! resume store (`crate::store`) in the `cache` folder before it is returned, keyed by
//! the server's URL and the whole request body (model, question, sampling settings, seed
//! and the audio's bytes), so a re-run (after a crash, or to rescore with another reward
//! config) never queries the same server again for the same request, and another server
//! or setting is always asked. Replies may be plain JSON or server-sent events (`stream`).

use std::io::{self, BufRead, BufReader};
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use crate::eval::{Audio, Clip};
use crate::store::{KeyHasher, Store};

/// The question asked when a clip brings none.
pub const DEFAULT_QUESTION: &str = "Transcribe this music into ABC notation. Start with a header: \
X: (reference number), M: (metre, e.g. M:4/4), L: (unit note length, e.g. L:1/16), Q: (tempo, e.g. Q:1/4=96) \
and K: (key, e.g. K:D). Then write one voice per instrument, each introduced by V:n name=\"Instrument\", \
where the instrument name is one of the 128 General MIDI instrument names (e.g. Violin, Acoustic Grand Piano).";

/// How the audio is put into the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AudioPart {
    /// `{"type": "input_audio", "input_audio": {"data": base64, "format": "wav"}}`.
    #[default]
    InputAudio,
    /// `{"type": "audio_url", "audio_url": {"url": "data:audio/wav;base64,..."}}`.
    AudioUrl,
}

impl FromStr for AudioPart {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "input-audio" => Ok(AudioPart::InputAudio),
            "audio-url" => Ok(AudioPart::AudioUrl),
            _ => Err(format!("expected input-audio or audio-url, got {text:?}")),
        }
    }
}

/// Sampling parameters sent with every request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampling {
    pub temperature: f64,
    /// Nucleus sampling mass, in (0, 1].
    pub top_p: f64,
    pub max_tokens: u32,
}

impl Default for Sampling {
    /// The reference recipe's settings, top_p aside (it quoted 1.2, not a probability).
    fn default() -> Self {
        Sampling { temperature: 0.7, top_p: 1.0, max_tokens: 2048 }
    }
}

impl Sampling {
    /// Refuses values a server would reject or silently misread.
    pub fn validate(&self) -> Result<()> {
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            bail!(
                "top_p must be in (0, 1] (it is the probability mass of the tokens sampled from), got {}",
                self.top_p
            );
        }
        if !(self.temperature >= 0.0 && self.temperature.is_finite()) {
            bail!("temperature must be a finite number >= 0, got {}", self.temperature);
        }
        if self.max_tokens == 0 {
            bail!("max_tokens must be at least 1");
        }
        Ok(())
    }
}

/// Everything the client needs.
#[derive(Debug, Clone, PartialEq)]
pub struct EndpointConfig {
    /// The server: a base URL (`http://host:8000`, `.../v1`) or the full
    /// `.../chat/completions` URL.
    pub url: String,
    pub model: String,
    pub sampling: Sampling,
    /// Run r is sent with seed `seed + r` (`prep eval` sets it to its `--seed`).
    pub seed: u64,
    pub audio_part: AudioPart,
    /// Ask for a streamed (server-sent events) reply.
    pub stream: bool,
    /// Requests in flight at once (at least 1).
    pub concurrency: usize,
    /// Retries after the first attempt, for 429, 5xx and connection errors.
    pub max_retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: Duration,
    /// Longest a request may take, reply included.
    pub timeout: Duration,
    /// Sent as `Authorization: Bearer ...` when set (vLLM's `--api-key`).
    pub api_key: Option<String>,
    /// Folder of cached answers; `None` disables the cache.
    pub cache: Option<PathBuf>,
}

/// The chat-completions URL for a base URL or a full one.
pub fn completions_url(url: &str) -> String {
    let url = url.trim_end_matches('/');
    if url.ends_with("/chat/completions") {
        url.to_string()
    } else if url.ends_with("/v1") {
        format!("{url}/chat/completions")
    } else {
        format!("{url}/v1/chat/completions")
    }
}

/// The JSON body of the request for `clip` and `run`: reads (when a file) and encodes the audio.
pub fn request_body(cfg: &EndpointConfig, clip: &Clip, run: u32) -> Result<String> {
    let audio = clip.audio.as_ref().ok_or_else(|| anyhow!("clip {} has no audio to send", clip.id))?;
    let part = audio_part(cfg.audio_part, audio)?;
    let question = clip.question.as_deref().unwrap_or(DEFAULT_QUESTION);
    let mut body = json!({
        "model": cfg.model,
        "messages": [{"role": "user", "content": [part, {"type": "text", "text": question}]}],
        "temperature": cfg.sampling.temperature,
        "top_p": cfg.sampling.top_p,
        "max_tokens": cfg.sampling.max_tokens,
        "seed": cfg.seed.wrapping_add(u64::from(run)),
    });
    if cfg.stream {
        body["stream"] = Value::Bool(true);
    }
    Ok(body.to_string())
}

fn audio_part(kind: AudioPart, audio: &Audio) -> Result<Value> {
    let (bytes, format) = audio.read()?;
    let data = BASE64.encode(bytes);
    Ok(match kind {
        AudioPart::InputAudio => json!({"type": "input_audio", "input_audio": {"data": data, "format": format}}),
        AudioPart::AudioUrl => {
            let mime = if format == "mp3" { "mpeg" } else { format.as_str() };
            json!({"type": "audio_url", "audio_url": {"url": format!("data:audio/{mime};base64,{data}")}})
        }
    })
}

/// Why one attempt failed, and whether trying again may help.
enum Failure {
    Retryable(String),
    Fatal(String),
}

/// A connection to one server.
pub struct Client {
    cfg: EndpointConfig,
    url: String,
    agent: ureq::Agent,
    cache: Option<Store>,
}

impl Client {
    pub fn new(cfg: EndpointConfig) -> Result<Self> {
        cfg.sampling.validate()?;
        if cfg.concurrency == 0 {
            bail!("concurrency must be at least 1");
        }
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(cfg.timeout))
            .http_status_as_error(false)
            .build()
            .new_agent();
        let cache = cfg.cache.as_deref().map(Store::open).transpose()?;
        Ok(Client { url: completions_url(&cfg.url), cfg, agent, cache })
    }

    /// Notes about damaged cache entries (asked again), emptied.
    pub fn take_notes(&self) -> Vec<String> {
        self.cache.as_ref().map(Store::take_notes).unwrap_or_default()
    }

    /// The model's answer for `clip` at `run`: from the cache, else from the server
    /// (then cached). Errors name the clip and the run.
    pub fn answer(&self, clip: &Clip, run: u32) -> Result<String> {
        let context = || format!("clip {} run {run}", clip.id);
        let body = request_body(&self.cfg, clip, run).with_context(context)?;
        let key = KeyHasher::received("answer").text(&self.url).text(&body).key();
        let label = format!("{}-{run}", clip.id);
        if let Some(cache) = &self.cache
            && let Some(bytes) = cache.get(&key, &label).with_context(context)?
        {
            match String::from_utf8(bytes) {
                Ok(text) => return Ok(text),
                Err(_) => cache.note(format!("{}: the cached answer is not UTF-8; asked again", context())),
            }
        }
        let text = self.post_with_retries(&body).map_err(|message| anyhow!("{}: {message}", context()))?;
        if let Some(cache) = &self.cache {
            cache.put(&key, &label, text.as_bytes()).with_context(context)?;
        }
        Ok(text)
    }

    /// Answers every (clip, run), `concurrency` at a time, in the order given; calls
    /// `done` after each. One failure does not stop the others.
    pub fn answer_all(&self, jobs: &[(&Clip, u32)], done: &(dyn Fn() + Sync)) -> Vec<Result<String>> {
        let next = AtomicUsize::new(0);
        let workers = self.cfg.concurrency.min(jobs.len());
        let mut results: Vec<(usize, Result<String>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..workers)
                .map(|_| {
                    scope.spawn(|| {
                        let mut mine = Vec::new();
                        loop {
                            let index = next.fetch_add(1, Ordering::Relaxed);
                            let Some((clip, run)) = jobs.get(index) else { break };
                            mine.push((index, self.answer(clip, *run)));
                            done();
                        }
                        mine
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
                .collect()
        });
        results.sort_by_key(|(index, _)| *index);
        results.into_iter().map(|(_, result)| result).collect()
    }

    fn post_with_retries(&self, body: &str) -> Result<String, String> {
        let mut attempt = 0;
        loop {
            match self.post_once(body) {
                Ok(text) => return Ok(text),
                Err(Failure::Retryable(_)) if attempt < self.cfg.max_retries => {
                    std::thread::sleep(self.cfg.backoff.saturating_mul(1 << attempt.min(16)));
                    attempt += 1;
                }
                Err(Failure::Retryable(message)) => {
                    return Err(format!("{message} (gave up after {} retries)", self.cfg.max_retries));
                }
                Err(Failure::Fatal(message)) => return Err(message),
            }
        }
    }

    fn post_once(&self, body: &str) -> Result<String, Failure> {
        let mut request = self.agent.post(&self.url).header("Content-Type", "application/json");
        if let Some(key) = &self.cfg.api_key {
            request = request.header("Authorization", format!("Bearer {key}"));
        }
        let response = request.send(body).map_err(|e| self.classify(&e))?;
        let status = response.status().as_u16();
        let event_stream = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let mut reader = BufReader::new(response.into_body().into_reader());
        if !(200..300).contains(&status) {
            // The body only adds detail to the message: a failure to read it loses nothing.
            let mut text = String::new();
            let _ = io::Read::read_to_string(&mut reader, &mut text);
            let message = format!("{} answered HTTP {status}: {}", self.url, excerpt(&text));
            return Err(if status == 429 || status >= 500 {
                Failure::Retryable(message)
            } else {
                Failure::Fatal(message)
            });
        }
        let read = if event_stream { read_events(&mut reader) } else { read_json(&mut reader) };
        read.map_err(|e| match e.downcast::<io::Error>() {
            Ok(io) => self.classify_io(&io),
            Err(other) => Failure::Fatal(format!("{}: {other:#}", self.url)),
        })
    }

    fn classify(&self, err: &ureq::Error) -> Failure {
        match err {
            ureq::Error::Timeout(_) => self.timed_out(),
            ureq::Error::Io(io) => self.classify_io(io),
            ureq::Error::ConnectionFailed => Failure::Retryable(format!("{}: connection failed", self.url)),
            other => Failure::Fatal(format!("{}: {other}", self.url)),
        }
    }

    fn classify_io(&self, err: &io::Error) -> Failure {
        let wrapped = err.get_ref().and_then(|e| e.downcast_ref::<ureq::Error>());
        if err.kind() == io::ErrorKind::TimedOut || matches!(wrapped, Some(ureq::Error::Timeout(_))) {
            self.timed_out()
        } else {
            Failure::Retryable(format!("{}: {err}", self.url))
        }
    }

    fn timed_out(&self) -> Failure {
        Failure::Fatal(format!("{}: no complete answer within the timeout of {:?}", self.url, self.cfg.timeout))
    }
}

/// The first 200 characters of an error body.
fn excerpt(text: &str) -> String {
    let cut: String = text.chars().take(200).collect();
    if cut.len() < text.len() { format!("{cut}...") } else { cut }
}

/// `choices[0].message.content` of a plain JSON reply.
fn read_json(reader: &mut impl BufRead) -> Result<String> {
    let mut text = String::new();
    reader.read_to_string(&mut text)?;
    let reply: Value = serde_json::from_str(&text).with_context(|| format!("reply is not JSON: {}", excerpt(&text)))?;
    reply["choices"][0]["message"]["content"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("reply has no choices[0].message.content: {}", excerpt(&text)))
}

/// The concatenated `choices[0].delta.content` of server-sent events, up to `[DONE]`.
fn read_events(reader: &mut impl BufRead) -> Result<String> {
    let mut text = String::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            return Ok(text);
        }
        let Some(data) = line.trim_end().strip_prefix("data:") else { continue };
        let data = data.trim_start();
        if data == "[DONE]" {
            return Ok(text);
        }
        let event: Value =
            serde_json::from_str(data).with_context(|| format!("event is not JSON: {}", excerpt(data)))?;
        if let Some(piece) = event["choices"][0]["delta"]["content"].as_str() {
            text.push_str(piece);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions_url_accepts_base_and_full_urls() {
        assert_eq!(completions_url("http://h:8000"), "http://h:8000/v1/chat/completions");
        assert_eq!(completions_url("http://h:8000/v1/"), "http://h:8000/v1/chat/completions");
        assert_eq!(completions_url("http://h/x/chat/completions"), "http://h/x/chat/completions");
    }

    #[test]
    fn top_p_outside_the_unit_interval_is_refused_by_name() {
        let sampling = Sampling { top_p: 1.2, ..Sampling::default() };
        let err = sampling.validate().expect_err("1.2 is not a probability");
        assert!(err.to_string().starts_with("top_p must be in (0, 1]"), "{err}");
        assert!(Sampling { top_p: 0.0, ..Sampling::default() }.validate().is_err());
        assert!(Sampling::default().validate().is_ok());
    }

    #[test]
    fn events_are_joined_until_done() {
        let stream = "data: {\"choices\":[{\"delta\":{\"role\":\"assistant\"}}]}\n\n: keep-alive\n\
                      data: {\"choices\":[{\"delta\":{\"content\":\"X:\"}}]}\n\n\
                      data:{\"choices\":[{\"delta\":{\"content\":\"1\"}}]}\n\n\
                      data: [DONE]\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"ignored\"}}]}\n";
        assert_eq!(read_events(&mut stream.as_bytes()).expect("valid stream"), "X:1");
    }

    #[test]
    fn json_reply_without_content_is_an_error() {
        let err = read_json(&mut "{\"choices\": []}".as_bytes()).expect_err("no content");
        assert_eq!(err.to_string(), "reply has no choices[0].message.content: {\"choices\": []}");
    }
}
