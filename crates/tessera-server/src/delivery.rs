//! Sending links and codes: email over SMTP, SMS and WhatsApp through an HTTP webhook, and, when
//! neither is configured, a clearly marked line in the server log for local development.

use std::time::Duration;

use anyhow::Context;
use ring::hmac;

use crate::error::{Error, ErrorType, Result};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;

/// Where messages go, from the command line.
#[derive(Debug, Clone, Default)]
pub struct DeliveryConfig {
    /// `smtp://[user:pass@]host[:port]` or `smtps://…` (see [`smtp_url`]).
    pub smtp_url: Option<String>,
    /// The From address of emails.
    pub email_from: Option<String>,
    /// An HTTP(S) endpoint receiving `{"channel","to","message"}` as a JSON POST.
    pub sms_webhook_url: Option<String>,
    /// The key the webhook's body is signed with (required for live projects' texts).
    pub sms_webhook_secret: Option<String>,
}

/// The header carrying the webhook signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of
/// "<t>.<body>" under the webhook secret>`.
pub const SIGNATURE_HEADER: &str = "x-tessera-signature";

/// Why a message cannot be sent for a live project: development delivery (the log) is for test
/// projects only.
fn not_configured(what: &str) -> Error {
    Error::with_message(
        ErrorType::DeliveryNotConfigured,
        format!("Live projects need {what}: this server has none, so nothing was sent."),
    )
}

/// A text channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TextChannel {
    /// SMS.
    Sms,
    /// WhatsApp.
    Whatsapp,
}

/// The configured senders.
pub struct Delivery {
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    webhook: Option<(reqwest::Client, String)>,
    webhook_key: Option<hmac::Key>,
}

#[derive(Serialize)]
struct WebhookBody<'a> {
    channel: TextChannel,
    to: &'a str,
    message: &'a str,
}

impl Delivery {
    /// The domain emails are sent from (the frontend SDK shows it as a hint).
    pub fn sender_domain(&self) -> String {
        self.from.email.domain().to_owned()
    }

    /// Whether texts (SMS, WhatsApp) can be sent for a project (`live` or test): a webhook is
    /// configured (signed, for live projects), or a test project's go to the log.
    pub fn texts_possible(&self, live: bool) -> bool {
        !live || (self.webhook.is_some() && self.webhook_key.is_some())
    }

    /// Builds the senders; a malformed URL is a startup error.
    pub fn new(cfg: &DeliveryConfig) -> anyhow::Result<Self> {
        let from: Mailbox = cfg
            .email_from
            .as_deref()
            .unwrap_or("Tessera <no-reply@localhost>")
            .parse()
            .context("--email-from is not a valid address")?;
        let smtp = match &cfg.smtp_url {
            Some(u) => Some(smtp_transport(u)?),
            None => None,
        };
        let webhook = match &cfg.sms_webhook_url {
            Some(u) => {
                let parsed = url::Url::parse(u).context("--sms-webhook-url is not a URL")?;
                anyhow::ensure!(
                    parsed.scheme() == "https"
                        || (parsed.scheme() == "http" && is_loopback(&parsed)),
                    "--sms-webhook-url must be https:// (http:// only to a loopback address)"
                );
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()?;
                Some((client, u.clone()))
            }
            None => None,
        };
        let webhook_key = cfg
            .sms_webhook_secret
            .as_deref()
            .filter(|k| !k.is_empty())
            .map(|k| hmac::Key::new(hmac::HMAC_SHA256, k.as_bytes()));
        Ok(Delivery {
            smtp,
            from,
            webhook,
            webhook_key,
        })
    }

    /// Sends a plain-text email. Without SMTP, a test project's email goes to the log and a
    /// live project's is refused.
    pub async fn email(&self, live: bool, to: &str, subject: &str, body: String) -> Result<()> {
        let Some(smtp) = &self.smtp else {
            if live {
                return Err(not_configured("email delivery (--smtp-url)"));
            }
            tracing::warn!(
                target: "tessera::delivery",
                channel = "email", to, subject, message = %body,
                "DEVELOPMENT DELIVERY (no --smtp-url configured): this message was not sent"
            );
            return Ok(());
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to.parse().context("recipient address")?)
            .subject(subject)
            .body(body)
            .map_err(anyhow::Error::from)?;
        smtp.send(message)
            .await
            .context("sending email over SMTP")?;
        Ok(())
    }

    /// Sends a text message.
    /// Sends a text message through the webhook, signed when a secret is set. Without a webhook,
    /// a test project's message goes to the log; a live project's is refused, as it is without
    /// a secret.
    pub async fn text(
        &self,
        live: bool,
        channel: TextChannel,
        to: &str,
        message: String,
    ) -> Result<()> {
        let Some((client, url)) = &self.webhook else {
            if live {
                return Err(not_configured("text delivery (--sms-webhook-url)"));
            }
            tracing::warn!(
                target: "tessera::delivery",
                channel = ?channel, to, message = %message,
                "DEVELOPMENT DELIVERY (no --sms-webhook-url configured): this message was not sent"
            );
            return Ok(());
        };
        if live && self.webhook_key.is_none() {
            return Err(not_configured(
                "a signed SMS webhook (--sms-webhook-secret)",
            ));
        }
        let body = serde_json::to_vec(&WebhookBody {
            channel,
            to,
            message: &message,
        })
        .map_err(anyhow::Error::from)?;
        let mut req = client
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json");
        if let Some(key) = &self.webhook_key {
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            req = req.header(SIGNATURE_HEADER, signature(key, t, &body));
        }
        let res = req
            .body(body)
            .send()
            .await
            .context("calling the SMS webhook")?;
        if !res.status().is_success() {
            return Err(anyhow::anyhow!("the SMS webhook answered HTTP {}", res.status()).into());
        }
        Ok(())
    }
}

/// `--smtp-url` as lettre is to read it. `smtps://host[:port]` is TLS from the first byte (port
/// 465). `smtp://host[:port]` (port 25) requires STARTTLS, so credentials and messages never
/// cross the network in clear, except to a loopback relay (STARTTLS when offered, as a local
/// relay may have no certificate) or when the URL says `?tls=none` by name. User and password
/// are percent-decoded; credentials are sent only when a password is given.
pub fn smtp_url(u: &str) -> anyhow::Result<String> {
    let mut url = url::Url::parse(u).context("--smtp-url is not a URL")?;
    anyhow::ensure!(
        matches!(url.scheme(), "smtp" | "smtps"),
        "--smtp-url must be smtp://host[:port] or smtps://host[:port]"
    );
    anyhow::ensure!(url.host_str().is_some(), "--smtp-url needs a host");
    if url.scheme() == "smtp" {
        let given = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| k != "tls")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let tls = match given.as_deref() {
            Some("none") => None,
            Some(t @ ("required" | "opportunistic")) => Some(t.to_owned()),
            Some(other) => {
                anyhow::bail!("--smtp-url: tls={other} is not one of required, opportunistic, none")
            }
            None if is_loopback(&url) => Some("opportunistic".to_owned()),
            None => Some("required".to_owned()),
        };
        url.set_query(None);
        if !pairs.is_empty() || tls.is_some() {
            let mut q = url.query_pairs_mut();
            for (k, v) in &pairs {
                q.append_pair(k, v);
            }
            if let Some(t) = &tls {
                q.append_pair("tls", t);
            }
        }
        // lettre's default with a `tls` parameter is the submission port; ours stays 25.
        if url.port().is_none() {
            let _ = url.set_port(Some(25));
        }
    }
    Ok(url.into())
}

fn smtp_transport(u: &str) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    Ok(
        AsyncSmtpTransport::<Tokio1Executor>::from_url(&smtp_url(u)?)
            .context("--smtp-url")?
            .timeout(Some(Duration::from_secs(15)))
            .build(),
    )
}

/// Whether the URL's host is this machine (`localhost`, 127.0.0.0/8, `::1`).
fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        // `smtp://` is not a special scheme, so an IPv4 address arrives as an opaque host.
        Some(url::Host::Domain(d)) => {
            d.eq_ignore_ascii_case("localhost")
                || d.trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The [`SIGNATURE_HEADER`] value for `body` sent at `t` (seconds).
pub fn signature(key: &hmac::Key, t: u64, body: &[u8]) -> String {
    let mut ctx = hmac::Context::with_key(key);
    ctx.update(t.to_string().as_bytes());
    ctx.update(b".");
    ctx.update(body);
    let tag = ctx.sign();
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={t},v1={hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_delivery_urls_are_startup_errors() {
        let cfg = |smtp: Option<&str>, hook: Option<&str>| DeliveryConfig {
            smtp_url: smtp.map(Into::into),
            sms_webhook_url: hook.map(Into::into),
            ..Default::default()
        };
        assert!(
            Delivery::new(&cfg(
                Some("smtp://localhost:2525"),
                Some("http://127.0.0.1/x")
            ))
            .is_ok()
        );
        assert!(Delivery::new(&cfg(None, Some("https://sms.example.com/x"))).is_ok());
        assert!(Delivery::new(&cfg(Some("http://localhost"), None)).is_err());
        assert!(Delivery::new(&cfg(None, Some("ftp://h"))).is_err());
        assert!(
            Delivery::new(&cfg(None, Some("http://sms.example.com/x"))).is_err(),
            "a webhook in clear off this machine"
        );
        assert!(Delivery::new(&cfg(Some("smtp://h?tls=maybe"), None)).is_err());
        let bad_from = DeliveryConfig {
            email_from: Some("not an address".into()),
            ..Default::default()
        };
        assert!(Delivery::new(&bad_from).is_err());
    }

    #[test]
    fn smtp_needs_tls_off_this_machine_unless_told_otherwise() {
        let url = |u: &str| smtp_url(u).unwrap();
        assert_eq!(
            url("smtp://mail.example.com"),
            "smtp://mail.example.com:25?tls=required"
        );
        assert_eq!(
            url("smtp://u:p%40ss@mail.example.com:587"),
            "smtp://u:p%40ss@mail.example.com:587?tls=required"
        );
        assert_eq!(
            url("smtp://127.0.0.1:2525"),
            "smtp://127.0.0.1:2525?tls=opportunistic"
        );
        assert_eq!(
            url("smtp://localhost"),
            "smtp://localhost:25?tls=opportunistic"
        );
        assert_eq!(url("smtp://[::1]:25"), "smtp://[::1]:25?tls=opportunistic");
        assert_eq!(url("smtp://relay.lan?tls=none"), "smtp://relay.lan:25");
        assert_eq!(
            url("smtp://relay.lan:2525?tls=opportunistic"),
            "smtp://relay.lan:2525?tls=opportunistic"
        );
        assert_eq!(url("smtps://mail.example.com"), "smtps://mail.example.com");
    }

    #[test]
    fn webhook_signatures_are_hmac_sha256_of_time_and_body() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"Jefe");
        let sig = signature(&key, 1, b"what do ya want for nothing?");
        // The signed text is "1." + body, so the tag differs from the RFC's; check the shape
        // and that a different time or body changes it.
        assert!(
            sig.starts_with("t=1,v1=") && sig.len() == "t=1,v1=".len() + 64,
            "{sig}"
        );
        assert_ne!(sig, signature(&key, 2, b"what do ya want for nothing?"));
        assert_ne!(sig, signature(&key, 1, b"what do ya want for nothing!"));
    }
}
