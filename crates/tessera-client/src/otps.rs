use reqwest::Method;
use tessera_proto::otps::*;
use tessera_proto::sessions::FactorAuthenticateResponse;

use crate::{Client, ClientError};

/// Where a passcode goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OtpChannel {
    /// `/v1/otps/sms/...`
    Sms,
    /// `/v1/otps/whatsapp/...`
    Whatsapp,
    /// `/v1/otps/email/...`
    Email,
}

impl OtpChannel {
    fn segment(self) -> &'static str {
        match self {
            OtpChannel::Sms => "sms",
            OtpChannel::Whatsapp => "whatsapp",
            OtpChannel::Email => "email",
        }
    }
}

/// The One-Time Passcodes API: `client.otps().send(OtpChannel::Sms, ..)`.
#[derive(Debug, Clone, Copy)]
pub struct Otps<'a> {
    pub(crate) client: &'a Client,
}

impl Otps<'_> {
    /// `POST /v1/otps/{channel}/send`.
    pub async fn send(
        &self,
        channel: OtpChannel,
        req: &OtpSendRequest,
    ) -> Result<OtpSendResponse, ClientError> {
        self.client
            .call(
                Method::POST,
                &["v1", "otps", channel.segment(), "send"],
                Some(req),
            )
            .await
    }

    /// `POST /v1/otps/{channel}/login_or_create`.
    pub async fn login_or_create(
        &self,
        channel: OtpChannel,
        req: &OtpSendRequest,
    ) -> Result<OtpSendResponse, ClientError> {
        self.client
            .call(
                Method::POST,
                &["v1", "otps", channel.segment(), "login_or_create"],
                Some(req),
            )
            .await
    }

    /// `POST /v1/otps/authenticate`.
    pub async fn authenticate(
        &self,
        req: &OtpAuthenticateRequest,
    ) -> Result<FactorAuthenticateResponse, ClientError> {
        self.client
            .call(Method::POST, &["v1", "otps", "authenticate"], Some(req))
            .await
    }
}
