"""Run scim2-tester's check_server against a running scim-example-server.

Usage: python interop_check.py <tenant-url> <secret-token>
Exits 1 when any check ends at ERROR or CRITICAL, except the ones listed in EXCLUDED.
"""

import sys

try:  # scim2-client >= 0.13 ships an engine for httpx2
    import httpx2 as httpx
    from scim2_client.engines.httpx2 import SyncSCIMClient
except ImportError:  # older releases use httpx
    import httpx
    from scim2_client.engines.httpx import SyncSCIMClient
from scim2_tester import Status, check_server

LIFECYCLE = "urn:scim-rs:params:scim:schemas:extension:lifecycle:2.0:User"


def _urn(result) -> str | None:
    return result.data.get("urn") if isinstance(result.data, dict) else None


# Checks we consider wrongly judged: (title, predicate on the result, reason). Keep this list
# short and explain every entry; an excluded check is still printed.
EXCLUDED = [
    (
        "object_query_with_attributes",
        lambda r: "instance of Meta" in (r.reason or ""),
        # GET /Groups/{id}?attributes=externalId answers {id, schemas, externalId} plus the ETag
        # header (RFC 7644 §3.14). `meta` is returned "default", so it is rightly left out.
        # scim2-client then builds a Meta() from the ETag and its own pydantic model rejects
        # that object: a client-side failure, not a server answer.
        "scim2-client cannot fill meta.version from the ETag when meta is projected out",
    ),
    (
        "check_add_attribute",
        lambda r: _urn(r) == LIFECYCLE,
        # Every attribute of the lifecycle extension is readOnly (status, activatedAt,
        # suspendedAt, purgeAt are server state). RFC 7643 §2.2: readOnly attributes "SHALL NOT
        # be modified"; the server keeps its values and the tester expects its own.
        "the lifecycle extension is readOnly server state",
    ),
    (
        "check_replace_attribute",
        lambda r: _urn(r) == LIFECYCLE,
        "the lifecycle extension is readOnly server state",
    ),
    (
        "check_remove_attribute",
        lambda r: _urn(r) == LIFECYCLE,
        # Removing a readOnly attribute is answered 400 mutability (RFC 7644 §3.5.2), which the
        # tester counts as a failure to remove.
        "the lifecycle extension is readOnly server state; 400 mutability is the RFC answer",
    ),
    (
        "check_remove_attribute",
        lambda r: _urn(r) == "active",
        # `active` drives the suspend/restore lifecycle. Unassigned means "not suspended", and
        # the server always returns it as a boolean, because Entra and Okta match and re-enable
        # users by reading `active` back. Removing it restores the user: `active` reads true.
        "active is always returned as a boolean; removing it means active (not suspended)",
    ),
]


def _excluded(result) -> str | None:
    for title, predicate, reason in EXCLUDED:
        if result.title == title and predicate(result):
            return reason
    return None


def main() -> int:
    url, token = sys.argv[1], sys.argv[2]
    http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    scim = SyncSCIMClient(http)
    results = check_server(scim)
    failed = []
    for result in results:
        line = f"{result.status.name:<10} {result.resource_type or '-':<6} {result.title}: {result.reason or ''}"
        print(line)
        if result.status in (Status.ERROR, Status.CRITICAL):
            reason = _excluded(result)
            if reason:
                print(f"           (excluded: {reason})")
            else:
                failed.append(result)
    print(f"{len(results)} checks, {len(failed)} error-level failures")
    for result in failed:
        print(f"FAILED: {result.title}\n  reason: {result.reason}\n  data: {result.data!r}"[:2000])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
