// gate-upstream: the reference upstream server.
//   gate-upstream init --dir DIR [--store S]                  keys, TLS certificate, database
//   gate-upstream serve --dir DIR [--store S] [--listen A:P] [--workers N]
//                                                            serve devices over HTTPS
// --store: sqlite:DIR (the default: DIR/upstream.db) or postgresql://... (several instances
// may serve one PostgreSQL database; each has a copy of DIR's keys). Options may also come
// from a config file: `gate-upstream --config FILE serve`, FILE holding a [serve] section
// (`store = "postgresql://..."`, `listen = "0.0.0.0:8443"`, `dir = ...`).
//   gate-upstream operator add --id ID --key FILE.pub --roles R,R [--dir DIR | --store S]
//   gate-upstream operator retire --id ID [--dir DIR | --store S]
//   gate-upstream operator list [--dir DIR | --store S]
// Operators are the root of trust of the operators' API, so they are managed here, on the
// host that holds the database (audited as the operator "local"). Devices, revocations, site
// states and enrolments are managed with `gatectl upstream` (--url: the operators' API).
#include <CLI/CLI.hpp>
#include <ctime>
#include <fstream>
#include <iostream>

#include "gk/core/utf8.hpp"
#include "gk/sync/tls.hpp"
#include "gk/upstream/server.hpp"

namespace {

namespace fs = std::filesystem;

// The store named by --store, else the SQLite file in the state directory.
std::string store_spec_of(const fs::path& dir, const std::string& spec) {
  return spec.empty() ? "sqlite:" + dir.string() : spec;
}

int init(const fs::path& dir, const std::string& cn, const std::string& store_spec) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  fs::permissions(dir, fs::perms::owner_all, ec);
  auto authority = gk::generate_issuer_key();
  if (auto s = gk::save_key_pair(authority, dir, "authority"); !s) {
    std::cerr << "gate-upstream: " << gk::describe(gk::fault(s.error())) << "\n";
    return 1;
  }
  auto pin = gk::sync::make_self_signed_certificate(dir / "tls.key", dir / "tls.crt", cn);
  if (!pin) {
    std::cerr << "gate-upstream: " << gk::describe(pin.error()) << "\n";
    return 1;
  }
  std::ofstream(dir / "tls.pin") << *pin << "\n";
  auto store =
      gk::upstream::open_store(store_spec_of(dir, store_spec), gk::upstream::open_postgres_store);
  if (!store) {
    std::cerr << "gate-upstream: " << gk::describe(gk::fault(store.error())) << "\n";
    return 1;
  }
  std::cout << "upstream initialised in " << dir.string() << "\n"
            << "  authority key (devices trust it): " << (dir / "authority.pub").string() << "\n"
            << "  TLS pin (devices pin it):         " << *pin << "\n";
  return 0;
}

struct OperatorArgs {
  std::string id, key, roles;
};

int manage_operator(const std::string& what, const fs::path& dir, const std::string& store_spec,
                    const OperatorArgs& a) {
  auto store =
      gk::upstream::open_store(store_spec_of(dir, store_spec), gk::upstream::open_postgres_store);
  if (!store) {
    std::cerr << "gate-upstream: " << gk::describe(gk::fault(store.error())) << "\n";
    return 1;
  }
  const auto now = static_cast<gk::UnixTime>(std::time(nullptr));
  if (what == "list") {
    for (const auto& op : (*store)->operators())
      std::cout << op.id << " " << gk::upstream::roles_text(op.roles)
                << (op.retired_at ? " retired" : "") << "\n";
    return 0;
  }
  gk::DbStatus done = gk::Done{};
  if (what == "add") {
    auto roles = gk::upstream::parse_roles(a.roles);
    if (!roles) {
      std::cerr << "gate-upstream: --roles: registrar, publisher and/or auditor, comma-separated\n";
      return 2;
    }
    // Only the public half comes here: the operator keeps the secret (gatectl keygen).
    auto key = gk::load_public_key(a.key);
    if (!key) {
      std::cerr << "gate-upstream: " << gk::describe(gk::fault(key.error())) << "\n";
      return 2;
    }
    done = gk::upstream::add_operator_locally(**store, {a.id, key->key, *roles, now, {}});
  } else {
    done = gk::upstream::retire_operator_locally(**store, a.id, now);
  }
  if (!done) {
    std::cerr << "gate-upstream: " << gk::describe(gk::fault(done.error())) << "\n";
    return 1;
  }
  std::cout << "operator " << a.id << (what == "add" ? " added: " + a.roles : " retired") << "\n";
  return 0;
}

int serve(const fs::path& dir, const std::string& store_spec, const std::string& listen,
          const std::string& faults, const std::string& port_file,
          const gk::upstream::ServerLimits& limits) {
  auto authority = gk::load_secret_key(dir / "authority.key");
  if (!authority) {
    std::cerr << "gate-upstream: " << gk::describe(gk::fault(authority.error())) << "\n";
    return 1;
  }
  auto tls = gk::sync::server_tls_context(dir / "tls.crt", dir / "tls.key");
  if (!tls) {
    std::cerr << "gate-upstream: " << gk::describe(gk::fault(tls.error())) << "\n";
    return 1;
  }
  // A connection for each worker: their store calls run at once.
  auto store = gk::upstream::open_store_pool(store_spec_of(dir, store_spec),
                                             gk::upstream::open_postgres_store, limits.workers);
  if (!store) {
    std::cerr << "gate-upstream: " << gk::describe(gk::fault(store.error())) << "\n";
    return 1;
  }
  const auto colon = listen.rfind(':');
  boost::system::error_code ec;
  auto address = boost::asio::ip::make_address(listen.substr(0, colon), ec);
  int port = -1;
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (const std::exception&) {
  }
  if (colon == std::string::npos || ec || port < 0 || port > 65535) {
    std::cerr << "gate-upstream: --listen must be ADDRESS:PORT, e.g. 127.0.0.1:8443\n";
    return 2;
  }
  boost::asio::io_context io;
  gk::upstream::UpstreamService service(
      **store, std::move(*authority), [] { return static_cast<gk::UnixTime>(std::time(nullptr)); },
      // Structured log: one JSON object a line on stderr (journald or a collector keeps it).
      // One write a line: workers log at once.
      [](const std::string& line) { std::cerr << line + "\n"; });
  gk::upstream::UpstreamServer server(io, **tls, {address, static_cast<unsigned short>(port)},
                                      service, faults, limits);
  if (!port_file.empty()) {
    // Written whole then renamed: a test waiting for the file never reads half a number.
    std::ofstream(port_file + ".tmp") << server.port() << "\n";
    fs::rename(port_file + ".tmp", port_file);
  }
  std::cerr << "gate-upstream: serving on " << address.to_string() << ":" << server.port()
            << " (store: " << (*store)->kind() << ")\n";
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code&, int) { io.stop(); });
  io.run();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (auto refused = gk::utf8::refuse_arguments(argc, argv)) {
    std::cerr << "gate-upstream: " << *refused << "\n";
    return 2;
  }
  CLI::App app{"gate-upstream: reference upstream server for gate-checkpoint kiosks"};
  app.require_subcommand(1);
  std::string dir, store, listen = "127.0.0.1:8443", faults, port_file, cn = "gate-upstream";
  gk::upstream::ServerLimits limits{.workers = 16};
  std::size_t held_idle_s = static_cast<std::size_t>(limits.held_idle.count());
  // CLI11 reads a subcommand's options from its section: [serve] store = "postgresql://...".
  app.set_config("--config", "", "Options from a file: [serve] store = \"postgresql://...\"");
  auto* init_cmd = app.add_subcommand("init", "Create the authority key, TLS key and database");
  init_cmd->add_option("--dir", dir, "State directory (created 0700)")->required();
  init_cmd->add_option("--cn", cn, "Certificate common name");
  init_cmd->add_option("--store", store, "sqlite:DIR (default: --dir) or postgresql://...");
  auto* serve_cmd = app.add_subcommand("serve", "Serve devices over HTTPS");
  serve_cmd->add_option("--dir", dir, "State directory made by init")->required();
  serve_cmd->add_option("--store", store, "sqlite:DIR (default: --dir) or postgresql://...");
  serve_cmd->add_option("--listen", listen, "ADDRESS:PORT (port 0: any free port)");
  serve_cmd->add_option("--faults", faults, "Fault-injection file, re-read on change (tests)");
  serve_cmd->add_option("--port-file", port_file, "Write the bound port here");
  serve_cmd
      ->add_option("--workers", limits.workers,
                   "Threads (each with its own store connection) serving requests off the event "
                   "loop")
      ->check(CLI::Range(1, 64));
  serve_cmd
      ->add_option("--held-connections", limits.max_held,
                   "Connections kept open for devices between their rounds, one per device "
                   "(0: every connection closes after 'idle'); over it the least recently used "
                   "is closed")
      ->capture_default_str()
      ->check(CLI::Range(0, 1'000'000));
  serve_cmd
      ->add_option("--held-idle", held_idle_s,
                   "Seconds a device's held connection may stay idle (longer than the kiosks' "
                   "sync interval)")
      ->capture_default_str()
      ->check(CLI::Range(1, 86'400));
  OperatorArgs op;
  auto* op_cmd =
      app.add_subcommand("operator", "Add, retire or list operators (audited as 'local')");
  op_cmd->require_subcommand(1);
  auto* op_add = op_cmd->add_subcommand("add", "Add an operator with its public key and roles");
  auto* op_retire = op_cmd->add_subcommand("retire", "Retire an operator (its id is never reused)");
  auto* op_list = op_cmd->add_subcommand("list", "Operators: 'id roles [retired]' per line");
  for (auto* c : {op_add, op_retire, op_list}) {
    c->add_option("--dir", dir, "State directory made by init");
    c->add_option("--store", store, "sqlite:DIR (default: --dir) or postgresql://...");
  }
  for (auto* c : {op_add, op_retire}) c->add_option("--id", op.id, "Operator id")->required();
  op_add->add_option("--key", op.key, "The operator's public key (gatectl keygen --name ID)")
      ->required()
      ->check(CLI::ExistingFile);
  op_add->add_option("--roles", op.roles, "registrar,publisher,auditor (any of them)")->required();
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  try {
    if (*init_cmd) return init(dir, cn, store);
    if (*op_cmd) {
      if (dir.empty() && store.empty()) {
        std::cerr << "gate-upstream: operator: --dir or --store is required\n";
        return 2;
      }
      return manage_operator(*op_add ? "add" : *op_retire ? "retire" : "list", dir, store, op);
    }
    limits.held_idle = std::chrono::seconds(held_idle_s);
    return serve(dir, store, listen, faults, port_file, limits);
  } catch (const std::exception& e) {
    std::cerr << "gate-upstream: " << e.what() << "\n";
    return 1;
  }
}
