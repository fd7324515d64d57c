#pragma once

// TLS flags of the orderer clients (`fabnet tx broadcast`, `fabnet orderer fetch`),
// named as in Fabric's peer CLI: --tls, --cafile, --certfile, --keyfile, --clientauth.

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <variant>

namespace grpc {
class ChannelCredentials;
}

namespace fabnet::cli {

struct ClientTlsFlags {
  bool tls = false;
  std::string ca_file;    // the orderer's TLS CA(s)
  std::string cert_file;  // client certificate, presented with --clientauth
  std::string key_file;
  bool client_auth = false;
};

void add_client_tls_flags(CLI::App& command, ClientTlsFlags& flags);

struct ClientTlsSetup {
  std::shared_ptr<grpc::ChannelCredentials> credentials;  // insecure without --tls
  std::string cert_hash;  // the seek's tls_cert_hash with --clientauth, else ""
};

// The credentials the flags ask for, or the error sentence naming the flag.
std::variant<ClientTlsSetup, std::string> client_tls(const ClientTlsFlags& flags);

}  // namespace fabnet::cli
