#include "gk/core/errors.hpp"

namespace gk {

std::string_view layer_name(Layer l) {
  switch (l) {
    case Layer::database:
      return "database";
    case Layer::network:
      return "network";
    case Layer::document:
      return "document";
    case Layer::device:
      return "device";
    case Layer::internal:
      return "internal";
  }
  return "unknown";
}

std::string_view code_name(DbCode c) {
  switch (c) {
    case DbCode::cannot_open:
      return "cannot_open";
    case DbCode::io:
      return "io";
    case DbCode::damaged:
      return "damaged";
    case DbCode::changed:
      return "changed";
    case DbCode::refused:
      return "refused";
  }
  return "unknown";
}

std::string_view code_name(NetCode c) {
  switch (c) {
    case NetCode::bad_url:
      return "bad_url";
    case NetCode::resolve:
      return "resolve";
    case NetCode::connect:
      return "connect";
    case NetCode::tls:
      return "tls";
    case NetCode::timeout:
      return "timeout";
    case NetCode::io:
      return "io";
    case NetCode::too_large:
      return "too_large";
    case NetCode::http_status:
      return "http_status";
    case NetCode::listen:
      return "listen";
  }
  return "unknown";
}

std::string_view code_name(DocCode c) {
  switch (c) {
    case DocCode::syntax:
      return "syntax";
    case DocCode::schema:
      return "schema";
    case DocCode::unsupported_version:
      return "unsupported_version";
    case DocCode::too_large:
      return "too_large";
    case DocCode::unknown_signer:
      return "unknown_signer";
    case DocCode::bad_signature:
      return "bad_signature";
    case DocCode::replayed:
      return "replayed";
    case DocCode::out_of_order:
      return "out_of_order";
    case DocCode::clock:
      return "clock";
    case DocCode::refused:
      return "refused";
    case DocCode::unreadable:
      return "unreadable";
    case DocCode::insecure:
      return "insecure";
  }
  return "unknown";
}

std::string describe(const Fault& f) {
  return std::string(layer_name(f.layer)) + "/" + std::string(f.code) + ": " + f.detail;
}

Reason verdict_reason(Layer l) {
  switch (l) {
    case Layer::database:
      return Reason::journal_unavailable;
    case Layer::document:
      return Reason::malformed;
    case Layer::device:
    case Layer::network:
    case Layer::internal:
      return Reason::device_fault;
  }
  return Reason::device_fault;
}

}  // namespace gk
