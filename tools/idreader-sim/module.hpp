#pragma once
// The certified ID-card reader module as its host sees it on the serial line: a state
// machine over the commands (reset 10 FF, status 11 FF, SAM id 12 FF, find 20 01, select
// 20 02, read text + photo 30 01), one card on it (a card image), and faults: a card that is
// not there, each failure status (41 read, 31 / 32 authentication, 81 select), corrupted
// checksums, answers cut off half-way, slow answers. Unplugging is the pty's business
// (main.cpp). As on the real module, a read needs a find and a select first; a card that
// leaves resets the sequence.
#include <optional>
#include <string>

#include "gk/idcard/id_record.hpp"
#include "gk/idcard/sam_frame.hpp"

namespace idreader {

using gk::idcard::Bytes;

struct Faults {
  std::uint8_t status = 0;  // the next `status_count` reads answer 00 00 <status>
  int status_count = 0;
  int bad_checksums = 0;  // the next N answers carry a wrong checksum
  int partial = 0;        // the next N answers stop half-way
  int slow_ms = 0;        // every answer is delayed this long
};

struct Reply {
  Bytes frame;  // what goes on the line (maybe cut short)
  int delay_ms = 0;
};

class Module {
 public:
  // One request body (CMD PARA data), or nullopt for a request whose checksum was wrong.
  Reply on_request(const std::optional<Bytes>& body);
  void place(gk::idcard::IdRecord card);
  void remove();
  bool has_card() const { return card_.has_value(); }
  Faults faults;
  std::size_t requests() const { return requests_; }

 private:
  Bytes answer(std::uint8_t cmd, std::uint8_t para);
  std::optional<gk::idcard::IdRecord> card_;
  bool found_ = false, selected_ = false;
  std::size_t requests_ = 0;
};

// A card image: JSON {"name","gender","ethnic","birth","address","id_number","authority",
// "valid_from","valid_until"}; the photo is 1 024 bytes derived from the ID number (a
// stand-in for the WLT data, which nothing here decodes).
std::optional<gk::idcard::IdRecord> load_card_image(const std::string& file, std::string* error);

}  // namespace idreader
