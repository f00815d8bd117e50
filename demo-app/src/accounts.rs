//! Users: validated, stored with a hashed password, listed, changed and deleted. The
//! `Accounts` context of the reference app; `/users` and `/api/users` both go through it.
//!
//! The rules live in one place: [`UserParams`]'s [`Validate`] (creating) and
//! [`UserParams::validate_update`] (editing, where an empty password keeps the old one).
//! Whether an email is taken is asked of the database twice: before saving, so a form can
//! say so while the user types ([`validate_user`]), and by the `UNIQUE` index on save, which
//! is the truth when two sign-ups race: the loser gets the same `has already been taken`.
//!
//! Passwords are hashed with Argon2id (a random salt each, the PHC string stored) on a
//! blocking thread; [`User`] has no field for the hash, so nothing serialises it.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use liveview_core::pubsub::PubSub;
use liveview_core::{Errors, Validate};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row as _;

use crate::db::Db;

/// The pubsub topic of user changes: every `/users` page listens, on every node.
pub const TOPIC: &str = "users";

/// The longest email, in characters.
pub const MAX_EMAIL_CHARS: usize = 160;
/// The shortest and longest name, in characters.
pub const NAME_CHARS: (usize, usize) = (2, 100);
/// The shortest and longest password, in characters.
pub const PASSWORD_CHARS: (usize, usize) = (12, 72);
/// The longest password in bytes (the reference's bcrypt limit, kept as a rule).
pub const MAX_PASSWORD_BYTES: usize = 72;

/// The message for an email another user has.
pub const TAKEN: &str = "has already been taken";

/// The columns a [`User`] is read from: never the password's hash. `is_admin` is read as
/// 0 or 1, because sqlx's `Any` driver cannot read a SQLite `BOOLEAN` column (PostgreSQL's
/// is a real boolean; see `db.rs`).
const COLUMNS: &str = "id, email, name, CASE WHEN is_admin THEN 1 ELSE 0 END AS is_admin, \
                       confirmed_at, inserted_at, updated_at";

/// One user, as stored (less the password's hash, which is never read back) and as
/// broadcast on [`TOPIC`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// Its id, increasing with time.
    pub id: i64,
    /// Unique, compared case-insensitively.
    pub email: String,
    /// The display name.
    pub name: String,
    /// Administrators (set only in the database; no form or API sets it).
    pub is_admin: bool,
    /// When the user confirmed their email (ISO 8601 UTC), if they have.
    pub confirmed_at: Option<String>,
    /// When the user was created (ISO 8601 UTC, whole seconds).
    pub inserted_at: String,
    /// When the user was last changed (ISO 8601 UTC, whole seconds).
    pub updated_at: String,
}

/// Read from [`COLUMNS`].
impl sqlx::FromRow<'_, AnyRow> for User {
    fn from_row(row: &AnyRow) -> Result<Self, sqlx::Error> {
        Ok(User {
            id: row.try_get("id")?,
            email: row.try_get("email")?,
            name: row.try_get("name")?,
            is_admin: row.try_get::<i64, _>("is_admin")? != 0,
            confirmed_at: row.try_get("confirmed_at")?,
            inserted_at: row.try_get("inserted_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

/// What a form or a JSON body gives to create or change a user. Fields not sent are empty.
///
/// Serialising it (to fill an edit form) never writes the password.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserParams {
    /// The display name.
    pub name: String,
    /// The email.
    pub email: String,
    /// The password in clear: required to create, empty to keep on update.
    #[serde(skip_serializing)]
    pub password: String,
}

/// The params of an edit form: [`UserParams`] validated by
/// [`UserParams::validate_update`], so an empty password is fine (it keeps the old one).
/// Use it as `Form<EditUserParams>` for `/users/:id/edit`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EditUserParams(pub UserParams);

/// A change to the users, broadcast on [`TOPIC`] after it is saved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserChange {
    /// A user was created.
    Created(User),
    /// A user was changed.
    Updated(User),
    /// The user with this id was deleted.
    Deleted(i64),
}

impl UserChange {
    /// Broadcasts this change on [`TOPIC`] to every subscriber (every `/users` page).
    pub fn broadcast(self, pubsub: &Arc<dyn PubSub>) {
        pubsub.broadcast(TOPIC, self);
    }
}

/// Why a user could not be saved.
#[derive(Debug)]
pub enum SaveError {
    /// The params break a rule (or the email is taken): the messages by field.
    Invalid(Errors),
    /// No user has this id (update only).
    NotFound,
    /// The database failed.
    Db(sqlx::Error),
    /// The password could not be hashed.
    Hash(String),
}

impl SaveError {
    /// The validation messages, when that is what went wrong.
    pub fn errors(&self) -> Option<&Errors> {
        match self {
            SaveError::Invalid(errors) => Some(errors),
            _ => None,
        }
    }
}

impl std::fmt::Display for SaveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SaveError::Invalid(errors) => write!(f, "invalid user: {errors}"),
            SaveError::NotFound => f.write_str("no such user"),
            SaveError::Db(e) => write!(f, "database error: {e}"),
            SaveError::Hash(e) => write!(f, "cannot hash the password: {e}"),
        }
    }
}

impl std::error::Error for SaveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SaveError::Invalid(errors) => Some(errors),
            SaveError::Db(e) => Some(e),
            _ => None,
        }
    }
}

impl From<sqlx::Error> for SaveError {
    fn from(e: sqlx::Error) -> Self {
        SaveError::Db(e)
    }
}

/// `^[^\s]+@[^\s]+$`: no whitespace, and an `@` with something before and after it.
fn is_email_shaped(email: &str) -> bool {
    !email.contains(char::is_whitespace)
        && email
            .char_indices()
            .any(|(i, c)| c == '@' && i > 0 && i + 1 < email.len())
}

/// `[!?@#$%^&*_0-9]`, as the reference app's rule.
fn is_digit_or_punctuation(c: char) -> bool {
    c.is_ascii_digit() || "!?@#$%^&*_".contains(c)
}

impl UserParams {
    /// The rules for a change to an existing user: as for a new one, except that an empty
    /// (or blank) password is allowed (the old one is kept).
    pub fn validate_update(&self) -> Errors {
        self.rules(self.password.trim().is_empty())
    }

    fn rules(&self, password_optional: bool) -> Errors {
        let mut errors = Errors::new();
        let (email, name, password) = (&self.email, &self.name, &self.password);
        errors
            .require("email", email)
            .check(
                "email",
                is_email_shaped(email),
                "must have the @ sign and no spaces",
            )
            .length("email", email, 0, MAX_EMAIL_CHARS);
        errors
            .require("name", name)
            .length("name", name, NAME_CHARS.0, NAME_CHARS.1);
        if !password_optional {
            errors.require("password", password);
        }
        if !password.trim().is_empty() {
            errors
                .length("password", password, PASSWORD_CHARS.0, PASSWORD_CHARS.1)
                .check(
                    "password",
                    password.chars().any(|c| c.is_ascii_lowercase()),
                    "at least one lower case character",
                )
                .check(
                    "password",
                    password.chars().any(|c| c.is_ascii_uppercase()),
                    "at least one upper case character",
                )
                .check(
                    "password",
                    password.chars().any(is_digit_or_punctuation),
                    "at least one digit or punctuation character",
                );
            if errors.get("password").is_empty() {
                errors.check(
                    "password",
                    password.len() <= MAX_PASSWORD_BYTES,
                    format!("should be at most {MAX_PASSWORD_BYTES} byte(s)"),
                );
            }
        }
        errors
    }
}

/// The rules for a new user (everything required). Uniqueness of the email needs the
/// database: see [`validate_user`].
impl Validate for UserParams {
    fn validate(&self) -> Errors {
        self.rules(false)
    }
}

impl Validate for EditUserParams {
    fn validate(&self) -> Errors {
        self.0.validate_update()
    }
}

/// Whether a user other than `except` has this email (compared case-insensitively).
pub async fn email_taken(db: &Db, email: &str, except: Option<i64>) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM users WHERE lower(email) = lower($1) AND id != $2",
    )
    .bind(email)
    .bind(except.unwrap_or(0))
    .fetch_one(db.pool())
    .await
    .map(|count| count > 0)
}

/// Every rule, including `has already been taken` for an email another user has: for a
/// new user (`id` `None`) or a change to user `id`. A live form calls it on every change.
/// The email is looked up only when it passes the other email rules, as Ecto's
/// `unsafe_validate_unique` does.
pub async fn validate_user(
    db: &Db,
    params: &UserParams,
    id: Option<i64>,
) -> Result<Errors, sqlx::Error> {
    let mut errors = match id {
        None => params.validate(),
        Some(_) => params.validate_update(),
    };
    if errors.get("email").is_empty() && email_taken(db, &params.email, id).await? {
        errors.add("email", TAKEN);
    }
    Ok(errors)
}

/// Users whose name or email contains `search` (case-insensitively; all when `None` or
/// blank), by id, page `page` (from 1; 0 counts as 1) of `per_page` (at least 1), with how
/// many match in all.
pub async fn list_users(
    db: &Db,
    search: Option<&str>,
    page: u32,
    per_page: u32,
) -> Result<(Vec<User>, i64), sqlx::Error> {
    let pattern = match search.map(str::trim).filter(|s| !s.is_empty()) {
        Some(search) => format!("%{}%", escape_like(search)),
        None => "%".to_owned(),
    };
    let per_page = i64::from(per_page.max(1));
    let offset = i64::from(page.max(1) - 1) * per_page;
    // lower() on both sides: PostgreSQL's LIKE is case-sensitive, SQLite's is not.
    let filter = "WHERE lower(name) LIKE lower($1) ESCAPE '\\' \
                  OR lower(email) LIKE lower($1) ESCAPE '\\'";
    let users = sqlx::query_as::<_, User>(&format!(
        "SELECT {COLUMNS} FROM users {filter} ORDER BY id LIMIT $2 OFFSET $3"
    ))
    .bind(&pattern)
    .bind(per_page)
    .bind(offset)
    .fetch_all(db.pool())
    .await?;
    let total = sqlx::query_scalar::<_, i64>(&format!("SELECT count(*) FROM users {filter}"))
        .bind(&pattern)
        .fetch_one(db.pool())
        .await?;
    Ok((users, total))
}

/// `%`, `_` and `\` taken literally in a `LIKE ... ESCAPE '\'` pattern.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The user with this id, if any.
pub async fn get_user(db: &Db, id: i64) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as::<_, User>(&format!("SELECT {COLUMNS} FROM users WHERE id = $1"))
        .bind(id)
        .fetch_optional(db.pool())
        .await
}

/// The user with this email (compared case-insensitively), if any.
pub async fn get_user_by_email(db: &Db, email: &str) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as::<_, User>(&format!(
        "SELECT {COLUMNS} FROM users WHERE lower(email) = lower($1)"
    ))
    .bind(email)
    .fetch_optional(db.pool())
    .await
}

/// The user with this email when `password` is theirs; `None` otherwise (an unknown email
/// costs a hash too, so timing does not tell which emails exist).
pub async fn authenticate(
    db: &Db,
    email: &str,
    password: &str,
) -> Result<Option<User>, sqlx::Error> {
    let hash: Option<(i64, String)> =
        sqlx::query_as("SELECT id, hashed_password FROM users WHERE lower(email) = lower($1)")
            .bind(email)
            .fetch_optional(db.pool())
            .await?;
    let password = password.to_owned();
    let Some((id, hash)) = hash else {
        let _ = hash_password(password).await;
        return Ok(None);
    };
    if password.is_empty() {
        return Ok(None);
    }
    let ok = tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false);
    if ok {
        get_user(db, id).await
    } else {
        Ok(None)
    }
}

/// Creates a user from valid params, the password hashed; `Invalid` with the messages
/// otherwise, including `has already been taken` when another user has the email (also
/// when that user was created a moment before, by a racing request).
pub async fn create_user(db: &Db, params: &UserParams) -> Result<User, SaveError> {
    let errors = validate_user(db, params, None).await?;
    if !errors.is_empty() {
        return Err(SaveError::Invalid(errors));
    }
    let hash = hash_password(params.password.clone()).await?;
    insert_user(db, params, &hash).await
}

/// Inserts a user with this hash, validated or not: the `UNIQUE` index still decides
/// whether the email is free.
async fn insert_user(db: &Db, params: &UserParams, hash: &str) -> Result<User, SaveError> {
    let now = now();
    sqlx::query_as::<_, User>(&format!(
        "INSERT INTO users (email, name, hashed_password, is_admin, inserted_at, updated_at) \
         VALUES ($1, $2, $3, FALSE, $4, $4) RETURNING {COLUMNS}"
    ))
    .bind(&params.email)
    .bind(&params.name)
    .bind(hash)
    .bind(&now)
    .fetch_one(db.pool())
    .await
    .map_err(taken_or_db)
}

/// Changes user `id`'s name and email, and its password when `params.password` is not
/// blank. `NotFound` when there is no such user (or it was deleted meanwhile).
pub async fn update_user(db: &Db, id: i64, params: &UserParams) -> Result<User, SaveError> {
    if get_user(db, id).await?.is_none() {
        return Err(SaveError::NotFound);
    }
    let errors = validate_user(db, params, Some(id)).await?;
    if !errors.is_empty() {
        return Err(SaveError::Invalid(errors));
    }
    let hash = if params.password.trim().is_empty() {
        None
    } else {
        Some(hash_password(params.password.clone()).await?)
    };
    sqlx::query_as::<_, User>(&format!(
        "UPDATE users SET email = $1, name = $2, \
         hashed_password = coalesce($3, hashed_password), updated_at = $4 \
         WHERE id = $5 RETURNING {COLUMNS}"
    ))
    .bind(&params.email)
    .bind(&params.name)
    .bind(hash)
    .bind(now())
    .bind(id)
    .fetch_optional(db.pool())
    .await
    .map_err(taken_or_db)?
    .ok_or(SaveError::NotFound)
}

/// Marks user `id` confirmed now (once: a confirmed user keeps its first time). `None`
/// when there is no such user.
pub async fn confirm_user(db: &Db, id: i64) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as::<_, User>(&format!(
        "UPDATE users SET confirmed_at = coalesce(confirmed_at, $1), updated_at = $1 \
         WHERE id = $2 RETURNING {COLUMNS}"
    ))
    .bind(now())
    .bind(id)
    .fetch_optional(db.pool())
    .await
}

/// Deletes user `id`: `true` when there was one.
pub async fn delete_user(db: &Db, id: i64) -> Result<bool, sqlx::Error> {
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id)
        .execute(db.pool())
        .await
        .map(|done| done.rows_affected() > 0)
}

/// A `UNIQUE` violation (the email index, the only one besides the id) is the email being
/// taken; anything else is the database failing.
fn taken_or_db(error: sqlx::Error) -> SaveError {
    match &error {
        sqlx::Error::Database(e) if e.is_unique_violation() => {
            let mut errors = Errors::new();
            errors.add("email", TAKEN);
            SaveError::Invalid(errors)
        }
        _ => SaveError::Db(error),
    }
}

/// Argon2id with a random salt, as a PHC string, computed on a blocking thread.
async fn hash_password(password: String) -> Result<String, SaveError> {
    tokio::task::spawn_blocking(move || {
        // 16 random bytes from the OS-seeded thread RNG (the recommended salt length).
        let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
            .map_err(|e| SaveError::Hash(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| SaveError::Hash(e.to_string()))
    })
    .await
    .map_err(|e| SaveError::Hash(e.to_string()))?
}

/// Now, as ISO 8601 UTC to the second: `2026-11-23T10:00:00Z`.
fn now() -> String {
    let now = time::OffsetDateTime::now_utc();
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    )
}

#[cfg(test)]
mod tests {
    use test_servers::each_database::TestDatabase;

    use super::*;

    const PASSWORD: &str = "SecurePass123!";

    /// A new database of this kind, migrated and empty.
    async fn db(database: TestDatabase) -> Db {
        Db::connect(&database.fresh_url().await).await.unwrap()
    }

    fn params(name: &str, email: &str, password: &str) -> UserParams {
        UserParams {
            name: name.into(),
            email: email.into(),
            password: password.into(),
        }
    }

    fn valid() -> UserParams {
        params("Test User", "test@example.com", PASSWORD)
    }

    async fn user_fixture(db: &Db, name: &str, email: &str) -> User {
        create_user(db, &params(name, email, PASSWORD))
            .await
            .unwrap()
    }

    async fn stored_hash(db: &Db, id: i64) -> String {
        sqlx::query_scalar("SELECT hashed_password FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(db.pool())
            .await
            .unwrap()
    }

    /// The messages `params` gets for `field` from the create rules.
    fn messages(params: &UserParams, field: &str) -> Vec<String> {
        params.validate().get(field).to_vec()
    }

    async fn create_user_with_valid_data_stores_the_user_and_only_a_hash(database: TestDatabase) {
        let db = db(database).await;
        let user = create_user(&db, &valid()).await.unwrap();
        assert_eq!(user.email, "test@example.com");
        assert_eq!(user.name, "Test User");
        assert!(!user.is_admin);
        assert_eq!(user.confirmed_at, None);
        assert_eq!(user.inserted_at.len(), "2026-11-23T10:00:00Z".len());
        assert!(user.inserted_at.ends_with('Z'), "{}", user.inserted_at);
        assert_eq!(user.inserted_at, user.updated_at);
        let hash = stored_hash(&db, user.id).await;
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(!hash.contains(PASSWORD));
        // Each hash has its own salt.
        let other = user_fixture(&db, "Other", "other@example.com").await;
        assert_ne!(stored_hash(&db, other.id).await, hash);
    }

    async fn authenticate_accepts_the_password_and_nothing_else(database: TestDatabase) {
        let db = db(database).await;
        let user = create_user(&db, &valid()).await.unwrap();
        let found = authenticate(&db, "TEST@example.com", PASSWORD)
            .await
            .unwrap();
        assert_eq!(found, Some(user));
        assert_eq!(
            authenticate(&db, "test@example.com", "wrongpass")
                .await
                .unwrap(),
            None
        );
        assert_eq!(
            authenticate(&db, "test@example.com", "").await.unwrap(),
            None
        );
        assert_eq!(
            authenticate(&db, "nobody@example.com", PASSWORD)
                .await
                .unwrap(),
            None
        );
    }

    async fn create_user_with_invalid_data_saves_nothing(database: TestDatabase) {
        let db = db(database).await;
        let error = create_user(&db, &params("", "invalid-email", "short"))
            .await
            .unwrap_err();
        let errors = error.errors().expect("validation errors");
        assert_eq!(errors.get("email"), ["must have the @ sign and no spaces"]);
        assert_eq!(errors.get("name"), ["can't be blank"]);
        assert!(errors
            .get("password")
            .contains(&"should be at least 12 character(s)".to_owned()));
        assert_eq!(list_users(&db, None, 1, 20).await.unwrap().1, 0);
    }

    #[test]
    fn email_rules_one_by_one() {
        let with = |email: &str| messages(&params("Jo", email, PASSWORD), "email");
        assert_eq!(with(""), ["can't be blank"]);
        assert_eq!(with("   "), ["can't be blank"]);
        for bad in [
            "invalid-email",
            "jo @example.com",
            "@example.com",
            "jo@",
            "@",
        ] {
            assert_eq!(with(bad), ["must have the @ sign and no spaces"], "{bad}");
        }
        assert!(with("jo@example.com").is_empty());
        assert!(with("a@b").is_empty());
        let local = "a".repeat(160 - "@example.com".len());
        assert!(with(&format!("{local}@example.com")).is_empty());
        assert_eq!(
            with(&format!("{local}x@example.com")),
            ["should be at most 160 character(s)"]
        );
    }

    #[test]
    fn name_rules_one_by_one() {
        let with = |name: &str| messages(&params(name, "jo@example.com", PASSWORD), "name");
        assert_eq!(with(""), ["can't be blank"]);
        assert_eq!(with(" \t"), ["can't be blank"]);
        assert_eq!(with("J"), ["should be at least 2 character(s)"]);
        assert!(with("Jo").is_empty());
        assert!(with(&"é".repeat(100)).is_empty());
        assert_eq!(
            with(&"x".repeat(101)),
            ["should be at most 100 character(s)"]
        );
    }

    #[test]
    fn password_rules_one_by_one() {
        let with = |password: &str| messages(&params("Jo", "jo@example.com", password), "password");
        assert_eq!(with(""), ["can't be blank"]);
        assert_eq!(with("            "), ["can't be blank"]);
        assert_eq!(with("Short1!"), ["should be at least 12 character(s)"]);
        assert_eq!(
            with(&format!("Aa1{}", "x".repeat(70))),
            ["should be at most 72 character(s)"]
        );
        assert_eq!(
            with("ALLUPPERCASE123"),
            ["at least one lower case character"]
        );
        assert_eq!(
            with("alllowercase123"),
            ["at least one upper case character"]
        );
        assert_eq!(
            with("NoDigitsOrPunctuation"),
            ["at least one digit or punctuation character"]
        );
        // The reference's set: a hyphen is not one of `!?@#$%^&*_0-9`.
        assert_eq!(
            with("Hyphen-Only-Here"),
            ["at least one digit or punctuation character"]
        );
        for ok in [PASSWORD, "lowerUPPER!!!", "abcdefghijK_", "Password1234"] {
            assert!(with(ok).is_empty(), "{ok}");
        }
        // Every rule that fails says so, as Ecto lists them all.
        assert_eq!(
            with("short"),
            [
                "should be at least 12 character(s)",
                "at least one upper case character",
                "at least one digit or punctuation character",
            ]
        );
        // 72 characters but more than 72 bytes.
        assert_eq!(
            with(&format!("Aa1{}", "é".repeat(69))),
            ["should be at most 72 byte(s)"]
        );
    }

    #[test]
    fn on_update_an_empty_password_is_fine_and_a_given_one_is_checked() {
        let no_password = params("Jo", "jo@example.com", "");
        assert!(no_password.validate_update().is_empty());
        assert!(EditUserParams(no_password.clone()).validate().is_empty());
        assert_eq!(no_password.validate().get("password"), ["can't be blank"]);
        let weak = params("Jo", "jo@example.com", "weak");
        assert_eq!(
            weak.validate_update().get("password")[0],
            "should be at least 12 character(s)"
        );
        let blank_name = params("", "jo@example.com", "");
        assert_eq!(blank_name.validate_update().get("name"), ["can't be blank"]);
    }

    #[test]
    fn params_decode_missing_fields_as_empty_and_never_serialise_the_password() {
        let decoded: UserParams = serde_json::from_str(r#"{"name":"Jo"}"#).unwrap();
        assert_eq!(decoded, params("Jo", "", ""));
        let json = serde_json::to_string(&valid()).unwrap();
        assert!(
            !json.contains("password") && !json.contains(PASSWORD),
            "{json}"
        );
        let edit: EditUserParams =
            serde_json::from_str(r#"{"name":"Jo","email":"a@b","password":"x"}"#).unwrap();
        assert_eq!(edit.0, params("Jo", "a@b", "x"));
    }

    async fn a_user_serialises_without_password_or_hash(database: TestDatabase) {
        let db = db(database).await;
        let user = create_user(&db, &valid()).await.unwrap();
        let json = serde_json::to_string(&user).unwrap();
        assert!(!json.contains("password"), "{json}");
        assert!(!json.contains("argon2"), "{json}");
        assert!(!json.contains(PASSWORD), "{json}");
        let change = serde_json::to_string(&UserChange::Created(user)).unwrap();
        assert!(!change.contains("argon2") && !change.contains("password"));
    }

    async fn a_taken_email_is_refused_whatever_its_case(database: TestDatabase) {
        let db = db(database).await;
        let first = create_user(&db, &valid()).await.unwrap();
        let again = params("Another", "TEST@Example.com", PASSWORD);
        let errors = validate_user(&db, &again, None).await.unwrap();
        assert_eq!(errors.get("email"), [TAKEN]);
        let error = create_user(&db, &again).await.unwrap_err();
        assert_eq!(error.errors().unwrap().get("email"), [TAKEN]);
        // Not taken by oneself.
        assert!(validate_user(&db, &again, Some(first.id))
            .await
            .unwrap()
            .is_empty());
        // A malformed email is not looked up.
        let malformed = params("Another", "nope", PASSWORD);
        assert_eq!(
            validate_user(&db, &malformed, None)
                .await
                .unwrap()
                .get("email"),
            ["must have the @ sign and no spaces"]
        );
    }

    async fn the_unique_index_is_the_truth_when_the_check_is_skipped(database: TestDatabase) {
        let db = db(database).await;
        create_user(&db, &valid()).await.unwrap();
        let error = insert_user(&db, &params("Racer", "Test@Example.COM", PASSWORD), "x")
            .await
            .unwrap_err();
        assert_eq!(error.errors().unwrap().get("email"), [TAKEN]);
        assert_eq!(list_users(&db, None, 1, 20).await.unwrap().1, 1);
    }

    /// Two creates with one email (in two cases), spawned so they run at once on two
    /// threads and, where the pool has several, on two connections: one user, one
    /// `has already been taken`, never a database error.
    async fn race(db: &Db) {
        let tasks = ["race@example.com", "Race@Example.com"].map(|email| {
            let db = db.clone();
            tokio::spawn(async move { create_user(&db, &params("Racer", email, PASSWORD)).await })
        });
        let mut results = Vec::new();
        for task in tasks {
            results.push(task.await.unwrap());
        }
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "{results:?}"
        );
        let error = results.into_iter().find_map(Result::err).unwrap();
        assert_eq!(
            error.errors().expect("a validation error").get("email"),
            [TAKEN]
        );
        assert_eq!(list_users(db, None, 1, 20).await.unwrap().1, 1);
    }

    async fn two_creates_with_the_same_email_give_one_user_and_one_taken_error(
        database: TestDatabase,
    ) {
        race(&db(database).await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_creates_with_the_same_email_give_one_user_and_one_taken_error_on_a_sqlite_file() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("race.db").display());
        race(&Db::connect(&url).await.unwrap()).await;
    }

    async fn list_users_pages_by_id_with_the_total(database: TestDatabase) {
        let db = db(database).await;
        assert_eq!(list_users(&db, None, 1, 20).await.unwrap(), (vec![], 0));
        let mut users = Vec::new();
        for i in 0..5 {
            users.push(user_fixture(&db, &format!("User {i}"), &format!("u{i}@example.com")).await);
        }
        let (all, total) = list_users(&db, None, 1, 20).await.unwrap();
        assert_eq!((all, total), (users.clone(), 5));
        let (page2, total) = list_users(&db, None, 2, 2).await.unwrap();
        assert_eq!((page2, total), (users[2..4].to_vec(), 5));
        let (page3, _) = list_users(&db, None, 3, 2).await.unwrap();
        assert_eq!(page3, users[4..].to_vec());
        assert!(list_users(&db, None, 4, 2).await.unwrap().0.is_empty());
        // Page 0 is the first page.
        assert_eq!(
            list_users(&db, None, 0, 2).await.unwrap().0,
            users[..2].to_vec()
        );
    }

    async fn list_users_searches_name_and_email_case_insensitively(database: TestDatabase) {
        let db = db(database).await;
        let ada = user_fixture(&db, "Ada Lovelace", "ada@example.com").await;
        let alan = user_fixture(&db, "Alan Turing", "alan@computing.org").await;
        let grace = user_fixture(&db, "Grace Hopper", "grace_h@navy.mil").await;
        let names = |found: Vec<User>| found.into_iter().map(|u| u.id).collect::<Vec<_>>();
        let search = |q: &'static str| {
            let db = db.clone();
            async move { list_users(&db, Some(q), 1, 20).await.unwrap() }
        };
        assert_eq!(names(search("LOVE").await.0), [ada.id]);
        assert_eq!(names(search("example.COM").await.0), [ada.id]);
        assert_eq!(names(search("a").await.0), [ada.id, alan.id, grace.id]);
        assert_eq!(search("a").await.1, 3);
        assert_eq!(search("turing").await.1, 1);
        // `_` and `%` are literal.
        assert_eq!(names(search("_h").await.0), [grace.id]);
        assert_eq!(search("%").await.1, 0);
        assert_eq!(search("nobody").await, (vec![], 0));
        // Blank is no filter.
        assert_eq!(search("  ").await.1, 3);
    }

    async fn get_user_returns_the_user_or_none(database: TestDatabase) {
        let db = db(database).await;
        let user = create_user(&db, &valid()).await.unwrap();
        assert_eq!(get_user(&db, user.id).await.unwrap(), Some(user.clone()));
        assert_eq!(get_user(&db, user.id + 1).await.unwrap(), None);
        assert_eq!(
            get_user_by_email(&db, "Test@Example.com").await.unwrap(),
            Some(user)
        );
    }

    async fn update_user_with_valid_data_changes_it(database: TestDatabase) {
        let db = db(database).await;
        let user = create_user(&db, &valid()).await.unwrap();
        let old_hash = stored_hash(&db, user.id).await;
        let changed = update_user(&db, user.id, &params("New Name", "new@example.com", ""))
            .await
            .unwrap();
        assert_eq!(changed.name, "New Name");
        assert_eq!(changed.email, "new@example.com");
        assert_eq!(changed.inserted_at, user.inserted_at);
        assert_eq!(get_user(&db, user.id).await.unwrap(), Some(changed.clone()));
        // No password: the old one is kept.
        assert_eq!(stored_hash(&db, user.id).await, old_hash);
        // Its own email in another case is not "taken".
        update_user(&db, user.id, &params("New Name", "NEW@example.com", ""))
            .await
            .unwrap();
        // A new password is hashed and replaces the old one.
        update_user(
            &db,
            user.id,
            &params("New Name", "new@example.com", "AnotherPass456?"),
        )
        .await
        .unwrap();
        assert_ne!(stored_hash(&db, user.id).await, old_hash);
        assert!(authenticate(&db, "new@example.com", "AnotherPass456?")
            .await
            .unwrap()
            .is_some());
        assert!(authenticate(&db, "new@example.com", PASSWORD)
            .await
            .unwrap()
            .is_none());
    }

    async fn update_user_with_invalid_data_changes_nothing(database: TestDatabase) {
        let db = db(database).await;
        let user = create_user(&db, &valid()).await.unwrap();
        let other = user_fixture(&db, "Other", "other@example.com").await;
        let error = update_user(&db, user.id, &params("X", "bad email", "weak"))
            .await
            .unwrap_err();
        let errors = error.errors().unwrap();
        assert_eq!(errors.get("name"), ["should be at least 2 character(s)"]);
        assert_eq!(errors.get("email"), ["must have the @ sign and no spaces"]);
        assert!(!errors.get("password").is_empty());
        let error = update_user(&db, user.id, &params("Jo", &other.email, ""))
            .await
            .unwrap_err();
        assert_eq!(error.errors().unwrap().get("email"), [TAKEN]);
        assert_eq!(get_user(&db, user.id).await.unwrap(), Some(user));
        assert!(matches!(
            update_user(&db, 999, &valid()).await,
            Err(SaveError::NotFound)
        ));
    }

    async fn delete_user_removes_it_once(database: TestDatabase) {
        let db = db(database).await;
        let user = create_user(&db, &valid()).await.unwrap();
        assert!(delete_user(&db, user.id).await.unwrap());
        assert_eq!(get_user(&db, user.id).await.unwrap(), None);
        assert!(!delete_user(&db, user.id).await.unwrap());
        // The email is free again.
        create_user(&db, &valid()).await.unwrap();
    }

    async fn confirm_user_sets_confirmed_at_once(database: TestDatabase) {
        let db = db(database).await;
        let user = create_user(&db, &valid()).await.unwrap();
        let confirmed = confirm_user(&db, user.id).await.unwrap().unwrap();
        let at = confirmed.confirmed_at.clone().expect("confirmed");
        assert!(at.ends_with('Z'));
        let again = confirm_user(&db, user.id).await.unwrap().unwrap();
        assert_eq!(again.confirmed_at, Some(at));
        assert_eq!(confirm_user(&db, 999).await.unwrap(), None);
    }

    #[test]
    fn now_is_iso_8601_utc() {
        let now = now();
        let bytes = now.as_bytes();
        assert_eq!(now.len(), 20, "{now}");
        assert_eq!(
            (bytes[4], bytes[7], bytes[10], bytes[13], bytes[16], bytes[19]),
            (b'-', b'-', b'T', b':', b':', b'Z')
        );
    }

    test_servers::test_on_each_database!(
        create_user_with_valid_data_stores_the_user_and_only_a_hash,
        authenticate_accepts_the_password_and_nothing_else,
        create_user_with_invalid_data_saves_nothing,
        a_user_serialises_without_password_or_hash,
        a_taken_email_is_refused_whatever_its_case,
        the_unique_index_is_the_truth_when_the_check_is_skipped,
        two_creates_with_the_same_email_give_one_user_and_one_taken_error,
        list_users_pages_by_id_with_the_total,
        list_users_searches_name_and_email_case_insensitively,
        get_user_returns_the_user_or_none,
        update_user_with_valid_data_changes_it,
        update_user_with_invalid_data_changes_nothing,
        delete_user_removes_it_once,
        confirm_user_sets_confirmed_at_once,
    );
}
