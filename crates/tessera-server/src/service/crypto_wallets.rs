//! Crypto wallets: a challenge per wallet (plain text, or a Sign-In with Ethereum message),
//! single use and short-lived, and a signature of it: Ethereum's EIP-191 `personal_sign`
//! (secp256k1 recovery of the EIP-55 address) or Solana's ed25519 over the challenge.

use ed25519_dalek::Verifier as _;
use k256::ecdsa::{RecoveryId, Signature, VerifyingKey};
use rand::Rng;
use sha3::{Digest, Keccak256};
use time::OffsetDateTime;

use crate::error::{Error, ErrorType, Result};
use crate::model::ids::IdKind;
use crate::model::session::{AuthFactor, FactorKind, FactorSubject};
use crate::model::user::User;
use crate::model::{Project, Timestamp};
use crate::service::factors::{self, Authenticated};
use crate::service::sessions::{ClientAttributes, Locator, SessionEngine, SessionRequest};
use crate::service::{security_log, users};
use crate::store::crypto_wallets::{ChallengeRow, WalletRow};

/// Sign-In with Ethereum (EIP-4361): the message written at start, its window at authenticate.
mod eip4361;

pub use eip4361::Siwe;
pub(crate) use eip4361::{check_siwe_window, siwe_message};

/// How long a challenge (and a Sign-In with Ethereum message after its `issued_at`) lives.
pub const CHALLENGE_MINUTES: i64 = 10;

/// A wallet's chain family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalletType {
    /// Ethereum and every EVM chain.
    Ethereum,
    /// Solana.
    Solana,
}

impl WalletType {
    /// From the wire's `crypto_wallet_type`.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "ethereum" => Ok(WalletType::Ethereum),
            "solana" => Ok(WalletType::Solana),
            _ => Err(Error::with_message(
                ErrorType::InvalidCryptoWalletType,
                "crypto_wallet_type must be ethereum or solana.",
            )),
        }
    }

    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            WalletType::Ethereum => "ethereum",
            WalletType::Solana => "solana",
        }
    }
}

/// A checked address: its canonical text (EIP-55 or base58) and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// The chain family.
    pub kind: WalletType,
    /// EIP-55 checksummed (Ethereum) or base58 (Solana).
    pub text: String,
    bytes: Vec<u8>,
}

impl Address {
    /// Checks an address: Ethereum `0x` + 40 hex digits, whose mixed case (if any) must be
    /// its EIP-55 checksum; Solana base58 of a 32-byte ed25519 public key.
    pub fn parse(kind: WalletType, s: &str) -> Result<Self> {
        match kind {
            WalletType::Ethereum => {
                let bad = || Error::new(ErrorType::InvalidEthereumAddress);
                let hex_part = s
                    .strip_prefix("0x")
                    .or_else(|| s.strip_prefix("0X"))
                    .ok_or_else(bad)?;
                if hex_part.len() != 40 {
                    return Err(bad());
                }
                let mut bytes = [0u8; 20];
                hex::decode_to_slice(hex_part, &mut bytes).map_err(|_| bad())?;
                let text = siwe::eip55(&bytes);
                let mixed = hex_part.bytes().any(|b| b.is_ascii_lowercase())
                    && hex_part.bytes().any(|b| b.is_ascii_uppercase());
                if mixed && text[2..] != *hex_part {
                    return Err(Error::with_message(
                        ErrorType::InvalidEthereumAddress,
                        "The address's mixed case is not its EIP-55 checksum: a typo?",
                    ));
                }
                Ok(Address {
                    kind,
                    text,
                    bytes: bytes.to_vec(),
                })
            }
            WalletType::Solana => {
                let bad = || Error::new(ErrorType::InvalidSolanaAddress);
                if s.is_empty() || s.len() > 64 {
                    return Err(bad());
                }
                let bytes = bs58::decode(s).into_vec().map_err(|_| bad())?;
                let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| bad())?;
                ed25519_dalek::VerifyingKey::from_bytes(&key).map_err(|_| bad())?;
                Ok(Address {
                    kind,
                    text: bs58::encode(key).into_string(),
                    bytes: key.to_vec(),
                })
            }
        }
    }

    /// Decodes a signature as the wire carries it for this chain (Ethereum: 65 bytes of hex,
    /// `r ‖ s ‖ v` with `v` 27/28 or 0/1; Solana: 64 bytes of base58), checking its shape only.
    pub fn signature(&self, signature: &str) -> Result<WalletSignature> {
        if signature.is_empty() {
            return Err(Error::new(ErrorType::SignatureMissing));
        }
        let bad = || Error::new(ErrorType::InvalidSignature);
        match self.kind {
            WalletType::Ethereum => {
                let hex_part = signature.strip_prefix("0x").unwrap_or(signature);
                if hex_part.len() != 130 {
                    return Err(Error::new(ErrorType::SignatureIsIncorrectSize));
                }
                let mut sig = [0u8; 65];
                hex::decode_to_slice(hex_part, &mut sig).map_err(|_| bad())?;
                let rs = Signature::from_slice(&sig[..64]).map_err(|_| bad())?;
                let v = if sig[64] >= 27 { sig[64] - 27 } else { sig[64] };
                let recovery = RecoveryId::from_byte(v).ok_or_else(bad)?;
                Ok(WalletSignature::Ethereum(rs, recovery))
            }
            WalletType::Solana => {
                let raw = bs58::decode(signature).into_vec().map_err(|_| bad())?;
                let sig: [u8; 64] = raw
                    .as_slice()
                    .try_into()
                    .map_err(|_| Error::new(ErrorType::SignatureIsIncorrectSize))?;
                Ok(WalletSignature::Solana(
                    ed25519_dalek::Signature::from_bytes(&sig),
                ))
            }
        }
    }

    /// Whether `signature` signs `message` with this address's key.
    pub fn verify(&self, message: &str, signature: &WalletSignature) -> bool {
        match signature {
            WalletSignature::Ethereum(rs, recovery) => {
                eth_signer(message.as_bytes(), rs, *recovery)
                    .is_some_and(|a| a.as_slice() == self.bytes.as_slice())
            }
            WalletSignature::Solana(sig) => <[u8; 32]>::try_from(self.bytes.as_slice())
                .ok()
                .and_then(|k| ed25519_dalek::VerifyingKey::from_bytes(&k).ok())
                .is_some_and(|key| key.verify(message.as_bytes(), sig).is_ok()),
        }
    }
}

/// A wallet's signature, decoded.
#[derive(Debug, Clone)]
pub enum WalletSignature {
    /// ECDSA over secp256k1 with its recovery id.
    Ethereum(Signature, RecoveryId),
    /// Ed25519.
    Solana(ed25519_dalek::Signature),
}

/// The address (20 bytes) whose key made an EIP-191 `personal_sign` signature of `message`,
/// if any key did.
fn eth_signer(message: &[u8], signature: &Signature, recovery: RecoveryId) -> Option<[u8; 20]> {
    let prefix = format!("\x19Ethereum Signed Message:\n{}", message.len());
    let digest = Keccak256::new()
        .chain_update(prefix.as_bytes())
        .chain_update(message)
        .finalize();
    let key = VerifyingKey::recover_from_prehash(&digest, signature, recovery).ok()?;
    let point = key.to_encoded_point(false);
    let hash = Keccak256::digest(&point.as_bytes()[1..]);
    let mut out = [0u8; 20];
    out.copy_from_slice(&hash[12..]);
    Some(out)
}

/// Who a start attaches the wallet to.
#[derive(Debug, Clone)]
pub enum Attach {
    /// Log into the wallet's user, creating one for a new wallet.
    Nobody,
    /// This user.
    User(String),
    /// This session's user.
    Session(Locator),
}

/// `authenticate/start`'s parameters.
#[derive(Debug, Clone)]
pub struct StartInput {
    /// `crypto_wallet_type`.
    pub wallet_type: String,
    /// `crypto_wallet_address`.
    pub address: String,
    /// Who to attach it to.
    pub attach: Attach,
    /// Sign-In with Ethereum.
    pub siwe: Option<Siwe>,
}

/// A started login.
#[derive(Debug, Clone)]
pub struct Started {
    /// The user the signature will log into.
    pub user_id: String,
    /// The text to sign.
    pub challenge: String,
    /// Whether this start created the user.
    pub user_created: bool,
}

/// `authenticate/start`: the wallet's challenge (replacing any earlier one). A new wallet
/// with no user to attach to gets a new user now, the wallet unverified until its first
/// signature; a wallet being attached joins its user only once it signs.
pub async fn start(
    engine: &SessionEngine,
    project: &Project,
    input: StartInput,
    now: Timestamp,
) -> Result<Started> {
    let kind = WalletType::parse(&input.wallet_type)?;
    let address = Address::parse(kind, &input.address)?;
    if input.siwe.is_some() && kind != WalletType::Ethereum {
        return Err(Error::new(ErrorType::CryptoWalletTypeIncompatibleWithSiwe));
    }
    let store = engine.store();
    let target = match input.attach {
        Attach::Nobody => None,
        Attach::User(id) => Some(users::get(store, project, &id).await?.user_id),
        Attach::Session(loc) => {
            let (_, user) =
                crate::service::sessions::resolve_with_user(engine, project, &loc, now).await?;
            Some(user.user_id)
        }
    };
    let key = (kind.as_str(), address.text.as_str());
    let held = store
        .crypto_wallet(&project.project_id, key.0, key.1)
        .await?;
    let (user_id, user_created) = match (held, target) {
        (Some(w), Some(t)) if w.user_id != t => {
            return Err(Error::new(ErrorType::DuplicateCryptoWallet));
        }
        (Some(w), _) => (w.user_id, false),
        (None, Some(t)) => (t, false),
        (None, None) => {
            let user = users::create_any(store, project, users::NewUser::default(), now).await?;
            let wallet = WalletRow {
                wallet_id: IdKind::CryptoWallet.mint(project.env),
                user_id: user.user_id.clone(),
            };
            let stored = store
                .insert_crypto_wallet(&project.project_id, key, &wallet, now)
                .await?;
            if stored.user_id != user.user_id {
                // Another start registered the wallet first: log into its user instead.
                users::delete(store, project, &user.user_id).await?;
                (stored.user_id, false)
            } else {
                (user.user_id, true)
            }
        }
    };
    let now_odt = OffsetDateTime::from_unix_timestamp_nanos(i128::from(now.millis()) * 1_000_000)
        .map_err(|e| Error::Internal(anyhow::anyhow!("clock: {e}")))?;
    let (challenge, siwe) = match input.siwe {
        Some(p) => (siwe_message(project, &address, p, now_odt)?, true),
        None => {
            let nonce: String = rand::rngs::OsRng
                .sample_iter(rand::distributions::Alphanumeric)
                .take(32)
                .map(char::from)
                .collect();
            let who = if project.name.is_empty() {
                &project.project_id
            } else {
                &project.name
            };
            (format!("Signing in with Project: {who}: {nonce}"), false)
        }
    };
    let row = ChallengeRow {
        user_id: user_id.clone(),
        challenge: challenge.clone(),
        siwe,
    };
    store
        .put_crypto_wallet_challenge(
            &project.project_id,
            key,
            &row,
            now.plus_minutes(CHALLENGE_MINUTES),
        )
        .await?;
    Ok(Started {
        user_id,
        challenge,
        user_created,
    })
}

/// `authenticate`: checks the signature of the wallet's live challenge (taken: it works
/// once, right or wrong); the session gets the `crypto` factor.
pub async fn authenticate(
    engine: &SessionEngine,
    project: &Project,
    (wallet_type, address, signature): (&str, &str, &str),
    req: SessionRequest,
    attrs: &ClientAttributes,
    now: Timestamp,
) -> Result<Authenticated> {
    let kind = WalletType::parse(wallet_type)?;
    let address = Address::parse(kind, address)?;
    // A malformed signature is refused before the challenge is spent.
    let signature = address.signature(signature)?;
    let store = engine.store();
    let key = (kind.as_str(), address.text.as_str());
    let challenge = store
        .take_crypto_wallet_challenge(&project.project_id, key, now)
        .await?
        .ok_or_else(|| Error::new(ErrorType::CryptoWalletNotFound))?;
    if !address.verify(&challenge.challenge, &signature) {
        security_log::proof_refused(project, "crypto_wallet", "wrong_signature");
        return Err(Error::new(ErrorType::UnableToAuthenticateCryptoWallet));
    }
    if challenge.siwe {
        let now_odt =
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(now.millis()) * 1_000_000)
                .map_err(|e| Error::Internal(anyhow::anyhow!("clock: {e}")))?;
        check_siwe_window(&challenge.challenge, now_odt)?;
    }
    factors::check_attachable(engine, project, &req, &challenge.user_id, now).await?;
    let minted = WalletRow {
        wallet_id: IdKind::CryptoWallet.mint(project.env),
        user_id: challenge.user_id.clone(),
    };
    let wallet = store
        .insert_crypto_wallet(&project.project_id, key, &minted, now)
        .await?;
    let attached = wallet.wallet_id == minted.wallet_id;
    if wallet.user_id != challenge.user_id {
        return Err(Error::new(ErrorType::DuplicateCryptoWallet));
    }
    store
        .verify_crypto_wallet(&project.project_id, &wallet.wallet_id)
        .await?;
    let user = users::get(store, project, &wallet.user_id).await?;
    let factor = AuthFactor::new(
        FactorKind::CryptoWallet,
        FactorSubject::CryptoWallet {
            crypto_wallet_id: wallet.wallet_id.clone(),
            crypto_wallet_address: address.text.clone(),
            crypto_wallet_type: kind.as_str().to_owned(),
        },
        now,
    );
    let mut a = factors::complete(
        engine,
        project,
        (user, wallet.wallet_id),
        factor,
        req,
        attrs,
        now,
    )
    .await?;
    if attached {
        // Joined an existing user now (a new wallet's own user got it at the start).
        a.added = Some("A crypto wallet".into());
    }
    Ok(a)
}

/// Deletes a wallet; the user as it now is.
pub async fn delete(
    store: &crate::store::Store,
    project: &Project,
    wallet_id: &str,
) -> Result<User> {
    let user_id = store
        .delete_crypto_wallet(&project.project_id, wallet_id)
        .await?
        .ok_or_else(|| Error::new(ErrorType::CryptoWalletNotFound))?;
    security_log::factor_removed(project, &user_id, wallet_id, "backend");
    users::get(store, project, &user_id).await
}

/// A signed-in user deletes one of its own wallets, with a recent factor.
pub async fn delete_own(
    engine: &SessionEngine,
    project: &Project,
    loc: &Locator,
    wallet_id: &str,
    now: Timestamp,
) -> Result<User> {
    let owns = |u: &User| u.crypto_wallets.iter().any(|w| w.wallet_id == wallet_id);
    factors::check_own_recent(
        engine,
        project,
        (loc, now),
        owns,
        ErrorType::CryptoWalletNotFound,
    )
    .await?;
    delete(engine.store(), project, wallet_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ethereum_addresses_are_checked_and_checksummed() {
        let lower = "0xfb6916095ca1df60bb79ce92ce3ea74c37c5d359";
        let a = Address::parse(WalletType::Ethereum, lower).unwrap();
        assert_eq!(a.text, "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359");
        assert!(Address::parse(WalletType::Ethereum, &a.text).is_ok());
        // One letter's case flipped: not the checksum.
        let typo = "0xFB6916095ca1df60bB79Ce92cE3Ea74c37c5d359";
        assert!(Address::parse(WalletType::Ethereum, typo).is_err());
        assert!(Address::parse(WalletType::Ethereum, "0x1234").is_err());
        assert!(Address::parse(WalletType::Ethereum, &lower[2..]).is_err());
    }

    #[test]
    fn solana_addresses_are_ed25519_keys() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        let text = bs58::encode(key.verifying_key().to_bytes()).into_string();
        let a = Address::parse(WalletType::Solana, &text).unwrap();
        use ed25519_dalek::Signer as _;
        let sig = key.sign(b"hello");
        let sig58 = bs58::encode(sig.to_bytes()).into_string();
        let sig = a.signature(&sig58).unwrap();
        assert!(a.verify("hello", &sig));
        assert!(!a.verify("hullo", &sig));
        assert!(a.signature(&sig58[..sig58.len() - 4]).is_err());
        assert!(Address::parse(WalletType::Solana, "not-base58!").is_err());
    }
}
