//! Who may see what of a record, decided in one place so that every path to the record
//! (a query by id, a nested field, a mutation's payload) gives the same answer.

use crate::actor::Actor;
use entity::account_role::Role;
use entity::application;

/// How much of an application a caller may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationView {
    /// Everything, contact details included: the applicant, staff, the system.
    Full,
    /// Who the applicant is and what they applied with (names, employer, work history,
    /// education, eligibility), but not how to reach them: the CRC sees through blind
    /// review to decide appeals and conflicts, which needs identity, not an address.
    WithoutContact,
}

impl ApplicationView {
    /// Whether email, phone, street address and the award-notice addresses are shown.
    pub fn shows_contact(self) -> bool {
        self == ApplicationView::Full
    }
}

/// The one rule for seeing an application. `None`: the caller may not know it exists.
pub fn application_view(
    actor: &Actor,
    application: &application::Model,
) -> Option<ApplicationView> {
    applicant_view(actor, application.account_id)
}

/// [`application_view`] for an application belonging to account `applicant`.
pub fn applicant_view(actor: &Actor, applicant: i64) -> Option<ApplicationView> {
    match actor {
        Actor::System => Some(ApplicationView::Full),
        Actor::Anonymous => None,
        Actor::Account(v) if v.account_id == applicant || v.is_staff() => {
            Some(ApplicationView::Full)
        }
        Actor::Account(v) if v.has(Role::CrcMember) => Some(ApplicationView::WithoutContact),
        Actor::Account(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actor::Viewer;

    fn account(id: i64, roles: &[Role]) -> Actor {
        Actor::Account(Viewer {
            account_id: id,
            session_id: None,
            roles: roles.to_vec(),
        })
    }

    #[test]
    fn each_caller_gets_one_view() {
        let cases: &[(&str, Actor, Option<ApplicationView>)] = &[
            (
                "the applicant",
                account(1, &[]),
                Some(ApplicationView::Full),
            ),
            (
                "an officer",
                account(2, &[Role::ProgramOfficer]),
                Some(ApplicationView::Full),
            ),
            (
                "an assistant",
                account(2, &[Role::ProgramAssistant]),
                Some(ApplicationView::Full),
            ),
            ("the system", Actor::System, Some(ApplicationView::Full)),
            (
                "the CRC",
                account(2, &[Role::CrcMember]),
                Some(ApplicationView::WithoutContact),
            ),
            ("an evaluator", account(2, &[Role::Evaluator]), None),
            (
                "a provider member",
                account(2, &[Role::ProviderMember]),
                None,
            ),
            ("another candidate", account(2, &[Role::Candidate]), None),
            ("anyone signed in", account(2, &[]), None),
            ("nobody signed in", Actor::Anonymous, None),
        ];
        for (who, actor, expected) in cases {
            assert_eq!(applicant_view(actor, 1), *expected, "{who}");
        }
    }

    #[test]
    fn a_crc_member_who_is_also_the_applicant_sees_everything() {
        assert_eq!(
            applicant_view(&account(3, &[Role::CrcMember]), 3),
            Some(ApplicationView::Full)
        );
    }

    #[test]
    fn only_the_full_view_shows_contact_details() {
        assert!(ApplicationView::Full.shows_contact());
        assert!(!ApplicationView::WithoutContact.shows_contact());
    }
}
