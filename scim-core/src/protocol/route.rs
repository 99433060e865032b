//! The base path (with its optional `{tenant}` segment) and the route table.

use crate::ResourceKind;
use crate::audit::AuditOperation;
use http::Method;

/// A configured base path such as `/scim/v2/t/{tenant}`, split into segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BasePath {
    segments: Vec<Segment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Tenant,
}

/// A request path matched against the base: the tenant named in the URL (if the base has a
/// `{tenant}` segment) and the remaining, percent-decoded segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Matched {
    pub(crate) tenant: Option<String>,
    pub(crate) rest: Vec<String>,
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

impl BasePath {
    /// Parses a pattern; the segment `{tenant}` (at most one is used) captures the tenant id.
    pub(crate) fn new(pattern: &str) -> Self {
        let segments = split(pattern)
            .map(|s| if s == "{tenant}" { Segment::Tenant } else { Segment::Literal(s.to_owned()) })
            .collect();
        Self { segments }
    }

    /// Matches a request path; `None` when it is not under the base.
    pub(crate) fn matches(&self, path: &str) -> Option<Matched> {
        let mut parts = split(path);
        let mut tenant = None;
        for segment in &self.segments {
            let part = parts.next()?;
            match segment {
                Segment::Literal(lit) => {
                    if part != lit {
                        return None;
                    }
                }
                Segment::Tenant => tenant = Some(decode_segment(part)?),
            }
        }
        let rest = parts.map(decode_segment).collect::<Option<Vec<_>>>()?;
        Some(Matched { tenant, rest })
    }

    /// The base path with the tenant filled in, e.g. `/scim/v2/t/abc` (empty for the root).
    pub(crate) fn render(&self, tenant: &str) -> String {
        let mut out = String::new();
        for segment in &self.segments {
            out.push('/');
            match segment {
                Segment::Literal(lit) => out.push_str(lit),
                Segment::Tenant => out.push_str(tenant),
            }
        }
        out
    }
}

/// Decodes `%XX` in a path segment (a `+` stays a `+` in paths; an invalid escape is kept
/// literally); `None` when the result is not UTF-8.
fn decode_segment(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s).decode_utf8().ok().map(std::borrow::Cow::into_owned)
}

/// What a path (below the base) names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Route {
    Collection(ResourceKind),
    Search(Option<ResourceKind>),
    Resource(ResourceKind, String),
    Schemas,
    Schema(String),
    ResourceTypes,
    ResourceType(String),
    ServiceProviderConfig,
    /// `/Bulk` (RFC 7644 §3.7).
    Bulk,
    /// `/Me`: defined by RFC 7644 but not offered (501).
    Unsupported(&'static str),
}

impl Route {
    /// Recognises a path below the base; `None` is an unknown route (404).
    /// Endpoint names are matched ignoring case, as several clients vary them.
    pub(crate) fn parse(rest: &[String]) -> Option<Self> {
        let kind = |s: &str| {
            ResourceKind::ALL
                .into_iter()
                .find(|k| k.endpoint().strip_prefix('/').is_some_and(|e| e.eq_ignore_ascii_case(s)))
        };
        let route = match rest {
            [one] if one == ".search" => Self::Search(None),
            [one] if one.eq_ignore_ascii_case("Schemas") => Self::Schemas,
            [one] if one.eq_ignore_ascii_case("ResourceTypes") => Self::ResourceTypes,
            [one] if one.eq_ignore_ascii_case("ServiceProviderConfig") => Self::ServiceProviderConfig,
            [one] if one.eq_ignore_ascii_case("ServiceProviderConfigs") => Self::ServiceProviderConfig,
            [one] if one.eq_ignore_ascii_case("Me") => Self::Unsupported("/Me"),
            [one] if one.eq_ignore_ascii_case("Bulk") => Self::Bulk,
            [one] => Self::Collection(kind(one)?),
            [first, id] if first.eq_ignore_ascii_case("Schemas") => Self::Schema(id.clone()),
            [first, id] if first.eq_ignore_ascii_case("ResourceTypes") => Self::ResourceType(id.clone()),
            [first, search] if search == ".search" => Self::Search(Some(kind(first)?)),
            [first, id] => Self::Resource(kind(first)?, id.clone()),
            _ => return None,
        };
        Some(route)
    }

    /// `/Schemas`, `/ResourceTypes`, `/ServiceProviderConfig` and their entries (RFC 7644 §4).
    pub(crate) fn is_discovery(&self) -> bool {
        matches!(
            self,
            Self::Schemas | Self::Schema(_) | Self::ResourceTypes | Self::ResourceType(_) | Self::ServiceProviderConfig
        )
    }

    /// What a refused request on this route is recorded as in the audit log: the resource
    /// type, the id the path names, and the operation; `None` for routes that touch no
    /// resource (discovery, `/Me`, `/Bulk`) and for methods a route does not take.
    pub(crate) fn audit_target(&self, method: &Method) -> Option<(ResourceKind, Option<String>, AuditOperation)> {
        match (self, method) {
            (Self::Collection(kind), &Method::GET) | (Self::Search(Some(kind)), &Method::POST) => {
                Some((*kind, None, AuditOperation::List))
            }
            (Self::Search(None), &Method::POST) => Some((ResourceKind::User, None, AuditOperation::List)),
            (Self::Collection(kind), &Method::POST) => Some((*kind, None, AuditOperation::Create)),
            (Self::Resource(kind, id), m) => {
                let operation = match *m {
                    Method::GET => AuditOperation::Read,
                    Method::PUT => AuditOperation::Replace,
                    Method::PATCH => AuditOperation::Patch,
                    Method::DELETE => AuditOperation::Delete,
                    _ => return None,
                };
                Some((*kind, Some(id.clone()), operation))
            }
            _ => None,
        }
    }

    /// The methods the route allows (for `405` and its `Allow` header).
    pub(crate) fn allowed(&self) -> &'static str {
        match self {
            Self::Collection(_) => "GET, POST",
            Self::Search(_) | Self::Bulk => "POST",
            Self::Resource(..) => "GET, PUT, PATCH, DELETE",
            Self::Schemas | Self::Schema(_) | Self::ResourceTypes | Self::ResourceType(_) => "GET",
            Self::ServiceProviderConfig => "GET",
            Self::Unsupported(_) => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rest(path: &[&str]) -> Vec<String> {
        path.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn matches_tenant_base() {
        let base = BasePath::new("/scim/v2/t/{tenant}");
        let m = base.matches("/scim/v2/t/abc/Users/42").unwrap();
        assert_eq!(m.tenant.as_deref(), Some("abc"));
        assert_eq!(m.rest, rest(&["Users", "42"]));
        assert_eq!(base.matches("/scim/v2/t/abc/Users/").unwrap().rest, rest(&["Users"]));
        assert!(base.matches("/scim/v2/x/abc/Users").is_none());
        assert!(base.matches("/scim/v2/t").is_none());
        assert_eq!(base.render("abc"), "/scim/v2/t/abc");
        let root = BasePath::new("");
        assert_eq!(root.matches("/Users").unwrap().rest, rest(&["Users"]));
        assert_eq!(root.render("x"), "");
    }

    #[test]
    fn decodes_segments() {
        let base = BasePath::new("/");
        assert_eq!(base.matches("/Users/a%20b+c").unwrap().rest, rest(&["Users", "a b+c"]));
        assert!(base.matches("/Users/%ff").is_none());
    }

    #[test]
    fn parses_routes() {
        assert_eq!(Route::parse(&rest(&["Users"])), Some(Route::Collection(ResourceKind::User)));
        assert_eq!(Route::parse(&rest(&["groups", "g1"])), Some(Route::Resource(ResourceKind::Group, "g1".into())));
        assert_eq!(Route::parse(&rest(&["Users", ".search"])), Some(Route::Search(Some(ResourceKind::User))));
        assert_eq!(Route::parse(&rest(&[".search"])), Some(Route::Search(None)));
        assert_eq!(Route::parse(&rest(&["Schemas", "urn:x"])), Some(Route::Schema("urn:x".into())));
        assert_eq!(Route::parse(&rest(&["ServiceProviderConfig"])), Some(Route::ServiceProviderConfig));
        assert_eq!(Route::parse(&rest(&["Bulk"])), Some(Route::Bulk));
        assert_eq!(Route::parse(&rest(&["Widgets"])), None);
        assert_eq!(Route::parse(&rest(&["Users", "1", "x"])), None);
        assert_eq!(Route::parse(&[]), None);
    }
}
