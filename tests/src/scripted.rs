//! A loopback HTTP server that answers every request with a scripted behaviour: canned bytes, a
//! truncated body, silence. Used to prove that bad server answers give typed errors.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

#[derive(Clone)]
pub enum Behaviour {
    /// Send these bytes (a whole HTTP response, possibly malformed) and close.
    Raw(Vec<u8>),
    /// Read the request and then say nothing until the client gives up.
    Silent,
}

impl Behaviour {
    /// A complete response with this status, headers and body.
    pub fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Self {
        let mut out = format!("HTTP/1.1 {status}\r\nConnection: close\r\n");
        for (k, v) in headers {
            out.push_str(&format!("{k}: {v}\r\n"));
        }
        out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        let mut bytes = out.into_bytes();
        bytes.extend_from_slice(body);
        Behaviour::Raw(bytes)
    }

    /// A JSON 200 whose `Content-Length` promises more than is sent before the connection closes.
    pub fn truncated_json(body: &[u8]) -> Self {
        let cut = &body[..body.len() / 2];
        let mut bytes = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        bytes.extend_from_slice(cut);
        Behaviour::Raw(bytes)
    }
}

pub struct ScriptedServer {
    url: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl ScriptedServer {
    pub fn start(behaviour: Behaviour) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let url = format!("http://{}/", listener.local_addr().expect("addr"));
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut open: Vec<TcpStream> = Vec::new();
            while !stopping.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        read_request(&mut stream);
                        match &behaviour {
                            Behaviour::Raw(bytes) => {
                                let _ = stream.write_all(bytes);
                                let _ = stream.flush();
                            }
                            // Keep the socket open (unanswered) until the server stops.
                            Behaviour::Silent => open.push(stream),
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        ScriptedServer { url, stop, thread: Some(thread) }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Read until the end of the request head (requests here have no body).
fn read_request(stream: &mut TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
}
