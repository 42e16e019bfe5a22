//! KEDA's `ScaledObject` decision core (kedacore/keda v2, `keda.sh/v1alpha1`), as pure
//! functions over what they are given.
//!
//! KEDA splits the work in two: its own poll loop (`pkg/scaling/scale_handler.go` and
//! `pkg/scaling/executor/scale_scaledobjects.go`) decides only between "idle" (0, or
//! `idleReplicaCount`) and "running" (at least `max(minReplicaCount, 1)`) — activation and
//! deactivation —, and hands 1..N to an HPA it generates (`controllers/keda/hpa.go`) whose
//! External metrics it serves itself. So this module has:
//!
//! - `scaled_object`: the typed spec with KEDA's defaults, and the decoder from the JSON a
//!   manifest loads to, with the checks of KEDA's admission webhook;
//! - `prometheus`: the `prometheus` trigger's metadata and how a query result becomes a
//!   metric value, an error, and the trigger's activity;
//! - `executor`: one poll — trigger activity, fallback counting, pause annotations, and
//!   `RequestScale`'s activation / cooldown / deactivation, with the conditions and events
//!   KEDA reports;
//! - `hpa`: the `keda-hpa-<name>` HPA, as values of `autoscaling::hpa`'s types.
//!
//! Time is `SimTime`/`SimDuration` (integer milliseconds); KEDA's spec counts seconds.
//!
//! Simplified: a fallback is KEDA's synthetic metric (`fallback.replicas` × the target)
//! handed to the HPA, so the HPA sets the count, and it starts on the poll after
//! `failureThreshold` failures (KEDA compares with `>`); pausing is a decision here, where
//! KEDA's controller does it; trigger metadata also accepts unquoted numbers, which the API
//! server would refuse; `scalingModifiers`, `useCachedMetrics` and
//! `restoreToOriginalReplicaCount` are not modelled.

pub(crate) mod executor;
pub(crate) mod hpa;
pub(crate) mod prometheus;
pub(crate) mod scaled_object;

use crate::units::SimDuration;

/// `defaultPollingInterval` (`apis/keda/v1alpha1/withtriggers_types.go`): how often KEDA
/// polls a ScaledObject's triggers when `pollingInterval` is unset.
pub(crate) const DEFAULT_POLLING_INTERVAL: SimDuration = SimDuration(30_000);

/// `defaultCooldownPeriod` (`pkg/scaling/executor/scale_executor.go`): how long after the
/// last active poll KEDA waits before scaling the target back to idle.
pub(crate) const DEFAULT_COOLDOWN_PERIOD: SimDuration = SimDuration(300_000);

/// `defaultInitialCooldownPeriod`: how long after creation KEDA waits before it may scale
/// a target that has never been active to idle.
pub(crate) const DEFAULT_INITIAL_COOLDOWN_PERIOD: SimDuration = SimDuration(0);

/// `defaultHPAMaxReplicas`: the generated HPA's `maxReplicas` when `maxReplicaCount` is unset.
pub(crate) const DEFAULT_MAX_REPLICA_COUNT: i32 = 100;

/// `defaultHPAMinReplicas`: the generated HPA's floor, since an HPA cannot go below 1.
pub(crate) const DEFAULT_HPA_MIN_REPLICAS: i32 = 1;

/// The annotation and label KEDA sets on what it owns, and the label selector of every
/// External metric it serves (`ScaledObjectOwnerAnnotation`).
pub(crate) const SCALED_OBJECT_OWNER_ANNOTATION: &str = "scaledobject.keda.sh/name";
/// `PausedReplicasAnnotation`: pause, and hold the target at this count.
pub(crate) const PAUSED_REPLICAS_ANNOTATION: &str = "autoscaling.keda.sh/paused-replicas";
/// `PausedAnnotation`: pause, freezing the target at its current count.
pub(crate) const PAUSED_ANNOTATION: &str = "autoscaling.keda.sh/paused";
/// `PausedScaleInAnnotation`: never deactivate, and the HPA's scale-down is disabled.
pub(crate) const PAUSED_SCALE_IN_ANNOTATION: &str = "autoscaling.keda.sh/paused-scale-in";
/// `PausedScaleOutAnnotation`: never activate, and the HPA's scale-up is disabled.
pub(crate) const PAUSED_SCALE_OUT_ANNOTATION: &str = "autoscaling.keda.sh/paused-scale-out";
/// `ForceActivationAnnotation`: behave as if a trigger were active.
pub(crate) const FORCE_ACTIVATION_ANNOTATION: &str = "autoscaling.keda.sh/force-activation";
