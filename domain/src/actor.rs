//! Who is asking. Every service takes an [`Actor`] and authorises the change itself, so the
//! API and the worker share one set of checks.

use crate::error::DomainError;
use entity::account_role::Role;

/// The caller of a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The system itself: the worker, a scheduled sweep, a CLI command.
    System,
    /// Someone who has not signed in.
    Anonymous,
    /// A signed-in account.
    Account(Viewer),
}

/// A signed-in account and the roles it held when the request began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub account_id: i64,
    pub session_id: Option<i64>,
    pub roles: Vec<Role>,
}

impl Viewer {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }

    pub fn has_any(&self, roles: &[Role]) -> bool {
        roles.iter().any(|r| self.has(*r))
    }

    /// Program officers and assistants: the staff who run the programme day to day.
    pub fn is_staff(&self) -> bool {
        self.has_any(&[Role::ProgramOfficer, Role::ProgramAssistant])
    }

    /// Staff and the Certification Review Committee: those who see through the blind
    /// review, to the candidates and evaluators behind it.
    pub fn is_staff_or_crc(&self) -> bool {
        self.is_staff() || self.has(Role::CrcMember)
    }
}

impl Actor {
    /// The account id behind the call, if any (for the audit log).
    pub fn account_id(&self) -> Option<i64> {
        match self {
            Actor::Account(v) => Some(v.account_id),
            _ => None,
        }
    }

    /// The signed-in viewer, or `Unauthenticated`.
    pub fn viewer(&self) -> Result<&Viewer, DomainError> {
        match self {
            Actor::Account(v) => Ok(v),
            _ => Err(DomainError::Unauthenticated),
        }
    }

    /// Refuses anyone who has not signed in, before anything is looked up: an anonymous
    /// caller gets the same answer for an id that exists and one that does not.
    pub fn require_signed_in(&self) -> Result<(), DomainError> {
        match self {
            Actor::Anonymous => Err(DomainError::Unauthenticated),
            Actor::System | Actor::Account(_) => Ok(()),
        }
    }

    /// The signed-in viewer if it holds one of `roles`. The system passes every check.
    pub fn require_any(&self, roles: &[Role]) -> Result<Option<&Viewer>, DomainError> {
        match self {
            Actor::System => Ok(None),
            Actor::Anonymous => Err(DomainError::Unauthenticated),
            Actor::Account(v) if v.has_any(roles) => Ok(Some(v)),
            Actor::Account(_) => Err(DomainError::forbidden(format!(
                "this needs one of these roles: {}",
                roles
                    .iter()
                    .map(|r| role_label(*r))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))),
        }
    }

    /// Staff (officer or assistant), or the system.
    pub fn require_staff(&self) -> Result<Option<&Viewer>, DomainError> {
        self.require_any(&[Role::ProgramOfficer, Role::ProgramAssistant])
    }

    /// A program officer, or the system.
    pub fn require_officer(&self) -> Result<Option<&Viewer>, DomainError> {
        self.require_any(&[Role::ProgramOfficer])
    }
}

/// A role's name as people say it.
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Candidate => "candidate",
        Role::ProviderMember => "provider member",
        Role::Evaluator => "evaluator",
        Role::CrcMember => "CRC member",
        Role::ProgramAssistant => "program assistant",
        Role::ProgramOfficer => "program officer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer(roles: &[Role]) -> Actor {
        Actor::Account(Viewer {
            account_id: 1,
            session_id: None,
            roles: roles.to_vec(),
        })
    }

    #[test]
    fn anonymous_callers_must_sign_in() {
        assert!(matches!(
            Actor::Anonymous.require_staff(),
            Err(DomainError::Unauthenticated)
        ));
    }

    #[test]
    fn a_candidate_is_not_staff() {
        let err = viewer(&[Role::Candidate]).require_staff().unwrap_err();
        assert!(err.to_string().contains("program officer"), "{err}");
    }

    #[test]
    fn an_assistant_is_staff_but_not_an_officer() {
        let a = viewer(&[Role::ProgramAssistant]);
        assert!(a.require_staff().is_ok());
        assert!(a.require_officer().is_err());
    }

    #[test]
    fn the_system_passes_every_check() {
        assert!(Actor::System.require_officer().is_ok());
    }
}
