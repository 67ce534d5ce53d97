//! Real peers for delivery: an SMTP server that speaks enough of RFC 5321 for a real client
//! (EHLO, MAIL, RCPT, DATA with dot-unstuffing, RSET, NOOP, QUIT), and an HTTP receiver for the
//! SMS webhook. Tests read links and codes from what these received.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One received email.
#[derive(Debug, Clone)]
pub(crate) struct Mail {
    pub(crate) to: Vec<String>,
    /// Headers and body as received.
    pub(crate) data: String,
}

impl Mail {
    /// A header's value.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.data
            .lines()
            .take_while(|l| !l.is_empty())
            .find_map(|l| {
                l.split_once(':')
                    .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.trim())
            })
    }

    /// The body, decoded from quoted-printable when so encoded, as a mail client shows it.
    pub(crate) fn body(&self) -> String {
        let body = self
            .data
            .split_once("\n\n")
            .map(|(_, b)| b)
            .unwrap_or_default();
        if !self
            .header("Content-Transfer-Encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("quoted-printable"))
        {
            return body.to_owned();
        }
        let joined = body.replace("=\n", "");
        let bytes = joined.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'='
                && i + 2 < bytes.len()
                && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
            {
                out.push(b);
                i += 3;
                continue;
            }
            out.push(bytes[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// A listening SMTP server collecting every message.
#[derive(Clone, Default)]
pub(crate) struct SmtpSink {
    pub(crate) mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    /// Starts listening on a free loopback port; returns the sink and `smtp://127.0.0.1:PORT`.
    pub(crate) async fn start() -> (Self, String) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("smtp://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let sink = SmtpSink::default();
        let mails = Arc::clone(&sink.mails);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let mails = Arc::clone(&mails);
                tokio::spawn(async move {
                    let _ = session(stream, mails).await;
                });
            }
        });
        (sink, url)
    }

    /// The newest email to `to`, waiting briefly for it.
    pub(crate) async fn last_to(&self, to: &str) -> Mail {
        for _ in 0..100 {
            if let Some(m) = self
                .mails
                .lock()
                .unwrap()
                .iter()
                .rev()
                .find(|m| m.to.iter().any(|t| t == to))
            {
                return m.clone();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("no email to {to} arrived");
    }

    pub(crate) fn count_to(&self, to: &str) -> usize {
        self.mails
            .lock()
            .unwrap()
            .iter()
            .filter(|m| m.to.iter().any(|t| t == to))
            .count()
    }
}

async fn session(
    stream: tokio::net::TcpStream,
    mails: Arc<Mutex<Vec<Mail>>>,
) -> std::io::Result<()> {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 tessera-test ESMTP ready\r\n").await?;
    let mut to = Vec::new();
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("EHLO") {
            write
                .write_all(b"250-tessera-test\r\n250-8BITMIME\r\n250 SIZE 10485760\r\n")
                .await?;
        } else if upper.starts_with("HELO")
            || upper.starts_with("MAIL FROM")
            || upper.starts_with("NOOP")
        {
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RSET") {
            to.clear();
            write.write_all(b"250 OK\r\n").await?;
        } else if upper.starts_with("RCPT TO") {
            let addr = line
                .split_once('<')
                .and_then(|(_, r)| r.split_once('>'))
                .map(|(a, _)| a.to_owned())
                .unwrap_or_default();
            to.push(addr);
            write.write_all(b"250 OK\r\n").await?;
        } else if upper == "DATA" {
            write
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            while let Some(l) = lines.next_line().await? {
                if l == "." {
                    break;
                }
                data.push_str(l.strip_prefix('.').unwrap_or(&l));
                data.push('\n');
            }
            mails.lock().unwrap().push(Mail {
                to: std::mem::take(&mut to),
                data,
            });
            write.write_all(b"250 OK: queued\r\n").await?;
        } else if upper.starts_with("QUIT") {
            write.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            write.write_all(b"502 Command not implemented\r\n").await?;
        }
    }
    Ok(())
}

/// An HTTP server receiving SMS/WhatsApp webhook calls; with a secret, it refuses (401) every
/// call whose `X-Tessera-Signature` is missing, wrong or over five minutes old, checked with
/// the `hmac` and `sha2` crates (not the server's ring).
#[derive(Clone, Default)]
pub(crate) struct WebhookSink {
    pub(crate) calls: Arc<Mutex<Vec<Value>>>,
}

/// Whether `header` is `t=<secs>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, recent.
pub(crate) fn signed(secret: &str, header: Option<&str>, body: &[u8]) -> bool {
    use hmac::Mac;
    let Some(h) = header else { return false };
    let mut t = None;
    let mut v1 = None;
    for part in h.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<u64>().ok(),
            Some(("v1", v)) => v1 = Some(v.to_owned()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return false;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    if now.abs_diff(t) > 300 {
        return false;
    }
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    let Ok(tag) = (0..v1.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(v1.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()
    else {
        return false;
    };
    mac.verify_slice(&tag).is_ok()
}

impl WebhookSink {
    /// Starts listening; returns the sink and its URL.
    pub(crate) async fn start(secret: Option<&'static str>) -> (Self, String) {
        let sink = WebhookSink::default();
        let calls = Arc::clone(&sink.calls);
        let app = axum::Router::new().route(
            "/sms",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let calls = Arc::clone(&calls);
                    async move {
                        if let Some(secret) = secret {
                            let header = headers
                                .get("x-tessera-signature")
                                .and_then(|v| v.to_str().ok());
                            if !signed(secret, header, &body) {
                                return (axum::http::StatusCode::UNAUTHORIZED, "bad signature");
                            }
                        }
                        let body: Value = serde_json::from_slice(&body).unwrap();
                        calls.lock().unwrap().push(body);
                        (axum::http::StatusCode::OK, "ok")
                    }
                },
            ),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://127.0.0.1:{}/sms",
            listener.local_addr().unwrap().port()
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        (sink, url)
    }

    /// The newest message to `to` on `channel`, waiting briefly for it.
    pub(crate) async fn last_to(&self, channel: &str, to: &str) -> String {
        for _ in 0..100 {
            if let Some(m) = self
                .calls
                .lock()
                .unwrap()
                .iter()
                .rev()
                .find(|c| c["to"] == to && c["channel"] == channel)
            {
                return m["message"].as_str().unwrap().to_owned();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("no {channel} message to {to} arrived");
    }

    pub(crate) fn count(&self) -> usize {
        self.calls.lock().unwrap().len()
    }
}

/// The magic-link URL in an email body.
pub(crate) fn link_url(mail: &Mail) -> url::Url {
    typed_link_url(mail, "magic_links")
}

/// The URL of a link of `stytch_token_type` `kind` (`magic_links`, `reset_password`) in an
/// email body.
pub(crate) fn typed_link_url(mail: &Mail, kind: &str) -> url::Url {
    let body = mail.body();
    let start = body.find("http").expect("a link in the email");
    let url_text: String = body[start..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    let url = url::Url::parse(&url_text).expect("the link is a URL");
    assert_eq!(
        url.query_pairs()
            .find(|(k, _)| k == "stytch_token_type")
            .map(|(_, v)| v.into_owned()),
        Some(kind.into())
    );
    url
}

/// The magic-link token in an email body.
pub(crate) fn link_token(mail: &Mail) -> String {
    link_url(mail)
        .query_pairs()
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned())
        .expect("token parameter")
}

/// The first run of six digits in a message.
pub(crate) fn code_in(text: &str) -> String {
    let bytes = text.as_bytes();
    (0..bytes.len().saturating_sub(5))
        .find(|&i| {
            bytes[i..i + 6].iter().all(u8::is_ascii_digit)
                && (i == 0 || !bytes[i - 1].is_ascii_digit())
                && bytes.get(i + 6).is_none_or(|b| !b.is_ascii_digit())
        })
        .map(|i| text[i..i + 6].to_owned())
        .expect("a 6-digit code in the message")
}
