//! Minimum-cost assignment (the Hungarian method) for the voice matching.
//!
//! Predicted voices are matched to true voices so that the total distance is minimal;
//! a greedy "closest voice first" matching can pair two voices wrongly and is not
//! invariant to voice order. The matrices are tiny (one row per voice), so this is the
//! plain O(n^3) shortest-augmenting-path form with row and column potentials, written
//! here for `f64` costs (crates such as `pathfinding` need integer weights).

/// Assigns each row of the square `n x n` cost matrix (row-major) to a distinct column
/// with the minimum total cost; returns the column of each row. Non-finite costs are
/// treated as a cost larger than every finite one. An empty matrix gives no columns.
pub fn min_cost_assignment(cost: &[f64], n: usize) -> Vec<usize> {
    debug_assert_eq!(cost.len(), n * n);
    let finite_max = cost.iter().copied().filter(|c| c.is_finite()).fold(0.0f64, |m, c| m.max(c.abs()));
    let big = (finite_max + 1.0) * (n as f64 + 1.0);
    let at = |row: usize, col: usize| {
        let c = cost.get(row * n + col).copied().unwrap_or(big);
        if c.is_finite() { c } else { big }
    };
    // 1-based potentials and matching as in the classic formulation; index 0 is the
    // virtual column the augmenting path starts from.
    let mut row_potential = vec![0.0; n + 1];
    let mut col_potential = vec![0.0; n + 1];
    let mut row_of_col = vec![0usize; n + 1];
    let mut previous_col = vec![0usize; n + 1];
    let mut slack = vec![0.0; n + 1];
    let mut visited = vec![false; n + 1];
    for row in 1..=n {
        row_of_col[0] = row;
        let mut col = 0;
        slack.fill(f64::INFINITY);
        visited.fill(false);
        loop {
            visited[col] = true;
            let current_row = row_of_col[col];
            let mut delta = f64::INFINITY;
            let mut next_col = 0;
            for j in 1..=n {
                if visited[j] {
                    continue;
                }
                let reduced = at(current_row - 1, j - 1) - row_potential[current_row] - col_potential[j];
                if reduced < slack[j] {
                    slack[j] = reduced;
                    previous_col[j] = col;
                }
                if slack[j] < delta {
                    delta = slack[j];
                    next_col = j;
                }
            }
            if next_col == 0 {
                // Unreachable with finite costs; stops rather than loops on bad floats.
                break;
            }
            for j in 0..=n {
                if visited[j] {
                    row_potential[row_of_col[j]] += delta;
                    col_potential[j] -= delta;
                } else {
                    slack[j] -= delta;
                }
            }
            col = next_col;
            if row_of_col[col] == 0 {
                break;
            }
        }
        // Flip the augmenting path back to the virtual column.
        while col != 0 {
            let previous = previous_col[col];
            row_of_col[col] = row_of_col[previous];
            col = previous;
        }
    }
    let mut col_of_row = vec![0usize; n];
    for (col, &row) in row_of_col.iter().enumerate().skip(1) {
        if let Some(slot) = row.checked_sub(1).and_then(|r| col_of_row.get_mut(r)) {
            *slot = col - 1;
        }
    }
    col_of_row
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn total(cost: &[f64], n: usize, assignment: &[usize]) -> f64 {
        assignment.iter().enumerate().map(|(row, &col)| cost[row * n + col]).sum()
    }

    /// Every permutation's cost, minimum taken: the definition, for small n.
    fn brute_force(cost: &[f64], n: usize) -> f64 {
        fn go(cost: &[f64], n: usize, row: usize, used: &mut Vec<bool>) -> f64 {
            if row == n {
                return 0.0;
            }
            let mut best = f64::INFINITY;
            for col in 0..n {
                if !used[col] {
                    used[col] = true;
                    best = best.min(cost[row * n + col] + go(cost, n, row + 1, used));
                    used[col] = false;
                }
            }
            best
        }
        go(cost, n, 0, &mut vec![false; n])
    }

    #[test]
    fn beats_greedy_on_the_classic_trap() {
        // Greedy takes (0, 0) at cost 0.1 and is left with (1, 1) at 1.0.
        let cost = [0.1, 0.2, 0.15, 1.0];
        assert_eq!(min_cost_assignment(&cost, 2), vec![1, 0]);
        assert_eq!(min_cost_assignment(&[], 0), Vec::<usize>::new());
        assert_eq!(min_cost_assignment(&[f64::NAN, 0.0, 0.0, f64::INFINITY], 2), vec![1, 0]);
    }

    proptest! {
        #[test]
        fn is_a_minimal_permutation(n in 1usize..6, seed in prop::collection::vec(0.0f64..1.0, 36)) {
            let cost = &seed[..n * n];
            let assignment = min_cost_assignment(cost, n);
            let mut cols = assignment.clone();
            cols.sort_unstable();
            prop_assert_eq!(cols, (0..n).collect::<Vec<_>>());
            prop_assert!((total(cost, n, &assignment) - brute_force(cost, n)).abs() < 1e-9);
        }
    }
}
