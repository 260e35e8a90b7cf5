#include "output.hpp"

#include <fstream>
#include <iostream>
#include <sstream>

namespace gatectl {

int report_error(const std::string& what, bool json, int code) {
  std::cerr << "gatectl: " << what << "\n";
  if (json) print_json({{"error", what}});
  return code;
}

int report_failure(const gk::Failure& f, bool json, int code) {
  std::cerr << "gatectl: " << gk::code(f.reason) << ": " << f.detail << "\n";
  if (json) print_json({{"error", f.detail}, {"reason", std::string(gk::code(f.reason))}});
  return code;
}

int report_fault(const gk::Fault& f, bool json, int code) {
  std::cerr << "gatectl: " << gk::describe(f) << "\n";
  if (json)
    print_json({{"error", f.detail},
                {"layer", std::string(gk::layer_name(f.layer))},
                {"code", std::string(f.code)}});
  return code;
}

void print_json(const nlohmann::json& j) {
  std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

gk::DocStatus load_trust(const std::string& path, gk::TrustStore& trust) {
  return std::filesystem::is_directory(path) ? trust.load_directory(path) : trust.load_file(path);
}

bool read_input(const std::string& path, std::string& out) {
  std::ostringstream s;
  if (path == "-") {
    s << std::cin.rdbuf();
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    s << in.rdbuf();
  }
  out = s.str();
  return true;
}

}  // namespace gatectl
