#include "module.hpp"

#include <fstream>
#include <nlohmann/json.hpp>

namespace idreader {

using gk::idcard::SamStatus;

namespace {
Bytes status_body(std::uint8_t sw3) {
  return {0x00, 0x00, sw3};
}
}  // namespace

void Module::place(gk::idcard::IdRecord card) {
  card_ = std::move(card);
  found_ = selected_ = false;
}

void Module::remove() {
  card_.reset();
  found_ = selected_ = false;
}

Bytes Module::answer(std::uint8_t cmd, std::uint8_t para) {
  const auto st = [](SamStatus s) { return status_body(static_cast<std::uint8_t>(s)); };
  switch (cmd << 8 | para) {
    case 0x10FF:  // reset
    case 0x11FF:  // status check
      return st(SamStatus::ok);
    case 0x12FF: {  // SAM id: 16 bytes
      Bytes b = st(SamStatus::ok);
      for (int i = 0; i < 16; ++i) b.push_back(static_cast<std::uint8_t>(0x10 + i));
      return b;
    }
    case 0x2001: {  // find: the card's IIN (4 bytes of zeros on resident ID cards)
      if (!card_) return st(SamStatus::no_card);
      found_ = true;
      Bytes b = st(SamStatus::card_found);
      b.insert(b.end(), 4, 0x00);
      return b;
    }
    case 0x2002: {  // select: needs a find; answers 8 bytes (the card's SN, zeros here)
      if (!card_ || !found_) return st(SamStatus::select_failed);
      selected_ = true;
      Bytes b = st(SamStatus::ok);
      b.insert(b.end(), 8, 0x00);
      return b;
    }
    case 0x3001: {  // read text + photo
      if (!card_ || !selected_) return st(SamStatus::read_failed);
      if (faults.status_count > 0) {
        --faults.status_count;
        found_ = selected_ = false;  // a failed read starts over, as on the module
        return status_body(faults.status);
      }
      Bytes b = st(SamStatus::ok);
      b.insert(b.end(), {0x01, 0x00, 0x04, 0x00});  // 256 text, 1024 photo
      auto text = gk::idcard::encode_text_block(*card_);
      b.insert(b.end(), text.begin(), text.end());
      b.insert(b.end(), card_->photo_wlt.begin(), card_->photo_wlt.end());
      found_ = selected_ = false;  // the next read finds the card again
      return b;
    }
    default:
      return st(SamStatus::bad_command);
  }
}

Reply Module::on_request(const std::optional<Bytes>& body) {
  ++requests_;
  Bytes out;
  if (!body) {
    out = status_body(static_cast<std::uint8_t>(SamStatus::bad_checksum));
  } else if (body->size() < 2) {
    out = status_body(static_cast<std::uint8_t>(SamStatus::bad_length));
  } else {
    out = answer((*body)[0], (*body)[1]);
  }
  Reply r;
  r.frame = gk::idcard::encode_frame(out);
  r.delay_ms = faults.slow_ms;
  if (faults.bad_checksums > 0) {
    --faults.bad_checksums;
    r.frame.back() ^= 0x5A;
  } else if (faults.partial > 0) {
    --faults.partial;
    r.frame.resize(r.frame.size() / 2);
  }
  return r;
}

std::optional<gk::idcard::IdRecord> load_card_image(const std::string& file, std::string* error) {
  std::ifstream in(file);
  if (!in) {
    if (error) *error = "cannot read " + file;
    return std::nullopt;
  }
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    if (error) *error = file + ": not a JSON object";
    return std::nullopt;
  }
  gk::idcard::IdRecord r;
  auto get = [&](const char* k) {
    return j.contains(k) && j[k].is_string() ? j[k].get<std::string>() : std::string();
  };
  r.name = get("name");
  r.gender_code = get("gender");
  r.ethnic_code = get("ethnic");
  r.birth = get("birth");
  r.address = get("address");
  r.id_number = get("id_number");
  r.authority = get("authority");
  r.valid_from = get("valid_from");
  r.valid_until = get("valid_until");
  // The image must survive the module's own encoding, or the host would read another card.
  auto parsed = gk::idcard::parse_text_block(gk::idcard::encode_text_block(r));
  if (!parsed) {
    if (error) *error = file + ": " + parsed.error().detail;
    return std::nullopt;
  }
  std::uint32_t x = 2166136261u;
  for (char c : r.id_number) x = (x ^ static_cast<std::uint8_t>(c)) * 16777619u;
  r.photo_wlt.resize(gk::idcard::kPhotoBytes);
  for (auto& b : r.photo_wlt) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    b = static_cast<std::uint8_t>(x);
  }
  return r;
}

}  // namespace idreader
