//! What `oc` prints when it or the API server refuses a command, in their words.

/// A refused timeline command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum OcError {
    /// The object does not exist.
    #[error("Error from server (NotFound): {plural} \"{name}\" not found")]
    NotFound { plural: String, name: String },
    /// The kind has no such subresource (`oc scale inferenceservice`: no scale subresource).
    #[error("Error from server (NotFound): the server could not find the requested resource")]
    NoSuchResource,
    /// The API server's validation refuses the object.
    #[error("The {kind} \"{name}\" is invalid: {message}")]
    Invalid {
        kind: String,
        name: String,
        message: String,
    },
    /// The API server refuses the request as malformed (a field selector it does not
    /// index, a container the pod does not have, one not started yet).
    #[error("Error from server (BadRequest): {0}")]
    BadRequest(String),
    /// kubectl itself refuses: a bad selector or patch, `--overwrite` missing.
    #[error("error: {0}")]
    Client(String),
    /// What the simulator does not model (`patching pod`, `deleting job.batch`).
    #[error("error: {0} is not simulated")]
    NotSimulated(String),
}
