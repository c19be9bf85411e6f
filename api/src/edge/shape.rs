//! The size of a parsed operation as it will execute: every field it selects (aliases and
//! `__typename` included, each fragment counted wherever it is spread), how deep it goes
//! through fragments, and the selections that cost far more than a field.
//!
//! async-graphql's own complexity check prices fields of the schema; an alias of
//! `__typename` or of an introspection field costs nothing there, so 200,000 of them ran.

use async_graphql::parser::types::{
    ExecutableDocument, FragmentDefinition, OperationType, Selection, SelectionSet,
};
use async_graphql::{Name, Positioned};
use std::collections::HashMap;

/// Mutations that hash or verify a password: memory-hard by design, so one request may run
/// one of them and no more.
pub const CREDENTIAL_MUTATIONS: &[&str] = &["register", "login", "resetPassword", "changePassword"];

/// What one operation costs, in the units the edge bounds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shape {
    pub fields: usize,
    pub depth: usize,
    pub schema_introspections: usize,
    pub credential_checks: usize,
    /// A string argument written in the document holds NUL.
    pub nul_text: bool,
}

impl Shape {
    fn add(&mut self, other: Shape) {
        self.fields = self.fields.saturating_add(other.fields);
        self.depth = self.depth.max(other.depth);
        self.schema_introspections = self
            .schema_introspections
            .saturating_add(other.schema_introspections);
        self.credential_checks = self
            .credential_checks
            .saturating_add(other.credential_checks);
        self.nul_text |= other.nul_text;
    }
}

/// Why a document's shape is refused outright.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShapeError {
    FragmentCycle(String),
    UnknownFragment(String),
    TooDeep,
}

/// The largest shape among the document's operations (any one of them may be the one that
/// runs). `max_depth` stops the walk early: nothing deeper can pass anyway.
pub fn measure(doc: &ExecutableDocument, max_depth: usize) -> Result<Shape, ShapeError> {
    let mut walk = Walk {
        fragments: &doc.fragments,
        done: HashMap::new(),
        active: Vec::new(),
        max_depth,
    };
    let mut largest = Shape::default();
    for (_, operation) in doc.operations.iter() {
        let mutation = operation.node.ty == OperationType::Mutation;
        let shape = walk.selection_set(&operation.node.selection_set.node, mutation, 0)?;
        largest.fields = largest.fields.max(shape.fields);
        largest.depth = largest.depth.max(shape.depth);
        largest.schema_introspections = largest
            .schema_introspections
            .max(shape.schema_introspections);
        largest.credential_checks = largest.credential_checks.max(shape.credential_checks);
        largest.nul_text |= shape.nul_text
            || operation
                .node
                .variable_definitions
                .iter()
                .filter_map(|v| v.node.default_value.as_ref())
                .any(|v| const_holds_nul(&v.node));
    }
    Ok(largest)
}

struct Walk<'a> {
    fragments: &'a HashMap<Name, Positioned<FragmentDefinition>>,
    /// Fragments measured already, by name and by whether they sit in a mutation.
    done: HashMap<(&'a str, bool), Shape>,
    /// Fragments being measured now, to find cycles.
    active: Vec<&'a str>,
    max_depth: usize,
}

impl<'a> Walk<'a> {
    fn selection_set(
        &mut self,
        set: &'a SelectionSet,
        mutation: bool,
        depth: usize,
    ) -> Result<Shape, ShapeError> {
        if depth > self.max_depth {
            return Err(ShapeError::TooDeep);
        }
        let mut shape = Shape::default();
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    let mut own =
                        self.selection_set(&field.node.selection_set.node, mutation, depth + 1)?;
                    own.depth += 1;
                    own.fields = own.fields.saturating_add(1);
                    own.nul_text |= field.node.arguments.iter().any(|(_, value)| {
                        value
                            .node
                            .clone()
                            .into_const_with(|_| {
                                Ok::<_, std::convert::Infallible>(async_graphql::Value::Null)
                            })
                            .is_ok_and(|v| const_holds_nul(&v))
                    });
                    if name == "__schema" {
                        own.schema_introspections += 1;
                    }
                    if mutation && CREDENTIAL_MUTATIONS.contains(&name) {
                        own.credential_checks += 1;
                    }
                    shape.add(own);
                }
                Selection::InlineFragment(fragment) => {
                    let own =
                        self.selection_set(&fragment.node.selection_set.node, mutation, depth)?;
                    shape.add(own);
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    let own = self.fragment(name, mutation)?;
                    if own.depth + depth > self.max_depth {
                        return Err(ShapeError::TooDeep);
                    }
                    shape.add(own);
                }
            }
        }
        Ok(shape)
    }

    /// A fragment's shape from its own root (depth 0), measured once.
    fn fragment(&mut self, name: &'a str, mutation: bool) -> Result<Shape, ShapeError> {
        if let Some(shape) = self.done.get(&(name, mutation)) {
            return Ok(*shape);
        }
        if self.active.contains(&name) {
            return Err(ShapeError::FragmentCycle(name.to_owned()));
        }
        let Some((key, definition)) = self.fragments.get_key_value(name) else {
            return Err(ShapeError::UnknownFragment(name.to_owned()));
        };
        self.active.push(key.as_str());
        let shape = self.selection_set(&definition.node.selection_set.node, mutation, 0);
        self.active.pop();
        let shape = shape?;
        self.done.insert((key.as_str(), mutation), shape);
        Ok(shape)
    }
}

/// A string in `value` holds NUL; without recursion, as values may nest (within the
/// document's bracket bound).
fn const_holds_nul(value: &async_graphql::Value) -> bool {
    use async_graphql::Value;
    let mut pending = vec![value];
    while let Some(value) = pending.pop() {
        match value {
            Value::String(text) if text.contains('\0') => return true,
            Value::List(items) => pending.extend(items),
            Value::Object(fields) => pending.extend(fields.values()),
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn shape(text: &str) -> Result<Shape, ShapeError> {
        measure(&parse_query(text).expect("parses"), 32)
    }

    #[test]
    fn aliases_and_typename_are_fields() {
        let s = shape("{ a: __typename b: __typename c { __typename } }").unwrap();
        assert_eq!(s.fields, 4);
        assert_eq!(s.depth, 2);
    }

    #[test]
    fn a_fragment_counts_wherever_it_is_spread() {
        let s = shape(
            "{ x { ...F } y { ...F } z { ... on T { ...F } } }
             fragment F on T { a b c { d } }",
        )
        .unwrap();
        assert_eq!(s.fields, 3 + 3 * 4);
        assert_eq!(s.depth, 3);
    }

    #[test]
    fn fragments_spread_in_fragments_multiply() {
        let mut text = String::from("{ ...F0 }\n");
        for i in 0..20 {
            text.push_str(&format!(
                "fragment F{i} on Q {{ ...F{n} ...F{n} }}\n",
                n = i + 1
            ));
        }
        text.push_str("fragment F20 on Q { a }\n");
        let s = shape(&text).unwrap();
        assert_eq!(s.fields, 1 << 20);
    }

    #[test]
    fn cycles_and_unknown_fragments_are_refused() {
        assert_eq!(
            shape("{ ...A } fragment A on Q { ...B } fragment B on Q { ...A }"),
            Err(ShapeError::FragmentCycle("A".to_owned()))
        );
        assert_eq!(
            shape("{ ...Missing }"),
            Err(ShapeError::UnknownFragment("Missing".to_owned()))
        );
    }

    #[test]
    fn depth_through_fragments_is_bounded() {
        let mut text = String::from("{ ...F0 }\n");
        for i in 0..40 {
            text.push_str(&format!("fragment F{i} on Q {{ a {{ ...F{} }} }}\n", i + 1));
        }
        text.push_str("fragment F40 on Q { a }\n");
        assert_eq!(shape(&text), Err(ShapeError::TooDeep));
    }

    #[test]
    fn introspection_and_credential_checks_are_counted() {
        let s = shape("{ a: __schema { types { name } } b: __schema { types { name } } }").unwrap();
        assert_eq!(s.schema_introspections, 2);
        let s = shape(
            "mutation { a: login(input: {}) { token } b: login(input: {}) { token } logout { ok } }",
        )
        .unwrap();
        assert_eq!(s.credential_checks, 2);
        // A query field of the same name is not a credential check.
        let s = shape("{ login }").unwrap();
        assert_eq!(s.credential_checks, 0);
    }

    #[test]
    fn a_nul_written_in_a_string_argument_is_found() {
        assert!(
            shape(r#"{ a(x: {y: ["ok", "b\u0000"]}) }"#)
                .unwrap()
                .nul_text
        );
        assert!(
            shape(r#"query($v: String = "\u0000") { a }"#)
                .unwrap()
                .nul_text
        );
        assert!(!shape(r#"{ a(x: "\\u0000") }"#).unwrap().nul_text);
    }

    #[test]
    fn the_largest_operation_of_a_document_is_its_shape() {
        let s = shape("query A { a } query B { a b c }").unwrap();
        assert_eq!(s.fields, 3);
    }
}
