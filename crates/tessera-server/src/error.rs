use std::borrow::Cow;

pub use tessera_proto::ErrorType;

/// The one error type of the server. Services return it, `http::error` maps it to a status and
/// Stytch's envelope in a single `match`, and nothing else decides what a client sees.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A client-visible error of a known type. `message` overrides the type's default text.
    #[error("{kind}: {}", message.as_deref().unwrap_or("(default message)"))]
    Api {
        /// What went wrong, as Stytch names it.
        kind: ErrorType,
        /// A more specific message than the type's default.
        message: Option<Cow<'static, str>>,
    },
    /// Anything unexpected: logged with its cause chain, answered as a bare 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

/// Shorthand for results carrying [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind` with its default message.
    pub fn new(kind: ErrorType) -> Self {
        Error::Api {
            kind,
            message: None,
        }
    }

    /// An error of `kind` with a specific message.
    pub fn with_message(kind: ErrorType, message: impl Into<Cow<'static, str>>) -> Self {
        Error::Api {
            kind,
            message: Some(message.into()),
        }
    }

    /// The error type a client sees.
    pub fn kind(&self) -> ErrorType {
        match self {
            Error::Api { kind, .. } => *kind,
            Error::Internal(_) => ErrorType::InternalServerError,
        }
    }
}
