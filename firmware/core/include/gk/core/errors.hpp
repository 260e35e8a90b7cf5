#pragma once
// The errors of the layers below a verdict. Reason (reason.hpp) is the vocabulary of a
// passage's verdict and of nothing else; what fails underneath says what it is in its own
// layer's words:
//   database  the journal and the stores (SQLite, PostgreSQL)       DbError
//   network   the upstream's HTTPS connection                       NetError
//   document  a file read, parsed or written: sync documents, batches,
//             request signatures, configuration, key, trust and
//             enrolment files, provisioning bundles                DocError
//   device    a reader, sensor or camera                             hal::DeviceError
//   internal  an exception where none was expected (a bug): named by where it was thrown
// Each is a stable code plus a human detail (never personal data). Where one of them has to
// become a verdict (the journal failed, so the gate stays shut), verdict_reason() below is the
// one place that says which Reason it is. Fault is the same thing with the layer named, for
// the reports that see failures from any layer (a sync step, the supervision log, journald).
#include <cstdint>
#include <string>
#include <string_view>

#include "gk/core/reason.hpp"
#include "gk/core/result.hpp"

namespace gk {

enum class Layer : std::uint8_t { database, network, document, device, internal };
std::string_view layer_name(Layer l);

enum class DbCode : std::uint8_t {
  cannot_open,  // missing, unreadable, not a database, or the wrong schema
  io,           // a statement or commit failed (disk full, I/O error, locked)
  damaged,      // integrity_check or the hash chain found damage
  changed,      // the file was replaced, truncated or written by another process
  refused,      // a constraint or the store's own rule refused the write
};
enum class NetCode : std::uint8_t {
  bad_url,      // not https://HOST[:PORT]
  resolve,      // the name did not resolve
  connect,      // no TCP connection
  tls,          // handshake, certificate or pin
  timeout,      // a step ran past its deadline
  io,           // the connection broke while writing or reading
  too_large,    // the answer is larger than allowed
  http_status,  // the upstream answered, but not 200
  listen,       // a server cannot bind or listen: the port is in use, or not this machine's
};
enum class DocCode : std::uint8_t {
  syntax,               // not JSON / TOML / PEM / hex where it should be
  schema,               // a field missing, of the wrong type, out of range or not UTF-8
  unsupported_version,  // a version this firmware does not know
  too_large,            // over its size limit
  unknown_signer,       // signed by a key that is not trusted
  bad_signature,        // the signature does not verify
  replayed,             // an answer to another request, or a nonce seen before
  out_of_order,         // older than the one in use, or numbered out of sequence
  clock,                // a time outside what the verifier accepts
  refused,              // valid, but not for this receiver (another site's document)
  unreadable,           // missing, not a regular file, or cannot be read or written (OS error
                        // in the detail)
  insecure,             // a key or secret file that group or others can read or write
};

std::string_view code_name(DbCode c);
std::string_view code_name(NetCode c);
std::string_view code_name(DocCode c);

template <class Code>
struct LayerError {
  Code code;
  std::string detail;
};
using DbError = LayerError<DbCode>;
using NetError = LayerError<NetCode>;
using DocError = LayerError<DocCode>;

template <class T>
using DbResult = Expected<T, DbError>;
template <class T>
using NetResult = Expected<T, NetError>;
template <class T>
using DocResult = Expected<T, DocError>;
using DbStatus = DbResult<Done>;
using NetStatus = NetResult<Done>;
using DocStatus = DocResult<Done>;

inline DbError db_error(DbCode c, std::string detail) {
  return {c, std::move(detail)};
}
inline NetError net_error(NetCode c, std::string detail) {
  return {c, std::move(detail)};
}
inline DocError doc_error(DocCode c, std::string detail) {
  return {c, std::move(detail)};
}

// Any layer's error with the layer named: what a report, a log line or journald shows.
struct Fault {
  Layer layer = Layer::document;
  std::string_view code;  // the layer's code name, e.g. "replayed": always static text
  std::string detail;
};
inline Fault fault(const DbError& e) {
  return {Layer::database, code_name(e.code), e.detail};
}
inline Fault fault(const NetError& e) {
  return {Layer::network, code_name(e.code), e.detail};
}
inline Fault fault(const DocError& e) {
  return {Layer::document, code_name(e.code), e.detail};
}
// Work that can fail in more than one layer (applying a synced document: refused, or not
// stored).
using FaultStatus = Expected<Done, Fault>;

// "network/timeout: connect: Connection timed out"
std::string describe(const Fault& f);

// The one mapping from a failure below the verdict to the verdict it forces: a passage whose
// journal entry cannot be written is refused as journal_unavailable (fail closed), a device
// that failed as device_fault, a document that cannot be read as malformed. No network
// failure reaches a verdict (sync is never on a passage's path); were one to, it would refuse
// as device_fault.
Reason verdict_reason(Layer l);

}  // namespace gk
