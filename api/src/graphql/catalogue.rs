//! The public competency catalogue.

use super::{flat, services};
use crate::error::GqlResult;
use async_graphql::parser::types::SelectionSet;
use async_graphql::{Context, ContextSelectionSet, Enum, ID, Object, Positioned, Result, Value};
use domain::services::catalogue::{self, Catalogue, SetEntry};
use entity::competency;
use std::sync::Arc;

/// Whether a competency is knowledge or a skill.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "entity::competency::CompetencyKind")]
pub enum CompetencyKind {
    /// "Library Support Staff will know …"
    WillKnow,
    /// "Library Support Staff will be able to …"
    WillBeAbleTo,
}

/// One of the ten competency sets. A candidate is certified on achieving every required
/// set and three electives.
pub struct CompetencySet(pub std::sync::Arc<SetEntry>);

#[Object]
impl CompetencySet {
    async fn id(&self) -> ID {
        ID(self.0.set.id.to_string())
    }

    /// A stable code, e.g. `FOUNDATIONS`; use it rather than the id in client code.
    async fn code(&self) -> &str {
        &self.0.set.code
    }

    async fn name(&self) -> &str {
        &self.0.set.name
    }

    /// Required for certification (true for three sets) or elective.
    async fn required(&self) -> bool {
        self.0.set.required
    }

    /// The set's introduction, as the programme writes it.
    #[graphql(complexity = "super::cost::text(domain::limits::CATALOGUE_TEXT_CHARS)")]
    async fn description(&self) -> &str {
        &self.0.set.description
    }

    /// The revision of the programme text the set comes from.
    async fn revision_note(&self) -> &str {
        &self.0.set.revision_note
    }

    /// The programme's order of the sets, required first.
    async fn position(&self) -> i32 {
        self.0.set.position
    }

    /// The set's competencies, by number.
    #[graphql(
        complexity = "super::cost::list(domain::limits::COMPETENCIES_PER_SET, child_complexity)"
    )]
    async fn competencies(&self) -> Vec<Competency> {
        self.0
            .competencies
            .iter()
            .cloned()
            .map(Competency)
            .collect()
    }
}

impl CompetencySet {
    /// The catalogue, for an answer built directly (see [`flat`]); `None` if it fails to
    /// load, and then the executor's path reports the failure.
    pub async fn catalogue_for_flat(ctx: &ContextSelectionSet<'_>) -> Option<Arc<Catalogue>> {
        catalogue::get(ctx.data_unchecked::<domain::Context>())
            .await
            .ok()
    }

    /// The answer to a plain `selection` of set `set_id` (see [`flat`]): null if the
    /// catalogue has no such set, `None` if the selection is not plain.
    pub fn flat_of(
        cat: &Catalogue,
        set_id: i64,
        selection: &Positioned<SelectionSet>,
    ) -> Option<Value> {
        match cat.set(set_id) {
            Some(entry) => Self::flat(entry, selection),
            None => Some(Value::Null),
        }
    }

    /// The answer to `selection` straight from the catalogue entry, when it asks only for
    /// the set's own plain fields (see [`flat`]); `None` sends it through the executor.
    fn flat(entry: &SetEntry, selection: &Positioned<SelectionSet>) -> Option<Value> {
        let set = &entry.set;
        flat::object(selection, |field| {
            Some(match field.node.name.node.as_str() {
                "__typename" => Value::String("CompetencySet".to_owned()),
                "id" => Value::String(set.id.to_string()),
                "code" => Value::String(set.code.clone()),
                "name" => Value::String(set.name.clone()),
                "required" => Value::Boolean(set.required),
                "description" => Value::String(set.description.clone()),
                "revisionNote" => Value::String(set.revision_note.clone()),
                "position" => Value::Number(set.position.into()),
                _ => return None,
            })
        })
    }
}

/// One numbered competency of a set.
pub struct Competency(pub competency::Model);

#[Object]
impl Competency {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Its number within the set, as the programme cites it.
    async fn number(&self) -> i32 {
        self.0.number
    }

    async fn kind(&self) -> CompetencyKind {
        self.0.kind.into()
    }

    /// The named part of the set, for the two sets that have parts; otherwise null.
    async fn part(&self) -> Option<&str> {
        self.0.part.as_deref()
    }

    /// The competency's full text.
    #[graphql(complexity = "super::cost::text(domain::limits::CATALOGUE_TEXT_CHARS)")]
    async fn text(&self) -> &str {
        &self.0.text
    }
}

#[derive(Default)]
pub struct CatalogueQuery;

#[Object]
impl CatalogueQuery {
    /// The ten competency sets in the programme's order. Public.
    #[graphql(complexity = "super::cost::list(domain::limits::COMPETENCY_SETS, child_complexity)")]
    async fn competency_sets(&self, ctx: &Context<'_>) -> Result<Vec<CompetencySet>> {
        let catalogue = catalogue::get(services(ctx)).await.gql()?;
        Ok(catalogue.sets.iter().cloned().map(CompetencySet).collect())
    }

    /// One competency set by its code, e.g. `TECHNOLOGY`. Public.
    async fn competency_set(
        &self,
        ctx: &Context<'_>,
        code: String,
    ) -> Result<Option<CompetencySet>> {
        let catalogue = catalogue::get(services(ctx)).await.gql()?;
        Ok(catalogue.by_code(&code).cloned().map(CompetencySet))
    }
}
