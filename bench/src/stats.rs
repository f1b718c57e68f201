//! Summaries of repeated measurements: median and p99 for per-event figures
//! (a keystroke's echo), min/median/max for whole-run figures (one flood).
//! Percentiles use the nearest-rank method, so every value printed is one
//! that was really measured.

/// Measured values of one figure, in the figure's unit.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Samples {
    values: Vec<f64>,
}

impl Samples {
    /// No values yet.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A single measurement (a figure measured once per run).
    pub(crate) fn one(value: f64) -> Self {
        Self {
            values: vec![value],
        }
    }

    /// Adds one measurement.
    pub(crate) fn push(&mut self, value: f64) {
        self.values.push(value);
    }

    /// How many values were measured.
    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether nothing was measured.
    pub(crate) fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The values, in the order they were measured.
    pub(crate) fn values(&self) -> &[f64] {
        &self.values
    }

    fn sorted(&self) -> Vec<f64> {
        let mut v = self.values.clone();
        v.sort_by(f64::total_cmp);
        v
    }

    /// The `p`-th percentile (0 < p ≤ 100) by nearest rank; `None` when
    /// empty.
    pub(crate) fn percentile(&self, p: f64) -> Option<f64> {
        let v = self.sorted();
        if v.is_empty() {
            return None;
        }
        let rank = ((p / 100.0) * v.len() as f64).ceil() as usize;
        Some(v[rank.clamp(1, v.len()) - 1])
    }

    /// The median (the lower middle value for an even count, so it is a
    /// measured value).
    pub(crate) fn median(&self) -> Option<f64> {
        self.percentile(50.0)
    }

    /// The 99th percentile.
    pub(crate) fn p99(&self) -> Option<f64> {
        self.percentile(99.0)
    }

    /// The smallest value.
    pub(crate) fn min(&self) -> Option<f64> {
        self.sorted().first().copied()
    }

    /// The largest value.
    pub(crate) fn max(&self) -> Option<f64> {
        self.sorted().last().copied()
    }
}

impl FromIterator<f64> for Samples {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        Self {
            values: iter.into_iter().collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles_are_measured_values() {
        let s: Samples = (1..=100).rev().map(f64::from).collect();
        assert_eq!(s.median(), Some(50.0));
        assert_eq!(s.p99(), Some(99.0));
        assert_eq!(s.percentile(100.0), Some(100.0));
        assert_eq!((s.min(), s.max()), (Some(1.0), Some(100.0)));
        let odd: Samples = [3.0, 1.0, 2.0].into_iter().collect();
        assert_eq!(odd.median(), Some(2.0));
        assert_eq!(odd.p99(), Some(3.0));
        let even: Samples = [4.0, 1.0, 3.0, 2.0].into_iter().collect();
        assert_eq!(even.median(), Some(2.0));
        assert_eq!(Samples::new().median(), None);
    }
}
