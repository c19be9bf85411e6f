//! A direct way to answer small objects that a response holds by the thousand.
//!
//! async-graphql answers every field of every object as a boxed future collected in a
//! `FuturesUnordered`, and every object as an `IndexMap` built from their results. For a
//! page of 50 candidates with their progress (500 set objects, about 3,000 fields) that
//! machinery was most of the request's CPU. An object whose fields are plain
//! values already in memory can instead build its answer in one pass over the selection.
//!
//! The direct pass takes only the simple case: every selection a plain field (no fragment,
//! no directive, no response key twice) that the object knows how to answer from memory.
//! Anything else returns `None`, and the object is resolved the ordinary way, so the
//! answer never depends on which path was taken (asserted by the integration test
//! `progress_answers_the_same_through_fragments_as_through_plain_fields`).

use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::{ContextSelectionSet, OutputType, Positioned, ServerResult, Value};
use std::borrow::Cow;
use std::future::Future;

/// An object that can answer a plain selection of itself without the executor.
pub trait Direct: OutputType {
    /// The answer to the selection in `ctx` (see [`object`]), or `None` to be resolved
    /// the ordinary way.
    fn direct(&self, ctx: &ContextSelectionSet<'_>) -> impl Future<Output = Option<Value>> + Send;
}

/// `T` in a response: answered by [`Direct::direct`] when it can, else by the executor.
/// It has `T`'s GraphQL type, so the schema does not change.
pub struct Flat<T>(pub T);

impl<T: Direct> OutputType for Flat<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        match self.0.direct(ctx).await {
            Some(value) => Ok(value),
            None => self.0.resolve(ctx, field).await,
        }
    }
}

/// The value of an object selected by `selection`, each field's value given by
/// `value_of`, or `None` if the selection is not plain or `value_of` does not know a
/// field (then resolve the object the ordinary way).
pub fn object(
    selection: &Positioned<SelectionSet>,
    mut value_of: impl FnMut(&Positioned<Field>) -> Option<Value>,
) -> Option<Value> {
    let items = &selection.node.items;
    let mut map = IndexMap::with_capacity(items.len());
    for item in items {
        let Selection::Field(field) = &item.node else {
            return None;
        };
        if !field.node.directives.is_empty() {
            return None;
        }
        let key = &field.node.response_key().node;
        if map.contains_key(key) {
            // The same key twice must be merged field by field; leave that to the executor.
            return None;
        }
        let value = value_of(field)?;
        map.insert(key.clone(), value);
    }
    Some(Value::Object(map))
}

#[cfg(test)]
mod tests {
    use super::object;
    use async_graphql::parser::parse_query;
    use async_graphql::parser::types::{DocumentOperations, Selection};
    use async_graphql::{Name, Value};

    /// The selection set of the first field of `query`'s only operation.
    fn answer(query: &str) -> Option<Value> {
        let doc = parse_query(query).expect("a valid query");
        let DocumentOperations::Single(op) = doc.operations else {
            panic!("one operation")
        };
        let Selection::Field(top) = &op.node.selection_set.node.items[0].node else {
            panic!("a field")
        };
        object(&top.node.selection_set, |f| {
            match f.node.name.node.as_str() {
                "code" => Some(Value::String("FOUNDATIONS".into())),
                "required" => Some(Value::Boolean(true)),
                _ => None,
            }
        })
    }

    #[test]
    fn plain_fields_are_answered_in_order_under_their_response_keys() {
        let v = answer("{ set { required c: code } }").expect("plain");
        let Value::Object(map) = v else {
            panic!("an object")
        };
        let keys: Vec<&Name> = map.keys().collect();
        assert_eq!(keys, [&Name::new("required"), &Name::new("c")]);
        assert_eq!(map[&Name::new("c")], Value::String("FOUNDATIONS".into()));
    }

    #[test]
    fn anything_but_plain_known_fields_is_left_to_the_executor() {
        assert_eq!(answer("{ set { code ... on Set { required } } }"), None);
        assert_eq!(answer("{ set { code @include(if: true) } }"), None);
        assert_eq!(answer("{ set { code code } }"), None);
        assert_eq!(answer("{ set { code name } }"), None);
    }
}
