#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "gk/core/errors.hpp"
#include "gk/trust/trust_store.hpp"

namespace gatectl {

// Errors go to stderr as "gatectl: <what>"; with --json also as a JSON object on stdout,
// so that scripts always get a parseable answer.
int report_error(const std::string& what, bool json, int code = 2);
int report_failure(const gk::Failure& f, bool json, int code = 2);
// A layer's error (database, network, document): its layer and code, then the detail.
int report_fault(const gk::Fault& f, bool json, int code = 2);
template <class Code>
int report_fault(const gk::LayerError<Code>& e, bool json, int code = 2) {
  return report_fault(gk::fault(e), json, code);
}
void print_json(const nlohmann::json& j);
// Adds an issuer public key file, or every *.pub of a directory, to `trust`.
gk::DocStatus load_trust(const std::string& path, gk::TrustStore& trust);
// Reads a whole file, or stdin for "-".
bool read_input(const std::string& path, std::string& out);

}  // namespace gatectl
