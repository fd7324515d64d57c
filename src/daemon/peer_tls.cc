#include "daemon/peer_tls.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <vector>

#include "comm/tls_credentials.h"

namespace fabnet::daemon {

namespace {

std::filesystem::path resolve(const std::filesystem::path& base_file, const std::string& path) {
  std::filesystem::path p(path);
  if (path.empty() || p.is_absolute() || base_file.empty()) return p;
  return base_file.parent_path() / p;
}

}  // namespace

PeerTls load_peer_tls(const config::CoreConfig& core, const std::filesystem::path& core_file,
                      const config::ChannelDefinitions& channels) {
  const config::PeerTlsSettings& t = core.tls;
  PeerTls out;
  if (!t.enabled) {
    out.summary = "TLS off";
    return out;
  }
  auto file = [&](const std::string& path) { return resolve(core_file, path); };
  comm::TlsKeyPair server;
  server.cert_pem = comm::read_tls_certificates("peer.tls.cert.file", file(t.cert_file));
  comm::check_tls_certificate_valid("peer.tls.cert.file", server.cert_pem);
  server.key_pem = comm::read_tls_private_key("peer.tls.key.file", file(t.key_file));
  // Dials trust rootcert.file; Fabric adds the TLS CAs of every joined channel's orgs,
  // which channels.yaml does not carry (list them in clientRootCAs.files); those of a
  // config block are added when it is joined (channel_tls_roots).
  const std::string roots =
      comm::read_tls_certificates("peer.tls.rootcert.file", file(t.root_cert_file));
  std::string client_roots = roots;
  std::vector<std::string> skipped_client_roots;
  for (const std::string& path : t.client_root_cas) {
    // Fabric reads clientRootCAs.files only when client auth is required, so its sample
    // core.yaml (tls/ca.crt beside it) starts without such a file; do the same for
    // missing files, and still use present ones to trust other orgs' TLS CAs.
    if (!t.client_auth_required && !std::filesystem::exists(file(path))) {
      skipped_client_roots.push_back(file(path).string());
      continue;
    }
    client_roots += comm::read_tls_certificates("peer.tls.clientRootCAs.files", file(path));
  }
  // The client keypair falls back to the server's, as in Fabric.
  comm::TlsKeyPair client = server;
  if (!t.client_cert_file.empty() || !t.client_key_file.empty()) {
    client.cert_pem =
        comm::read_tls_certificates("peer.tls.clientCert.file", file(t.client_cert_file));
    comm::check_tls_certificate_valid("peer.tls.clientCert.file", client.cert_pem);
    client.key_pem = comm::read_tls_private_key("peer.tls.clientKey.file", file(t.client_key_file));
  }

  comm::CommTls gossip;
  gossip.server.server = server;
  gossip.server.client_auth_required = t.client_auth_required;
  gossip.server.client_roots_pem = client_roots;
  gossip.client.server_roots_pem = client_roots;
  gossip.client.client = client;
  out.channel_tls_roots = std::make_shared<comm::TrustedRoots>();
  gossip.server.extra_client_roots = out.channel_tls_roots;
  gossip.client.extra_server_roots = out.channel_tls_roots;
  out.gossip = std::move(gossip);

  // The orderer's TLS CAs: the channel definitions' orderer.tls_ca_cert and the
  // addressOverrides' caCertsFile; without either, peer.tls.rootcert.file.
  comm::ClientTls orderer;
  std::string orderer_from;
  if (channels.orderer && !channels.orderer->tls_ca_cert_pem.empty()) {
    orderer.server_roots_pem += channels.orderer->tls_ca_cert_pem;
    orderer_from = "orderer.tls_ca_cert";
  }
  for (const config::OrdererAddressOverride& o : core.delivery_client.address_overrides) {
    if (o.ca_certs_file.empty()) continue;
    orderer.server_roots_pem += comm::read_tls_certificates(
        "peer.deliveryclient.addressOverrides caCertsFile", file(o.ca_certs_file));
    orderer_from += orderer_from.empty() ? "caCertsFile" : " and caCertsFile";
  }
  if (orderer.server_roots_pem.empty()) {
    orderer.server_roots_pem = roots;
    orderer_from = "peer.tls.rootcert.file";
  }
  if (t.client_auth_required) {
    orderer.client = client;
    out.seek_tls_cert_hash = comm::certificate_hash_of_pem(client.cert_pem);
  }
  out.orderer_credentials = comm::channel_credentials(orderer);
  out.orderer_tls = orderer;
  out.summary = fmt::format("TLS on (client certificates {}; orderer CAs from {})",
                            t.client_auth_required ? "required" : "requested", orderer_from);
  if (!skipped_client_roots.empty())
    out.summary += fmt::format(
        "; peer.tls.clientRootCAs.files not found and not needed without client auth: {}",
        fmt::join(skipped_client_roots, ", "));
  return out;
}

std::shared_ptr<grpc::ChannelCredentials> orderer_credentials_with(
    const PeerTls& tls, const std::string& extra_roots_pem) {
  if (!tls.orderer_tls) return nullptr;
  comm::ClientTls orderer = *tls.orderer_tls;
  std::string roots = extra_roots_pem;
  if (!roots.empty() && roots.back() != '\n') roots += '\n';
  orderer.server_roots_pem = roots + orderer.server_roots_pem;
  return comm::channel_credentials(orderer);
}

}  // namespace fabnet::daemon
