//! Relay connections over id-ordered lists: newest first, cursors opaque, pages capped.

use async_graphql::connection::{Connection, Edge, EmptyFields, OpaqueCursor};
use async_graphql::{ErrorExtensions, OutputType};

/// The most items one page may ask for.
pub const MAX_PAGE: usize = 100;
/// The page size when `first` is not given.
pub const DEFAULT_PAGE: usize = 20;

/// A page request: how many, and after which id (exclusive).
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub first: usize,
    pub after_id: Option<i64>,
}

impl Page {
    /// Validates `first` and decodes `after`.
    pub fn parse(first: Option<i32>, after: Option<String>) -> async_graphql::Result<Self> {
        let first = match first {
            None => DEFAULT_PAGE,
            Some(n) if n >= 0 && (n as usize) <= MAX_PAGE => n as usize,
            Some(n) => {
                return Err(async_graphql::Error::new(format!(
                    "`first` must be between 0 and {MAX_PAGE}; it was {n}."
                ))
                .extend_with(|_, e| e.set("code", "BAD_USER_INPUT")));
            }
        };
        let after_id = match after {
            None => None,
            Some(cursor) => Some(
                <OpaqueCursor<i64> as async_graphql::connection::CursorType>::decode_cursor(
                    &cursor,
                )
                .map_err(|_| {
                    async_graphql::Error::new("`after` is not a cursor this list gave out.")
                        .extend_with(|_, e| e.set("code", "BAD_USER_INPUT"))
                })?
                .0,
            ),
        };
        Ok(Self { first, after_id })
    }

    /// Rows to fetch: one more than the page, to learn whether another page follows.
    pub fn fetch_limit(&self) -> u64 {
        self.first as u64 + 1
    }
}

/// Builds a connection from rows fetched with [`Page::fetch_limit`], ordered by
/// descending id.
pub fn connection<T, N>(
    page: Page,
    rows: Vec<T>,
    id_of: impl Fn(&T) -> i64,
    node: impl Fn(T) -> N,
) -> Connection<OpaqueCursor<i64>, N, EmptyFields, EmptyFields>
where
    N: OutputType,
{
    let has_next = rows.len() > page.first;
    let mut connection = Connection::new(page.after_id.is_some(), has_next);
    connection.edges.extend(
        rows.into_iter()
            .take(page.first)
            .map(|row| Edge::new(OpaqueCursor(id_of(&row)), node(row))),
    );
    connection
}
