use axum::extract::State;
use tessera_proto::ErrorResponse;
use tessera_proto::users as wire;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::extract::{Json, Path, ProjectAuth, RequestId};
use crate::error::{Error, ErrorType, Result};
use crate::model::Timestamp;
use crate::model::user::{
    self, EmailAddress, ExternalId, Metadata, Name, PhoneNumber, User, parse_name_part,
};
use crate::service::users::{NewUser, PrimaryFactor, UserPatch};
use crate::service::{self, search};
use crate::state::AppState;
use crate::store::users::FactorRef;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_user))
        .routes(routes!(get_user, update_user, delete_user))
        .routes(routes!(search_users))
        .routes(routes!(exchange_primary_factor))
        .routes(routes!(delete_email))
        .routes(routes!(delete_phone_number))
        .routes(routes!(delete_external_id))
}

/// The wire form of a user, now.
pub(crate) fn to_wire(u: User) -> wire::User {
    super::wire::user(u, Timestamp::now())
}

/// Metadata as a request gives it: absent or `null` is empty.
pub(crate) fn metadata(v: Option<serde_json::Value>) -> Result<Metadata> {
    v.filter(|v| !v.is_null())
        .map(Metadata::parse)
        .transpose()
        .map(Option::unwrap_or_default)
}

fn name_part(s: Option<String>) -> Result<Option<String>> {
    s.map(parse_name_part).transpose()
}

/// A name as a request gives it: each part checked, absent parts empty.
pub(crate) fn name(name: Option<tessera_proto::common::Name>) -> Result<Name> {
    let name = name.unwrap_or_default();
    Ok(Name {
        first: name_part(name.first_name)?.unwrap_or_default(),
        middle: name_part(name.middle_name)?.unwrap_or_default(),
        last: name_part(name.last_name)?.unwrap_or_default(),
    })
}

fn new_user(req: wire::CreateUserRequest) -> Result<NewUser> {
    Ok(NewUser {
        email: req.email.as_deref().map(EmailAddress::parse).transpose()?,
        phone_number: req
            .phone_number
            .as_deref()
            .map(PhoneNumber::parse)
            .transpose()?,
        name: name(req.name)?,
        pending: req.create_user_as_pending.unwrap_or(false),
        trusted_metadata: metadata(req.trusted_metadata)?,
        untrusted_metadata: metadata(req.untrusted_metadata)?,
        external_id: req
            .external_id
            .as_deref()
            .map(ExternalId::parse)
            .transpose()?,
        roles: user::parse_roles(req.roles.unwrap_or_default())?,
    })
}

/// Create a user.
#[utoipa::path(post, path = "/v1/users", tag = "users",
    request_body = wire::CreateUserRequest,
    responses((status = 200, body = wire::CreateUserResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn create_user(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Json(req): Json<wire::CreateUserRequest>,
) -> Result<axum::Json<wire::CreateUserResponse>> {
    let user =
        service::users::create(app.store(), &project, new_user(req)?, Timestamp::now()).await?;
    Ok(axum::Json(wire::CreateUserResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id: user.user_id.clone(),
        email_id: user
            .emails
            .first()
            .map(|e| e.email_id.clone())
            .unwrap_or_default(),
        phone_id: user
            .phone_numbers
            .first()
            .map(|p| p.phone_id.clone())
            .unwrap_or_default(),
        status: user.status.as_str().to_owned(),
        user: to_wire(user),
    }))
}

/// Get a user by `user_id` or `external_id`.
#[utoipa::path(get, path = "/v1/users/{user_id}", tag = "users",
    params(("user_id" = String, Path, description = "user_id or external_id")),
    responses((status = 200, body = wire::GetUserResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn get_user(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Path(user_id): Path<String>,
) -> Result<axum::Json<wire::GetUserResponse>> {
    let user = service::users::get(app.store(), &project, &user_id).await?;
    Ok(axum::Json(wire::GetUserResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user: to_wire(user),
    }))
}

/// Update a user's name, metadata, external id or roles.
#[utoipa::path(put, path = "/v1/users/{user_id}", tag = "users",
    params(("user_id" = String, Path, description = "user_id or external_id")),
    request_body = wire::UpdateUserRequest,
    responses((status = 200, body = wire::UpdateUserResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn update_user(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Path(user_id): Path<String>,
    Json(req): Json<wire::UpdateUserRequest>,
) -> Result<axum::Json<wire::UpdateUserResponse>> {
    let name = req.name.unwrap_or_default();
    let patch = UserPatch {
        first_name: name_part(name.first_name)?,
        middle_name: name_part(name.middle_name)?,
        last_name: name_part(name.last_name)?,
        trusted_metadata: req.trusted_metadata.filter(|v| !v.is_null()),
        untrusted_metadata: req.untrusted_metadata.filter(|v| !v.is_null()),
        external_id: req
            .external_id
            .as_deref()
            .map(ExternalId::parse)
            .transpose()?,
        roles: req.roles.map(user::parse_roles).transpose()?,
    };
    let user = to_wire(service::users::update(app.store(), &project, &user_id, patch).await?);
    Ok(axum::Json(wire::UpdateUserResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id: user.user_id.clone(),
        emails: user.emails.clone(),
        phone_numbers: user.phone_numbers.clone(),
        crypto_wallets: user.crypto_wallets.clone(),
        user,
    }))
}

/// Delete a user with all its factors and sessions.
#[utoipa::path(delete, path = "/v1/users/{user_id}", tag = "users",
    params(("user_id" = String, Path, description = "user_id or external_id")),
    responses((status = 200, body = wire::DeleteUserResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn delete_user(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Path(user_id): Path<String>,
) -> Result<axum::Json<wire::DeleteUserResponse>> {
    let user_id = service::users::delete(app.store(), &project, &user_id).await?;
    Ok(axum::Json(wire::DeleteUserResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id,
    }))
}

/// Search users with filters and cursor pagination.
#[utoipa::path(post, path = "/v1/users/search", tag = "users",
    request_body = wire::SearchUsersRequest,
    responses((status = 200, body = wire::SearchUsersResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn search_users(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Json(req): Json<wire::SearchUsersRequest>,
) -> Result<axum::Json<wire::SearchUsersResponse>> {
    let filter = match req.query {
        Some(q) => {
            let operands = q
                .operands
                .iter()
                .map(|o| search::operand(&o.filter_name, &o.filter_value))
                .collect::<Result<Vec<_>>>()?;
            search::query(&q.operator, operands)?
        }
        None => crate::store::UserFilter::And(vec![]),
    };
    let page = service::users::search(
        app.store(),
        &project,
        filter,
        req.cursor.as_deref(),
        req.limit,
    )
    .await?;
    Ok(axum::Json(wire::SearchUsersResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        results: page.users.into_iter().map(to_wire).collect(),
        results_metadata: wire::ResultsMetadata {
            total: page.total,
            next_cursor: page.next.map(|c| c.encode()),
        },
    }))
}

/// The answer of every `/v1` call that deletes or changes one of a user's factors.
pub(crate) fn factor_response(
    request_id: RequestId,
    user: User,
) -> axum::Json<wire::UserFactorResponse> {
    axum::Json(wire::UserFactorResponse {
        request_id: request_id.into_string(),
        status_code: 200,
        user_id: user.user_id.clone(),
        user: to_wire(user),
    })
}

/// Replace the only factor of a user with a new email or phone number.
#[utoipa::path(put, path = "/v1/users/{user_id}/exchange_primary_factor", tag = "users",
    params(("user_id" = String, Path, description = "user_id or external_id")),
    request_body = wire::ExchangePrimaryFactorRequest,
    responses((status = 200, body = wire::UserFactorResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn exchange_primary_factor(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Path(user_id): Path<String>,
    Json(req): Json<wire::ExchangePrimaryFactorRequest>,
) -> Result<axum::Json<wire::UserFactorResponse>> {
    let new = match (req.email_address.as_deref(), req.phone_number.as_deref()) {
        (Some(e), None) => PrimaryFactor::Email(EmailAddress::parse(e)?),
        (None, Some(p)) => PrimaryFactor::Phone(PhoneNumber::parse(p)?),
        _ => return Err(Error::new(ErrorType::InvalidExchangePrimaryFactorFields)),
    };
    let user = service::users::exchange_primary_factor(
        app.store(),
        &project,
        &user_id,
        new,
        Timestamp::now(),
    )
    .await?;
    Ok(factor_response(request_id, user))
}

/// Delete an email address from its user.
#[utoipa::path(delete, path = "/v1/users/emails/{email_id}", tag = "users",
    params(("email_id" = String, Path)),
    responses((status = 200, body = wire::UserFactorResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn delete_email(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Path(email_id): Path<String>,
) -> Result<axum::Json<wire::UserFactorResponse>> {
    let user =
        service::users::delete_factor(app.store(), &project, FactorRef::Email(email_id), "project")
            .await?;
    Ok(factor_response(request_id, user))
}

/// Delete a phone number from its user.
#[utoipa::path(delete, path = "/v1/users/phone_numbers/{phone_id}", tag = "users",
    params(("phone_id" = String, Path)),
    responses((status = 200, body = wire::UserFactorResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn delete_phone_number(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Path(phone_id): Path<String>,
) -> Result<axum::Json<wire::UserFactorResponse>> {
    let user =
        service::users::delete_factor(app.store(), &project, FactorRef::Phone(phone_id), "project")
            .await?;
    Ok(factor_response(request_id, user))
}

/// Clear a user's external id.
#[utoipa::path(delete, path = "/v1/users/{user_id}/external_id", tag = "users",
    params(("user_id" = String, Path, description = "user_id or external_id")),
    responses((status = 200, body = wire::UserFactorResponse), (status = "4XX", body = ErrorResponse)),
    security(("project_secret" = [])))]
async fn delete_external_id(
    ProjectAuth(project): ProjectAuth,
    request_id: RequestId,
    State(app): State<AppState>,
    Path(user_id): Path<String>,
) -> Result<axum::Json<wire::UserFactorResponse>> {
    let user = service::users::delete_external_id(app.store(), &project, &user_id).await?;
    Ok(factor_response(request_id, user))
}
