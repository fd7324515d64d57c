#pragma once

// The peer's TLS material, read once at start from peer.tls.* (protocol.md §1.1, §3.4,
// §10.1). With peer.tls.enabled every file must load or the peer refuses to start:
// there is no quiet fallback to plaintext.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "comm/grpc_comm.h"
#include "config/core_config.h"
#include "config/network_config.h"

namespace grpc {
class ChannelCredentials;
}

namespace fabnet::daemon {

struct PeerTls {
  std::optional<comm::CommTls> gossip;  // nullopt: TLS off
  // The deliver client's: the orderer org's TLS CAs, and the client certificate when
  // peer.tls.clientAuthRequired (as Fabric's deliver client decides). nullptr: plaintext.
  std::shared_ptr<grpc::ChannelCredentials> orderer_credentials;
  std::string seek_tls_cert_hash;  // SeekInfo ChannelHeader.tls_cert_hash ("" = none)
  std::string summary;             // one phrase for the start-up log
  // What orderer_credentials was built from (nullopt: TLS off), for channels that
  // bring their own orderer TLS CAs (orderer_credentials_with).
  std::optional<comm::ClientTls> orderer_tls{};
  // TLS CAs of the orgs of channels joined from their config blocks (tls_root_certs,
  // tls_intermediate_certs), trusted for gossip beside the files' as Fabric does: for
  // clients when client auth is required, and for the servers dialled. nullptr: TLS off.
  std::shared_ptr<comm::TrustedRoots> channel_tls_roots{};
};

// Relative paths resolve against `core_file`'s folder. Throws std::runtime_error
// (comm::TlsError) naming the key, the file and the problem.
PeerTls load_peer_tls(const config::CoreConfig& core, const std::filesystem::path& core_file,
                      const config::ChannelDefinitions& channels);

// The deliver client's credentials for a channel whose config block names its orderer
// orgs' TLS CAs (`extra_roots_pem`, PEM): those trusted beside the ones
// orderer_credentials trusts, with the same client certificate. nullptr when TLS is off.
std::shared_ptr<grpc::ChannelCredentials> orderer_credentials_with(
    const PeerTls& tls, const std::string& extra_roots_pem);

}  // namespace fabnet::daemon
