use crate::store::Store;

/// What every handler can reach. Cheap to clone; no globals.
#[derive(Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
}
