//! Typed links between requests (docs/DOMAIN.md §2.3): a request
//! supplements, supersedes, is reissued after the refusal of, or follows up
//! another.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::vocab::vocabulary;

vocabulary!(
    /// How the request a link starts from stands to the one it points to.
    LinkKind, "link kind" {
        Supplements => "supplements" ["Supplements", "Complète"],
        Supersedes => "supersedes" ["Replaces", "Remplace"],
        ReissuedAfterRefusal => "reissued_after_refusal" ["Reissued after a refusal", "Réémise après un refus"],
        FollowUpOf => "follow_up_of" ["Follows up", "Fait suite à"],
    }
);

/// A `POST /requests/{id}/links` body: request `{id}` `kind` request `to`
/// (`{"kind": "supersedes", "to": B}`: this request supersedes B).
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLink {
    pub kind: LinkKind,
    /// The other request's id.
    pub to: Uuid,
}

/// Which way a link points, seen from the request that shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// This request `kind` the other (it supersedes it, follows it up…).
    Outgoing,
    /// The other request `kind` this one.
    Incoming,
}

/// A link as a request shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RequestLink {
    /// The link's id, for `DELETE /requests/{id}/links/{link_id}`.
    pub id: Uuid,
    pub kind: LinkKind,
    pub direction: Direction,
    /// The other request.
    pub request_id: Uuid,
    /// The other request's reference.
    pub reference: String,
}
