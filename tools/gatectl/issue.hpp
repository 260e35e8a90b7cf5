#pragma once
// Signing a pass from the issuer's fields: `gatectl issue`, and `gatectl card enrol`, which
// binds the pass to the card on the reader.
#include <CLI/CLI.hpp>
#include <string>

#include "gk/core/errors.hpp"
#include "gk/pass/pass.hpp"

namespace gatectl {

struct IssueOptions {
  std::string key, site, role = "resident", building, unit, name, id_last4, health = "green";
  int valid_days = 7;  // Guangzhou's code is valid 7 days and must be renewed (002)
  std::int64_t valid_from = 0;
  std::string host;  // visitor: the host resident's pass id (hex)
  int visit_hours = 4;
  std::string card_uid;    // hex, from the command line
  gk::Bytes card_binding;  // set by card enrol: a UID, or an ID card's keyed hash
  std::string png;
  bool json = false;
};

struct IssuedPass {
  std::string text;
  gk::Pass pass;
  gk::KeyId issuer;
};

// The signed pass, or the key's error or a field the pass cannot hold (schema).
gk::DocResult<IssuedPass> issue_pass(const IssueOptions& o);
// Appends one line to an enrolment file, created 0600 (it names residents); fsynced.
bool append_line_0600(const std::string& file, const std::string& line);
// --key, --site, --role, --building, --unit, --name, --id-last4, --health, --valid-days,
// --valid-from.
void add_pass_field_options(CLI::App* cmd, IssueOptions& o);

}  // namespace gatectl
