#pragma once
// gatectl upstream --url: one request to the upstream's operators' API (/v1/operator/...),
// signed with the operator's own key, over TLS pinned to the upstream's key. gatectl already
// links this HTTPS client (gatectl health asks the upstream for its time), so the URL mode
// costs it no library.
#include <string>

#include "gk/core/errors.hpp"
#include "gk/net/message.hpp"
#include "gk/pass/keys.hpp"

namespace gatectl {

struct OperatorEndpoint {
  std::string url;  // https://HOST:PORT
  std::string pin;  // sha256:... (the upstream's tls.pin)
  std::string operator_id;
};

// The upstream's answer (any status), or why none came.
gk::NetResult<gk::net::Response> call_operator_api(const OperatorEndpoint& to,
                                                   const gk::IssuerKeyPair& key,
                                                   const gk::net::Request& request);

}  // namespace gatectl
