#pragma once
// The revocation list on disk (SQLite, WAL, synchronous=FULL): one transaction per applied
// document, so a crash mid-apply leaves the old list or the new one, never a mix.
#include <filesystem>

#include "gk/core/sqlite.hpp"
#include "gk/trust/revocation.hpp"
#include "gk/trust/revocation_document.hpp"

namespace gk {

class RevocationStore {
 public:
  static DbResult<RevocationStore> open(const std::filesystem::path& file);
  DbResult<RevocationList> load() const;
  std::uint64_t number() const;
  // Same numbering rules as RevocationList::apply.
  DbStatus apply(const RevocationDocument& doc);

 private:
  explicit RevocationStore(sql::Database db) : db_(std::move(db)) {}
  sql::Database db_;
};

}  // namespace gk
