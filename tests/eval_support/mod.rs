//! Shared helpers of the eval tests: a scripted chat-completions server on 127.0.0.1
//! that records the request bodies, and an endpoint configuration for it.
// Each test binary uses a subset of the helpers.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use prep::eval::endpoint::{AudioPart, EndpointConfig, Sampling};
use serde_json::{Value, json};

/// What the server answers to one request.
pub enum Reply {
    Json(u16, String),
    Events(Vec<String>),
    /// Wait this long, then close without answering.
    Hang(Duration),
}

/// A server answering one connection per scripted reply, then closing its socket.
pub struct Server {
    pub url: String,
    bodies: Arc<Mutex<Vec<Value>>>,
    thread: JoinHandle<()>,
}

impl Server {
    pub fn start(replies: Vec<Reply>) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a local port");
        let url = format!("http://{}", listener.local_addr().expect("local address"));
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&bodies);
        let thread = std::thread::spawn(move || {
            for reply in replies {
                let (mut stream, _) = listener.accept().expect("a connection");
                let body = read_request(&mut stream);
                seen.lock().expect("not poisoned").push(serde_json::from_str(&body).expect("the body is JSON"));
                let response = match reply {
                    Reply::Json(status, body) => format!(
                        "HTTP/1.1 {status} Status\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                         Connection: close\r\n\r\n{body}",
                        body.len()
                    ),
                    Reply::Events(events) => {
                        let data: String = events.iter().map(|e| format!("data: {e}\n\n")).collect();
                        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n";
                        format!("{head}{data}")
                    }
                    Reply::Hang(duration) => {
                        std::thread::sleep(duration);
                        continue;
                    }
                };
                let _ = stream.write_all(response.as_bytes());
            }
        });
        Server { url, bodies, thread }
    }

    /// The request bodies seen, once every scripted reply was given.
    pub fn finish(self) -> Vec<Value> {
        self.thread.join().expect("server thread");
        Arc::try_unwrap(self.bodies).expect("thread done").into_inner().expect("not poisoned")
    }
}

/// Reads headers and a Content-Length body; returns the body.
fn read_request(stream: &mut std::net::TcpStream) -> String {
    let mut reader = BufReader::new(stream);
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("read a header line");
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().expect("a length");
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("read the body");
    String::from_utf8(body).expect("utf-8 body")
}

pub fn completion(text: &str) -> String {
    json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": text}}]}).to_string()
}

/// A configuration for the server at `url`: two requests at a time, three quick retries.
pub fn config(url: &str) -> EndpointConfig {
    EndpointConfig {
        url: url.to_string(),
        model: "Qwen/Qwen2-Audio-7B-Instruct".to_string(),
        sampling: Sampling { temperature: 0.7, top_p: 0.9, max_tokens: 2048 },
        seed: 42,
        audio_part: AudioPart::InputAudio,
        stream: false,
        concurrency: 2,
        max_retries: 3,
        backoff: Duration::from_millis(10),
        timeout: Duration::from_secs(5),
        api_key: None,
        cache: None,
    }
}
