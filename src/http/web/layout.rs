//! What surrounds every page: the language, the signed-in user, the
//! navigation, the CSRF token of the forms in the header, the title.

use super::i18n::Tr;
use crate::db::users::User;
use crate::domain::Role;
use crate::http::auth::Permission;

#[derive(Clone)]
pub struct Chrome {
    pub t: Tr,
    pub user: Option<User>,
    /// The token of this visitor's forms; empty on pages shown when the
    /// visitor could not be known (the database down), which then carry
    /// no form.
    pub csrf: String,
    /// This page's path and query: where the language switch comes back to.
    pub here: String,
    pub title: String,
}

impl Chrome {
    /// For pages shown without a known visitor (see `csrf`).
    pub fn bare(t: Tr, title: &str) -> Chrome {
        Chrome {
            t,
            user: None,
            csrf: String::new(),
            here: "/".into(),
            title: title.to_string(),
        }
    }

    pub fn reads_cases(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role.reads_cases())
    }

    /// Whether the user may record and change requests.
    pub fn writes_cases(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| crate::http::auth::WriteCases::granted(u.role))
    }

    /// Whether the user may import a spreadsheet register.
    pub fn imports_requests(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| crate::http::auth::ImportRequests::granted(u.role))
    }

    /// Whether the user manages the users.
    pub fn manages_users(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| crate::http::auth::ManageUsers::granted(u.role))
    }

    pub fn role_label(&self) -> &'static str {
        self.user
            .as_ref()
            .map_or("", |u| u.role.label(self.t.language))
    }

    /// Whether the page is under `section` (for `aria-current`).
    pub fn at(&self, section: &str) -> bool {
        self.here == section
            || self.here.starts_with(&format!("{section}/"))
            || self.here.starts_with(&format!("{section}?"))
    }

    /// The home of a role: the register, or the statistics for analysts.
    pub fn home_of(role: Role) -> &'static str {
        if role.reads_cases() {
            "/requests"
        } else {
            "/stats"
        }
    }
}
