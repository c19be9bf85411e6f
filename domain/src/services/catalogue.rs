//! The competency catalogue: ten sets and their competencies, seeded by migration and never
//! edited, so it is read once per process and served from memory.

use crate::context::Context;
use crate::error::DomainResult;
use entity::{competency, competency_set};
use sea_orm::{EntityTrait, QueryOrder};
use std::collections::HashMap;
use std::sync::Arc;

/// One set with its competencies in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetEntry {
    pub set: competency_set::Model,
    pub competencies: Vec<competency::Model>,
}

/// The whole catalogue, in the programme's order (required sets first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Catalogue {
    /// Shared, so that handing a set to a caller is a reference count, not a copy of its
    /// competencies' texts (a page of 50 candidates' progress names 500 sets).
    pub sets: Vec<Arc<SetEntry>>,
    by_id: HashMap<i64, usize>,
    by_code: HashMap<String, usize>,
}

impl Catalogue {
    pub fn set(&self, id: i64) -> Option<&Arc<SetEntry>> {
        self.by_id.get(&id).map(|&i| &self.sets[i])
    }

    pub fn by_code(&self, code: &str) -> Option<&Arc<SetEntry>> {
        self.by_code.get(code).map(|&i| &self.sets[i])
    }

    /// The competency `number` of set `set_id`.
    pub fn competency(&self, set_id: i64, number: i32) -> Option<&competency::Model> {
        self.set(set_id)?
            .competencies
            .iter()
            .find(|c| c.number == number)
    }
}

/// Reads the catalogue from the database.
pub async fn load(ctx: &Context) -> DomainResult<Catalogue> {
    let sets = competency_set::Entity::find()
        .order_by_asc(competency_set::Column::Position)
        .all(&ctx.db)
        .await?;
    let competencies = competency::Entity::find()
        .order_by_asc(competency::Column::SetId)
        .order_by_asc(competency::Column::Position)
        .all(&ctx.db)
        .await?;
    let mut grouped: HashMap<i64, Vec<competency::Model>> = HashMap::new();
    for c in competencies {
        grouped.entry(c.set_id).or_default().push(c);
    }
    let mut catalogue = Catalogue::default();
    for (i, set) in sets.into_iter().enumerate() {
        catalogue.by_id.insert(set.id, i);
        catalogue.by_code.insert(set.code.clone(), i);
        let competencies = grouped.remove(&set.id).unwrap_or_default();
        catalogue
            .sets
            .push(Arc::new(SetEntry { set, competencies }));
    }
    within_limits(&catalogue)?;
    Ok(catalogue)
}

/// Queries are priced by these bounds before they run, so a catalogue beyond them (a later
/// migration) must raise them rather than be served under-priced.
fn within_limits(catalogue: &Catalogue) -> DomainResult<()> {
    use crate::limits::{CATALOGUE_TEXT_CHARS, COMPETENCIES_PER_SET, COMPETENCY_SETS};
    let long = |t: &str| t.chars().count() > CATALOGUE_TEXT_CHARS;
    let over = catalogue.sets.len() > COMPETENCY_SETS
        || catalogue.sets.iter().any(|s| {
            s.competencies.len() > COMPETENCIES_PER_SET
                || long(&s.set.description)
                || s.competencies.iter().any(|c| long(&c.text))
        });
    if over {
        return Err(crate::DomainError::bug(
            "the catalogue exceeds domain::limits",
        ));
    }
    Ok(())
}

/// The catalogue, read at first use and kept for the life of the process.
pub async fn get(ctx: &Context) -> DomainResult<Arc<Catalogue>> {
    ctx.catalogue_cache()
        .get_or_try_init(|| async { load(ctx).await.map(Arc::new) })
        .await
        .cloned()
}
