//! Batch reads for DataLoaders: the rows of one table whose key column is in a set of ids,
//! grouped by that key, in one query. Callers have already authorised the parents whose
//! children they load.

use crate::error::DomainResult;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use std::collections::HashMap;

/// Rows of `E` whose `column` is in `keys`, grouped by `key_of(row)`, each group in
/// `order_by` order.
pub async fn grouped<E, C>(
    db: &C,
    column: E::Column,
    order_by: E::Column,
    keys: &[i64],
    key_of: fn(&E::Model) -> i64,
) -> DomainResult<HashMap<i64, Vec<E::Model>>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let rows = E::find()
        .filter(column.is_in(keys.iter().copied()))
        .order_by_asc(order_by)
        .all(db)
        .await?;
    let mut map: HashMap<i64, Vec<E::Model>> = HashMap::with_capacity(keys.len());
    for row in rows {
        map.entry(key_of(&row)).or_default().push(row);
    }
    Ok(map)
}
