"""Run scim2-tester's check_server against a running scim-example-server.

Usage: python scim2_tester.py <tenant-url> <secret-token>
Exits 1 when any check ends at ERROR or CRITICAL, except the ones listed in EXCLUDED.
"""

import sys

import httpx
from scim2_client.engines.httpx import SyncSCIMClient
from scim2_tester import Status, check_server

# Checks we consider wrongly judged, by title, each with the reason. Keep this list short
# and explain every entry; an excluded check is still printed.
EXCLUDED: dict[str, str] = {}


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
            if result.title in EXCLUDED:
                print(f"           (excluded: {EXCLUDED[result.title]})")
            else:
                failed.append(result)
    print(f"{len(results)} checks, {len(failed)} error-level failures")
    for result in failed:
        print(f"FAILED: {result.title}\n  reason: {result.reason}\n  data: {result.data!r}"[:2000])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
