#pragma once
// The rules for the ids and names a device is provisioned with, written once for every place
// they enter: the provisioning bundle, gated's config, and the upstream (its operators' API and
// local commands), so that a name one of them accepts is never refused, cut or misread by
// another.
//
//   id    a device, site or board id: 1..64 bytes of UTF-8 without control characters, quotes
//         or backslashes, so that it never needs escaping wherever it is shown, logged or
//         passed on (a file name, a log line, a metric label).
//   name  free text a person gives (a checkpoint such as 莲花北村北门, a quarantined
//         building): UTF-8 of at most kMaxNameBytes without NUL; quotes and backslashes are
//         ordinary characters there.
#include <cstddef>
#include <string>
#include <string_view>

namespace gk::names {

inline constexpr std::size_t kMaxIdBytes = 64;
inline constexpr std::size_t kMaxNameBytes = 256;

// Why `id` is not an id ("1..64 bytes", "not UTF-8", ...); empty when it is one.
std::string id_problem(std::string_view id);
// Why `name` is not a name; empty when it is one. Emptiness is the caller's rule.
std::string name_problem(std::string_view name);

}  // namespace gk::names
