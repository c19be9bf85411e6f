//! Per-request DataLoaders: every relation a list can fan out to is fetched in one query
//! per list, not one per row.

use crate::error::to_gql;
use async_graphql::dataloader::{DataLoader, Loader};
use domain::services::progress::{self, ProgressFacts};
use domain::services::{accounts, batch};
use entity::account_role::Role;
use entity::{
    achievement, application, candidacy, certificate, course, course_approval, course_completion,
    course_coverage, course_decision, course_instructor, course_submission, deadline_extension,
    document, education_entry, payment, provider, work_history_entry,
};
use sea_orm::EntityTrait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// An account's roles, by account id.
pub struct RolesLoader {
    services: domain::Context,
}

impl Loader<i64> for RolesLoader {
    type Value = Vec<Role>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        accounts::roles_for(&self.services.db, keys)
            .await
            .map_err(to_gql)
    }
}

/// Rows of one table by a key column: children by parent id (many per key) or rows by
/// their own id (one per key, the first of the group).
pub struct ByKey<E: EntityTrait> {
    services: domain::Context,
    column: E::Column,
    order_by: E::Column,
    key_of: fn(&E::Model) -> i64,
    /// Rows read ahead for a whole page (see [`ByKey::prime`]).
    primed: Primed<Vec<E::Model>>,
}

/// Values read ahead for a whole page, answered without a query for the rest of the
/// request.
struct Primed<V>(Mutex<HashMap<i64, V>>);

impl<V: Clone + Default> Primed<V> {
    fn new() -> Self {
        Self(Mutex::new(HashMap::new()))
    }

    /// Keeps `values` for `keys`; a key without a value has the empty one.
    fn keep(&self, keys: &[i64], mut values: HashMap<i64, V>) {
        let mut primed = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for key in keys {
            primed.insert(*key, values.remove(key).unwrap_or_default());
        }
    }

    /// The value read ahead for `key`, if it was.
    fn get(&self, key: i64) -> Option<V> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
            .cloned()
    }

    /// The values of `keys` read ahead, and the keys still to read.
    fn split(&self, keys: &[i64]) -> (HashMap<i64, V>, Vec<i64>) {
        let mut found = HashMap::with_capacity(keys.len());
        let mut missing = Vec::new();
        let primed = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for key in keys {
            match primed.get(key) {
                Some(v) => {
                    found.insert(*key, v.clone());
                }
                None => missing.push(*key),
            }
        }
        (found, missing)
    }
}

/// What one candidacy's progress is computed from, by candidacy id, read in one statement
/// for all the candidacies a request asks about (see [`progress::facts`]).
pub struct ProgressFactsLoader {
    services: domain::Context,
    primed: Primed<Arc<ProgressFacts>>,
}

impl ProgressFactsLoader {
    /// Reads the facts of a whole page at once (see [`ByKey::prime`]).
    pub async fn prime(&self, keys: &[i64]) -> async_graphql::Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let facts = self.read(keys).await?;
        self.primed.keep(keys, facts);
        Ok(())
    }

    /// Keeps facts read by another statement (the candidate's own, read beside the
    /// candidacy), so that progress costs no statement of its own.
    pub fn keep(&self, candidacy_id: i64, facts: ProgressFacts) {
        self.primed.keep(
            &[candidacy_id],
            HashMap::from([(candidacy_id, Arc::new(facts))]),
        );
    }

    /// The facts of `candidacy_id` if they were read ahead.
    pub fn primed(&self, candidacy_id: i64) -> Option<Arc<ProgressFacts>> {
        self.primed.get(candidacy_id)
    }

    async fn read(&self, keys: &[i64]) -> async_graphql::Result<HashMap<i64, Arc<ProgressFacts>>> {
        Ok(progress::facts(&self.services.db, keys)
            .await
            .map_err(to_gql)?
            .into_iter()
            .map(|(k, v)| (k, Arc::new(v)))
            .collect())
    }
}

impl Loader<i64> for ProgressFactsLoader {
    type Value = Arc<ProgressFacts>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let (mut found, missing) = self.primed.split(keys);
        if !missing.is_empty() {
            found.extend(self.read(&missing).await?);
        }
        Ok(found)
    }
}

impl<E> ByKey<E>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync + 'static,
    E::Column: Send + Sync,
{
    /// Reads the rows of every key of a page in one query and keeps them for the rest of
    /// the request. A DataLoader batches only the loads that arrive within its delay, so
    /// a large page's loads can fall into several batches; primed keys cost nothing
    /// however they fall.
    pub async fn prime(&self, keys: &[i64]) -> async_graphql::Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let rows = batch::grouped::<E, _>(
            &self.services.db,
            self.column,
            self.order_by,
            keys,
            self.key_of,
        )
        .await
        .map_err(to_gql)?;
        self.primed.keep(keys, rows);
        Ok(())
    }
}

impl<E> Loader<i64> for ByKey<E>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync + 'static,
    E::Column: Send + Sync,
{
    type Value = Vec<E::Model>;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let (mut found, missing) = self.primed.split(keys);
        if !missing.is_empty() {
            found.extend(
                batch::grouped::<E, _>(
                    &self.services.db,
                    self.column,
                    self.order_by,
                    &missing,
                    self.key_of,
                )
                .await
                .map_err(to_gql)?,
            );
        }
        Ok(found)
    }
}

fn by_key<E>(
    services: &domain::Context,
    column: E::Column,
    order_by: E::Column,
    key_of: fn(&E::Model) -> i64,
) -> DataLoader<ByKey<E>>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync + 'static,
    E::Column: Send + Sync,
{
    DataLoader::new(
        ByKey {
            services: services.clone(),
            column,
            order_by,
            key_of,
            primed: Primed::new(),
        },
        tokio::spawn,
    )
}

/// The loaders of one request.
pub struct Loaders {
    pub roles: DataLoader<RolesLoader>,
    pub providers: DataLoader<ByKey<provider::Entity>>,
    pub courses: DataLoader<ByKey<course::Entity>>,
    pub submissions: DataLoader<ByKey<course_submission::Entity>>,
    pub documents: DataLoader<ByKey<document::Entity>>,
    pub instructors: DataLoader<ByKey<course_instructor::Entity>>,
    pub coverage: DataLoader<ByKey<course_coverage::Entity>>,
    pub decisions: DataLoader<ByKey<course_decision::Entity>>,
    pub approvals: DataLoader<ByKey<course_approval::Entity>>,
    pub course_payments: DataLoader<ByKey<payment::Entity>>,
    pub submissions_of_course: DataLoader<ByKey<course_submission::Entity>>,
    pub applications: DataLoader<ByKey<application::Entity>>,
    pub work_history: DataLoader<ByKey<work_history_entry::Entity>>,
    pub education: DataLoader<ByKey<education_entry::Entity>>,
    pub application_payments: DataLoader<ByKey<payment::Entity>>,
    pub candidacy_of_application: DataLoader<ByKey<candidacy::Entity>>,
    pub achievements: DataLoader<ByKey<achievement::Entity>>,
    pub completions: DataLoader<ByKey<course_completion::Entity>>,
    pub extensions: DataLoader<ByKey<deadline_extension::Entity>>,
    pub certificates: DataLoader<ByKey<certificate::Entity>>,
    pub progress_facts: DataLoader<ProgressFactsLoader>,
}

impl Loaders {
    pub fn new(services: &domain::Context) -> Self {
        use entity::*;
        Self {
            roles: DataLoader::new(
                RolesLoader {
                    services: services.clone(),
                },
                tokio::spawn,
            ),
            providers: by_key::<provider::Entity>(
                services,
                provider::Column::Id,
                provider::Column::Id,
                |m| m.id,
            ),
            courses: by_key::<course::Entity>(
                services,
                course::Column::Id,
                course::Column::Id,
                |m| m.id,
            ),
            submissions: by_key::<course_submission::Entity>(
                services,
                course_submission::Column::Id,
                course_submission::Column::Id,
                |m| m.id,
            ),
            documents: by_key::<document::Entity>(
                services,
                document::Column::Id,
                document::Column::Id,
                |m| m.id,
            ),
            instructors: by_key::<course_instructor::Entity>(
                services,
                course_instructor::Column::SubmissionId,
                course_instructor::Column::Position,
                |m| m.submission_id,
            ),
            coverage: by_key::<course_coverage::Entity>(
                services,
                course_coverage::Column::SubmissionId,
                course_coverage::Column::CompetencyId,
                |m| m.submission_id,
            ),
            decisions: by_key::<course_decision::Entity>(
                services,
                course_decision::Column::SubmissionId,
                course_decision::Column::Id,
                |m| m.submission_id,
            ),
            approvals: by_key::<course_approval::Entity>(
                services,
                course_approval::Column::CourseId,
                course_approval::Column::StartsOn,
                |m| m.course_id,
            ),
            course_payments: by_key::<payment::Entity>(
                services,
                payment::Column::CourseSubmissionId,
                payment::Column::Id,
                |m| m.course_submission_id.unwrap_or_default(),
            ),
            submissions_of_course: by_key::<course_submission::Entity>(
                services,
                course_submission::Column::CourseId,
                course_submission::Column::Id,
                |m| m.course_id,
            ),
            applications: by_key::<application::Entity>(
                services,
                application::Column::Id,
                application::Column::Id,
                |m| m.id,
            ),
            work_history: by_key::<work_history_entry::Entity>(
                services,
                work_history_entry::Column::ApplicationId,
                work_history_entry::Column::Position,
                |m| m.application_id,
            ),
            education: by_key::<education_entry::Entity>(
                services,
                education_entry::Column::ApplicationId,
                education_entry::Column::Position,
                |m| m.application_id,
            ),
            application_payments: by_key::<payment::Entity>(
                services,
                payment::Column::ApplicationId,
                payment::Column::Id,
                |m| m.application_id.unwrap_or_default(),
            ),
            candidacy_of_application: by_key::<candidacy::Entity>(
                services,
                candidacy::Column::ApplicationId,
                candidacy::Column::Id,
                |m| m.application_id,
            ),
            achievements: by_key::<achievement::Entity>(
                services,
                achievement::Column::CandidacyId,
                achievement::Column::AchievedOn,
                |m| m.candidacy_id,
            ),
            completions: by_key::<course_completion::Entity>(
                services,
                course_completion::Column::CandidacyId,
                course_completion::Column::Id,
                |m| m.candidacy_id,
            ),
            extensions: by_key::<deadline_extension::Entity>(
                services,
                deadline_extension::Column::CandidacyId,
                deadline_extension::Column::Id,
                |m| m.candidacy_id,
            ),
            certificates: by_key::<certificate::Entity>(
                services,
                certificate::Column::CandidacyId,
                certificate::Column::Id,
                |m| m.candidacy_id,
            ),
            progress_facts: DataLoader::new(
                ProgressFactsLoader {
                    services: services.clone(),
                    primed: Primed::new(),
                },
                tokio::spawn,
            ),
        }
    }
}

/// Loads the one row with this id through a by-id loader.
pub async fn one<E>(
    loader: &DataLoader<ByKey<E>>,
    id: i64,
) -> async_graphql::Result<Option<E::Model>>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync + 'static,
    E::Column: Send + Sync,
{
    Ok(many(loader, id).await?.into_iter().next())
}

/// Loads the children of one parent through a grouped loader.
pub async fn many<E>(
    loader: &DataLoader<ByKey<E>>,
    parent: i64,
) -> async_graphql::Result<Vec<E::Model>>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync + 'static,
    E::Column: Send + Sync,
{
    // A key read ahead skips the DataLoader, whose batching would spawn a task and wait
    // out its delay (1 ms, on futures-timer's thread) to find the same rows.
    if let Some(rows) = loader.loader().primed.get(parent) {
        return Ok(rows);
    }
    Ok(loader.load_one(parent).await?.unwrap_or_default())
}
