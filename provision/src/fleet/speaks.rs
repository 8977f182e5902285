//! How a row's accessory is spoken to: an HTTPS API through its profile (the built-in one is our
//! `/v1` API), or ESP-IDF's protocomm with the proof the accessory must answer.

use std::sync::Arc;

use crate::esp::{EspProof, EspTransport};
use crate::event::Observer;
use crate::outcome::{Failure, Outcome};
use crate::profile::LoadedProfile;
use crate::request::Request;

/// How a row's accessory is provisioned: an HTTPS API (ours or a profile's), or ESP-IDF.
pub(crate) enum Speaks {
    /// An HTTPS API through its profile (the built-in one is `/v1`).
    Api(Arc<LoadedProfile>),
    /// ESP-IDF's protocomm, with the proof the accessory must answer.
    Esp(EspTransport, EspProof),
}

impl Speaks {
    /// Provisions the accessory `request` names.
    pub(crate) async fn run(self, request: Request) -> Result<Outcome, Failure> {
        match self {
            Speaks::Api(api) => {
                crate::flow::run_profiled(request, &api, &Observer::none(), std::future::pending())
                    .await
            }
            Speaks::Esp(transport, proof) => {
                crate::esp::run(request, transport, proof, std::future::pending()).await
            }
        }
    }

    /// The port an accessory serves on when its address names none: ESP-IDF's protocomm over
    /// HTTP is on port 80.
    pub(crate) fn default_port(&self) -> u16 {
        match self {
            Speaks::Esp(EspTransport::Http, _) => 80,
            _ => crate::DEFAULT_PORT,
        }
    }
}
