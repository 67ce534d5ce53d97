//! Sending links and codes: email over SMTP, SMS and WhatsApp through an HTTP webhook, and, when
//! neither is configured, a clearly marked line in the server log for local development.

use std::time::Duration;

use anyhow::Context;
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::Serialize;

/// Where messages go, from the command line.
#[derive(Debug, Clone, Default)]
pub struct DeliveryConfig {
    /// `smtp://[user:pass@]host[:port]`; STARTTLS is used when the server offers it.
    pub smtp_url: Option<String>,
    /// The From address of emails.
    pub email_from: Option<String>,
    /// An HTTP(S) endpoint receiving `{"channel","to","message"}` as a JSON POST.
    pub sms_webhook_url: Option<String>,
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
                    matches!(parsed.scheme(), "http" | "https"),
                    "--sms-webhook-url must be http or https"
                );
                let client = reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()?;
                Some((client, u.clone()))
            }
            None => None,
        };
        Ok(Delivery {
            smtp,
            from,
            webhook,
        })
    }

    /// Sends a plain-text email.
    pub async fn email(&self, to: &str, subject: &str, body: String) -> anyhow::Result<()> {
        let Some(smtp) = &self.smtp else {
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
            .body(body)?;
        smtp.send(message)
            .await
            .context("sending email over SMTP")?;
        Ok(())
    }

    /// Sends a text message.
    pub async fn text(
        &self,
        channel: TextChannel,
        to: &str,
        message: String,
    ) -> anyhow::Result<()> {
        let Some((client, url)) = &self.webhook else {
            tracing::warn!(
                target: "tessera::delivery",
                channel = ?channel, to, message = %message,
                "DEVELOPMENT DELIVERY (no --sms-webhook-url configured): this message was not sent"
            );
            return Ok(());
        };
        let res = client
            .post(url)
            .json(&WebhookBody {
                channel,
                to,
                message: &message,
            })
            .send()
            .await
            .context("calling the SMS webhook")?;
        anyhow::ensure!(
            res.status().is_success(),
            "the SMS webhook answered HTTP {}",
            res.status()
        );
        Ok(())
    }
}

/// The SMTP transport of `--smtp-url`, as lettre parses it: `smtp://[user:pass@]host[:port]`
/// (port 25 by default; STARTTLS when the server offers it, unless `?tls=required` asks for it
/// always), `smtps://…` for TLS from the first byte (port 465); user and password
/// percent-decoded, and credentials sent only when a password is given.
fn smtp_transport(u: &str) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    let mut url = url::Url::parse(u).context("--smtp-url is not a URL")?;
    anyhow::ensure!(
        matches!(url.scheme(), "smtp" | "smtps"),
        "--smtp-url must be smtp://host[:port] or smtps://host[:port]"
    );
    anyhow::ensure!(url.host_str().is_some(), "--smtp-url needs a host");
    // Without a `tls` parameter lettre would send in clear; STARTTLS when offered stays the
    // default for `smtp://`.
    if url.scheme() == "smtp" {
        if !url.query_pairs().any(|(k, _)| k == "tls") {
            url.query_pairs_mut().append_pair("tls", "opportunistic");
        }
        // lettre's default for a `tls` parameter is the submission port; ours stays 25.
        if url.port().is_none() {
            let _ = url.set_port(Some(25));
        }
    }
    Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(url.as_str())
        .context("--smtp-url")?
        .timeout(Some(Duration::from_secs(15)))
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_delivery_urls_are_startup_errors() {
        let cfg = |smtp: Option<&str>, hook: Option<&str>| DeliveryConfig {
            smtp_url: smtp.map(Into::into),
            email_from: None,
            sms_webhook_url: hook.map(Into::into),
        };
        assert!(Delivery::new(&cfg(Some("smtp://localhost:2525"), Some("http://h/x"))).is_ok());
        assert!(Delivery::new(&cfg(Some("http://localhost"), None)).is_err());
        assert!(Delivery::new(&cfg(None, Some("ftp://h"))).is_err());
        let bad_from = DeliveryConfig {
            email_from: Some("not an address".into()),
            ..Default::default()
        };
        assert!(Delivery::new(&bad_from).is_err());
    }
}
