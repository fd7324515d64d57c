#include "cli/client_tls.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "comm/tls_credentials.h"

namespace fabnet::cli {

void add_client_tls_flags(CLI::App& command, ClientTlsFlags& flags) {
  command.add_flag("--tls", flags.tls, "Dial the orderer over TLS");
  command.add_option("--cafile", flags.ca_file,
                     "PEM file of the orderer's TLS CA(s) (with --tls; e.g. "
                     "ordererOrganizations/<domain>/tlsca/tlsca.<domain>-cert.pem)");
  command.add_option("--certfile", flags.cert_file,
                     "Client TLS certificate, presented with --clientauth");
  command.add_option("--keyfile", flags.key_file, "Client TLS private key, with --clientauth");
  command.add_flag("--clientauth", flags.client_auth,
                   "Present --certfile/--keyfile (the orderer requires client certificates)");
}

std::variant<ClientTlsSetup, std::string> client_tls(const ClientTlsFlags& flags) {
  ClientTlsSetup setup;
  if (!flags.tls) {
    if (!flags.ca_file.empty() || flags.client_auth) {
      return std::string("--cafile and --clientauth need --tls");
    }
    setup.credentials = grpc::InsecureChannelCredentials();
    return setup;
  }
  try {
    comm::ClientTls tls;
    tls.server_roots_pem = comm::read_tls_certificates("--cafile", flags.ca_file);
    if (flags.client_auth) {
      comm::TlsKeyPair pair;
      pair.cert_pem = comm::read_tls_certificates("--certfile", flags.cert_file);
      comm::check_tls_certificate_valid("--certfile", pair.cert_pem);
      pair.key_pem = comm::read_tls_private_key("--keyfile", flags.key_file);
      setup.cert_hash = comm::certificate_hash_of_pem(pair.cert_pem);
      tls.client = std::move(pair);
    }
    setup.credentials = comm::channel_credentials(tls);
  } catch (const std::exception& e) {
    return std::string(e.what());
  }
  return setup;
}

}  // namespace fabnet::cli
