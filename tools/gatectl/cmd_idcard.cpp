// gatectl idcard read: the resident ID card on the certified reader module (SAM), shown the
// way a guard may see it: every field masked or reduced (name 张**, ID number
// 4101**********1234, the address down to its district, an age instead of the birth date);
// the photo is never shown.
#include <ctime>
#include <iostream>

#include "commands.hpp"
#include "gk/core/id_binding.hpp"
#include "gk/core/mask.hpp"
#include "gk/idcard/sam_reader.hpp"
#include "issue.hpp"
#include "output.hpp"

namespace gatectl {
namespace {

struct Options {
  std::string device;
  bool json = false;
};

int read_id(const Options& o) {
  auto spec = gk::idcard::parse_serial_device(o.device);
  if (!spec) return report_error("--device must be serial:PATH[:BAUD] (BAUD 9600..115200)", o.json);
  gk::idcard::SamReader reader(*spec);
  auto r = reader.read_card();
  if (auto* e = std::get_if<gk::idcard::ReadError>(&r)) {
    if (o.json)
      print_json({{"read", false},
                  {"error", gk::hal::to_string(e->error)},
                  {"status", e->status},
                  {"message", e->what}});
    std::cerr << "gatectl: " << e->what << "\n";
    return 1;
  }
  const auto& rec = std::get<gk::idcard::IdRecord>(r);
  const std::string today = gk::idcard::cst_date(static_cast<std::int64_t>(std::time(nullptr)));
  const auto age = rec.age_on(today);
  nlohmann::json j{{"read", true},
                   {"type", "resident_id_card"},
                   {"name", gk::mask_name(rec.name)},
                   {"gender", rec.gender()},
                   {"district", rec.district()},
                   {"id_number", gk::mask_full_id_number(rec.id_number)},
                   {"valid_until", rec.valid_until},
                   {"expired", rec.expired_on(today)},
                   {"photo_bytes", rec.photo_wlt.size()}};
  if (age) j["age"] = *age;
  if (o.json) {
    print_json(j);
  } else {
    std::cout << "resident ID card " << j["id_number"].get<std::string>() << " "
              << j["name"].get<std::string>() << " " << rec.gender() << " "
              << (age ? std::to_string(*age) : "?") << " " << rec.district() << ", valid until "
              << rec.valid_until << (rec.expired_on(today) ? " (expired)" : "") << "\n";
  }
  return 0;
}

struct EnrolOptions {
  std::string device, id_key, out;
  IssueOptions pass;
};

// The property office enrols a resident by ID number: the card on the certified reader, a
// pass bound to the site-keyed hash of the number (the number itself is written nowhere);
// the pass's display name is the masked name.
int enrol(const EnrolOptions& o) {
  const bool json = o.pass.json;
  auto spec = gk::idcard::parse_serial_device(o.device);
  if (!spec) return report_error("--device must be serial:PATH[:BAUD]", json);
  auto key = gk::load_id_binding_key(o.id_key);
  if (!key) return report_fault(key.error(), json);
  gk::idcard::SamReader reader(*spec);
  auto r = reader.read_card();
  if (auto* e = std::get_if<gk::idcard::ReadError>(&r)) return report_error(e->what, json, 1);
  const auto& rec = std::get<gk::idcard::IdRecord>(r);
  const std::string today = gk::idcard::cst_date(static_cast<std::int64_t>(std::time(nullptr)));
  if (rec.expired_on(today))
    return report_error("this ID card is past its validity end (" + rec.valid_until + ")", json, 1);
  IssueOptions po = o.pass;
  po.card_binding = key->bind(gk::IdSource::id_number, gk::as_bytes(rec.id_number));
  if (po.name.empty()) po.name = gk::mask_name(rec.name);
  if (po.id_last4.empty()) po.id_last4 = rec.id_number.substr(14);
  auto issued = issue_pass(po);
  if (!issued) return report_fault(issued.error(), json);
  if (!append_line_0600(o.out, issued->text))
    return report_error("cannot append to " + o.out, json);
  if (json)
    print_json({{"enrolled", true},
                {"id_number", gk::mask_full_id_number(rec.id_number)},
                {"id", gk::to_hex(issued->pass.id)},
                {"file", o.out}});
  else
    std::cout << "enrolled " << gk::mask_full_id_number(rec.id_number) << " as pass "
              << gk::to_hex(issued->pass.id) << " in " << o.out << "\n";
  return 0;
}

}  // namespace

void register_idcard(CLI::App& app, Exit& exit) {
  auto* c = app.add_subcommand("idcard", "The certified ID-card reader module (SAM)");
  c->require_subcommand(1);
  auto o = std::make_shared<Options>();
  auto* r = c->add_subcommand("read", "Read the ID card on the module; personal data masked");
  r->add_option("--device", o->device, "serial:PATH[:BAUD], e.g. serial:/dev/ttyUSB0:115200")
      ->required();
  r->add_flag("--json", o->json, "JSON output");
  r->callback([o, &exit] { exit.code = read_id(*o); });
  auto eo = std::make_shared<EnrolOptions>();
  auto* e = c->add_subcommand("enrol", "Enrol the resident whose ID card is on the module");
  e->add_option("--device", eo->device, "serial:PATH[:BAUD]")->required();
  e->add_option("--id-key", eo->id_key, "The site's ID-card key (gatectl card id-key)")->required();
  e->add_option("--out", eo->out, "Enrolment file to append to")->required();
  add_pass_field_options(e, eo->pass);
  e->add_flag("--json", eo->pass.json, "JSON output");
  e->callback([eo, &exit] { exit.code = enrol(*eo); });
}

}  // namespace gatectl
