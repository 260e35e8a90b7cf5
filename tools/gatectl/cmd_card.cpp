// gatectl card write|read|id-key|enrol: cards through libnfc (a real PN532/ACR122, or
// pn532-sim): pass cards, UID-only cards and resident ID cards.
#include <iostream>

#include "commands.hpp"
#include "gk/core/id_binding.hpp"
#include "gk/nfc/libnfc_reader.hpp"
#include "gk/pass/codec.hpp"
#include "issue.hpp"
#include "output.hpp"

namespace gatectl {
namespace {

struct Options {
  std::string device, pass = "-";
  bool json = false;
  bool show_serial = false;
};

int write_card(const Options& o) {
  std::string text;
  if (!read_input(o.pass, text) && o.pass != "-") text = o.pass;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  auto parsed = gk::parse_pass_text(text);
  if (!parsed) return report_failure(parsed.failure(), o.json);
  gk::Bytes bytes = parsed->body;
  bytes.insert(bytes.end(), parsed->signature.begin(), parsed->signature.end());
  gk::nfc::LibnfcCardReader reader(o.device);
  if (!reader.open()) return report_error("cannot open NFC device " + o.device, o.json);
  std::string error;
  auto e = reader.write_pass(bytes, &error);
  if (e != gk::hal::DeviceError::none)
    return report_error(std::string("card not written (") + gk::hal::to_string(e) + ")" +
                            (error.empty() ? "" : ": " + error),
                        o.json, 1);
  if (!parsed->pass.card_uid.empty()) {
    auto info = reader.read_card();
    if (gk::hal::has_value(info) &&
        std::get<gk::nfc::LibnfcCardReader::CardInfo>(info).uid != parsed->pass.card_uid)
      std::cerr << "gatectl: warning: the pass is bound to card "
                << gk::to_hex(parsed->pass.card_uid)
                << ", not to this one: the kiosk will refuse it (card_mismatch)\n";
  }
  if (o.json)
    print_json({{"written", true}, {"bytes", bytes.size()}});
  else
    std::cout << "pass written (" << bytes.size() << " bytes)\n";
  return 0;
}

int read_card(const Options& o) {
  gk::nfc::LibnfcCardReader reader(o.device);
  if (!reader.open()) return report_error("cannot open NFC device " + o.device, o.json);
  auto info = reader.read_card();
  if (!gk::hal::has_value(info))
    return report_error(std::string("no card read (") +
                            gk::hal::to_string(std::get<gk::hal::DeviceError>(info)) + ")",
                        o.json, 1);
  const auto& card = std::get<gk::nfc::LibnfcCardReader::CardInfo>(info);
  if (card.kind == gk::hal::CardTap::Kind::resident_id_card) {
    // The serial is personal data: masked unless the technician asks for it.
    const std::string serial =
        o.show_serial ? gk::to_hex(card.id_serial) : gk::mask_card_serial(card.id_serial);
    if (o.json)
      print_json({{"type", card.type}, {"serial", serial}, {"serial_masked", !o.show_serial}});
    else
      std::cout << "card resident_id_card (ISO14443B) serial " << serial << "\n";
    return 0;
  }
  nlohmann::json j{
      {"uid", gk::to_hex(card.uid)}, {"type", card.type}, {"user_bytes", card.user_bytes}};
  auto ndef = gk::nfc::parse_pass_tlv(card.user_memory);
  if (ndef.pass) {
    auto p = gk::parse_pass_binary(*ndef.pass);
    if (p) {
      j["pass"] = {{"text", gk::to_pass_text(*ndef.pass)},
                   {"id", gk::to_hex(p->pass.id)},
                   {"role", gk::to_string(p->pass.role)},
                   {"site", p->pass.site},
                   {"valid_until", p->pass.valid_until}};
    } else {
      j["pass_error"] = p.failure().detail;
    }
  } else if (!ndef.error.empty()) {
    j["ndef_error"] = ndef.error;
  }
  if (o.json) {
    print_json(j);
  } else {
    std::cout << "card " << card.type << " uid " << gk::to_hex(card.uid) << "\n";
    if (j.contains("pass"))
      std::cout << j["pass"]["text"].get<std::string>() << "\n";
    else
      std::cout << "(no pass on this card)\n";
  }
  return 0;
}

struct EnrolOptions {
  std::string device, id_key, out;
  IssueOptions pass;
};

// The property office's enrolment: the card on the reader gets a card-bound pass. A resident
// ID card is bound by the site-keyed hash of its serial (the serial itself is written
// nowhere); a UID-only card by its UID.
int enrol(const EnrolOptions& o) {
  const bool json = o.pass.json;
  gk::nfc::LibnfcCardReader reader(o.device);
  if (!reader.open()) return report_error("cannot open NFC device " + o.device, json);
  auto info = reader.read_card();
  if (!gk::hal::has_value(info))
    return report_error(std::string("no card read (") +
                            gk::hal::to_string(std::get<gk::hal::DeviceError>(info)) + ")",
                        json, 1);
  const auto& card = std::get<gk::nfc::LibnfcCardReader::CardInfo>(info);
  IssueOptions po = o.pass;
  std::string shown;
  if (card.kind == gk::hal::CardTap::Kind::resident_id_card) {
    if (o.id_key.empty())
      return report_error("a resident ID card is enrolled by the site's --id-key", json);
    auto key = gk::load_id_binding_key(o.id_key);
    if (!key) return report_fault(key.error(), json);
    po.card_binding = key->bind(gk::IdSource::card_serial, card.id_serial);
    shown = gk::mask_card_serial(card.id_serial);
  } else {
    po.card_binding = card.uid;
    shown = gk::to_hex(card.uid);
  }
  auto issued = issue_pass(po);
  if (!issued) return report_fault(issued.error(), json);
  if (!append_line_0600(o.out, issued->text))
    return report_error("cannot append to " + o.out, json);
  if (json)
    print_json({{"enrolled", true},
                {"type", card.type},
                {"card", shown},
                {"id", gk::to_hex(issued->pass.id)},
                {"valid_until", issued->pass.valid_until},
                {"file", o.out}});
  else
    std::cout << "enrolled " << card.type << " " << shown << " as pass "
              << gk::to_hex(issued->pass.id) << " in " << o.out << "\n";
  return 0;
}

}  // namespace

void register_card(CLI::App& app, Exit& exit) {
  auto* c = app.add_subcommand("card", "Write or read pass cards (NTAG215/216) through libnfc");
  c->require_subcommand(1);
  auto wo = std::make_shared<Options>();
  auto* w = c->add_subcommand("write", "Write a pass onto the card in the field");
  w->add_option("--device", wo->device, "libnfc connstring, e.g. pn532_uart:/dev/ttyS0")
      ->required();
  w->add_option("PASS", wo->pass, "Pass text, a file holding it, or - for stdin");
  w->add_flag("--json", wo->json, "JSON output");
  w->callback([wo, &exit] { exit.code = write_card(*wo); });
  auto ro = std::make_shared<Options>();
  auto* r = c->add_subcommand("read", "Show the card in the field and the pass it holds");
  r->add_option("--device", ro->device, "libnfc connstring")->required();
  r->add_flag("--json", ro->json, "JSON output");
  r->add_flag("--show-serial", ro->show_serial, "Resident ID card: print the serial unmasked");
  r->callback([ro, &exit] { exit.code = read_card(*ro); });

  auto key_out = std::make_shared<std::string>();
  auto* k = c->add_subcommand("id-key", "Create the site's key for resident ID cards (0600)");
  k->add_option("--out", *key_out, "Key file (never overwritten)")->required();
  k->callback([key_out, &exit] {
    auto s = gk::create_id_binding_key(*key_out);
    exit.code = s ? 0 : report_fault(s.error(), false);
  });

  auto eo = std::make_shared<EnrolOptions>();
  auto* e = c->add_subcommand(
      "enrol", "Enrol the card on the reader: append a pass bound to it to an enrolment file");
  e->add_option("--device", eo->device, "libnfc connstring")->required();
  e->add_option("--id-key", eo->id_key, "The site's ID-card key (gatectl card id-key)");
  e->add_option("--out", eo->out, "Enrolment file to append to ([nfc] enrolment_file)")->required();
  add_pass_field_options(e, eo->pass);
  e->add_flag("--json", eo->pass.json, "JSON output");
  e->callback([eo, &exit] { exit.code = enrol(*eo); });
}

}  // namespace gatectl
