// The guard console server: one acceptor, one Connection per TCP connection (plain or TLS),
// all on the caller's io_context. As in gk::screen, every asynchronous handler holds a
// shared_ptr to the object it works on, so closing a socket or cancelling a timer is all it
// takes to end an operation safely; the server (Impl) lives until its last handler has run.
//
// Request handling (Impl::handle) is synchronous and knows nothing of sockets: it turns a
// parsed request and the client's address into a Reply, or into "start an event stream for
// this session".
#include "gk/console/guard_console.hpp"

// Boost 1.74 awaitable.hpp uses std::exchange without including <utility>.
#include <utility>
// clang-format off
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
// clang-format on
#include <sodium.h>
#include <sys/stat.h>

#include <algorithm>
#include <array>
#include <deque>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <system_error>
#include <type_traits>

#include "gk/core/bytes.hpp"
#include "gk/core/mask.hpp"
#include "gk/core/reason.hpp"
#include "gk/pass/codec.hpp"

namespace gk::console {

namespace detail {
// Generated from web/ by CMakeLists.txt (console_assets.cpp).
std::string_view asset(std::string_view name);
}  // namespace detail

namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using Frame = std::shared_ptr<const std::string>;
using Request = http::request<http::string_body>;

constexpr std::size_t kMaxRequestHeader = 8 * 1024;
constexpr std::size_t kMaxRequestBody = 64 * 1024;
constexpr std::size_t kReadBufferLimit = 16 * 1024;  // > header limit; the body streams through
constexpr std::size_t kMaxQueuedEvents = 64;         // per feed, waiting to be written
constexpr std::size_t kMaxConnections = 64;
constexpr std::size_t kMaxSessions = 32;       // the oldest idle one makes room
constexpr std::size_t kMaxAttemptKeys = 4096;  // failed-login counters kept
constexpr auto kRequestTimeout = 10s;          // a whole request, header and body
constexpr auto kHandshakeTimeout = 10s;
constexpr auto kWriteTimeout = 30s;
constexpr auto kLingerTimeout = 2s;
constexpr auto kAcceptRetry = 100ms;
constexpr auto kHousekeeping = 1s;
constexpr std::string_view kCookie = "gk_session";
constexpr std::string_view kCsp =
    "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
constexpr std::string_view kRetryFrame = "retry: 3000\n\n";
constexpr std::string_view kJson = "application/json; charset=utf-8";

std::string_view sv(beast::string_view s) {
  return {s.data(), s.size()};
}
beast::string_view bsv(std::string_view s) {
  return {s.data(), s.size()};
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::string_view trim(std::string_view s) {
  const auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// Masks phone numbers in every string of a JSON document.
void mask_strings(json& j) {
  if (j.is_string()) {
    j = mask_phones_in(j.get_ref<const std::string&>());
  } else if (j.is_structured()) {
    for (auto& item : j) mask_strings(item);
  }
}

// A JSON document from the backend or the daemon, phone numbers masked; an invalid one is
// replaced by `fallback`.
json masked_document(std::string_view text, json fallback) {
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return fallback;
  mask_strings(j);
  return j;
}

bool valid_event_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

// "event: <name>\ndata: <line>\n...\n": one data: line per line of the JSON.
std::string sse_frame(std::string_view name, std::string_view data) {
  std::string out;
  out.reserve(data.size() + name.size() + 24);
  out.append("event: ").append(name).append("\n");
  while (true) {
    auto nl = data.find('\n');
    auto line = data.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    out.append("data: ").append(line).append("\n");
    if (nl == std::string_view::npos) break;
    data.remove_prefix(nl + 1);
  }
  out.append("\n");
  return out;
}

bool is_http_error(const beast::error_code& ec) {
  return ec.category() == beast::error_code(http::error::bad_target).category();
}

std::string random_token() {
  std::array<std::uint8_t, 32> bytes{};
  randombytes_buf(bytes.data(), bytes.size());
  auto hex = to_hex(bytes);
  sodium_memzero(bytes.data(), bytes.size());
  return hex;
}

// Sessions are stored under a hash of their id, so that the table holds nothing a cookie
// could be made from and lookups time nothing secret.
std::string session_key(std::string_view token) {
  std::array<std::uint8_t, 32> h{};
  crypto_generichash(h.data(), h.size(), reinterpret_cast<const unsigned char*>(token.data()),
                     token.size(), nullptr, 0);
  return to_hex(h);
}

bool same_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && !a.empty() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool is_hex_token(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

// The gk_session cookie of a request (the last valid one if several are sent).
std::string cookie_token(const Request& req) {
  std::string found;
  for (const auto& field : req) {
    if (field.name() != http::field::cookie) continue;
    std::string_view rest = sv(field.value());
    while (!rest.empty()) {
      auto semi = rest.find(';');
      auto pair = trim(rest.substr(0, semi));
      rest = semi == std::string_view::npos ? std::string_view{} : rest.substr(semi + 1);
      auto eq = pair.find('=');
      if (eq == std::string_view::npos || trim(pair.substr(0, eq)) != kCookie) continue;
      auto value = trim(pair.substr(eq + 1));
      if (is_hex_token(value)) found = std::string(value);
    }
  }
  return found;
}

std::string claimed_guard_id(std::string_view pass_text) {
  auto parsed = parse_pass_text(pass_text);
  if (!parsed) return {};
  return "staff-" + to_hex(parsed->pass.id).substr(0, 8);
}

json guard_json(const Guard& g) {
  return json{{"guard_id", g.guard_id}, {"name", g.name}};
}

struct FieldText {
  std::string_view zh, en;
};

FieldText field_error_text(std::string_view code) {
  if (code == "missing_field") return {"缺少必填项", "A required field is missing"};
  if (code == "too_long") return {"内容过长", "Too long"};
  if (code == "invalid_phone")
    return {"手机号无效（须为11位手机号码）", "Invalid phone number (11-digit mobile number)"};
  if (code == "invalid_field") return {"内容无效", "Invalid value"};
  return {"请求无效", "Malformed request"};
}

// Reads the fields of an action's JSON body; the first problem is kept for the 400 answer.
class Fields {
 public:
  explicit Fields(const json& body) : body_(body) {}

  std::string text(const char* name, bool required, std::size_t max_chars) {
    if (error_) return {};
    auto it = body_.find(name);
    if (it == body_.end() || it->is_null()) {
      if (required) fail("missing_field", name);
      return {};
    }
    if (!it->is_string()) {
      fail("invalid_field", name);
      return {};
    }
    auto value = std::string(trim(it->get_ref<const std::string&>()));
    if (value.empty()) {
      if (required) fail("missing_field", name);
      return {};
    }
    std::size_t chars = 0;
    for (unsigned char c : value) {
      if (c < 0x20 || c == 0x7f) {
        fail("invalid_field", name);
        return {};
      }
      if ((c & 0xC0) != 0x80) ++chars;  // UTF-8 lead byte (nlohmann has checked the encoding)
    }
    if (chars > max_chars) {
      fail("too_long", name);
      return {};
    }
    return value;
  }

  std::string phone(const char* name, bool required) {
    auto raw = text(name, required, 32);
    if (error_ || raw.empty()) return {};
    auto normal = normalize_mainland_mobile(raw);
    if (!normal) {
      fail("invalid_phone", name);
      return {};
    }
    return *normal;
  }

  bool flag(const char* name, bool fallback) {
    if (error_) return fallback;
    auto it = body_.find(name);
    if (it == body_.end() || it->is_null()) return fallback;
    if (!it->is_boolean()) {
      fail("invalid_field", name);
      return fallback;
    }
    return it->get<bool>();
  }

  std::optional<std::int64_t> integer(const char* name) {
    if (error_) return std::nullopt;
    auto it = body_.find(name);
    if (it == body_.end() || it->is_null()) {
      fail("missing_field", name);
      return std::nullopt;
    }
    if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
      fail("invalid_field", name);
      return std::nullopt;
    }
    return it->get<std::int64_t>();
  }

  std::vector<std::string> buildings(const char* name) {
    std::vector<std::string> out;
    if (error_) return out;
    auto it = body_.find(name);
    if (it == body_.end() || it->is_null()) return out;
    if (!it->is_array()) {
      fail("invalid_field", name);
      return out;
    }
    if (it->size() > 100) {
      fail("too_long", name);
      return out;
    }
    for (const auto& item : *it) {
      if (!item.is_string()) {
        fail("invalid_field", name);
        return {};
      }
      auto b = std::string(trim(item.get_ref<const std::string&>()));
      if (b.empty() || b.size() > 32 ||
          std::any_of(b.begin(), b.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
        fail(b.size() > 32 ? "too_long" : "invalid_field", name);
        return {};
      }
      if (std::find(out.begin(), out.end(), b) == out.end()) out.push_back(std::move(b));
    }
    return out;
  }

  void fail(std::string_view code, std::string_view field) {
    if (!error_) error_ = std::make_pair(std::string(code), std::string(field));
  }
  const std::optional<std::pair<std::string, std::string>>& error() const { return error_; }

 private:
  const json& body_;
  std::optional<std::pair<std::string, std::string>> error_;
};

// What a request is answered with.
struct Reply {
  http::status status = http::status::ok;
  std::string type = std::string(kJson);
  std::string body;
  bool head = false;
  std::vector<std::pair<http::field, std::string>> headers;
  std::string feed_key;  // non-empty: answer with an event stream for this session
};

Reply json_reply(http::status status, const json& j) {
  Reply r;
  r.status = status;
  r.body = dump(j);
  return r;
}

Reply problem(http::status status, std::string_view code, std::string_view zh, std::string_view en,
              std::string_view field = {}) {
  json j{{"ok", false}, {"reason_code", code}, {"message_zh", zh}, {"message_en", en}};
  if (!field.empty()) j["field"] = field;
  return json_reply(status, j);
}

Reply unauthorized() {
  return problem(http::status::unauthorized, "no_session", "请先登录", "Please log in");
}
Reply forbidden(std::string_view code) {
  return problem(http::status::forbidden, code, "请求被拒绝", "Request refused");
}

class Conn;

}  // namespace

struct GuardConsole::Impl : std::enable_shared_from_this<GuardConsole::Impl> {
  struct SessionState {
    Guard guard;
    std::string csrf;
    Clock::time_point created, last_seen;
  };
  struct Attempts {
    int count = 0;
    Clock::time_point last_failure{};
    Clock::time_point locked_until{};
  };

  Impl(asio::io_context& io, ConsoleOptions o, ConsoleBackend& b)
      : options(std::move(o)), backend(b), acceptor(io), housekeeping_timer(io), accept_retry(io) {}

  ConsoleOptions options;
  ConsoleBackend& backend;
  tcp::acceptor acceptor;
  asio::steady_timer housekeeping_timer;
  asio::steady_timer accept_retry;
  std::unique_ptr<ssl::context> tls;
  unsigned short port = 0;
  bool closed = false;
  std::uint64_t next_id = 0;
  std::map<std::uint64_t, std::weak_ptr<Conn>> conns;
  std::size_t feeds = 0;
  std::map<std::string, SessionState> sessions;  // by session_key(cookie token)
  std::map<std::string, Attempts> attempts;      // "guard:<id>" and "addr:<ip>"
  Clock::time_point next_keepalive = Clock::now();
  Frame keepalive_frame = std::make_shared<const std::string>(": keepalive\n\n");

  void setup_tls();
  void bind();
  void accept();
  template <class Stream>
  void start_connection(Stream stream, std::string client);
  void schedule_housekeeping();
  void housekeeping();
  void broadcast(const Frame& frame);
  void close_feeds_of(const std::string& key);
  void close();
  std::vector<std::shared_ptr<Conn>> live_conns();

  // Sessions.
  bool expired(const SessionState& s, Clock::time_point now) const {
    return now - s.created >= options.session_ttl || now - s.last_seen >= options.idle_timeout;
  }
  // The live session of a request (touched), or nullptr; sets `key`.
  SessionState* find_session(const Request& req, std::string& key);
  void end_session(const std::string& key);
  void expire_sessions(Clock::time_point now);

  // Failed logins.
  std::optional<Clock::duration> locked(const std::string& key, Clock::time_point now);
  void record_failure(const std::string& key, Clock::time_point now);

  Reply handle(const Request& req, const std::string& client);
  bool origin_ok(const Request& req) const;
  Reply login(const Request& req, const std::string& client);
  Reply logout(const Request& req);
  Reply state(const Request& req);
  Reply events(const Request& req);
  Reply action(const Request& req, std::string_view path);
  std::string session_cookie(std::string_view token, std::chrono::seconds max_age) const;
};

namespace {

// What the server needs of a connection, whatever its stream type.
class Conn {
 public:
  virtual ~Conn() = default;
  virtual void push(const Frame& frame) = 0;
  virtual void close() = 0;
  bool feeding() const { return feeding_; }
  const std::string& feed_key() const { return feed_key_; }

 protected:
  bool feeding_ = false;
  std::string feed_key_;  // the session an event stream belongs to
};

template <class Stream>
class Connection : public Conn, public std::enable_shared_from_this<Connection<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, tcp::socket>;

 public:
  Connection(std::shared_ptr<GuardConsole::Impl> server, Stream stream, std::uint64_t id,
             std::string client)
      : server_(std::move(server)),
        stream_(std::move(stream)),
        deadline_(stream_.get_executor()),
        id_(id),
        client_(std::move(client)) {}
  ~Connection() override {
    unsubscribe();
    server_->conns.erase(id_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start() {
    if constexpr (kTls) {
      arm(kHandshakeTimeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (self->closed_) return;
                                self->disarm();
                                if (ec) return self->close();
                                self->read_request();
                              });
    } else {
      read_request();
    }
  }

  void push(const Frame& frame) override {
    if (closed_ || !feeding_) return;
    if (queue_.size() >= kMaxQueuedEvents) return close();
    queue_.push_back(frame);
    write_events();
  }

  void close() override {
    if (closed_) return;
    closed_ = true;
    unsubscribe();
    beast::error_code ec;
    stream_.lowest_layer().close(ec);
    deadline_.cancel();
    queue_.clear();
  }

 private:
  void unsubscribe() {
    if (!feeding_) return;
    feeding_ = false;
    --server_->feeds;
  }

  void arm(Clock::duration d) {
    deadline_.expires_after(d);
    deadline_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec) self->close();
    });
  }
  void disarm() { deadline_.cancel(); }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(kMaxRequestHeader);
    parser_->body_limit(kMaxRequestBody);
    arm(kRequestTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_request(ec);
                     });
  }

  void on_request(beast::error_code ec) {
    if (closed_) return;
    disarm();
    if (ec == http::error::header_limit)
      return error(http::status::request_header_fields_too_large, "request header too large\n");
    if (ec == http::error::body_limit || ec == http::error::buffer_overflow)
      return error(http::status::payload_too_large, "request too large\n");
    if (ec == http::error::end_of_stream || (ec && !is_http_error(ec))) return close();
    if (ec) return error(http::status::bad_request, "bad request\n");

    const auto& req = parser_->get();
    Reply reply;
    try {
      reply = server_->handle(req, client_);
    } catch (const std::exception&) {
      // A backend that throws: answer, do not take the console down.
      reply = problem(http::status::internal_server_error, "internal_error", "内部错误",
                      "Internal error");
    }
    if (!reply.feed_key.empty()) return start_feed(req.version(), std::move(reply.feed_key));
    send(reply, req.version(), req.keep_alive());
  }

  void error(http::status status, std::string_view body) {
    Reply r;
    r.status = status;
    r.type = "text/plain; charset=utf-8";
    r.body = std::string(body);
    send(r, 11, false);
  }

  template <class Fields>
  static void common_headers(Fields& f) {
    f.set(http::field::server, "gk-console");
    f.set(http::field::cache_control, "no-store");
    f.set("Content-Security-Policy", bsv(kCsp));
    f.set("X-Content-Type-Options", "nosniff");
    f.set("X-Frame-Options", "DENY");
    f.set("Referrer-Policy", "same-origin");
    f.set("Cross-Origin-Opener-Policy", "same-origin");
    f.set("Cross-Origin-Resource-Policy", "same-origin");
    if constexpr (kTls) f.set("Strict-Transport-Security", "max-age=31536000");
  }

  void send(const Reply& reply, unsigned version, bool keep_alive) {
    response_ = {};
    response_.result(reply.status);
    response_.version(version);
    common_headers(response_);
    response_.set(http::field::content_type, bsv(reply.type));
    for (const auto& [field, value] : reply.headers) response_.insert(field, bsv(value));
    if (reply.head) {
      response_.content_length(reply.body.size());
    } else {
      response_.body() = reply.body;
      response_.prepare_payload();
    }
    response_.keep_alive(keep_alive);
    arm(kWriteTimeout);
    http::async_write(
        stream_, response_,
        [self = this->shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
          if (self->closed_) return;
          self->disarm();
          if (ec) return self->close();
          if (keep_alive) return self->read_request();
          self->linger_close();
        });
  }

  // After a "Connection: close" response: end the stream politely, then close; at most
  // kLingerTimeout.
  void linger_close() {
    arm(kLingerTimeout);
    if constexpr (kTls) {
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->close(); });
    } else {
      beast::error_code ec;
      stream_.shutdown(tcp::socket::shutdown_send, ec);
      if (ec) return close();
      drain();
    }
  }

  // Reads and discards until an error or EOF, then closes.
  void drain() {
    stream_.async_read_some(asio::buffer(scratch_),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              if (self->closed_) return;
                              if (ec) return self->close();
                              self->drain();
                            });
  }

  void start_feed(unsigned version, std::string key) {
    if (server_->feeds >= server_->options.max_feeds) {
      Reply r = problem(http::status::service_unavailable, "too_many_feeds", "连接过多",
                        "Too many connections");
      r.headers.emplace_back(http::field::retry_after, "5");
      return send(r, version, false);
    }
    feeding_ = true;
    feed_key_ = std::move(key);
    ++server_->feeds;

    http::response<http::empty_body> res{http::status::ok, version};
    common_headers(res);
    res.set(http::field::content_type, "text/event-stream; charset=utf-8");
    res.set("X-Accel-Buffering", "no");
    res.keep_alive(false);
    std::string header = version == 10 ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\n";
    for (const auto& field : res)
      header.append(sv(field.name_string())).append(": ").append(sv(field.value())).append("\r\n");
    header.append("\r\n").append(kRetryFrame);
    queue_.push_back(std::make_shared<const std::string>(std::move(header)));
    std::string state;
    try {
      state = dump(masked_document(server_->backend.state_json(), json::object()));
    } catch (const std::exception&) {
      state = "{}";
    }
    queue_.push_back(std::make_shared<const std::string>(sse_frame("state", state)));
    write_events();
    drain();  // the client sends nothing more; a read that ends tells us it has gone
  }

  void write_events() {
    if (closed_ || !inflight_.empty() || queue_.empty()) return;
    inflight_.assign(queue_.begin(), queue_.end());
    queue_.clear();
    std::vector<asio::const_buffer> buffers;
    buffers.reserve(inflight_.size());
    for (const auto& f : inflight_) buffers.push_back(asio::buffer(*f));
    arm(kWriteTimeout);
    asio::async_write(stream_, buffers,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        self->inflight_.clear();
                        if (self->closed_) return;
                        if (ec) return self->close();
                        self->disarm();
                        self->write_events();
                      });
  }

  std::shared_ptr<GuardConsole::Impl> server_;
  Stream stream_;
  asio::steady_timer deadline_;
  std::uint64_t id_;
  std::string client_;
  beast::flat_buffer buffer_{kReadBufferLimit};
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  bool closed_ = false;
  std::deque<Frame> queue_;
  std::vector<Frame> inflight_;
  std::array<char, 512> scratch_{};
};

bool loopback(const asio::ip::address& a) {
  if (a.is_loopback()) return true;
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).is_loopback();
  return false;
}

bool looks_like_pem(std::string_view s) {
  return s.rfind("-----BEGIN", 0) == 0;
}

}  // namespace

void GuardConsole::Impl::setup_tls() {
  const bool has_cert = !options.tls_cert_pem.empty();
  const bool has_key = !options.tls_key_pem.empty();
  if (has_cert != has_key)
    throw std::invalid_argument("console: tls_cert_pem and tls_key_pem go together");
  if (!has_cert) return;
  if (!looks_like_pem(options.tls_key_pem)) {
    struct stat st {};
    if (::stat(options.tls_key_pem.c_str(), &st) != 0)
      throw std::system_error(errno, std::generic_category(),
                              "console: TLS key " + options.tls_key_pem);
    if (st.st_mode & 077)
      throw std::invalid_argument("console: TLS key " + options.tls_key_pem +
                                  " is readable by group or others (chmod 600)");
  }
  tls = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
  tls->set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                   ssl::context::single_dh_use);
  beast::error_code ec;
  if (looks_like_pem(options.tls_cert_pem)) {
    tls->use_certificate_chain(asio::buffer(options.tls_cert_pem), ec);
  } else {
    tls->use_certificate_chain_file(options.tls_cert_pem, ec);
  }
  if (ec) throw std::system_error(std::error_code(ec), "console: TLS certificate");
  if (looks_like_pem(options.tls_key_pem)) {
    tls->use_private_key(asio::buffer(options.tls_key_pem), ssl::context::pem, ec);
  } else {
    tls->use_private_key_file(options.tls_key_pem, ssl::context::pem, ec);
  }
  if (ec) throw std::system_error(std::error_code(ec), "console: TLS key");
  if (SSL_CTX_check_private_key(tls->native_handle()) != 1)
    throw std::invalid_argument("console: the TLS key does not match the certificate");
}

void GuardConsole::Impl::bind() {
  beast::error_code ec;
  auto address = asio::ip::make_address(options.address, ec);
  if (ec) throw std::system_error(std::error_code(ec), "console: bad address " + options.address);
  if (!tls && !loopback(address))
    throw std::invalid_argument("console: " + options.address +
                                " is not a loopback address: the LAN needs tls_cert and tls_key");
  tcp::endpoint endpoint{address, options.port};
  const auto fail = [&](const char* what) {
    throw std::system_error(std::error_code(ec), std::string("console: ") + what + " " +
                                                     options.address + ":" +
                                                     std::to_string(options.port));
  };
  if (acceptor.open(endpoint.protocol(), ec); ec) fail("cannot open");
  if (acceptor.set_option(asio::socket_base::reuse_address(true), ec); ec) fail("cannot set up");
  if (acceptor.bind(endpoint, ec); ec) fail("cannot bind");
  if (acceptor.listen(asio::socket_base::max_listen_connections, ec); ec) fail("cannot listen on");
  port = acceptor.local_endpoint().port();
}

template <class Stream>
void GuardConsole::Impl::start_connection(Stream stream, std::string client) {
  const auto id = next_id++;
  auto c = std::make_shared<Connection<Stream>>(shared_from_this(), std::move(stream), id,
                                                std::move(client));
  conns.emplace(id, c);
  c->start();
}

void GuardConsole::Impl::accept() {
  acceptor.async_accept([self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (self->closed) return;
    if (ec) {
      self->accept_retry.expires_after(kAcceptRetry);
      self->accept_retry.async_wait([self](beast::error_code wait_ec) {
        if (!wait_ec && !self->closed) self->accept();
      });
      return;
    }
    beast::error_code ignored;
    auto remote = socket.remote_endpoint(ignored);
    if (ignored || self->conns.size() >= kMaxConnections) {
      socket.close(ignored);
    } else {
      socket.set_option(tcp::no_delay(true), ignored);
      auto address = remote.address();
      if (address.is_v6() && address.to_v6().is_v4_mapped())
        address = asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
      auto client = address.to_string();
      if (self->tls) {
        self->start_connection(ssl::stream<tcp::socket>(std::move(socket), *self->tls),
                               std::move(client));
      } else {
        self->start_connection(std::move(socket), std::move(client));
      }
    }
    self->accept();
  });
}

void GuardConsole::Impl::schedule_housekeeping() {
  housekeeping_timer.expires_after(kHousekeeping);
  housekeeping_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec || self->closed) return;
    self->housekeeping();
    self->schedule_housekeeping();
  });
}

void GuardConsole::Impl::housekeeping() {
  const auto now = Clock::now();
  expire_sessions(now);
  for (auto it = attempts.begin(); it != attempts.end();) {
    const bool stale =
        it->second.locked_until <= now && now - it->second.last_failure >= options.lockout;
    it = stale ? attempts.erase(it) : std::next(it);
  }
  if (options.keepalive_interval > std::chrono::milliseconds::zero() && now >= next_keepalive) {
    next_keepalive = now + options.keepalive_interval;
    broadcast(keepalive_frame);
  }
}

std::vector<std::shared_ptr<Conn>> GuardConsole::Impl::live_conns() {
  std::vector<std::shared_ptr<Conn>> out;
  out.reserve(conns.size());
  for (auto& [id, weak] : conns)
    if (auto c = weak.lock()) out.push_back(std::move(c));
  return out;
}

void GuardConsole::Impl::broadcast(const Frame& frame) {
  const auto now = Clock::now();
  for (const auto& c : live_conns()) {
    if (!c->feeding()) continue;
    auto it = sessions.find(c->feed_key());
    if (it == sessions.end() || expired(it->second, now)) {
      c->close();  // logged out or expired: no more events
      continue;
    }
    c->push(frame);
  }
}

void GuardConsole::Impl::close_feeds_of(const std::string& key) {
  for (const auto& c : live_conns())
    if (c->feeding() && c->feed_key() == key) c->close();
}

void GuardConsole::Impl::close() {
  closed = true;
  beast::error_code ignored;
  acceptor.close(ignored);
  housekeeping_timer.cancel();
  accept_retry.cancel();
  for (const auto& c : live_conns()) c->close();
}

GuardConsole::Impl::SessionState* GuardConsole::Impl::find_session(const Request& req,
                                                                   std::string& key) {
  auto token = cookie_token(req);
  if (token.empty()) return nullptr;
  key = session_key(token);
  auto it = sessions.find(key);
  if (it == sessions.end()) return nullptr;
  const auto now = Clock::now();
  if (expired(it->second, now)) {
    end_session(key);
    return nullptr;
  }
  it->second.last_seen = now;
  return &it->second;
}

void GuardConsole::Impl::end_session(const std::string& key) {
  sessions.erase(key);
  close_feeds_of(key);
}

void GuardConsole::Impl::expire_sessions(Clock::time_point now) {
  std::vector<std::string> gone;
  for (const auto& [key, s] : sessions)
    if (expired(s, now)) gone.push_back(key);
  for (const auto& key : gone) end_session(key);
}

std::optional<Clock::duration> GuardConsole::Impl::locked(const std::string& key,
                                                          Clock::time_point now) {
  auto it = attempts.find(key);
  if (it == attempts.end() || it->second.locked_until <= now) return std::nullopt;
  return it->second.locked_until - now;
}

void GuardConsole::Impl::record_failure(const std::string& key, Clock::time_point now) {
  if (attempts.size() >= kMaxAttemptKeys && !attempts.count(key)) {
    // Under a flood from many addresses: forget counters that are not locking anything.
    for (auto it = attempts.begin(); it != attempts.end();)
      it = it->second.locked_until <= now ? attempts.erase(it) : std::next(it);
    if (attempts.size() >= kMaxAttemptKeys) return;
  }
  auto& a = attempts[key];
  if (now - a.last_failure >= options.lockout) a.count = 0;  // old failures are forgiven
  a.last_failure = now;
  if (++a.count >= std::max(1, options.max_failed_logins)) {
    a.locked_until = now + options.lockout;
    a.count = 0;
  }
}

std::string GuardConsole::Impl::session_cookie(std::string_view token,
                                               std::chrono::seconds max_age) const {
  std::string c(kCookie);
  c.append("=").append(token).append("; Path=/; Max-Age=").append(std::to_string(max_age.count()));
  c.append("; HttpOnly; SameSite=Strict");
  if (tls) c.append("; Secure");
  return c;
}

// An Origin (or, without one, a Referer) must name this console: same scheme, same host
// and port as the Host header the browser sent. Fetch metadata, when sent, must say
// same-origin.
bool GuardConsole::Impl::origin_ok(const Request& req) const {
  if (auto site = req.find("Sec-Fetch-Site"); site != req.end()) {
    auto v = lower(trim(sv(site->value())));
    if (v != "same-origin" && v != "none") return false;
  }
  auto host = req.find(http::field::host);
  const std::string expected = std::string(tls ? "https://" : "http://") +
                               (host == req.end() ? std::string() : lower(trim(sv(host->value()))));
  if (auto origin = req.find(http::field::origin); origin != req.end()) {
    return host != req.end() && lower(trim(sv(origin->value()))) == expected;
  }
  if (auto referer = req.find(http::field::referer); referer != req.end()) {
    if (host == req.end()) return false;
    auto r = std::string(trim(sv(referer->value())));
    auto end = r.find('/', r.find("://") == std::string::npos ? 0 : r.find("://") + 3);
    return lower(r.substr(0, end)) == expected;
  }
  return true;
}

Reply GuardConsole::Impl::handle(const Request& req, const std::string& client) {
  std::string_view path = sv(req.target());
  path = path.substr(0, path.find_first_of("?#"));
  const auto method = req.method();
  const bool get = method == http::verb::get || method == http::verb::head;

  if (path.rfind("/api/", 0) != 0) {
    std::string_view name;
    std::string_view type;
    if (path == "/" || path == "/index.html") {
      name = "guard.html";
      type = "text/html; charset=utf-8";
    } else if (path == "/guard.css") {
      name = "guard.css";
      type = "text/css; charset=utf-8";
    } else if (path == "/guard.js") {
      name = "guard.js";
      type = "text/javascript; charset=utf-8";
    } else if (path == "/favicon.ico") {
      Reply r;  // none: say so without a 404 in the browser's console
      r.status = http::status::no_content;
      r.type = "image/x-icon";
      return r;
    } else {
      return problem(http::status::not_found, "not_found", "未找到", "Not found");
    }
    if (!get) {
      auto r = problem(http::status::method_not_allowed, "method_not_allowed", "方法不允许",
                       "Method not allowed");
      r.headers.emplace_back(http::field::allow, "GET, HEAD");
      return r;
    }
    Reply r;
    r.type = std::string(type);
    r.body = std::string(detail::asset(name));
    r.head = method == http::verb::head;
    return r;
  }

  struct Route {
    std::string_view path;
    http::verb method;
  };
  static constexpr std::array<Route, 10> kRoutes{{
      {"/api/login", http::verb::post},
      {"/api/logout", http::verb::post},
      {"/api/state", http::verb::get},
      {"/api/events", http::verb::get},
      {"/api/visitor", http::verb::post},
      {"/api/register", http::verb::post},
      {"/api/delivery", http::verb::post},
      {"/api/release", http::verb::post},
      {"/api/outbreak", http::verb::post},
      {"/api/alarms/ack", http::verb::post},
  }};
  auto route =
      std::find_if(kRoutes.begin(), kRoutes.end(), [&](const Route& r) { return r.path == path; });
  if (route == kRoutes.end())
    return problem(http::status::not_found, "not_found", "未找到", "Not found");
  if (method != route->method) {
    auto r = problem(http::status::method_not_allowed, "method_not_allowed", "方法不允许",
                     "Method not allowed");
    r.headers.emplace_back(http::field::allow, route->method == http::verb::get ? "GET" : "POST");
    return r;
  }
  if (path == "/api/state") return state(req);
  if (path == "/api/events") return events(req);
  if (!origin_ok(req)) return forbidden("cross_origin");
  if (path == "/api/login") return login(req, client);
  if (path == "/api/logout") return logout(req);
  return action(req, path);
}

namespace {
bool json_content(const Request& req) {
  auto ct = req.find(http::field::content_type);
  if (ct == req.end()) return false;
  auto v = lower(trim(sv(ct->value())));
  return v.substr(0, v.find(';')) == "application/json";
}

Reply unsupported_type() {
  return problem(http::status::unsupported_media_type, "unsupported_media_type", "请求格式无效",
                 "Content-Type must be application/json");
}

Reply field_problem(const std::pair<std::string, std::string>& e) {
  auto text = field_error_text(e.first);
  return problem(http::status::bad_request, e.first, text.zh, text.en, e.second);
}
}  // namespace

Reply GuardConsole::Impl::login(const Request& req, const std::string& client) {
  if (!json_content(req)) return unsupported_type();
  auto body = json::parse(req.body(), nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    auto text = field_error_text("malformed");
    return problem(http::status::bad_request, "malformed", text.zh, text.en);
  }
  Fields f(body);
  const auto pass = f.text("pass", true, 2048);
  const auto pin = f.text("pin", true, 32);
  if (f.error()) return field_problem(*f.error());

  const auto now = Clock::now();
  const auto claimed = claimed_guard_id(pass);
  const std::string address_key = "addr:" + client;
  const std::string guard_key = claimed.empty() ? std::string() : "guard:" + claimed;
  auto wait = locked(address_key, now);
  if (!guard_key.empty()) {
    if (auto guard_wait = locked(guard_key, now); guard_wait && (!wait || *guard_wait > *wait))
      wait = guard_wait;
  }
  if (wait) {
    backend.login_failed(claimed, "locked_out");
    auto seconds = std::chrono::ceil<std::chrono::seconds>(*wait).count();
    auto r = problem(http::status::too_many_requests, "locked_out", "登录失败次数过多，请稍后再试",
                     "Too many failed logins, try again later");
    r.headers.emplace_back(http::field::retry_after, std::to_string(std::max<long>(1, seconds)));
    return r;
  }

  auto result = backend.authenticate(pass, pin);
  if (!result) {
    record_failure(address_key, now);
    if (!guard_key.empty()) record_failure(guard_key, now);
    const auto cause = code(result.reason());
    backend.login_failed(claimed, cause);
    // A wrong PIN and an unreadable pass both come as `malformed`: say so without telling
    // which; a specific reason (wrong site, revoked, expired...) helps the guard.
    std::string zh = "登录失败：", en = "Login failed: ";
    if (result.reason() == Reason::malformed) {
      zh += "工作证或密码错误";
      en += "staff pass or PIN not accepted";
    } else {
      zh += describe(result.reason()).zh;
      en += describe(result.reason()).en;
    }
    json j{{"ok", false},
           {"reason_code", code(Reason::guard_login_failed)},
           {"cause", cause},
           {"message_zh", zh},
           {"message_en", en}};
    return json_reply(http::status::unauthorized, j);
  }

  Guard guard = std::move(result).value();
  if (!guard_key.empty()) attempts.erase(guard_key);
  attempts.erase("guard:" + guard.guard_id);
  // A new login replaces the session the browser had.
  std::string old_key;
  if (find_session(req, old_key)) end_session(old_key);
  if (sessions.size() >= kMaxSessions) {
    auto oldest = std::min_element(
        sessions.begin(), sessions.end(),
        [](const auto& a, const auto& b) { return a.second.last_seen < b.second.last_seen; });
    end_session(std::string(oldest->first));
  }
  const auto token = random_token();
  SessionState s{guard, random_token(), now, now};
  const auto csrf = s.csrf;
  sessions.emplace(session_key(token), std::move(s));

  auto r = json_reply(
      http::status::ok,
      json{{"ok", true}, {"guard", guard_json(guard)}, {"csrf", csrf}, {"site", options.site}});
  r.headers.emplace_back(http::field::set_cookie, session_cookie(token, options.session_ttl));
  return r;
}

Reply GuardConsole::Impl::logout(const Request& req) {
  std::string key;
  auto* s = find_session(req, key);
  if (!s) return unauthorized();
  auto csrf = req.find("X-CSRF-Token");
  if (csrf == req.end() || !same_secret(trim(sv(csrf->value())), s->csrf)) return forbidden("csrf");
  end_session(key);
  auto r = json_reply(http::status::ok, json{{"ok", true}});
  r.headers.emplace_back(http::field::set_cookie, session_cookie("", std::chrono::seconds(0)));
  return r;
}

Reply GuardConsole::Impl::state(const Request& req) {
  std::string key;
  auto* s = find_session(req, key);
  if (!s) return unauthorized();
  json j{{"ok", true}, {"guard", guard_json(s->guard)}, {"csrf", s->csrf}, {"site", options.site}};
  j["state"] = masked_document(backend.state_json(), nullptr);
  auto r = json_reply(http::status::ok, j);
  r.head = req.method() == http::verb::head;
  return r;
}

Reply GuardConsole::Impl::events(const Request& req) {
  std::string key;
  if (!find_session(req, key)) return unauthorized();
  Reply r;
  r.feed_key = key;
  return r;
}

Reply GuardConsole::Impl::action(const Request& req, std::string_view path) {
  std::string key;
  auto* s = find_session(req, key);
  if (!s) return unauthorized();
  auto csrf = req.find("X-CSRF-Token");
  if (csrf == req.end() || !same_secret(trim(sv(csrf->value())), s->csrf)) return forbidden("csrf");
  if (!json_content(req)) return unsupported_type();
  auto body = json::parse(req.body(), nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    auto text = field_error_text("malformed");
    return problem(http::status::bad_request, "malformed", text.zh, text.en);
  }
  const Guard guard = s->guard;  // a copy: the backend may do anything meanwhile
  Fields f(body);
  ActionResult result;
  std::string phone_shown;
  if (path == "/api/visitor") {
    VisitorRegistration v;
    v.visitor_name = f.text("visitor_name", true, 64);
    v.visitor_phone = f.phone("visitor_phone", true);
    v.reason = f.text("reason", false, 200);
    if (f.error()) return field_problem(*f.error());
    phone_shown = v.visitor_phone;
    result = backend.visitor_with_consent(guard, v);
  } else if (path == "/api/register") {
    UnregisteredEntrant e;
    e.name = f.text("name", true, 64);
    e.phone = f.phone("phone", true);
    e.reason = f.text("reason", false, 200);
    e.take_photo = f.flag("take_photo", true);
    if (f.error()) return field_problem(*f.error());
    phone_shown = e.phone;
    result = backend.register_without_id(guard, e);
  } else if (path == "/api/delivery") {
    Delivery d;
    d.courier_name = f.text("courier_name", false, 64);
    d.courier_phone = f.phone("courier_phone", false);
    d.company = f.text("company", true, 64);
    d.parcel_note = f.text("parcel_note", false, 200);
    if (f.error()) return field_problem(*f.error());
    phone_shown = d.courier_phone;
    result = backend.register_delivery(guard, d);
  } else if (path == "/api/release") {
    const auto reason = f.text("reason", true, 200);
    if (f.error()) return field_problem(*f.error());
    result = backend.manual_release(guard, reason);
  } else if (path == "/api/outbreak") {
    OutbreakChange o;
    o.outbreak = f.text("outbreak", true, 16);
    if (!f.error() && o.outbreak != "normal" && o.outbreak != "lockdown")
      f.fail("invalid_field", "outbreak");
    o.quarantined_buildings = f.buildings("quarantined_buildings");
    o.reason = f.text("reason", true, 200);
    if (f.error()) return field_problem(*f.error());
    result = backend.set_outbreak(guard, o);
  } else {  // /api/alarms/ack
    const auto id = f.integer("alarm_id");
    if (f.error()) return field_problem(*f.error());
    result = backend.acknowledge_alarm(guard, *id);
  }

  json j{{"ok", result.ok},
         {"reason_code", result.reason_code},
         {"message_zh", mask_phones_in(result.message_zh)},
         {"message_en", mask_phones_in(result.message_en)},
         {"journal_seq", result.journal_seq ? json(*result.journal_seq) : json(nullptr)},
         {"detail", masked_document(result.detail_json, json::object())}};
  if (!phone_shown.empty()) j["phone_masked"] = mask_phone(phone_shown);
  return json_reply(result.ok ? http::status::ok : http::status::conflict, j);
}

GuardConsole::GuardConsole(boost::asio::io_context& io, ConsoleOptions options,
                           ConsoleBackend& backend)
    : impl_(std::make_shared<Impl>(io, std::move(options), backend)) {
  impl_->setup_tls();
  impl_->bind();
  impl_->accept();
  impl_->schedule_housekeeping();
}

GuardConsole::~GuardConsole() {
  impl_->close();
}

unsigned short GuardConsole::port() const {
  return impl_->port;
}

bool GuardConsole::tls() const {
  return impl_->tls != nullptr;
}

std::size_t GuardConsole::sessions() const {
  const auto now = Clock::now();
  return static_cast<std::size_t>(
      std::count_if(impl_->sessions.begin(), impl_->sessions.end(),
                    [&](const auto& s) { return !impl_->expired(s.second, now); }));
}

std::size_t GuardConsole::feeds() const {
  return impl_->feeds;
}

void GuardConsole::publish(std::string_view event_name, std::string_view json_text) {
  if (!valid_event_name(event_name))
    throw std::invalid_argument("console: bad event name '" + std::string(event_name) + "'");
  auto doc = json::parse(json_text, nullptr, false);
  std::string data;
  if (doc.is_discarded()) {
    data = mask_phones_in(json_text);
  } else {
    mask_strings(doc);
    data = dump(doc);
  }
  impl_->broadcast(std::make_shared<const std::string>(sse_frame(event_name, data)));
}

}  // namespace gk::console
