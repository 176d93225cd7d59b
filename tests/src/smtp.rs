//! A real SMTP server on loopback for tests: it speaks enough of RFC 5321 for a client to deliver,
//! records what it received, and can be stopped and started again on the same port to play an
//! outage.

use std::sync::{Arc, Mutex};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
    task::JoinHandle,
};

/// One delivered message.
#[derive(Debug, Clone)]
pub struct Received {
    pub from: String,
    pub to: Vec<String>,
    pub raw: Vec<u8>,
}

impl Received {
    /// A message as written to a file, without its envelope.
    pub fn from_raw(raw: Vec<u8>) -> Self {
        Self {
            from: String::new(),
            to: Vec::new(),
            raw,
        }
    }

    /// The decoded subject.
    pub fn subject(&self) -> String {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .and_then(|m| m.subject().map(str::to_owned))
            .unwrap_or_default()
    }

    /// The decoded plain-text body.
    pub fn text(&self) -> String {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .and_then(|m| m.body_text(0).map(|t| t.into_owned()))
            .unwrap_or_default()
    }

    /// The decoded HTML body.
    pub fn html(&self) -> String {
        mail_parser::MessageParser::default()
            .parse(&self.raw)
            .and_then(|m| m.body_html(0).map(|t| t.into_owned()))
            .unwrap_or_default()
    }
}

/// The server; dropping or stopping it closes the port.
pub struct SmtpServer {
    pub port: u16,
    inbox: Arc<Mutex<Vec<Received>>>,
    task: JoinHandle<()>,
}

impl SmtpServer {
    /// Listens on a free loopback port.
    pub async fn start() -> Self {
        Self::start_on(0, Arc::new(Mutex::new(Vec::new()))).await
    }

    async fn start_on(port: u16, inbox: Arc<Mutex<Vec<Received>>>) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("SMTP port");
        let port = listener.local_addr().expect("address").port();
        let shared = inbox.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(session(socket, shared.clone()));
            }
        });
        Self { port, inbox, task }
    }

    /// Closes the port (clients get "connection refused").
    pub fn stop(self) -> (u16, Arc<Mutex<Vec<Received>>>) {
        self.task.abort();
        (self.port, self.inbox.clone())
    }

    /// Opens the same port again, keeping what was received.
    pub async fn restart(port: u16, inbox: Arc<Mutex<Vec<Received>>>) -> Self {
        for _ in 0..50 {
            if let Ok(listener) = std::net::TcpListener::bind(("127.0.0.1", port)) {
                drop(listener);
                return Self::start_on(port, inbox).await;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("port {port} did not free up");
    }

    /// Everything received so far.
    pub fn received(&self) -> Vec<Received> {
        self.inbox.lock().expect("inbox").clone()
    }

    /// Everything received so far, which must be at least `n` messages: checked now, without
    /// waiting (deliver first, with `TestApp::deliver_mail`).
    pub fn received_at_least(&self, n: usize) -> Vec<Received> {
        let got = self.received();
        assert!(got.len() >= n, "expected {n} messages, got {}", got.len());
        got
    }

    /// Waits (up to 15 s) until `n` messages have arrived (sent by the server's own sender).
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..300 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("expected {n} messages, got {}", self.received().len());
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn session(socket: tokio::net::TcpStream, inbox: Arc<Mutex<Vec<Received>>>) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read);
    let _ = write.write_all(b"220 localhost ESMTP prueba\r\n").await;
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            b"250-localhost\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = command[10..].trim().trim_matches(['<', '>']).to_owned();
            to.clear();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(command[8..].trim().trim_matches(['<', '>']).to_owned());
            b"250 OK\r\n"
        } else if upper == "DATA" {
            let _ = write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await;
            let mut raw = Vec::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await.unwrap_or(0) == 0 {
                    return;
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                let text = line.strip_prefix('.').unwrap_or(&line);
                raw.extend_from_slice(text.as_bytes());
            }
            inbox.lock().expect("inbox").push(Received {
                from: from.clone(),
                to: to.clone(),
                raw,
            });
            b"250 OK queued\r\n"
        } else if upper == "QUIT" {
            let _ = write.write_all(b"221 Bye\r\n").await;
            return;
        } else {
            b"250 OK\r\n"
        };
        if write.write_all(reply).await.is_err() {
            return;
        }
    }
}
