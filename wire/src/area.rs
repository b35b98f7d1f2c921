//! The municipality's area: both sides check a request's location against this one box (the app
//! while the citizen fills the form, offline; the server on what it receives).

/// A latitude/longitude box, in degrees (WGS 84).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoundingBox {
    pub min_lat: f64,
    pub max_lat: f64,
    pub min_long: f64,
    pub max_long: f64,
}

impl BoundingBox {
    /// Gaza City's municipal area, generously boxed: a point outside it is not the
    /// municipality's to deal with.
    pub const GAZA_CITY: BoundingBox =
        BoundingBox { min_lat: 31.45, max_lat: 31.60, min_long: 34.38, max_long: 34.52 };

    pub fn contains(&self, lat: f64, long: f64) -> bool {
        (self.min_lat..=self.max_lat).contains(&lat) && (self.min_long..=self.max_long).contains(&long)
    }
}

#[cfg(test)]
mod tests {
    use super::BoundingBox;

    #[test]
    fn the_city_contains_its_centre_and_not_its_neighbours() {
        let city = BoundingBox::GAZA_CITY;
        assert!(city.contains(31.52, 34.45), "al-Rimal");
        assert!(city.contains(31.45, 34.52), "the edges are inside");
        assert!(!city.contains(31.35, 34.31), "Khan Younis");
        assert!(!city.contains(31.52, 35.0), "east of the box");
    }
}
