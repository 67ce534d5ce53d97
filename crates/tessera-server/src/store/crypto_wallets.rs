//! Crypto wallets and their challenges: one live challenge per wallet (a new start replaces
//! it), taken with `DELETE … RETURNING` so that a challenge is answered once.

use super::{Store, StoreResult, on_read, on_write};
use crate::model::Timestamp;

/// A wallet's live challenge.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChallengeRow {
    /// The user the signature logs into (the wallet's, or the one it is being attached to).
    pub user_id: String,
    /// The text to sign.
    pub challenge: String,
    /// Whether it is a Sign-In with Ethereum message.
    pub siwe: bool,
}

/// A stored wallet.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WalletRow {
    /// `crypto-wallet-…`.
    pub wallet_id: String,
    /// Its user.
    pub user_id: String,
}

impl Store {
    /// The wallet of an address, if registered.
    pub async fn crypto_wallet(
        &self,
        project_id: &str,
        wallet_type: &str,
        address: &str,
    ) -> StoreResult<Option<WalletRow>> {
        let row = on_read!(self, pool => sqlx::query_as(
                "SELECT wallet_id, user_id FROM user_crypto_wallets \
                 WHERE project_id = $1 AND wallet_type = $2 AND address = $3",
            )
            .bind(project_id)
            .bind(wallet_type)
            .bind(address)
            .fetch_optional(pool)
            .await?);
        Ok(row)
    }

    /// Registers a wallet to a user unless the address is registered already (to anyone); the
    /// wallet as stored afterwards.
    pub async fn insert_crypto_wallet(
        &self,
        project_id: &str,
        (wallet_type, address): (&str, &str),
        wallet: &WalletRow,
        now: Timestamp,
    ) -> StoreResult<WalletRow> {
        on_write!(self, pool, _d => {
            sqlx::query(
                "INSERT INTO user_crypto_wallets (project_id, wallet_id, user_id, wallet_type, \
                 address, verified, created_at) VALUES ($1, $2, $3, $4, $5, FALSE, $6) \
                 ON CONFLICT (project_id, wallet_type, address) DO NOTHING",
            )
            .bind(project_id)
            .bind(&wallet.wallet_id)
            .bind(&wallet.user_id)
            .bind(wallet_type)
            .bind(address)
            .bind(now.millis())
            .execute(pool)
            .await?;
        });
        let held = self.crypto_wallet(project_id, wallet_type, address).await?;
        Ok(held.unwrap_or_else(|| wallet.clone()))
    }

    /// Marks a wallet verified (a signature of it was accepted).
    pub async fn verify_crypto_wallet(&self, project_id: &str, wallet_id: &str) -> StoreResult<()> {
        on_write!(self, pool, _d => {
            sqlx::query(
                "UPDATE user_crypto_wallets SET verified = TRUE \
                 WHERE project_id = $1 AND wallet_id = $2 AND NOT verified",
            )
            .bind(project_id)
            .bind(wallet_id)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Sets a wallet's live challenge until `expires_at`, replacing any other.
    pub async fn put_crypto_wallet_challenge(
        &self,
        project_id: &str,
        (wallet_type, address): (&str, &str),
        row: &ChallengeRow,
        expires_at: Timestamp,
    ) -> StoreResult<()> {
        on_write!(self, pool, _d => {
            sqlx::query(
                "INSERT INTO crypto_wallet_challenges (project_id, wallet_type, address, user_id, \
                 challenge, siwe, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (project_id, wallet_type, address) DO UPDATE SET \
                 user_id = excluded.user_id, challenge = excluded.challenge, \
                 siwe = excluded.siwe, expires_at = excluded.expires_at",
            )
            .bind(project_id)
            .bind(wallet_type)
            .bind(address)
            .bind(&row.user_id)
            .bind(&row.challenge)
            .bind(row.siwe)
            .bind(expires_at.millis())
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Takes a wallet's live challenge: it is answered once.
    pub async fn take_crypto_wallet_challenge(
        &self,
        project_id: &str,
        (wallet_type, address): (&str, &str),
        now: Timestamp,
    ) -> StoreResult<Option<ChallengeRow>> {
        let row = on_write!(self, pool, _d => sqlx::query_as(
                "DELETE FROM crypto_wallet_challenges WHERE project_id = $1 AND wallet_type = $2 \
                 AND address = $3 AND expires_at > $4 RETURNING user_id, challenge, siwe",
            )
            .bind(project_id)
            .bind(wallet_type)
            .bind(address)
            .bind(now.millis())
            .fetch_optional(pool)
            .await?);
        Ok(row)
    }

    /// Deletes a wallet; its user, if it existed.
    pub async fn delete_crypto_wallet(
        &self,
        project_id: &str,
        wallet_id: &str,
    ) -> StoreResult<Option<String>> {
        let user = on_write!(self, pool, _d => sqlx::query_scalar(
                "DELETE FROM user_crypto_wallets WHERE project_id = $1 AND wallet_id = $2 \
                 RETURNING user_id",
            )
            .bind(project_id)
            .bind(wallet_id)
            .fetch_optional(pool)
            .await?);
        Ok(user)
    }
}
