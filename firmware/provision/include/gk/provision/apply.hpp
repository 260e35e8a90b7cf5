#pragma once
// Binding a device's configuration to its provisioning bundle (gated at every start, and
// gated config check). The bundle wins nothing silently: what the config leaves out is taken
// from the bundle; what the config states must agree with it, or the device refuses to run
// (a config edited to point at another upstream, site or trust root is not this device).
#include "gk/config/config.hpp"
#include "gk/provision/bundle.hpp"

namespace gk::provision {

// Checks `config` against the bundle and completes it: site id, checkpoint, [sync] url, pin
// and device id; installs the device key (0600), the authority key and the issuer keys under
// state_dir/provisioned/ on first start and points the config at them. A key already
// installed must be the bundle's. Failures: refused (a bundle for another site or board, a
// setting or an installed key that disagrees with it), the key and file loaders' errors, and
// those of open_bundle, each with a detail naming what.
DocResult<Manifest> apply(Config& config);

// Like apply() but touches no file: for gated config check.
DocResult<Manifest> check(const Config& config);

}  // namespace gk::provision
