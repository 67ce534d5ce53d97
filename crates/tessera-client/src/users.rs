use reqwest::Method;
use tessera_proto::users::*;

use crate::{Client, ClientError, NO_BODY};

/// The Users API: `client.users().create(..)`.
#[derive(Debug, Clone, Copy)]
pub struct Users<'a> {
    pub(crate) client: &'a Client,
}

impl Users<'_> {
    /// `POST /v1/users`.
    pub async fn create(&self, req: &CreateUserRequest) -> Result<CreateUserResponse, ClientError> {
        self.client
            .call(Method::POST, &["v1", "users"], Some(req))
            .await
    }

    /// `GET /v1/users/{user_id}` (a `user_id` or an `external_id`).
    pub async fn get(&self, user_id: &str) -> Result<GetUserResponse, ClientError> {
        self.client
            .call(Method::GET, &["v1", "users", user_id], NO_BODY)
            .await
    }

    /// `PUT /v1/users/{user_id}`.
    pub async fn update(
        &self,
        user_id: &str,
        req: &UpdateUserRequest,
    ) -> Result<UpdateUserResponse, ClientError> {
        self.client
            .call(Method::PUT, &["v1", "users", user_id], Some(req))
            .await
    }

    /// `DELETE /v1/users/{user_id}`.
    pub async fn delete(&self, user_id: &str) -> Result<DeleteUserResponse, ClientError> {
        self.client
            .call(Method::DELETE, &["v1", "users", user_id], NO_BODY)
            .await
    }

    /// `POST /v1/users/search`: one page.
    pub async fn search(
        &self,
        req: &SearchUsersRequest,
    ) -> Result<SearchUsersResponse, ClientError> {
        self.client
            .call(Method::POST, &["v1", "users", "search"], Some(req))
            .await
    }

    /// Every page of a search, following `next_cursor` until it is `null`.
    pub async fn search_all(&self, req: &SearchUsersRequest) -> Result<Vec<User>, ClientError> {
        let mut req = req.clone();
        let mut all = Vec::new();
        loop {
            let page = self.search(&req).await?;
            all.extend(page.results);
            match page.results_metadata.next_cursor {
                Some(c) if !c.is_empty() => req.cursor = Some(c),
                _ => return Ok(all),
            }
        }
    }

    /// `PUT /v1/users/{user_id}/exchange_primary_factor`.
    pub async fn exchange_primary_factor(
        &self,
        user_id: &str,
        req: &ExchangePrimaryFactorRequest,
    ) -> Result<UserFactorResponse, ClientError> {
        self.client
            .call(
                Method::PUT,
                &["v1", "users", user_id, "exchange_primary_factor"],
                Some(req),
            )
            .await
    }

    /// `DELETE /v1/users/emails/{email_id}`.
    pub async fn delete_email(&self, email_id: &str) -> Result<UserFactorResponse, ClientError> {
        self.client
            .call(
                Method::DELETE,
                &["v1", "users", "emails", email_id],
                NO_BODY,
            )
            .await
    }

    /// `DELETE /v1/users/phone_numbers/{phone_id}`.
    pub async fn delete_phone_number(
        &self,
        phone_id: &str,
    ) -> Result<UserFactorResponse, ClientError> {
        self.client
            .call(
                Method::DELETE,
                &["v1", "users", "phone_numbers", phone_id],
                NO_BODY,
            )
            .await
    }

    /// `DELETE /v1/users/{user_id}/external_id`.
    pub async fn delete_external_id(
        &self,
        user_id: &str,
    ) -> Result<UserFactorResponse, ClientError> {
        self.client
            .call(
                Method::DELETE,
                &["v1", "users", user_id, "external_id"],
                NO_BODY,
            )
            .await
    }
}
