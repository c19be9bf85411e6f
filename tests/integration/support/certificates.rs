//! Certificate holders for the certificate, renewal, credential and bulk-notice tests: many
//! at once by set-based inserts, or one through the candidate's journey; the job queue for
//! pushing sweeps; a graphql-ws client; and an independent verifier of credentials and
//! status lists (none of the `credentials` crate's code).

use super::app::TestApp;
use super::graphql::{User, data, user_error_codes};
use base64::Engine as _;
use chrono::{Duration as Days, NaiveDate};
use entity::application::{ApplicationStatus, MarketingSource};
use entity::candidacy::CandidacyStatus;
use entity::certificate::CertificateStatus;
use entity::course::CourseStatus;
use entity::course_submission::{CourseFormat, Delivery, SubmissionKind, SubmissionStatus, Timing};
use entity::provider::ProviderKind;
use entity::{
    account, application, candidacy, certificate, certificate_period, course, course_approval,
    course_submission, provider,
};
use futures::{SinkExt as _, StreamExt as _};
use ring::digest::{SHA256, digest};
use ring::signature::{ED25519, UnparsedPublicKey};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, Statement, TransactionTrait};
use serde_json::{Value, json};
use std::future::Future;
use std::io::Read as _;
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

/// How often a test looks again at something it waits for.
const POLL: Duration = Duration::from_millis(50);

/// Polls `check` until it returns something; fails after `timeout` with `what`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(POLL).await;
    }
}

impl TestApp {
    /// A handle on this test's job queue (Redis or the embedded SQLite queue), as the
    /// system's own processes connect to it.
    pub async fn job_queue(&self) -> infra::JobQueue {
        let mut settings = infra::Settings::embedded(self.config.data_dir.clone());
        settings.database_url = self.config.database_url.clone();
        settings.redis_url = self.config.redis_url.clone();
        settings.queue_prefix = self.config.queue_prefix.clone();
        infra::JobQueue::connect(&settings).await.unwrap()
    }

    /// Pushes `sweep` onto the real queue, for whichever worker takes it.
    pub async fn push_sweep(&self, sweep: domain::jobs::Sweep) {
        self.job_queue().await.push_sweep(sweep).await.unwrap();
    }

    /// Today on the system's (shifted) calendar.
    pub fn today(&self) -> NaiveDate {
        self.services.today()
    }
}

/// A certificate holder written straight into the database.
#[derive(Debug, Clone)]
pub struct BulkHolder {
    pub account_id: i64,
    pub certificate_id: i64,
    pub email: String,
    pub number: String,
    pub verification_code: String,
    pub expires_on: NaiveDate,
    /// The index of the certificate's period in the status lists.
    pub status_list_index: i64,
}

/// What the holders of one [`insert_holders`] call have in common.
#[derive(Debug, Clone)]
pub struct Holders<'a> {
    /// Makes emails and numbers unique: `<tag>-<n>@holders.example.org`.
    pub tag: &'a str,
    pub count: usize,
    pub expires_on: NaiveDate,
    /// The state of the holders' addresses.
    pub state: &'a str,
    pub status: CertificateStatus,
}

/// The largest value of `column` in `table`, if any row has one.
async fn max_of(db: &sea_orm::DatabaseConnection, table: &str, column: &str) -> Option<i64> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT MAX({column}) FROM {table}"),
        ))
        .await
        .unwrap()?;
    row.try_get_by_index::<Option<i64>>(0).unwrap()
}

/// Ids for bulk rows start here, far above what the sequences hand out, so that rows the
/// system inserts later (PostgreSQL sequences do not see explicit ids) never collide.
const BULK_IDS: i64 = 10_000_000;

/// Writes `spec.count` certificate holders (account, accepted application, certified
/// candidacy, certificate, its first period) with multi-row inserts in one transaction.
pub async fn insert_holders(app: &TestApp, spec: &Holders<'_>) -> Vec<BulkHolder> {
    let db = app.db();
    let mut base = BULK_IDS;
    for table in [
        "account",
        "application",
        "candidacy",
        "certificate",
        "certificate_period",
    ] {
        base = base.max(max_of(db, table, "id").await.map_or(0, |m| m + 1));
    }
    let first_index = max_of(db, "certificate_period", "status_list_index")
        .await
        .map_or(0, |m| m + 1);
    let first_sequence = max_of(db, "certificate", "sequence")
        .await
        .map_or(1, |m| m + 1);
    let now = app.services.now();
    let today = app.today();
    let issued_on = spec.expires_on - Days::days(5 * 365);
    let holders: Vec<BulkHolder> = (0..spec.count as i64)
        .map(|i| BulkHolder {
            account_id: base + i,
            certificate_id: base + i,
            email: format!("{}-{i}@holders.example.org", spec.tag),
            number: format!("LSSCP-{}-{i:06}", spec.tag.to_uppercase()),
            verification_code: format!("B{}", base + i),
            expires_on: spec.expires_on,
            status_list_index: first_index + i,
        })
        .collect();
    let txn = db.begin().await.unwrap();
    for chunk in holders.chunks(250) {
        account::Entity::insert_many(chunk.iter().map(|h| account::ActiveModel {
            id: Set(h.account_id),
            email: Set(h.email.clone()),
            password_hash: Set("not a password hash: bulk holders do not sign in".into()),
            display_name: Set(format!("Holder {}", h.account_id)),
            email_verified_at: Set(Some(now)),
            password_changed_at: Set(now),
            disabled_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
        }))
        .exec_without_returning(&txn)
        .await
        .unwrap();
        application::Entity::insert_many(chunk.iter().map(|h| application::ActiveModel {
            id: Set(h.account_id),
            account_id: Set(h.account_id),
            status: Set(ApplicationStatus::Accepted),
            given_name: Set(format!("Holder{}", h.account_id)),
            family_name: Set("Bulk".into()),
            email: Set(h.email.clone()),
            phone: Set(None),
            address_line1: Set("1 Main Street".into()),
            address_line2: Set(None),
            city: Set("Springfield".into()),
            state: Set(spec.state.to_owned()),
            postal_code: Set("62701".into()),
            country: Set("US".into()),
            employer_name: Set(None),
            employer_key: Set(None),
            employer_address: Set(None),
            state_library_name: Set(None),
            state_library_address: Set(None),
            ala_member: Set(false),
            ala_member_number: Set(None),
            marketing_source: Set(Some(MarketingSource::Website)),
            marketing_source_detail: Set(None),
            consent_publish_name: Set(false),
            consent_award_notice: Set(false),
            eligibility: Set(None),
            eligibility_decided_at: Set(Some(now)),
            education_decision: Set(None),
            education_decision_reason: Set(None),
            education_decided_by: Set(None),
            education_decided_at: Set(None),
            fee_cents: Set(Some(35_000)),
            submitted_at: Set(Some(now)),
            withdrawn_at: Set(None),
            accepted_at: Set(Some(now)),
            created_at: Set(now),
            updated_at: Set(now),
        }))
        .exec_without_returning(&txn)
        .await
        .unwrap();
        candidacy::Entity::insert_many(chunk.iter().map(|h| candidacy::ActiveModel {
            id: Set(h.account_id),
            application_id: Set(h.account_id),
            account_id: Set(h.account_id),
            number: Set(format!("LSS-B{}", h.account_id)),
            pseudonym: Set(format!("Candidate B{}", h.account_id)),
            status: Set(CandidacyStatus::Certified),
            started_on: Set(issued_on - Days::days(365)),
            deadline_on: Set(issued_on + Days::days(3 * 365)),
            car_expires_on: Set(issued_on + Days::days(4 * 365)),
            lapsed_at: Set(None),
            certified_at: Set(Some(now)),
            created_at: Set(now),
            updated_at: Set(now),
        }))
        .exec_without_returning(&txn)
        .await
        .unwrap();
        certificate::Entity::insert_many(chunk.iter().map(|h| {
            let i = h.certificate_id - base;
            certificate::ActiveModel {
                id: Set(h.certificate_id),
                candidacy_id: Set(h.account_id),
                account_id: Set(h.account_id),
                number: Set(h.number.clone()),
                verification_code: Set(h.verification_code.clone()),
                sequence: Set(first_sequence + i),
                holder_name: Set(format!("Holder{} Bulk", h.account_id)),
                issued_on: Set(issued_on.min(today)),
                expires_on: Set(h.expires_on),
                status: Set(spec.status),
                expired_at: Set(None),
                revoked_at: Set(None),
                revoked_reason: Set(None),
                revoked_by: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }
        }))
        .exec_without_returning(&txn)
        .await
        .unwrap();
        certificate_period::Entity::insert_many(chunk.iter().map(|h| {
            certificate_period::ActiveModel {
                id: Set(h.certificate_id),
                certificate_id: Set(h.certificate_id),
                starts_on: Set(issued_on.min(today)),
                expires_on: Set(h.expires_on),
                renewal_id: Set(None),
                status_list_index: Set(h.status_list_index),
                created_at: Set(now),
            }
        }))
        .exec_without_returning(&txn)
        .await
        .unwrap();
    }
    txn.commit().await.unwrap();
    holders
}

/// A holder who got there the way candidates do: signed up, applied, paid, and had six
/// course completions verified by staff (through GraphQL); only the approved courses are
/// written straight into the database.
#[derive(Debug, Clone)]
pub struct Holder {
    pub user: User,
    pub certificate_id: String,
    pub number: String,
    pub verification_code: String,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
}

/// One approved course for each of the three required sets and three electives.
async fn approved_courses(app: &TestApp, tag: &str) -> Vec<i64> {
    let catalogue = domain::services::catalogue::get(&app.services)
        .await
        .unwrap();
    let mut sets: Vec<&std::sync::Arc<domain::services::catalogue::SetEntry>> =
        catalogue.sets.iter().filter(|s| s.set.required).collect();
    let required = sets.len();
    sets.extend(catalogue.sets.iter().filter(|s| !s.set.required).take(3));
    assert_eq!(
        sets.len(),
        required + 3,
        "the catalogue has three electives"
    );
    let now = app.services.now();
    let today = app.today();
    let db = app.db();
    let p = provider::Entity::insert(provider::ActiveModel {
        name: Set(format!("Library School {tag}")),
        kind: Set(ProviderKind::LibrarySchool),
        address_line1: Set("2 College Road".into()),
        address_line2: Set(None),
        city: Set("Urbana".into()),
        state: Set("IL".into()),
        postal_code: Set("61801".into()),
        country: Set("US".into()),
        contact_name: Set("Pat Provider".into()),
        contact_email: Set(format!("courses-{tag}@school.example.org")),
        contact_phone: Set(None),
        website: Set(None),
        created_by: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec(db)
    .await
    .unwrap()
    .last_insert_id;
    let mut courses = Vec::new();
    for set in sets {
        let title = format!("{} ({tag})", set.set.name);
        let c = course::Entity::insert(course::ActiveModel {
            provider_id: Set(p),
            set_id: Set(set.set.id),
            title: Set(title.clone()),
            status: Set(CourseStatus::Approved),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(db)
        .await
        .unwrap()
        .last_insert_id;
        let s = course_submission::Entity::insert(course_submission::ActiveModel {
            course_id: Set(c),
            kind: Set(SubmissionKind::Initial),
            revision: Set(1),
            status: Set(SubmissionStatus::Approved),
            title: Set(title),
            description: Set("A course".into()),
            format: Set(CourseFormat::Workshop),
            delivery: Set(Delivery::Online),
            timing: Set(Timing::Asynchronous),
            duration: Set("6 weeks".into()),
            duration_hours: Set(Some(30)),
            curriculum_document_id: Set(None),
            assessment_method: Set("Assignments".into()),
            fee_cents: Set(Some(10_000)),
            submitted_at: Set(Some(now)),
            decided_at: Set(Some(now)),
            created_by: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        })
        .exec(db)
        .await
        .unwrap()
        .last_insert_id;
        course_approval::Entity::insert(course_approval::ActiveModel {
            course_id: Set(c),
            submission_id: Set(s),
            starts_on: Set(today - Days::days(365)),
            expires_on: Set(today + Days::days(2 * 365)),
            expired_at: Set(None),
            created_at: Set(now),
            ..Default::default()
        })
        .exec(db)
        .await
        .unwrap();
        courses.push(c);
    }
    courses
}

const SAVE_APPLICATION: &str = "mutation($input: SaveApplicationInput!) { saveApplication(input: $input) { application { id status feeCents } userErrors { field message code } } }";
const SUBMIT_APPLICATION: &str = "mutation($input: ApplicationIdInput!) { submitApplication(input: $input) { application { id status feeCents } userErrors { field message code } } }";
pub const RECORD_PAYMENT: &str = "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { payment { id kind amountCents receiptNumber } userErrors { field message code } } }";
const SUBMIT_COMPLETION: &str = "mutation($input: SubmitCourseCompletionInput!) { submitCourseCompletion(input: $input) { completion { id status } userErrors { field message code } } }";
const VERIFY_COMPLETION: &str = "mutation($input: VerifyCourseCompletionInput!) { verifyCourseCompletion(input: $input) { completion { status } certificate { id number verificationCode status issuedOn expiresOn } userErrors { field message code } } }";

/// Runs `query` as `token` and returns `data.<field>`, failing on errors or user errors.
pub async fn mutate(app: &TestApp, token: &str, query: &str, field: &str, input: Value) -> Value {
    let r = app.gql_as(token, query, json!({ "input": input })).await;
    let payload = data(&r)[field].clone();
    assert_eq!(
        user_error_codes(&payload),
        Vec::<String>::new(),
        "{field}: {r}"
    );
    payload
}

fn date(value: &Value) -> NaiveDate {
    NaiveDate::parse_from_str(value.as_str().unwrap(), "%Y-%m-%d").unwrap()
}

/// A certified holder, made through the candidate's journey as `officer` staffs it.
pub async fn certified_holder(app: &TestApp, officer: &User, email: &str, given: &str) -> Holder {
    let user = app.signed_up_user(email, given).await;
    let today = app.today();
    let application = mutate(
        app,
        &user.token,
        SAVE_APPLICATION,
        "saveApplication",
        json!({
            "givenName": given,
            "familyName": "Holder",
            "addressLine1": "3 Library Lane",
            "city": "Springfield",
            "state": "IL",
            "postalCode": "62701",
            "marketingSource": "WEBSITE",
            "workHistory": [{
                "libraryName": "Springfield Public Library",
                "libraryType": "PUBLIC",
                "paid": true,
                "startedOn": (today - Days::days(3 * 365)).to_string(),
                "hours": 5000,
            }],
            "education": [{ "level": "HIGH_SCHOOL_DIPLOMA", "country": "US" }],
        }),
    )
    .await;
    let application_id = application["application"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let submitted = mutate(
        app,
        &user.token,
        SUBMIT_APPLICATION,
        "submitApplication",
        json!({ "applicationId": application_id }),
    )
    .await;
    assert_eq!(
        submitted["application"]["status"],
        json!("ELIGIBLE"),
        "{submitted}"
    );
    mutate(
        app,
        &officer.token,
        RECORD_PAYMENT,
        "recordPayment",
        json!({
            "applicationId": application_id,
            "amountCents": submitted["application"]["feeCents"],
            "method": "CHECK",
            "paidOn": today.to_string(),
        }),
    )
    .await;

    let mut certificate = Value::Null;
    for (i, course) in approved_courses(app, email).await.into_iter().enumerate() {
        let document = app
            .upload_pdf(&user.token, "COURSE_COMPLETION", &format!("completion-{i}"))
            .await;
        let submitted = mutate(
            app,
            &user.token,
            SUBMIT_COMPLETION,
            "submitCourseCompletion",
            json!({
                "courseId": course.to_string(),
                "completedOn": (today - Days::days(30)).to_string(),
                "documentId": document,
            }),
        )
        .await;
        let verified = mutate(
            app,
            &officer.token,
            VERIFY_COMPLETION,
            "verifyCourseCompletion",
            json!({ "completionId": submitted["completion"]["id"] }),
        )
        .await;
        certificate = verified["certificate"].clone();
    }
    assert_eq!(
        certificate["status"],
        json!("ACTIVE"),
        "the sixth set certifies"
    );
    Holder {
        user,
        certificate_id: certificate["id"].as_str().unwrap().to_owned(),
        number: certificate["number"].as_str().unwrap().to_owned(),
        verification_code: certificate["verificationCode"].as_str().unwrap().to_owned(),
        issued_on: date(&certificate["issuedOn"]),
        expires_on: date(&certificate["expiresOn"]),
    }
}

/// A client of `/graphql/ws` speaking the graphql-ws protocol (`graphql-transport-ws`).
pub struct GraphqlWs {
    socket: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    /// The server's close frame (code and reason), once one arrived.
    pub closed_with: Option<(u16, String)>,
}

impl GraphqlWs {
    /// Connects and authenticates with `token` in the `connection_init` payload; fails
    /// unless the server acknowledges.
    pub async fn connect(app: &TestApp, token: &str) -> Self {
        Self::connect_to(app.addr, token).await
    }

    /// [`GraphqlWs::connect`] to the API at `addr` (another process on the same data).
    pub async fn connect_to(addr: std::net::SocketAddr, token: &str) -> Self {
        let mut ws = Self::open(addr).await;
        ws.send(json!({
            "type": "connection_init",
            "payload": { "Authorization": format!("Bearer {token}") },
        }))
        .await;
        let ack = ws.next().await.expect("an answer to connection_init");
        assert_eq!(ack["type"], json!("connection_ack"), "{ack}");
        ws
    }

    /// Opens the socket and agrees on the protocol, sending nothing.
    pub async fn open(addr: std::net::SocketAddr) -> Self {
        let url = format!("ws://{addr}/graphql/ws");
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        let (socket, response) = tokio_tungstenite::connect_async(request).await.unwrap();
        assert_eq!(
            response
                .headers()
                .get("Sec-WebSocket-Protocol")
                .and_then(|v| v.to_str().ok()),
            Some("graphql-transport-ws")
        );
        Self {
            socket,
            closed_with: None,
        }
    }

    async fn send(&mut self, message: Value) {
        self.try_send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
    }

    /// Sends `message` as is; fails once the connection is closed.
    pub async fn try_send(&mut self, message: Message) -> Result<(), impl std::fmt::Debug> {
        self.socket.send(message).await
    }

    /// Starts operation `id`.
    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        self.send(json!({
            "id": id,
            "type": "subscribe",
            "payload": { "query": query, "variables": variables },
        }))
        .await;
    }

    /// The next protocol message (answering pings), or `None` once the socket closes.
    pub async fn next(&mut self) -> Option<Value> {
        self.next_within(Duration::from_secs(60))
            .await
            .expect("a graphql-ws message within 60 s")
    }

    /// [`GraphqlWs::next`], or `Err` if nothing came within `wait`.
    pub async fn next_within(
        &mut self,
        wait: Duration,
    ) -> Result<Option<Value>, tokio::time::error::Elapsed> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let Some(message) = tokio::time::timeout_at(deadline, self.socket.next()).await? else {
                return Ok(None);
            };
            // A connection the server dropped after its close frame ends the same way.
            let Ok(message) = message else {
                return Ok(None);
            };
            match message {
                Message::Text(text) => {
                    let value: Value = serde_json::from_str(&text).unwrap();
                    if value["type"] == json!("ping") {
                        self.send(json!({ "type": "pong" })).await;
                        continue;
                    }
                    return Ok(Some(value));
                }
                Message::Close(frame) => {
                    self.closed_with = frame.map(|f| (u16::from(f.code), f.reason.to_string()));
                    return Ok(None);
                }
                _ => {}
            }
        }
    }
}

/// did:key → raw Ed25519 public key: `did:key:z<base58btc(0xed 0x01 || key)>`.
pub fn resolve_did_key(verification_method: &str) -> Vec<u8> {
    let (did, fragment) = verification_method.split_once('#').unwrap();
    let id = did.strip_prefix("did:key:").unwrap();
    assert_eq!(id, fragment, "a did:key method repeats the key as fragment");
    let bytes = bs58::decode(id.strip_prefix('z').unwrap())
        .into_vec()
        .unwrap();
    assert_eq!(&bytes[..2], &[0xed, 0x01], "multicodec ed25519-pub");
    assert_eq!(bytes.len(), 34);
    bytes[2..].to_vec()
}

/// Verifies an `eddsa-jcs-2022` Data Integrity proof (VC-DI-EDDSA §3.3.2) with other
/// building blocks than the product uses: JCS by `serde_jcs`, SHA-256 and Ed25519 by
/// `ring`, the did:key decoded with `bs58`.
pub fn independently_verify(secured: &Value) -> bool {
    let proof = secured["proof"].as_object().unwrap().clone();
    assert_eq!(proof["type"], "DataIntegrityProof");
    assert_eq!(proof["cryptosuite"], "eddsa-jcs-2022");
    if proof["proofPurpose"] != "assertionMethod" {
        return false;
    }
    let mut unsecured = secured.as_object().unwrap().clone();
    unsecured.remove("proof");
    let mut options = proof.clone();
    let proof_value = options.remove("proofValue").unwrap();
    let signature = bs58::decode(proof_value.as_str().unwrap().strip_prefix('z').unwrap())
        .into_vec()
        .unwrap();
    if let Some(context) = options.get("@context") {
        let document_context = secured["@context"].as_array().unwrap();
        if !document_context.starts_with(context.as_array().unwrap()) {
            return false;
        }
        unsecured.insert("@context".into(), context.clone());
    }
    let document = serde_jcs::to_vec(&Value::Object(unsecured)).unwrap();
    let config = serde_jcs::to_vec(&Value::Object(options)).unwrap();
    let mut hash_data = Vec::with_capacity(64);
    hash_data.extend_from_slice(digest(&SHA256, &config).as_ref());
    hash_data.extend_from_slice(digest(&SHA256, &document).as_ref());
    let key = resolve_did_key(proof["verificationMethod"].as_str().unwrap());
    UnparsedPublicKey::new(&ED25519, key)
        .verify(&hash_data, &signature)
        .is_ok()
}

/// Fetches a public status list credential (`revocation` or `message`) without a token.
pub async fn status_list(app: &TestApp, purpose: &str) -> Value {
    let (status, body) = app.get(&format!("/credentials/status/{purpose}")).await;
    assert_eq!(status, 200, "status list {purpose}: {body}");
    serde_json::from_str(&body).unwrap()
}

/// The entry at `index` of a Bitstring Status List credential: `encodedList` is multibase
/// base64url (`u`) of the GZIP of the bitstring, whose first entry starts at the most
/// significant bit of the first byte; `statusSize` bits per entry (1 when absent).
pub fn status_entry(list: &Value, index: usize) -> u8 {
    let subject = &list["credentialSubject"];
    let size = subject["statusSize"].as_u64().unwrap_or(1) as usize;
    let encoded = subject["encodedList"].as_str().unwrap();
    let compressed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded.strip_prefix('u').expect("multibase base64url"))
        .unwrap();
    let mut bits = Vec::new();
    flate2::read::GzDecoder::new(compressed.as_slice())
        .read_to_end(&mut bits)
        .unwrap();
    assert!(
        bits.len() >= 16 * 1024,
        "a status list holds at least 131,072 entries"
    );
    (0..size).fold(0u8, |value, k| {
        let bit = index * size + k;
        (value << 1) | ((bits[bit / 8] >> (7 - bit % 8)) & 1)
    })
}
