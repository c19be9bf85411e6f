//! The competency catalogue: ten competency sets and their 151 numbered competencies, as
//! data the m0002 migration seeds.
//!
//! Source: appendix B ("Competencies") of the LSSCP programme document
//! (seed file `000_962465317ac16dc3.txt`, lines ~954–1543). The text was converted from
//! the source once and checked by eye against it, competency by competency; nothing is
//! parsed at runtime, because the catalogue is a fixed fact of the programme and a later
//! change to it needs a new migration.
//!
//! Sets are listed required first, in the order of [`SETS`] (their `position`, 1–10); the
//! names follow the programme's usage rather than the headings' capitals.
//!
//! Normalisation rules applied to the source:
//! - A competency's `text` is its full text without its number: wrapped lines joined with
//!   single spaces, runs of whitespace collapsed to one space, trimmed. A word hyphenated
//!   across a line break keeps its hyphen and loses the break ("user-oriented").
//!   Typographic quotes and apostrophes (’) and straight ones (') are kept as the source
//!   writes them, and so is trailing punctuation (a few competencies end without a full
//!   stop).
//! - Page furniture that the PDF conversion left in the middle of lists ("EBD #12.55",
//!   "2008 - 2009", page numbers) is not part of any competency and is dropped.
//! - The only multi-line text is Foundations competency 5: "Basic principles of:" then each
//!   bullet on its own line as "\n• " followed by the bullet text as written.
//! - `kind` follows the "Library Support Staff will know:" / "will be able to:" heading the
//!   competency is listed under; `part` is the named part heading for the two sets that
//!   have parts (Communication and Teamwork; Supervision and Management), `None` otherwise.
//! - A set's `description` is its introductory paragraph exactly as written: each line
//!   trimmed, lines joined with single spaces (spacing inside a line, such as two spaces
//!   after a full stop, is kept). `revision_note` is the parenthesised text after the
//!   heading, exactly as written ("revised July 21, 2008", "REVISED, MARCH 25, 2009").

/// Whether a competency is knowledge or a skill; portfolios and courses are assessed
/// against both, but the programme presents them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Listed under "Library Support Staff will know:".
    WillKnow,
    /// Listed under "Library Support Staff will be able to:".
    WillBeAbleTo,
}

impl Kind {
    /// The value stored in `competency.kind`, matching the entity's `snake_case` enum.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::WillKnow => "will_know",
            Kind::WillBeAbleTo => "will_be_able_to",
        }
    }
}

/// One competency set as seeded into `competency_set`; its `position` is its 1-based
/// place in [`SETS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SetSeed {
    /// Stable identifier used by code and fixtures; never shown to people.
    pub code: &'static str,
    /// The name people see.
    pub name: &'static str,
    /// Required sets must all be achieved; the rest are electives.
    pub required: bool,
    /// The set's introductory paragraph.
    pub description: &'static str,
    /// The revision the text comes from, as the document writes it.
    pub revision_note: &'static str,
    /// The set's competencies in number order, 1..n.
    pub competencies: &'static [CompetencySeed],
}

/// One numbered competency as seeded into `competency`; its `position` is its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompetencySeed {
    /// 1-based within its set; evaluators and courses cite competencies by it.
    pub number: i32,
    /// Knowledge or skill.
    pub kind: Kind,
    /// The named part of the set, for the two sets that are divided into parts.
    pub part: Option<&'static str>,
    /// The full text, normalised as described in the module documentation.
    pub text: &'static str,
}

const COMMUNICATION: Option<&str> = Some("Communication");
const TEAM_WORK: Option<&str> = Some("Team Work and Decision-Making");
const SUPERVISION: Option<&str> = Some("Supervision");
const MANAGEMENT: Option<&str> = Some("Management");

const fn know(number: i32, part: Option<&'static str>, text: &'static str) -> CompetencySeed {
    CompetencySeed {
        number,
        kind: Kind::WillKnow,
        part,
        text,
    }
}

const fn able(number: i32, part: Option<&'static str>, text: &'static str) -> CompetencySeed {
    CompetencySeed {
        number,
        kind: Kind::WillBeAbleTo,
        part,
        text,
    }
}

/// The whole catalogue, required sets first; the order is each set's `position`.
pub const SETS: &[SetSeed] = &[
    SetSeed {
        code: "COMMUNICATION_TEAMWORK",
        name: "Communication and Teamwork",
        required: true,
        description: "Library Support Staff need to communicate effectively with library users, library staff and others in a variety of situations to offer high-quality customer service. Library Support Staff are also required to make decisions that impact library services and serve as valued members of work teams. This set is divided into two parts: communication and team work; and decision-making.",
        revision_note: "revised June 18, 2008",
        competencies: &[
            know(
                1,
                COMMUNICATION,
                "Basic concepts of interpersonal relations, customer service and communication.",
            ),
            know(
                2,
                COMMUNICATION,
                "The importance of upholding policies and decisions and when to make exceptions.",
            ),
            know(3, COMMUNICATION, "Tools for resolving conflict."),
            able(
                4,
                COMMUNICATION,
                "Treat others with respect, fairness and consistency.",
            ),
            able(
                5,
                COMMUNICATION,
                "Seek, give and accept constructive feedback from coworkers, supervisors and users.",
            ),
            able(
                6,
                COMMUNICATION,
                "Resolve conflict in a positive and productive manner and judge when situations should be referred to a supervisor.",
            ),
            able(
                7,
                COMMUNICATION,
                "Select the most appropriate and effective medium and techniques for communicating.",
            ),
            able(
                8,
                COMMUNICATION,
                "Consider the language, communication styles and needs of diverse users when responding to or initiating communication.",
            ),
            able(9, COMMUNICATION, "Write clearly, logically and concisely."),
            able(
                10,
                COMMUNICATION,
                "Listen effectively and transmit information accurately and understandably.",
            ),
            able(
                11,
                COMMUNICATION,
                "Identify the critical issues to be communicated in complex situations.",
            ),
            able(
                12,
                COMMUNICATION,
                "Use appropriate strategies to deliver difficult or sensitive information.",
            ),
            able(
                13,
                COMMUNICATION,
                "Use approachable and welcoming behavior with all users.",
            ),
            able(
                14,
                COMMUNICATION,
                "Anticipate and maintain awareness of users' needs and wants in order to provide or improve services.",
            ),
            know(15, TEAM_WORK, "Basic concepts of team work."),
            know(
                16,
                TEAM_WORK,
                "Basic concepts of effective decision-making.",
            ),
            able(
                17,
                TEAM_WORK,
                "Participate effectively on teams and in groups and commit to meeting agreed-upon goals and objectives.",
            ),
            able(
                18,
                TEAM_WORK,
                "Promote communication and respect among team members.",
            ),
            able(
                19,
                TEAM_WORK,
                "Provide timely, accurate and candid information to supervisors and peers and identify to whom critical issues should be communicated.",
            ),
            able(
                20,
                TEAM_WORK,
                "Gather the best available information to support decisions.",
            ),
            able(
                21,
                TEAM_WORK,
                "Participate with others in collegial decision-making and problem solving and support the decisions of the team.",
            ),
            able(
                22,
                TEAM_WORK,
                "Communicate information or data in an understandable format.",
            ),
        ],
    },
    SetSeed {
        code: "FOUNDATIONS",
        name: "Foundations of Library Service",
        required: true,
        description: "These competencies are fundamental to understanding the mission and roles of libraries. These competencies cover the ethics, values and governance of libraries and the basic knowledge needed for all positions in a library.",
        revision_note: "revised July 21, 2008",
        competencies: &[
            know(
                1,
                None,
                "The mission and roles of a library in its community and the mission of libraries in general.",
            ),
            know(
                2,
                None,
                "The ethics and values of the profession, including an understanding of the Library Bill of Rights, the ALA Code of Ethics, freedom of information, confidentiality of library records and privacy issues.",
            ),
            know(
                3,
                None,
                "The roles of Library Support Staff and other staff in libraries.",
            ),
            know(
                4,
                None,
                "The responsibilities of and the relationships among library departments or functional areas.",
            ),
            know(
                5,
                None,
                "Basic principles of:\n• reference and information services;\n• circulation, including interlibrary loan and collection maintenance;\n• current cataloging and classification systems\n• acquisitions and collection development.",
            ),
            know(
                6,
                None,
                "How libraries are governed and funded and the place of libraries within organizations or government structures.",
            ),
            know(
                7,
                None,
                "The value of cooperating with other libraries to enhance services.",
            ),
            know(
                8,
                None,
                "The value of participating in professional development opportunities, including certification, continuing education, staff development and professional associations.",
            ),
            able(9, None, "Practice quality customer service."),
            able(
                10,
                None,
                "Communicate and promote the library’s values and services to staff, volunteers, users and the community.",
            ),
            able(
                11,
                None,
                "Recognize and respond to diversity in user needs and preferences for resources and services.",
            ),
        ],
    },
    SetSeed {
        code: "TECHNOLOGY",
        name: "Technology",
        required: true,
        description: "These competencies address the skills and knowledge about technology necessary for library work. This competency set also addresses the role of providing access to and educating the user in the use of technologies and equipment relevant to information seeking, access and use.",
        revision_note: "revised June 18, 2008",
        competencies: &[
            know(
                1,
                None,
                "General trends and developments of appropriate technology in all library functions and services whether offered in the library or through remote access.",
            ),
            know(
                2,
                None,
                "Technology’s role in creating, retrieving and delivering library resources, function and services.",
            ),
            know(
                3,
                None,
                "The role and responsibility of libraries for introducing relevant applications of technology to the public, including assistive technology.",
            ),
            know(
                4,
                None,
                "Basic computer operations needed to access library applications software and productivity tools.",
            ),
            know(5, None, "Basic networking technologies and protocols."),
            know(
                6,
                None,
                "Basic data security principles and best practices to ensure the integrity of data and the confidentiality of user activities.",
            ),
            know(
                7,
                None,
                "Concepts and issues concerning the appropriate use of technology by different user groups.",
            ),
            able(8, None, "Adapt to changes in technology."),
            able(
                9,
                None,
                "Transfer information gained from training into the work place.",
            ),
            able(
                10,
                None,
                "Assist and train users to operate public equipment, connect to the internet, utilize library software applications and access library services from remote locations.",
            ),
            able(
                11,
                None,
                "Use information discovery tools including the library’s catalog, core library databases and internet search engines.",
            ),
            able(
                12,
                None,
                "Perform basic troubleshooting of technical problems and resolve or appropriately refer those problems.",
            ),
            able(
                13,
                None,
                "Access and use basic assistive technologies, where appropriate, to ensure that all users have equitable access to technology.",
            ),
        ],
    },
    SetSeed {
        code: "ACCESS_SERVICES",
        name: "Access Services",
        required: false,
        description: "Access Services include on-site use and the routine circulation of resources in all formats, special circulation of course-reserve or other restricted-use materials, on-site and remote reciprocal circulation with users of partner libraries, interlibrary loan and document delivery.",
        revision_note: "revised June 18, 2008",
        competencies: &[
            know(
                1,
                None,
                "Classification and organization schemes for collections.",
            ),
            know(2, None, "Processes for circulating library materials."),
            know(
                3,
                None,
                "Basic characteristics of systems supporting circulation and interlibrary loan.",
            ),
            know(
                4,
                None,
                "Copyright issues pertaining to access functions such as reserves, document delivery and interlibrary loan.",
            ),
            know(
                5,
                None,
                "Principles, policies and procedures regarding user privacy in library services.",
            ),
            know(
                6,
                None,
                "Policies and procedures for resource sharing among libraries.",
            ),
            know(
                7,
                None,
                "Principles of security for people, equipment and collections",
            ),
            able(
                8,
                None,
                "Propose and explain library policies and procedures regarding access services.",
            ),
            able(
                9,
                None,
                "Provide quality customer service to library users.",
            ),
            able(
                10,
                None,
                "Manage people with diverse needs, diverse situations and emergencies.",
            ),
            able(
                11,
                None,
                "Perform applicable financial transactions and record keeping.",
            ),
            able(
                12,
                None,
                "Maintain collections by shelving, shifting and shelf reading.",
            ),
            able(
                13,
                None,
                "Assist with identifying materials for preservation and/or replacement.",
            ),
            able(
                14,
                None,
                "Manage appropriate technologies and equipment for resource sharing, reserves and user services.",
            ),
            able(
                15,
                None,
                "Troubleshoot and solve problems related to circulation and resource sharing processes.",
            ),
            able(
                16,
                None,
                "Assist with collecting and reporting data on collections and services.",
            ),
        ],
    },
    SetSeed {
        code: "ADULT_READERS_ADVISORY",
        name: "Adult Reader’s Advisory",
        required: false,
        description: "In recent years, Reader's Advisory services have expanded from assisting library users with identifying books to read to assisting users with identifying materials for viewing and listening. These services consist of recommending titles of potential interest to the user to match the user's interests and experience as well as promoting the collection.",
        revision_note: "revised June 18, 2008",
        competencies: &[
            know(
                1,
                None,
                "The library’s collection and where to locate materials by type and genre.",
            ),
            know(
                2,
                None,
                "A general familiarity with popular and classic fiction, including a knowledge of authors, various fiction genres and popular, current non-fiction.",
            ),
            know(
                3,
                None,
                "A general familiarity with popular and classical music, including a general knowledge of performers and composers.",
            ),
            know(
                4,
                None,
                "A general familiarity with variety of films, including a general knowledge of directors and actors in different film and media genres.",
            ),
            know(
                5,
                None,
                "Online and print readers’ advisory tools and reviewing sources.",
            ),
            know(
                6,
                None,
                "Formats appropriate for persons with disabilities affecting vision, hearing or understanding.",
            ),
            able(
                7,
                None,
                "Use online and print readers’ advisory tools and reviewing sources.",
            ),
            able(
                8,
                None,
                "Briefly and succinctly, describe the plot of a book, film or other media and its appeal.",
            ),
            able(
                9,
                None,
                "Determine users’ interests and make connections between their interests and similar works.",
            ),
            able(
                10,
                None,
                "Make recommendations without judgment regarding reading, listening or viewing preferences.",
            ),
            able(
                11,
                None,
                "Select materials from the library collections in response to users’ inquiries.",
            ),
            able(
                12,
                None,
                "Assist users with finding specific titles in their preferred format.",
            ),
            able(
                13,
                None,
                "Assist in developing, promoting and implementing programs based on the library collections, such as book discussions, summer reading programs, film and media programs.",
            ),
            able(
                14,
                None,
                "Assist in compiling resource lists and displays of books, recordings, films and media by genre, historical period, subject or author, composer or director.",
            ),
            able(
                15,
                None,
                "Suggest additions to the collection based on trends in materials requested and borrowed.",
            ),
        ],
    },
    SetSeed {
        code: "CATALOGING_CLASSIFICATION",
        name: "Cataloging and Classification",
        required: false,
        description: "Library Support Staff who work in cataloging and classification support library users access resources in a library.  They do this by assisting with the processes that enable multiple ways of searching to identify what is in a library; to identify particular items; and to locate these items in the library or in other libraries.   Cataloging and classification work requires knowledge of standard systems of classification, cataloging, and subject headings.  This work also requires the ability to apply these standards to diverse types of materials.",
        revision_note: "Revised March 25, 2009",
        competencies: &[
            know(1, None, "The functionality of integrated library systems."),
            know(
                2,
                None,
                "Basic tools, both print and online, for cataloging.",
            ),
            know(3, None, "The basics of MARC format and cataloging rules."),
            know(
                4,
                None,
                "The basics of classification and organization schemes for collections.",
            ),
            know(5, None, "The basics of subject headings."),
            know(
                6,
                None,
                "The value of cooperating with other libraries to enhance services.",
            ),
            able(7, None, "Use bibliographic utilities."),
            able(
                8,
                None,
                "Use the cataloging functions of integrated library systems.",
            ),
            able(
                9,
                None,
                "Perform basic copy cataloging, including reviewing and editing cataloging records.",
            ),
            able(
                10,
                None,
                "Explain the library’s classification scheme to others and assist others to find desired resources.",
            ),
        ],
    },
    SetSeed {
        code: "COLLECTION_MANAGEMENT",
        name: "Collection Management",
        required: false,
        description: "Library Support Staff who work in collection management support coworkers and library users by assisting with the processes that put library materials on the shelf or online.  Collection management work requires knowledge and abilities  in many aspects of this fundamental library work, including understanding publishers, vendors, budgets and accounting, how to resolve problems, preparing items for use, and caring for items after they have been well used.",
        revision_note: "REVISED, MARCH 25, 2009",
        competencies: &[
            know(1, None, "The functionality of integrated library systems."),
            know(
                2,
                None,
                "The general purpose of collection management in libraries.",
            ),
            know(
                3,
                None,
                "The basic principles of selecting and discarding of all types of library materials.",
            ),
            know(
                4,
                None,
                "Basic principles for ordering, processing, and claiming all types of library materials.",
            ),
            know(
                5,
                None,
                "Basic organization of the publishing industry and familiarity with vendors of materials, supplies, equipment and services.",
            ),
            know(
                6,
                None,
                "The value of cooperating with other libraries to enhance services.",
            ),
            know(
                7,
                None,
                "Basic principles for preserving all types of library materials.",
            ),
            able(
                8,
                None,
                "Use standard sources to assist with collection development and procurement.",
            ),
            able(
                9,
                None,
                "Apply effective procedures for verifying, ordering and receiving orders; resolving problems; and accounting for expenditures.",
            ),
            able(
                10,
                None,
                "Apply appropriate methods and techniques for accurate preparation of all library materials",
            ),
            able(
                11,
                None,
                "Maintain the collection using standard preservation techniques.",
            ),
            able(
                12,
                None,
                "Use standard methods for material rebinding and storage.",
            ),
            able(
                13,
                None,
                "Assist with decisions regarding weeding, material retention and replacement.",
            ),
            able(
                14,
                None,
                "Explain and apply the library policy for accepting gifts of materials.",
            ),
        ],
    },
    SetSeed {
        code: "REFERENCE_INFORMATION",
        name: "Reference and Information Services",
        required: false,
        description: "These services support library users as they seek access to information in all formats, wherever these resources are located. These competencies require an understanding of basic information resources and of the user's information seeking behavior and expectations.",
        revision_note: "revised June 19, 2008",
        competencies: &[
            know(
                1,
                None,
                "The general scope of the library’s collections including areas of strength and specialized collections.",
            ),
            know(
                2,
                None,
                "Legal issues involved in reference services, including user privacy, confidentiality and copyright.",
            ),
            know(
                3,
                None,
                "Basic reference, information and community resources.",
            ),
            know(
                4,
                None,
                "Classification and organization schemes for collections.",
            ),
            know(
                5,
                None,
                "Basic search methods, display options and terminology of the library’s catalog, website and other information access tools",
            ),
            able(
                6,
                None,
                "Conduct effective reference interviews, helping users define their information needs.",
            ),
            able(
                7,
                None,
                "Judge when referrals are necessary and use appropriate referral procedures.",
            ),
            able(
                8,
                None,
                "Instruct users in basic research procedures, including use of the library’s catalog, general database and web searching and locating materials in the library.",
            ),
            able(
                9,
                None,
                "Use basic searching skills to find information in print, non-print and digital resources.",
            ),
            able(
                10,
                None,
                "Use locally developed tools such as subject guides, FAQs and other resources that provide guidance to answer information requests.",
            ),
            able(
                11,
                None,
                "Help users select the most appropriate information resource to meet their needs and evaluate the quality, currency and authority of information retrieved.",
            ),
            able(
                12,
                None,
                "Identify and locate information in all formats and assist users in retrieving materials, including those not held locally.",
            ),
            able(
                13,
                None,
                "Interpret bibliographic record and citation formats.",
            ),
        ],
    },
    SetSeed {
        code: "SUPERVISION_MANAGEMENT",
        name: "Supervision and Management",
        required: false,
        description: "Library Support Staff often hold positions that involve supervision and management. These staff members may also need to demonstrate the competencies specific to a department in which they work.",
        revision_note: "revised June 18, 2008",
        competencies: &[
            know(
                1,
                SUPERVISION,
                "Basic regulations and laws that govern employment; library policies and procedures; and how policies are influenced by local, state and federal laws and regulations.",
            ),
            know(
                2,
                SUPERVISION,
                "Principles of staff management, supervision and discipline.",
            ),
            able(
                3,
                SUPERVISION,
                "Participate in recruiting, hiring, training, evaluating and promoting library staff.",
            ),
            able(
                4,
                SUPERVISION,
                "Set clear performance expectations linked to the library's strategies and priorities",
            ),
            able(
                5,
                SUPERVISION,
                "Demonstrate leadership in a team environment.",
            ),
            able(
                6,
                SUPERVISION,
                "Plan, implement and encourage participation in staff development activities.",
            ),
            know(
                7,
                MANAGEMENT,
                "The value of written, approved policies and the difference between policies and procedures.",
            ),
            know(
                8,
                MANAGEMENT,
                "The basic purposes and concepts of budgeting, grant writing and fundraising.",
            ),
            know(
                9,
                MANAGEMENT,
                "The value of planning library services based on community demographics and needs and evaluating these services.",
            ),
            know(
                10,
                MANAGEMENT,
                "Principles and the value of cooperation and collaborating with other libraries, agencies and organizations.",
            ),
            know(
                11,
                MANAGEMENT,
                "Principles of marketing the library and its services.",
            ),
            able(
                12,
                MANAGEMENT,
                "Develop realistic goals and measurable objectives after careful consideration of benefits, risks and impact on library current and future needs.",
            ),
            able(
                13,
                MANAGEMENT,
                "Develop, implement and evaluate recommendations for new services and programs based on analysis and interpretation of data about various aspects of library operations.",
            ),
            able(
                14,
                MANAGEMENT,
                "Review existing and develop new policies and procedures.",
            ),
            able(
                15,
                MANAGEMENT,
                "Develop and implement a marketing plan for the library and evaluate its effectiveness.",
            ),
            able(
                16,
                MANAGEMENT,
                "Build positive relationships between staff and users, applying concepts of user-oriented customer service.",
            ),
            able(
                17,
                MANAGEMENT,
                "Demonstrate the ability and willingness to uphold policies and decisions and know when exceptions are appropriate.",
            ),
            able(
                18,
                MANAGEMENT,
                "Use appropriate strategies to deliver difficult or sensitive information.",
            ),
            able(
                19,
                MANAGEMENT,
                "Identify community and user demographics and assist in planning library services on those demographics and needs.",
            ),
            able(
                20,
                MANAGEMENT,
                "Request, defend and follow a budget for library activities.",
            ),
            able(
                21,
                MANAGEMENT,
                "Conduct meetings effectively and efficiently.",
            ),
        ],
    },
    SetSeed {
        code: "YOUTH_SERVICES",
        name: "Youth Services",
        required: false,
        description: "These competencies are for support staff working in a public library in service to youth, from birth through age seventeen. Services to youth include collection development, programming, providing Readers Advisory and Reference services and teaching information literacy skills and related activities.",
        revision_note: "revised June 19, 2008",
        competencies: &[
            know(
                1,
                None,
                "A general understanding of the stages of childhood and adolescent development and factors contributing to the development of early literacy skills.",
            ),
            know(
                2,
                None,
                "Resources for youth in different formats, including award-winners, classic titles and age-appropriate materials.",
            ),
            know(
                3,
                None,
                "How to select appropriate materials for a particular youth, based on such factors as reading level, interest and level of maturity.",
            ),
            know(
                4,
                None,
                "Appropriate internet sites, rules for safe navigation and use of online search tools and other technological applications for youth.",
            ),
            know(5, None, "Legal and other issues affecting youth."),
            able(
                6,
                None,
                "Establish a welcoming atmosphere and actively encourage youth participation in library programs and in the use of resources.",
            ),
            able(
                7,
                None,
                "Demonstrate written and oral communication skills for working with youth, their parents and other caregivers, other library staff and the personnel of agencies serving youth.",
            ),
            able(
                8,
                None,
                "Assist with selecting appropriate materials for a youth collection.",
            ),
            able(
                9,
                None,
                "Assist with planning, presenting and evaluating library programs that will attract youth.",
            ),
            able(
                10,
                None,
                "Assist with advocating for and publicizing youth services.",
            ),
            able(
                11,
                None,
                "Work cooperatively with personnel in schools and other community agencies serving youth.",
            ),
            able(
                12,
                None,
                "Conduct effective reference and readers advisory interviews for youth and their parents and other caregivers and refer to a librarian when appropriate.",
            ),
            able(
                13,
                None,
                "Assist with developing and marketing services for youth and their parents and other caregivers.",
            ),
            able(
                14,
                None,
                "Instruct youth in the use of library materials, resources and equipment.",
            ),
            able(
                15,
                None,
                "Manage youth problem behavior and emergency situations.",
            ),
            able(
                16,
                None,
                "Follow policies and procedures related to challenged resources.",
            ),
        ],
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn set(code: &str) -> &'static SetSeed {
        SETS.iter()
            .find(|s| s.code == code)
            .unwrap_or_else(|| panic!("set {code} exists"))
    }

    fn text(code: &str, number: i32) -> &'static str {
        set(code)
            .competencies
            .iter()
            .find(|c| c.number == number)
            .unwrap_or_else(|| panic!("{code} {number} exists"))
            .text
    }

    #[test]
    fn ten_sets_three_required_151_competencies() {
        assert_eq!(SETS.len(), 10);
        assert_eq!(SETS.iter().filter(|s| s.required).count(), 3);
        assert!(
            SETS[..3].iter().all(|s| s.required),
            "required sets come first"
        );
        let total: usize = SETS.iter().map(|s| s.competencies.len()).sum();
        assert_eq!(total, 151);
    }

    #[test]
    fn sets_in_order_with_their_names_and_counts() {
        let expected = [
            (
                "COMMUNICATION_TEAMWORK",
                "Communication and Teamwork",
                true,
                22,
            ),
            ("FOUNDATIONS", "Foundations of Library Service", true, 11),
            ("TECHNOLOGY", "Technology", true, 13),
            ("ACCESS_SERVICES", "Access Services", false, 16),
            (
                "ADULT_READERS_ADVISORY",
                "Adult Reader’s Advisory",
                false,
                15,
            ),
            (
                "CATALOGING_CLASSIFICATION",
                "Cataloging and Classification",
                false,
                10,
            ),
            ("COLLECTION_MANAGEMENT", "Collection Management", false, 14),
            (
                "REFERENCE_INFORMATION",
                "Reference and Information Services",
                false,
                13,
            ),
            (
                "SUPERVISION_MANAGEMENT",
                "Supervision and Management",
                false,
                21,
            ),
            ("YOUTH_SERVICES", "Youth Services", false, 16),
        ];
        assert_eq!(SETS.len(), expected.len());
        for (s, (code, name, required, count)) in SETS.iter().zip(expected) {
            assert_eq!(s.code, code);
            assert_eq!(s.name, name);
            assert_eq!(s.required, required, "{code} required");
            assert_eq!(s.competencies.len(), count, "{code} count");
        }
    }

    #[test]
    fn revision_notes_as_written() {
        let notes: Vec<_> = SETS.iter().map(|s| s.revision_note).collect();
        assert_eq!(
            notes,
            [
                "revised June 18, 2008",
                "revised July 21, 2008",
                "revised June 18, 2008",
                "revised June 18, 2008",
                "revised June 18, 2008",
                "Revised March 25, 2009",
                "REVISED, MARCH 25, 2009",
                "revised June 19, 2008",
                "revised June 18, 2008",
                "revised June 19, 2008",
            ]
        );
    }

    #[test]
    fn descriptions_are_whole_paragraphs() {
        for s in SETS {
            assert!(!s.description.is_empty(), "{}", s.code);
            assert_eq!(s.description, s.description.trim(), "{}", s.code);
            assert!(!s.description.contains('\n'), "{}", s.code);
            assert!(s.description.ends_with('.'), "{}", s.code);
        }
        assert!(set("COMMUNICATION_TEAMWORK").description.ends_with(
            "This set is divided into two parts: communication and team work; and decision-making."
        ));
        assert_eq!(
            set("FOUNDATIONS").description,
            "These competencies are fundamental to understanding the mission and roles of \
             libraries. These competencies cover the ethics, values and governance of libraries \
             and the basic knowledge needed for all positions in a library."
        );
    }

    #[test]
    fn numbers_are_contiguous_from_one() {
        for s in SETS {
            let numbers: Vec<i32> = s.competencies.iter().map(|c| c.number).collect();
            let expected: Vec<i32> = (1..=s.competencies.len() as i32).collect();
            assert_eq!(numbers, expected, "{}", s.code);
        }
    }

    #[test]
    fn parts_exactly_as_specified() {
        for s in SETS {
            for c in s.competencies {
                let expected = match (s.code, c.number) {
                    ("COMMUNICATION_TEAMWORK", 1..=14) => Some("Communication"),
                    ("COMMUNICATION_TEAMWORK", _) => Some("Team Work and Decision-Making"),
                    ("SUPERVISION_MANAGEMENT", 1..=6) => Some("Supervision"),
                    ("SUPERVISION_MANAGEMENT", _) => Some("Management"),
                    _ => None,
                };
                assert_eq!(c.part, expected, "{} {}", s.code, c.number);
            }
        }
    }

    /// The "will know" ranges of each set, read from the source headings; every other
    /// competency is "will be able to".
    #[test]
    fn kinds_switch_where_the_source_does() {
        let will_know: &[(&str, &[std::ops::RangeInclusive<i32>])] = &[
            ("COMMUNICATION_TEAMWORK", &[1..=3, 15..=16]),
            ("FOUNDATIONS", &[1..=8]),
            ("TECHNOLOGY", &[1..=7]),
            ("ACCESS_SERVICES", &[1..=7]),
            ("ADULT_READERS_ADVISORY", &[1..=6]),
            ("CATALOGING_CLASSIFICATION", &[1..=6]),
            ("COLLECTION_MANAGEMENT", &[1..=7]),
            ("REFERENCE_INFORMATION", &[1..=5]),
            ("SUPERVISION_MANAGEMENT", &[1..=2, 7..=11]),
            ("YOUTH_SERVICES", &[1..=5]),
        ];
        assert_eq!(will_know.len(), SETS.len());
        for (code, ranges) in will_know {
            for c in set(code).competencies {
                let expected = if ranges.iter().any(|r| r.contains(&c.number)) {
                    Kind::WillKnow
                } else {
                    Kind::WillBeAbleTo
                };
                assert_eq!(c.kind, expected, "{code} {}", c.number);
            }
        }
        assert_eq!(Kind::WillKnow.as_str(), "will_know");
        assert_eq!(Kind::WillBeAbleTo.as_str(), "will_be_able_to");
    }

    #[test]
    fn texts_are_clean() {
        for s in SETS {
            for c in s.competencies {
                let where_ = format!("{} {}", s.code, c.number);
                assert!(!c.text.is_empty(), "{where_}");
                assert_eq!(c.text, c.text.trim(), "{where_}");
                assert!(!c.text.contains("EBD"), "{where_}");
                assert!(!c.text.contains("2008 - 2009"), "{where_}");
                assert!(!c.text.contains("  "), "{where_}");
                assert!(!c.text.contains('\t'), "{where_}");
                assert!(
                    !c.text.starts_with(|ch: char| ch.is_ascii_digit()),
                    "{where_}"
                );
                let multi_line = s.code == "FOUNDATIONS" && c.number == 5;
                assert_eq!(c.text.contains('\n'), multi_line, "{where_}");
            }
        }
    }

    #[test]
    fn spot_checked_texts() {
        let cases = [
            (
                "COMMUNICATION_TEAMWORK",
                8,
                "Consider the language, communication styles and needs of diverse users when \
                 responding to or initiating communication.",
            ),
            (
                "COMMUNICATION_TEAMWORK",
                14,
                "Anticipate and maintain awareness of users' needs and wants in order to provide \
                 or improve services.",
            ),
            (
                "COMMUNICATION_TEAMWORK",
                17,
                "Participate effectively on teams and in groups and commit to meeting agreed-upon \
                 goals and objectives.",
            ),
            (
                "FOUNDATIONS",
                2,
                "The ethics and values of the profession, including an understanding of the \
                 Library Bill of Rights, the ALA Code of Ethics, freedom of information, \
                 confidentiality of library records and privacy issues.",
            ),
            (
                "FOUNDATIONS",
                5,
                "Basic principles of:\n\
                 • reference and information services;\n\
                 • circulation, including interlibrary loan and collection maintenance;\n\
                 • current cataloging and classification systems\n\
                 • acquisitions and collection development.",
            ),
            (
                "TECHNOLOGY",
                2,
                "Technology’s role in creating, retrieving and delivering library resources, \
                 function and services.",
            ),
            (
                "TECHNOLOGY",
                13,
                "Access and use basic assistive technologies, where appropriate, to ensure that \
                 all users have equitable access to technology.",
            ),
            (
                "ACCESS_SERVICES",
                7,
                "Principles of security for people, equipment and collections",
            ),
            (
                "ADULT_READERS_ADVISORY",
                8,
                "Briefly and succinctly, describe the plot of a book, film or other media and its \
                 appeal.",
            ),
            (
                "ADULT_READERS_ADVISORY",
                9,
                "Determine users’ interests and make connections between their interests and \
                 similar works.",
            ),
            (
                "CATALOGING_CLASSIFICATION",
                10,
                "Explain the library’s classification scheme to others and assist others to find \
                 desired resources.",
            ),
            (
                "COLLECTION_MANAGEMENT",
                5,
                "Basic organization of the publishing industry and familiarity with vendors of \
                 materials, supplies, equipment and services.",
            ),
            (
                "COLLECTION_MANAGEMENT",
                7,
                "Basic principles for preserving all types of library materials.",
            ),
            (
                "COLLECTION_MANAGEMENT",
                10,
                "Apply appropriate methods and techniques for accurate preparation of all library \
                 materials",
            ),
            (
                "REFERENCE_INFORMATION",
                5,
                "Basic search methods, display options and terminology of the library’s catalog, \
                 website and other information access tools",
            ),
            (
                "SUPERVISION_MANAGEMENT",
                4,
                "Set clear performance expectations linked to the library's strategies and \
                 priorities",
            ),
            (
                "SUPERVISION_MANAGEMENT",
                16,
                "Build positive relationships between staff and users, applying concepts of \
                 user-oriented customer service.",
            ),
            (
                "YOUTH_SERVICES",
                7,
                "Demonstrate written and oral communication skills for working with youth, their \
                 parents and other caregivers, other library staff and the personnel of agencies \
                 serving youth.",
            ),
            (
                "YOUTH_SERVICES",
                16,
                "Follow policies and procedures related to challenged resources.",
            ),
        ];
        for (code, number, expected) in cases {
            assert_eq!(text(code, number), expected, "{code} {number}");
        }
    }
}
