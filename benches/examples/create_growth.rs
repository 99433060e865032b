//! How much of a create into a growing memory store is the machine's price of fresh memory.
//!
//! Loads `WARM` users (default 1 000 000) into a `MemoryUserStore` one at a time, then times `N`
//! creates (default 500 000) into it, each of a document made (untimed) just before, and prints
//! the mean, the percentiles and the rate. Each create that grows the store touches about 2.5 KB
//! of memory the process has not used before, so on a machine where a first touch is dear (a
//! virtual machine whose host backs guest pages lazily) that price is a large part of a create.
//!
//! - `HELD=1`: each created user is deleted again (untimed), so the store stays at its size and
//!   the creates reuse memory (the `store_memory` bench's `create_steady`).
//! - `PRIME_GIB=g`: before the creates, touch `g` GiB in 16 MiB pieces and free them. Under
//!   glibc the heap keeps them, already faulted in, only when pieces that size come from the
//!   heap and freeing does not give memory back, which takes these tunables:
//!
//! ```sh
//! GLIBC_TUNABLES=glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=68719476736 \
//!   PRIME_GIB=3 cargo run --release -p scim-benches --example create_growth
//! ```
//!
//! Running it with and without `PRIME_GIB` gives the create's own work in a growing store and
//! the price of its fresh memory on the machine at hand.

use scim_benches::{block_on, load_users, make_user};
use scim_core::{TenantId, UserStore};
use scim_store_memory::MemoryUserStore;
use std::time::{Duration, Instant};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    let base = load_users();
    let warm = env_usize("WARM", 1_000_000);
    let n = env_usize("N", 500_000).max(1);
    let prime_gib = env_usize("PRIME_GIB", 0);
    let held = std::env::var("HELD").is_ok_and(|v| v == "1");

    let tenant = TenantId::new("growth");
    let store = MemoryUserStore::new();
    for i in 0..warm {
        block_on(store.create(&tenant, make_user(&base, i), None)).expect("load");
    }
    if prime_gib > 0 {
        let pieces: Vec<Vec<u8>> = (0..prime_gib * 64).map(|_| vec![1u8; 16 << 20]).collect();
        std::hint::black_box(&pieces);
    }

    let mut times = Vec::with_capacity(n);
    for i in warm..warm + n {
        let user = make_user(&base, i);
        let t = Instant::now();
        let created = block_on(store.create(&tenant, user, None)).expect("create");
        times.push(t.elapsed());
        if held {
            let id = created.id().expect("created users have ids").to_owned();
            drop(created);
            block_on(store.delete(&tenant, &id, None, None)).expect("delete");
        }
    }

    let total: Duration = times.iter().sum();
    times.sort_unstable();
    let at = |p: usize| times[(times.len() - 1) * p / 100];
    let mean = total / u32::try_from(n).unwrap_or(u32::MAX);
    println!(
        "{} creates {} {warm} users{}: mean {mean:.2?} ({:.0}/s); p10 {:.2?}, median {:.2?}, p90 {:.2?}, p99 {:.2?}",
        n,
        if held { "into a store held at" } else { "growing a store from" },
        if prime_gib > 0 { format!(", after touching and freeing {prime_gib} GiB") } else { String::new() },
        n as f64 / total.as_secs_f64(),
        at(10),
        at(50),
        at(90),
        at(99),
    );
}
