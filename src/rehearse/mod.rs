//! `gpuaas-sim rehearse`: a scenario played in wall-clock time.

pub(crate) mod live;
pub(crate) mod view;
