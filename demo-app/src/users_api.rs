//! `/api/users`: the users as JSON, the reference app's `UserController` and `UserJSON`.
//!
//! | request | answers |
//! | --- | --- |
//! | `GET /api/users?page=1&per_page=20&search=ada` | 200 `{"data":[user...],"pagination":{"page","per_page","total_count","total_pages"}}` |
//! | `POST /api/users` `{"user":{"name","email","password"}}` | 201 `{"data":user}` with `location: /api/users/<id>`; 422 `{"errors":{"field":["message"]}}` |
//! | `GET /api/users/<id>` | 200 `{"data":user}`; 404 |
//! | `PUT /api/users/<id>` `{"user":{...}}` | 200 `{"data":user}`; 422; 404 |
//! | `DELETE /api/users/<id>` | 204; 404 |
//!
//! A user is `{"id","email","name","is_admin","confirmed_at","inserted_at"}`, the
//! timestamps ISO 8601 UTC (`confirmed_at` `null` until confirmed); never a password or its
//! hash. `page` counts from 1 (default 1), `per_page` is 1 to [`MAX_PER_PAGE`] (default
//! [`DEFAULT_PER_PAGE`]); users come by id. `PUT` changes only the fields it sends (a
//! missing `name` or `email` keeps the old one; an empty one is `can't be blank`), and a
//! missing or empty `password` keeps the old password. `is_admin` and `confirmed_at` are
//! never taken from a request.
//!
//! A client mistake the params cannot express — malformed JSON, a body that is not JSON,
//! no `user` object, an id or page that is not a number in range — is 400 with
//! `{"error":"<what is wrong>"}`. A 404 is `{"errors":{"detail":"Not Found"}}`, as
//! Phoenix's fallback answers. Every save is broadcast on the `users` topic as a
//! [`UserChange`].

use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use liveview_core::pubsub::SharedPubSub;
use liveview_core::Errors;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::accounts::{self, SaveError, User, UserChange, UserParams};
use crate::db::Db;

/// `per_page` when the query does not say.
pub const DEFAULT_PER_PAGE: u32 = 20;
/// The largest `per_page` accepted; more is a 400.
pub const MAX_PER_PAGE: u32 = 100;

/// What the handlers share: the database, and the pubsub that changes go out on.
#[derive(Clone)]
pub struct UsersApi {
    db: Db,
    pubsub: SharedPubSub,
}

impl std::fmt::Debug for UsersApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsersApi")
            .field("db", &self.db)
            .finish_non_exhaustive()
    }
}

/// The routes `/api/users` and `/api/users/{id}` on `db`, broadcasting on `pubsub`
/// (give it `Live::pubsub()` so live pages hear about API changes).
pub fn routes(db: Db, pubsub: SharedPubSub) -> Router {
    Router::new()
        .route("/api/users", get(index).post(create))
        .route("/api/users/{id}", get(show).put(update).delete(delete))
        .with_state(UsersApi { db, pubsub })
}

/// A user as the API shows it.
fn user_json(user: &User) -> Value {
    json!({
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "is_admin": user.is_admin,
        "confirmed_at": user.confirmed_at,
        "inserted_at": user.inserted_at,
    })
}

/// Everything a handler answers besides success.
#[derive(Debug)]
enum ApiError {
    /// 400 (or 413 for a body over the limit) with `{"error": message}`.
    BadRequest(StatusCode, String),
    /// 404 `{"errors":{"detail":"Not Found"}}`.
    NotFound,
    /// 422 with the messages by field.
    Invalid(Errors),
    /// 500; the cause is logged, not shown.
    Internal(String),
}

impl ApiError {
    fn bad_request(message: impl Into<String>) -> Self {
        ApiError::BadRequest(StatusCode::BAD_REQUEST, message.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match self {
            ApiError::BadRequest(status, message) => {
                (status, Json(json!({ "error": message }))).into_response()
            }
            ApiError::NotFound => (
                StatusCode::NOT_FOUND,
                Json(json!({"errors": {"detail": "Not Found"}})),
            )
                .into_response(),
            ApiError::Invalid(errors) => errors.into_response(),
            ApiError::Internal(cause) => {
                tracing::error!("/api/users: {cause}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    Json(json!({"errors": {"detail": "Internal Server Error"}})),
                )
                    .into_response()
            }
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl From<SaveError> for ApiError {
    fn from(e: SaveError) -> Self {
        match e {
            SaveError::Invalid(errors) => ApiError::Invalid(errors),
            SaveError::NotFound => ApiError::NotFound,
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let message = match &rejection {
            JsonRejection::MissingJsonContentType(_) => {
                "expected a JSON body with `content-type: application/json`".to_owned()
            }
            JsonRejection::JsonSyntaxError(e) => format!("malformed JSON: {}", e.body_text()),
            other => other.body_text(),
        };
        // A body over the size limit keeps its 413; every other mistake is a 400.
        let status = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            StatusCode::PAYLOAD_TOO_LARGE
        } else {
            StatusCode::BAD_REQUEST
        };
        ApiError::BadRequest(status, message)
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        ApiError::bad_request(format!("malformed query string: {}", rejection.body_text()))
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        ApiError::bad_request("the user id must be a whole number")
    }
}

/// The query of `GET /api/users`, as sent: parsed by hand for clear messages.
#[derive(Debug, Deserialize)]
struct ListQuery {
    page: Option<String>,
    per_page: Option<String>,
    search: Option<String>,
}

/// `name` parsed as a whole number from `min` to `max`, or `default` when not sent.
fn number(
    name: &str,
    text: Option<&str>,
    default: u32,
    min: u32,
    max: u32,
) -> Result<u32, ApiError> {
    let Some(text) = text else {
        return Ok(default);
    };
    match text.trim().parse::<u32>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ if max == u32::MAX => Err(ApiError::bad_request(format!(
            "{name} must be a whole number of at least {min}, got {text:?}"
        ))),
        _ => Err(ApiError::bad_request(format!(
            "{name} must be a whole number from {min} to {max}, got {text:?}"
        ))),
    }
}

async fn index(
    State(api): State<UsersApi>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query?;
    let page = number("page", query.page.as_deref(), 1, 1, u32::MAX)?;
    let per_page = number(
        "per_page",
        query.per_page.as_deref(),
        DEFAULT_PER_PAGE,
        1,
        MAX_PER_PAGE,
    )?;
    let (users, total) =
        accounts::list_users(&api.db, query.search.as_deref(), page, per_page).await?;
    let total_pages = (total + i64::from(per_page) - 1) / i64::from(per_page);
    Ok(Json(json!({
        "data": users.iter().map(user_json).collect::<Vec<_>>(),
        "pagination": {
            "page": page,
            "per_page": per_page,
            "total_count": total,
            "total_pages": total_pages,
        },
    }))
    .into_response())
}

/// The `user` object of a body, as params. `base` gives the fields not sent (empty for a
/// create, the user's own for an update). A field sent with a value that is not a string
/// (a number, a list) is `is invalid`, as Ecto's cast says; `null` counts as empty.
fn user_params(body: Value, base: UserParams) -> Result<(UserParams, Errors), ApiError> {
    let Value::Object(mut body) = body else {
        return Err(ApiError::bad_request(
            "the body must be a JSON object: {\"user\": {...}}",
        ));
    };
    let Some(Value::Object(user)) = body.remove("user") else {
        return Err(ApiError::bad_request(
            "the body must have a \"user\" object: {\"user\": {...}}",
        ));
    };
    let mut cast = Errors::new();
    let mut field = |user: &Map<String, Value>, name: &str, base: String| match user.get(name) {
        None => base,
        Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            cast.add(name, "is invalid");
            String::new()
        }
    };
    let params = UserParams {
        name: field(&user, "name", base.name),
        email: field(&user, "email", base.email),
        password: field(&user, "password", base.password),
    };
    Ok((params, cast))
}

/// A save's errors with the cast errors first; a field that could not be read says only
/// that.
fn with_cast(cast: Errors, error: SaveError) -> ApiError {
    if cast.is_empty() {
        return error.into();
    }
    let mut errors = cast.clone();
    if let SaveError::Invalid(found) = &error {
        for (field, messages) in found.iter() {
            if cast.get(field).is_empty() {
                for message in messages {
                    errors.add(field, message.as_str());
                }
            }
        }
    }
    ApiError::Invalid(errors)
}

async fn create(
    State(api): State<UsersApi>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let (params, cast) = user_params(body, UserParams::default())?;
    if !cast.is_empty() {
        // Saving could only fail: collect the other fields' messages too.
        let errors = accounts::validate_user(&api.db, &params, None).await?;
        return Err(with_cast(cast, SaveError::Invalid(errors)));
    }
    let user = accounts::create_user(&api.db, &params).await?;
    UserChange::Created(user.clone()).broadcast(&api.pubsub);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/users/{}", user.id))],
        Json(json!({ "data": user_json(&user) })),
    )
        .into_response())
}

async fn show(
    State(api): State<UsersApi>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = id?;
    let user = accounts::get_user(&api.db, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Json(json!({ "data": user_json(&user) })).into_response())
}

async fn update(
    State(api): State<UsersApi>,
    id: Result<Path<i64>, PathRejection>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    let current = accounts::get_user(&api.db, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let base = UserParams {
        name: current.name,
        email: current.email,
        password: String::new(),
    };
    let (params, cast) = user_params(body, base)?;
    if !cast.is_empty() {
        let errors = accounts::validate_user(&api.db, &params, Some(id)).await?;
        return Err(with_cast(cast, SaveError::Invalid(errors)));
    }
    let user = accounts::update_user(&api.db, id, &params).await?;
    UserChange::Updated(user.clone()).broadcast(&api.pubsub);
    Ok(Json(json!({ "data": user_json(&user) })).into_response())
}

async fn delete(
    State(api): State<UsersApi>,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Response, ApiError> {
    let Path(id) = id?;
    if !accounts::delete_user(&api.db, id).await? {
        return Err(ApiError::NotFound);
    }
    UserChange::Deleted(id).broadcast(&api.pubsub);
    Ok(StatusCode::NO_CONTENT.into_response())
}
