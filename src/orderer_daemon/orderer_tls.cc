#include "orderer_daemon/orderer_tls.h"

#include <fmt/format.h>
#include <grpcpp/grpcpp.h>

#include "comm/tls_credentials.h"

namespace fabnet::orderer {

OrdererTls load_orderer_tls(const config::OrdererConfig& config) {
  const config::OrdererConfig::Tls& t = config.tls;
  OrdererTls out;
  if (!t.enabled) {
    out.credentials = grpc::InsecureServerCredentials();
    out.summary = "TLS off";
    return out;
  }
  comm::ServerTls server;
  server.server.cert_pem =
      comm::read_tls_certificates("General.TLS.Certificate", config.resolve_path(t.certificate));
  comm::check_tls_certificate_valid("General.TLS.Certificate", server.server.cert_pem);
  server.server.key_pem =
      comm::read_tls_private_key("General.TLS.PrivateKey", config.resolve_path(t.private_key));
  for (const std::string& path : t.client_root_cas) {
    server.client_roots_pem +=
        comm::read_tls_certificates("General.TLS.ClientRootCAs", config.resolve_path(path));
  }
  for (const std::string& path : t.root_cas) {
    server.client_roots_pem +=
        comm::read_tls_certificates("General.TLS.RootCAs", config.resolve_path(path));
  }
  server.client_auth_required = t.client_auth_required;
  if (t.client_auth_required && server.client_roots_pem.empty()) {
    throw std::runtime_error(
        "General.TLS.ClientAuthRequired is true but General.TLS.ClientRootCAs and "
        "General.TLS.RootCAs are empty; expected the CA files client certificates chain to");
  }
  out.credentials = comm::server_credentials(server);
  out.mutual = t.client_auth_required;
  out.summary = t.client_auth_required ? "mutual TLS" : "TLS";
  return out;
}

ops::OperationsTls operations_tls(const config::OrdererConfig& config) {
  const config::OrdererConfig::Tls& t = config.operations_tls;
  ops::OperationsTls tls;
  tls.cert_file = config.resolve_path(t.certificate).string();
  tls.key_file = config.resolve_path(t.private_key).string();
  tls.client_auth_required = t.client_auth_required;
  for (const std::string& ca : t.client_root_cas) {
    tls.client_ca_files.push_back(config.resolve_path(ca).string());
  }
  return tls;
}

std::string seek_binding_refusal(bool mutual, const std::string& presented_hash,
                                 const common::Envelope& envelope) {
  if (!mutual) return {};
  common::Payload payload;
  common::ChannelHeader header;
  if (!payload.ParseFromString(envelope.payload()) || !payload.has_header() ||
      !header.ParseFromString(payload.header().channel_header())) {
    return {};
  }
  if (header.tls_cert_hash().empty()) return "client didn't include its TLS cert hash";
  if (presented_hash.empty()) return "client didn't send a TLS certificate";
  if (header.tls_cert_hash() != presented_hash) {
    return "claimed TLS cert hash is not the hash of the client's TLS certificate";
  }
  return {};
}

std::string seek_binding_refusal(bool mutual, const grpc::ServerContext& context,
                                 const common::Envelope& envelope) {
  if (!mutual) return {};
  const auto auth = context.auth_context();
  return seek_binding_refusal(mutual, auth ? comm::remote_certificate_hash(*auth) : std::string(),
                              envelope);
}

}  // namespace fabnet::orderer
