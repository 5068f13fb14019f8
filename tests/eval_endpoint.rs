//! The chat-completions client against a scripted HTTP server on 127.0.0.1: the request
//! JSON, plain and streamed replies, retries on 429 and 500, a timeout naming the clip,
//! and the cache that keeps a second run off the server.

mod eval_support;

use std::path::Path;
use std::time::Duration;

use base64::Engine as _;
use eval_support::{Reply, Server, completion, config};
use prep::datasets::Split;
use prep::eval::evaluate::{EvalOptions, Source, run};
use prep::eval::endpoint::{AudioPart, Client, DEFAULT_QUESTION, EndpointConfig};
use prep::eval::{Audio, Clip};
use serde_json::{Value, json};

const AUDIO: &[u8] = b"RIFF\x24\0\0\0WAVEfmt fake audio";

fn clip(dir: &Path) -> Clip {
    let audio = dir.join("c1.wav");
    std::fs::write(&audio, AUDIO).expect("write audio");
    Clip {
        id: "c1".to_string(),
        split: Split::Test,
        abc: "X:1\nK:C\nC|".to_string(),
        audio: Some(Audio::File(audio)),
        question: None,
    }
}

#[test]
fn plain_reply_and_the_request_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(vec![Reply::Json(200, completion("X:1\nK:C\nC|"))]);
    let client = Client::new(config(&server.url)).expect("valid config");
    assert_eq!(client.answer(&clip(dir.path()), 1).expect("answered"), "X:1\nK:C\nC|");
    let bodies = server.finish();
    let data = base64::engine::general_purpose::STANDARD.encode(AUDIO);
    let expected = json!({
        "model": "Qwen/Qwen2-Audio-7B-Instruct",
        "messages": [{"role": "user", "content": [
            {"type": "input_audio", "input_audio": {"data": data, "format": "wav"}},
            {"type": "text", "text": DEFAULT_QUESTION},
        ]}],
        "temperature": 0.7,
        "top_p": 0.9,
        "max_tokens": 2048,
        "seed": 43,
    });
    assert_eq!(bodies, [expected]);
}

#[test]
fn streamed_reply_with_an_audio_url_part() {
    let dir = tempfile::tempdir().expect("temp dir");
    let events = vec![
        json!({"choices": [{"delta": {"role": "assistant"}}]}).to_string(),
        json!({"choices": [{"delta": {"content": "X:1\n"}}]}).to_string(),
        json!({"choices": [{"delta": {"content": "K:C"}}]}).to_string(),
        "[DONE]".to_string(),
    ];
    let server = Server::start(vec![Reply::Events(events)]);
    let cfg = EndpointConfig { audio_part: AudioPart::AudioUrl, stream: true, ..config(&server.url) };
    let client = Client::new(cfg).expect("valid config");
    assert_eq!(client.answer(&clip(dir.path()), 0).expect("answered"), "X:1\nK:C");
    let body = &server.finish()[0];
    let data = base64::engine::general_purpose::STANDARD.encode(AUDIO);
    assert_eq!(
        body["messages"][0]["content"][0],
        json!({"type": "audio_url", "audio_url": {"url": format!("data:audio/wav;base64,{data}")}})
    );
    assert_eq!(body["stream"], json!(true));
    assert_eq!(body["seed"], json!(42));
}

#[test]
fn rate_limit_and_server_error_are_retried() {
    let dir = tempfile::tempdir().expect("temp dir");
    for status in [429, 500] {
        let server = Server::start(vec![
            Reply::Json(status, "{\"error\": \"busy\"}".to_string()),
            Reply::Json(200, completion("ok")),
        ]);
        let client = Client::new(config(&server.url)).expect("valid config");
        assert_eq!(client.answer(&clip(dir.path()), 0).expect("answered on the retry"), "ok");
        let bodies = server.finish();
        assert_eq!(bodies.len(), 2, "HTTP {status}");
        assert_eq!(bodies[0], bodies[1], "the retry resends the same request");
    }
}

#[test]
fn client_errors_are_not_retried() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(vec![Reply::Json(400, "{\"error\": \"unknown model\"}".to_string())]);
    let client = Client::new(config(&server.url)).expect("valid config");
    let err = client.answer(&clip(dir.path()), 0).expect_err("400 is final");
    let url = format!("{}/v1/chat/completions", server.url);
    assert_eq!(err.to_string(), format!("clip c1 run 0: {url} answered HTTP 400: {{\"error\": \"unknown model\"}}"));
    assert_eq!(server.finish().len(), 1);
}

#[test]
fn a_timeout_is_an_error_naming_the_clip() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(vec![Reply::Hang(Duration::from_millis(800))]);
    let cfg = EndpointConfig { timeout: Duration::from_millis(200), ..config(&server.url) };
    let client = Client::new(cfg).expect("valid config");
    let err = client.answer(&clip(dir.path()), 2).expect_err("too slow");
    let url = format!("{}/v1/chat/completions", server.url);
    assert_eq!(err.to_string(), format!("clip c1 run 2: {url}: no complete answer within the timeout of 200ms"));
    assert_eq!(server.finish().len(), 1, "a timeout is not retried");
}

#[test]
fn cached_answers_never_query_again() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start(vec![Reply::Json(200, completion("first")), Reply::Json(200, completion("first"))]);
    let cfg = EndpointConfig { cache: Some(dir.path().join("cache")), ..config(&server.url) };
    let clip = clip(dir.path());
    let jobs = [(&clip, 0), (&clip, 1)];
    let first: Vec<String> = Client::new(cfg.clone())
        .expect("valid config")
        .answer_all(&jobs, &|| {})
        .into_iter()
        .map(|r| r.expect("answered"))
        .collect();
    assert_eq!(first, ["first", "first"]);
    assert_eq!(server.finish().len(), 2);
    // The server is gone: only the cache can answer.
    let again: Vec<String> = Client::new(cfg)
        .expect("valid config")
        .answer_all(&jobs, &|| {})
        .into_iter()
        .map(|r| r.expect("cached"))
        .collect();
    assert_eq!(again, first);
}

const TUNE: &str = "X:1\nM:2/4\nL:1/8\nQ:1/4=100\nK:F\nV:1 name=\"Oboe\"\nFGAB|c4|\n";

/// Options of an evaluation of one clip with audio, two runs, over the endpoint at `url`.
fn eval_options(dir: &Path, url: &str) -> EvalOptions {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("mkdir");
    std::fs::write(data.join("tune.abc"), TUNE).expect("write");
    std::fs::write(data.join("tune.wav"), AUDIO).expect("write");
    let cfg = EndpointConfig { cache: Some(dir.join("cache")), ..config(url) };
    EvalOptions {
        dataset: data,
        split: Split::Test,
        samples: 30,
        runs: 2,
        seed: 0,
        source: Source::Endpoint(cfg),
        out: dir.join("report"),
        reward_config: None,
        worst: 3,
    }
}

#[test]
fn eval_over_an_endpoint_scores_the_answers() {
    let dir = tempfile::tempdir().expect("temp dir");
    let answer = format!("Sure, here it is:\n```abc\n{TUNE}```");
    let server = Server::start(vec![Reply::Json(200, completion(&answer)), Reply::Json(200, completion(&answer))]);
    let options = eval_options(dir.path(), &server.url);
    let summary = run(&options).expect("eval runs");
    assert_eq!((summary.answers, summary.parse_failures, summary.mean_total), (2, 0, 0.0));
    let seeds: Vec<Value> = server.finish().iter().map(|b| b["seed"].clone()).collect();
    assert!(seeds.contains(&json!(0)) && seeds.contains(&json!(1)), "{seeds:?}");
    assert_eq!(run(&options).expect("second run from the cache").mean_total, 0.0);
}

#[test]
fn another_server_is_asked_again_whatever_the_cache_holds() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = Server::start(vec![Reply::Json(200, completion(TUNE)), Reply::Json(200, completion(TUNE))]);
    run(&eval_options(dir.path(), &first.url)).expect("first server answers");
    assert_eq!(first.finish().len(), 2);
    // Same model, same -o and cache, another server: its answers, not the first's.
    let second = Server::start(vec![Reply::Json(200, completion("no ABC")), Reply::Json(200, completion("no ABC"))]);
    let summary = run(&eval_options(dir.path(), &second.url)).expect("second server answers");
    assert_eq!(second.finish().len(), 2, "both requests go to the new server");
    assert_eq!(summary.parse_failures, 2, "the new server's answers are scored");
}

#[test]
fn eval_lists_every_failed_request() {
    let dir = tempfile::tempdir().expect("temp dir");
    let refusal = || Reply::Json(404, "{\"error\": \"no such model\"}".to_string());
    let server = Server::start(vec![refusal(), refusal()]);
    let options = eval_options(dir.path(), &server.url);
    let err = run(&options).expect_err("every request fails");
    let url = format!("{}/v1/chat/completions", server.url);
    let failure = |run| format!("clip tune run {run}: {url} answered HTTP 404: {{\"error\": \"no such model\"}}");
    assert_eq!(
        err.to_string(),
        format!(
            "2 of 2 requests failed; the answers received are cached, a re-run asks only for these:\n  {}\n  {}",
            failure(0),
            failure(1)
        )
    );
    assert_eq!(server.finish().len(), 2);
}
