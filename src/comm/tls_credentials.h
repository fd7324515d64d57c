#pragma once

// TLS for fabnet's gRPC servers and clients (gossip, deliver, broadcast), as Fabric
// sets it up (protocol.md §1.1, §3.4): PEM material read once at start, gRPC
// credentials built from it, and the certificate hash of a live connection's remote.

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace grpc {
class AuthContext;
}

namespace fabnet::comm {

// A TLS file that is missing or holds no usable PEM. what() names the setting
// ("peer.tls.cert.file"), the path and the problem, so a process refuses to start
// with a line an operator can act on.
class TlsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// TLS CA certificates trusted beside a credential's own, which grow while servers and
// clients run: a channel joined at run time brings its orgs' TLS CAs, and Fabric then
// trusts them for gossip in both directions. Shared by the daemon (adds) and the
// credentials (read at each handshake or dial); thread-safe.
class TrustedRoots {
 public:
  // Adds the certificates of `pem` not yet trusted; returns how many were new. Text
  // that holds no certificate adds none.
  std::size_t add(std::string_view pem);
  std::string pem() const;        // every added certificate, PEM
  std::uint64_t version() const;  // grows with every add that added something

 private:
  mutable std::mutex mutex_;
  std::string pem_;
  std::set<std::string> ders_;
  std::uint64_t version_ = 0;
};

struct TlsKeyPair {
  std::string cert_pem;  // leaf first; a chain may follow
  std::string key_pem;
};

// What a TLS server presents and whom it trusts.
struct ServerTls {
  TlsKeyPair server;
  // Whether a client without a certificate from `client_roots_pem` is refused at the TLS
  // layer. When false the server still asks for a certificate and does not verify it
  // (Go's tls.RequestClientCert): the gossip handshake then refuses a stream that
  // brought none, and binds the one it brought (protocol.md §4.2).
  bool client_auth_required = false;
  std::string client_roots_pem;  // required when client_auth_required
  // With client_auth_required: CAs trusted beside client_roots_pem, as they are at each
  // handshake (the certificate check then runs in fabnet, not in gRPC's TLS stack).
  std::shared_ptr<const TrustedRoots> extra_client_roots{};
};

// What a TLS client trusts and presents.
struct ClientTls {
  std::string server_roots_pem;      // CAs the server's certificate must chain to
  std::optional<TlsKeyPair> client;  // presented when the server asks
  // CAs trusted beside server_roots_pem, as they are when the credentials are made.
  std::shared_ptr<const TrustedRoots> extra_server_roots{};
};

// Reads a PEM file for the setting `key`; throws TlsError when the path is empty,
// unreadable, or holds no certificate (`what` = "certificate") / no private key.
std::string read_tls_certificates(std::string_view key, const std::filesystem::path& path);
std::string read_tls_private_key(std::string_view key, const std::filesystem::path& path);

// Throws TlsError if `cert_pem` (for `key`) is not valid now: expired or not yet valid.
void check_tls_certificate_valid(std::string_view key, const std::string& cert_pem);

std::shared_ptr<grpc::ServerCredentials> server_credentials(const ServerTls& tls);

// "" when `chain_pem` (a client's leaf certificate first, then any intermediates) chains
// to one of `roots_pem` as a TLS client certificate valid now, else why not. An
// intermediate among the roots is an anchor, as in Go's x509 pools.
std::string verify_client_certificate(std::string_view chain_pem, std::string_view roots_pem);
std::shared_ptr<grpc::ChannelCredentials> channel_credentials(const ClientTls& tls);

// SHA-256 of the DER of the first certificate in `pem` (protocol.md §3.4); "" when
// none parses.
std::string certificate_hash_of_pem(std::string_view pem);

// SHA-256 of the DER of the leaf certificate the remote presented in the TLS handshake
// of a live call; "" on a plaintext call or when it presented none.
std::string remote_certificate_hash(const grpc::AuthContext& auth);

}  // namespace fabnet::comm
