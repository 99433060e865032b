//! The provisioning service (under construction).

mod sort;

pub use sort::{SortValue, compare_sort_values, fold_case};
