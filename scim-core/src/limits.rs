//! [`Limits`]: every bound the service enforces on a request, in one value.

/// The bounds a service enforces, in one place: [`Provisioning`](crate::Provisioning) enforces
/// them, [`ScimService`](crate::ScimService) reads them from it, and `/ServiceProviderConfig`
/// is derived from them, so no two settings must be kept equal by hand.
///
/// ```
/// use scim_core::Limits;
///
/// let limits = Limits::default().with_max_results(200).with_max_body_bytes(2 * 1024 * 1024);
/// assert_eq!((limits.max_results, limits.max_body_bytes), (200, 2 * 1024 * 1024));
/// assert_eq!(limits.max_patch_operations, 1000);
/// ```
///
/// # Scans
/// A list *scans* when the indexes cannot answer it: its filter is not answered by an index,
/// or it is sorted (`sortBy`) without such a filter. A filter is answered by an index when it
/// is an `eq` of a string on `id`, `userName` (groups: `displayName`) or `externalId`, an
/// `or` of such filters, or an `and` with such a filter on one side; every other filter
/// (`title co "x"`, `emails.value eq "x"`, `active eq true`, `not (…)`) examines each user
/// (or group) of the tenant, and so does a sort. Unfiltered, unsorted pages are not scans.
/// This rule is the same for every store, so a list is refused or served alike whatever
/// the backend, even where a store's SQL could narrow a particular filter further.
///
/// Scans are bounded five ways: [`max_scan`](Self::max_scan) refuses one that would examine
/// too many resources; [`max_scans_per_tenant`](Self::max_scans_per_tenant) and
/// [`max_scans`](Self::max_scans) bound how many run at once;
/// [`scan_share_percent`](Self::scan_share_percent) bounds the share of time they run; and
/// [`scan_cost`](Self::scan_cost) makes them cost their size in the rate limits. With
/// scim-core's feature `tokio`, on a multi-thread runtime, each scan also runs on a blocking
/// thread (`tokio::task::spawn_blocking`) instead of an async worker, so requests that the
/// indexes answer are never queued behind one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The largest request body, in bytes: `413` above it; advertised as
    /// `bulk.maxPayloadSize`. Default 8 MiB, enough for an Okta custom app's `PUT` of a
    /// group of about 95 000 members (about 85 bytes each). Adapters that
    /// [`admit`](crate::ScimService::admit) a request first buffer that much only for
    /// authenticated clients.
    pub max_body_bytes: usize,
    /// The longest `filter`, in bytes: `400 invalidFilter` above it. Default 4096.
    pub max_filter_length: usize,
    /// The most resources one list response holds (`count` is capped to it); advertised as
    /// `filter.maxResults` and the page sizes. Default 1000.
    pub max_results: usize,
    /// The largest stored resource, in bytes of compact JSON of the client's attributes (a
    /// group's `members`, a user's derived `groups`, `meta` and the lifecycle extension left
    /// out): a create, replace or PATCH that would store more is `400 invalidValue`, unless
    /// it replaces a stored resource at least as large. Default 256 KiB (a provisioned user
    /// is 1–3 KB). It bounds what one page holds: at most `max_results` of them.
    pub max_resource_bytes: usize,
    /// The most operations in one PATCH request: `400 invalidValue` above it. Default 1000.
    pub max_patch_operations: usize,
    /// The most names in `attributes` or `excludedAttributes`: `400 invalidValue` above it.
    /// Default 500.
    pub max_projection_names: usize,
    /// The longest value of an attribute that stores index (a user's `userName`, `externalId`
    /// and e-mail addresses, a group's `displayName` and `externalId`), in bytes once folded
    /// with [`fold_case`](scim_query::fold::fold_case): `400 invalidValue` above it. Default
    /// 1024, four times the longest e-mail address; it keeps every index entry within what
    /// PostgreSQL's b-tree and GIN indexes take (about 2.7 KB).
    pub max_key_bytes: usize,
    /// The request rate of one tenant (all its tokens together) in one service:
    /// [`ScimService`](crate::ScimService) answers `429` with `Retry-After` above it, before it
    /// reads the body. `None`: no limit. Default 100 requests a second with bursts of 1000:
    /// well above what Entra and Okta send during an initial sync (a few to a few dozen a
    /// second), since an identity provider that meets `429`s for long quarantines the app.
    pub tenant_rate: Option<RateLimit>,
    /// The request rate of one bearer token, the same way. Default as [`tenant_rate`](Self::tenant_rate).
    pub token_rate: Option<RateLimit>,
    /// The most resources one list may examine beyond what the indexes answer (its *scan*;
    /// see [Scans](#scans)): a list that would examine more answers `400 tooMany` (RFC 7644
    /// §3.12) before it starts, with a detail naming the count, the limit and the cheap
    /// alternative. `None`: no limit.
    ///
    /// Default 100 000. Entra ID and Okta never scan (they look users and groups up by
    /// `userName`, `externalId`, `id` or `displayName` `eq`, and page through unfiltered
    /// lists), so the budget only concerns other clients (admin scripts, reports), and any
    /// filter stays usable on tenants of up to 100 000 users. A scan of 100 000 users
    /// takes tens of milliseconds in memory and about a second on SQLite; lower it where
    /// that is too much to give one request.
    pub max_scan: Option<usize>,
    /// How many scans of one tenant run at once; the tenant's further scans wait their turn
    /// (first come, first served), and beyond [`SCAN_QUEUE`](Self::SCAN_QUEUE) waiting scans per allowed one
    /// the answer is `429` with `Retry-After`. Default 1 (at least 1). Lists that need no
    /// scan never wait.
    pub max_scans_per_tenant: usize,
    /// How many scans run at once in the whole service, all tenants together (at least 1):
    /// a scan that finds them all taken waits. Default half the processor cores, at least 1,
    /// so scans never take every core from the requests the indexes answer.
    pub max_scans: usize,
    /// How many resources a scan examines for the price of one request in the rate limits
    /// ([`tenant_rate`](Self::tenant_rate), [`token_rate`](Self::token_rate)): a scan of `n`
    /// resources takes `n / scan_cost` requests from both buckets on top of its own (capped
    /// at a bucket's burst), or answers `429` with `Retry-After` until they have them.
    /// Default 1000: with the default rate, a client looping over scans of a
    /// 100 000-user tenant gets 10 at once and then one a second. At least 1.
    pub scan_cost: usize,
    /// The share of its time, in percent, a scan slot ([`max_scans`](Self::max_scans)) may
    /// spend scanning: after a scan that took `d`, its slots (its tenant's and the service's)
    /// stay taken for `d × (100 − p) / p` more, so back-to-back scans leave the processors to
    /// the other requests for that long (the client gets its answer at once). Default 50: scans
    /// together use at most half of `max_scans` cores. 100 turns the pause off (as does
    /// leaving out scim-core's feature `tokio`, which it needs); values are clamped to 1–100.
    pub scan_share_percent: u8,
    /// The most operations in one `POST /Bulk` request (RFC 7644 §3.7), advertised as
    /// `bulk.maxOperations`: `413` above it. `0` turns `/Bulk` off (`501`, and
    /// `bulk.supported: false`). Default 1000. The request's size is bounded by
    /// [`max_body_bytes`](Self::max_body_bytes) (`bulk.maxPayloadSize`), and each operation
    /// counts as one request in the rate limits.
    pub max_bulk_operations: usize,
    /// How long an RFC 9865 cursor stays valid after the response that returned it: older
    /// ones get `400 expiredCursor`. Advertised as `pagination.cursorTimeout` (whole seconds).
    /// Default one hour.
    pub cursor_timeout: std::time::Duration,
}

/// A token-bucket rate: bursts of up to `burst` requests, `per_second` on average.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Requests a second, on average.
    pub per_second: u32,
    /// Requests at once after a quiet spell.
    pub burst: u32,
}

impl RateLimit {
    /// `per_second` on average, bursts of `burst` (at least 1).
    pub fn new(per_second: u32, burst: u32) -> Self {
        Self { per_second, burst: burst.max(1) }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 8 * 1024 * 1024,
            max_filter_length: 4096,
            max_results: 1000,
            max_resource_bytes: 256 * 1024,
            max_patch_operations: 1000,
            max_projection_names: 500,
            max_key_bytes: 1024,
            tenant_rate: Some(RateLimit::new(100, 1000)),
            token_rate: Some(RateLimit::new(100, 1000)),
            max_scan: Some(100_000),
            max_scans_per_tenant: 1,
            max_scans: std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            scan_cost: 1000,
            scan_share_percent: 50,
            max_bulk_operations: 1000,
            cursor_timeout: std::time::Duration::from_secs(3600),
        }
    }
}

impl Limits {
    /// How many scans of one tenant may wait, per scan
    /// [`max_scans_per_tenant`](Self::max_scans_per_tenant) lets run, before further ones are
    /// refused with `429`.
    pub const SCAN_QUEUE: usize = 4;

    /// Sets [`max_bulk_operations`](Self::max_bulk_operations) (`0` turns `/Bulk` off).
    #[must_use]
    pub fn with_max_bulk_operations(mut self, max: usize) -> Self {
        self.max_bulk_operations = max;
        self
    }

    /// Sets [`max_body_bytes`](Self::max_body_bytes).
    #[must_use]
    pub fn with_max_body_bytes(mut self, max: usize) -> Self {
        self.max_body_bytes = max;
        self
    }

    /// Sets [`max_filter_length`](Self::max_filter_length).
    #[must_use]
    pub fn with_max_filter_length(mut self, max: usize) -> Self {
        self.max_filter_length = max;
        self
    }

    /// Sets [`cursor_timeout`](Self::cursor_timeout).
    #[must_use]
    pub fn with_cursor_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.cursor_timeout = timeout;
        self
    }

    /// Sets [`max_results`](Self::max_results).
    #[must_use]
    pub fn with_max_results(mut self, max: usize) -> Self {
        self.max_results = max;
        self
    }

    /// Sets [`max_resource_bytes`](Self::max_resource_bytes).
    #[must_use]
    pub fn with_max_resource_bytes(mut self, max: usize) -> Self {
        self.max_resource_bytes = max;
        self
    }

    /// Sets [`max_patch_operations`](Self::max_patch_operations).
    #[must_use]
    pub fn with_max_patch_operations(mut self, max: usize) -> Self {
        self.max_patch_operations = max;
        self
    }

    /// Sets [`max_key_bytes`](Self::max_key_bytes).
    #[must_use]
    pub fn with_max_key_bytes(mut self, max: usize) -> Self {
        self.max_key_bytes = max;
        self
    }

    /// Sets [`tenant_rate`](Self::tenant_rate) (`None`: no limit).
    #[must_use]
    pub fn with_tenant_rate(mut self, rate: Option<RateLimit>) -> Self {
        self.tenant_rate = rate;
        self
    }

    /// Sets [`token_rate`](Self::token_rate) (`None`: no limit).
    #[must_use]
    pub fn with_token_rate(mut self, rate: Option<RateLimit>) -> Self {
        self.token_rate = rate;
        self
    }

    /// Sets [`max_scan`](Self::max_scan) (`None`: no limit).
    #[must_use]
    pub fn with_max_scan(mut self, max: Option<usize>) -> Self {
        self.max_scan = max;
        self
    }

    /// Sets [`max_scans_per_tenant`](Self::max_scans_per_tenant) (at least 1).
    #[must_use]
    pub fn with_max_scans_per_tenant(mut self, max: usize) -> Self {
        self.max_scans_per_tenant = max.max(1);
        self
    }

    /// Sets [`max_scans`](Self::max_scans) (at least 1).
    #[must_use]
    pub fn with_max_scans(mut self, max: usize) -> Self {
        self.max_scans = max.max(1);
        self
    }

    /// Sets [`scan_cost`](Self::scan_cost) (at least 1).
    #[must_use]
    pub fn with_scan_cost(mut self, resources_per_request: usize) -> Self {
        self.scan_cost = resources_per_request.max(1);
        self
    }

    /// Sets [`scan_share_percent`](Self::scan_share_percent) (clamped to 1–100).
    #[must_use]
    pub fn with_scan_share_percent(mut self, percent: u8) -> Self {
        self.scan_share_percent = percent.clamp(1, 100);
        self
    }

    /// Sets [`max_projection_names`](Self::max_projection_names).
    #[must_use]
    pub fn with_max_projection_names(mut self, max: usize) -> Self {
        self.max_projection_names = max;
        self
    }
}
