#include "gk/sync/tls.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "gk/core/bytes.hpp"
#include "gk/core/file.hpp"

namespace gk::sync {
namespace {

// RAII for the OpenSSL handles used here.
struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct X509Free {
  void operator()(X509* p) const { X509_free(p); }
};
struct FileClose {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;
using File = std::unique_ptr<std::FILE, FileClose>;

std::string pin_of(X509* cert) {
  unsigned char* der = nullptr;
  const int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
  if (n <= 0) return {};
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  EVP_Digest(der, static_cast<std::size_t>(n), md, &md_len, EVP_sha256(), nullptr);
  OPENSSL_free(der);
  return "sha256:" + to_hex(ByteView(md, md_len));
}

// The pin a client context accepts (a std::string the context owns), and the TlsSessionCache a
// connection's tickets go to (borrowed: the cache outlives the connection).
int pin_index() {
  static const int index = SSL_CTX_get_ex_new_index(
      0, nullptr, nullptr, nullptr, [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
        delete static_cast<std::string*>(ptr);
      });
  return index;
}
int cache_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// OpenSSL refusing to make or sign a fresh key: no file or document is to blame.
Fault openssl_failure(std::string what) {
  return {Layer::internal, "openssl", std::move(what)};
}

}  // namespace

Expected<std::string, Fault> make_self_signed_certificate(const std::filesystem::path& key_pem,
                                                          const std::filesystem::path& cert_pem,
                                                          const std::string& common_name) {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  Cert cert(X509_new());
  if (!key || !cert) return openssl_failure("OpenSSL could not create a key or certificate");
  X509_set_version(cert.get(), 2);
  std::array<std::uint8_t, 8> serial{};
  random_fill(serial);
  serial[0] &= 0x7f;
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), [&] {
    std::uint64_t v = 0;
    for (auto b : serial) v = v << 8 | b;
    return v;
  }());
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  if (X509_sign(cert.get(), key.get(), nullptr) <= 0)
    return openssl_failure("OpenSSL could not sign the certificate");

  const int fd = ::open(key_pem.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return fault(doc_error(DocCode::unreadable,
                           key_pem.string() + ": cannot create: " + std::strerror(errno)));
  File kf(::fdopen(fd, "w"));
  if (!kf || !PEM_write_PrivateKey(kf.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr))
    return fault(doc_error(DocCode::unreadable, key_pem.string() + ": cannot write"));
  File cf(std::fopen(cert_pem.c_str(), "wx"));
  if (!cf)
    return fault(doc_error(DocCode::unreadable,
                           cert_pem.string() + ": cannot create: " + std::strerror(errno)));
  if (!PEM_write_X509(cf.get(), cert.get()))
    return fault(doc_error(DocCode::unreadable, cert_pem.string() + ": cannot write"));
  return pin_of(cert.get());
}

DocResult<std::string> certificate_pin(const std::filesystem::path& cert_pem) {
  // Read under the limit of every file gated reads (a FIFO or /dev/zero must not hang it).
  auto text = read_regular_file(cert_pem, kMaxConfigFileBytes);
  if (!text) return text.error();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(text->data(), static_cast<int>(text->size())), &BIO_free);
  Cert cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) return doc_error(DocCode::syntax, cert_pem.string() + ": not a PEM certificate");
  return pin_of(cert.get());
}

DocResult<std::unique_ptr<boost::asio::ssl::context>> server_tls_context(
    const std::filesystem::path& cert_pem, const std::filesystem::path& key_pem) {
  struct stat st {};
  if (::stat(key_pem.c_str(), &st) != 0)
    return doc_error(DocCode::unreadable, key_pem.string() + ": " + std::strerror(errno));
  if (st.st_mode & 077)
    return doc_error(DocCode::insecure,
                     key_pem.string() + ": readable by group or others (chmod 600)");
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_3_VERSION);
  // Resumption by stateless TLS 1.3 tickets, encrypted with keys this context makes at start
  // (never shared, never stored: a restart or another instance means a full handshake). One
  // ticket per handshake is enough for a client that keeps one; no server-side session cache,
  // so thousands of kiosks cost no memory here. Two hours covers a kiosk's sync interval.
  SSL_CTX_set_num_tickets(ctx->native_handle(), 1);
  SSL_CTX_set_session_cache_mode(ctx->native_handle(), SSL_SESS_CACHE_OFF);
  SSL_CTX_set_timeout(ctx->native_handle(), 2 * 3600);
  // Both read under the file limit, then handed to OpenSSL from memory.
  auto cert = read_regular_file(cert_pem, kMaxConfigFileBytes);
  if (!cert) return cert.error();
  boost::system::error_code ec;
  ctx->use_certificate_chain(boost::asio::buffer(*cert), ec);
  if (ec)
    return doc_error(DocCode::syntax, cert_pem.string() + ": TLS certificate: " + ec.message());
  auto key = read_regular_file(key_pem, kMaxConfigFileBytes);
  if (!key) return key.error();
  ctx->use_private_key(boost::asio::buffer(*key), ssl::context::pem, ec);
  OPENSSL_cleanse(key->data(), key->size());
  // Not PEM, or not the key of the certificate: OpenSSL's message says which.
  if (ec) return doc_error(DocCode::schema, key_pem.string() + ": TLS key: " + ec.message());
  return ctx;
}

std::unique_ptr<boost::asio::ssl::context> client_tls_context(const std::string& pin) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_client);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_min_proto_version(native, TLS1_3_VERSION);
  SSL_CTX_set_ex_data(native, pin_index(), new std::string(pin));
  // Tickets go to the connection's TlsSessionCache, never to OpenSSL's own cache.
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(native, [](SSL* ssl, SSL_SESSION* session) -> int {
    auto* cache = static_cast<TlsSessionCache*>(SSL_get_ex_data(ssl, cache_index()));
    if (cache) cache->keep(session);
    return 0;  // the cache keeps a copy; OpenSSL releases its own reference
  });
  ctx->set_verify_mode(ssl::verify_peer);
  ctx->set_verify_callback([pin](bool, ssl::verify_context& vc) {
    X509_STORE_CTX* store = vc.native_handle();
    // Intermediate certificates are irrelevant: only the leaf's key decides.
    if (X509_STORE_CTX_get_error_depth(store) > 0) return true;
    X509* leaf = X509_STORE_CTX_get_current_cert(store);
    return leaf && !pin.empty() && pin_of(leaf) == pin;
  });
  return ctx;
}

bool peer_matches_pin(SSL* ssl) {
  const auto* pin =
      static_cast<const std::string*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), pin_index()));
  X509* peer = SSL_get0_peer_certificate(ssl);
  return pin && !pin->empty() && peer && pin_of(peer) == *pin;
}

void TlsSessionCache::SessionFree::operator()(SSL_SESSION* s) const {
  SSL_SESSION_free(s);
}

TlsSessionCache::TlsSessionCache() = default;
TlsSessionCache::~TlsSessionCache() = default;

bool TlsSessionCache::attach(SSL* ssl) {
  SSL_set_ex_data(ssl, cache_index(), this);
  if (session_ && !SSL_SESSION_is_resumable(session_.get())) forget();
  return session_ && SSL_set_session(ssl, session_.get()) == 1;
}

bool TlsSessionCache::accept(SSL* ssl, bool offered) {
  if (!SSL_session_reused(ssl)) {
    ++(offered ? counts_.declined : counts_.full);
    if (offered) forget();  // the upstream will send a fresh ticket on this connection
    return true;
  }
  if (!peer_matches_pin(ssl)) {
    ++counts_.pin_refused;
    forget();
    return false;
  }
  ++counts_.resumed;
  return true;
}

void TlsSessionCache::failed() {
  ++counts_.failed;
  forget();
}

void TlsSessionCache::forget() {
  session_.reset();
}

void TlsSessionCache::keep(SSL_SESSION* session) {
  // A copy: OpenSSL marks the connection's own session not resumable when the connection is
  // closed without a close_notify (as a round's end, or a dropped link, does).
  if (SSL_SESSION* copy = SSL_SESSION_dup(session)) session_.reset(copy);
}

}  // namespace gk::sync
