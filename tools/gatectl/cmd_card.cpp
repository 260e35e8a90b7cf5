// gatectl card write|read: pass cards through libnfc (a real PN532/ACR122, or pn532-sim).
#include <iostream>

#include "commands.hpp"
#include "gk/nfc/libnfc_reader.hpp"
#include "gk/pass/codec.hpp"
#include "output.hpp"

namespace gatectl {
namespace {

struct Options {
  std::string device, pass = "-";
  bool json = false;
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
  r->callback([ro, &exit] { exit.code = read_card(*ro); });
}

}  // namespace gatectl
