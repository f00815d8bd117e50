//! The chat's messages: validated, stored in the database, read back newest-last.

use std::time::{SystemTime, UNIX_EPOCH};

use liveview_core::Errors;
use serde::{Deserialize, Serialize};

use crate::db::Db;

/// The longest message body, in characters.
pub const MAX_BODY_CHARS: usize = 2000;
/// The longest author name, in characters.
pub const MAX_AUTHOR_CHARS: usize = 40;

/// One chat message, as stored and as broadcast on the chat topic.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ChatMessage {
    /// Its id, increasing with time.
    pub id: i64,
    /// Who wrote it.
    pub author: String,
    /// What they wrote (plain text; the page escapes it).
    pub body: String,
    /// When it was stored, Unix time in milliseconds.
    pub inserted_at: i64,
}

/// What a new message needs: an author and a body, trimmed, neither blank nor too long.
/// The same rules serve the live form and any API.
pub fn validate(author: &str, body: &str) -> Errors {
    let mut errors = Errors::new();
    errors
        .require("name", author.trim())
        .length("name", author.trim(), 1, MAX_AUTHOR_CHARS)
        .require("message", body.trim())
        .length("message", body.trim(), 1, MAX_BODY_CHARS);
    errors
}

/// Stores a message (already validated) and returns it with its id and time.
pub async fn insert(db: &Db, author: &str, body: &str) -> Result<ChatMessage, sqlx::Error> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    sqlx::query_as::<_, ChatMessage>(
        "INSERT INTO messages (author, body, inserted_at) VALUES ($1, $2, $3) \
         RETURNING id, author, body, inserted_at",
    )
    .bind(author.trim())
    .bind(body.trim())
    .bind(now)
    .fetch_one(db.pool())
    .await
}

/// The newest `limit` messages older than `before` (all when `None`), oldest first.
pub async fn page(
    db: &Db,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<ChatMessage>, sqlx::Error> {
    let mut messages = sqlx::query_as::<_, ChatMessage>(
        "SELECT id, author, body, inserted_at FROM messages \
         WHERE id < $1 ORDER BY id DESC LIMIT $2",
    )
    .bind(before.unwrap_or(i64::MAX))
    .bind(i64::from(limit))
    .fetch_all(db.pool())
    .await?;
    messages.reverse();
    Ok(messages)
}

#[cfg(test)]
mod tests {
    use test_servers::each_database::TestDatabase;

    use super::*;

    async fn messages_are_stored_trimmed_and_read_back_oldest_first(database: TestDatabase) {
        let db = Db::connect(&database.fresh_url().await).await.unwrap();
        assert_eq!(page(&db, None, 10).await.unwrap(), []);
        let first = insert(&db, " Ada ", " Hello ").await.unwrap();
        assert_eq!(
            (first.author.as_str(), first.body.as_str()),
            ("Ada", "Hello")
        );
        let second = insert(&db, "Bob", "Hi Ada").await.unwrap();
        assert!(second.id > first.id);
        assert!(second.inserted_at >= first.inserted_at);
        assert_eq!(page(&db, None, 10).await.unwrap(), [first, second]);
    }

    async fn a_page_is_the_newest_messages_before_a_cursor(database: TestDatabase) {
        let db = Db::connect(&database.fresh_url().await).await.unwrap();
        let mut all = Vec::new();
        for i in 0..5 {
            all.push(insert(&db, "Ada", &format!("message {i}")).await.unwrap());
        }
        assert_eq!(page(&db, None, 2).await.unwrap(), all[3..]);
        assert_eq!(page(&db, Some(all[3].id), 2).await.unwrap(), all[1..3]);
        assert_eq!(page(&db, Some(all[1].id), 2).await.unwrap(), all[..1]);
        assert_eq!(page(&db, Some(all[0].id), 2).await.unwrap(), []);
    }

    test_servers::test_on_each_database!(
        messages_are_stored_trimmed_and_read_back_oldest_first,
        a_page_is_the_newest_messages_before_a_cursor,
    );
}
