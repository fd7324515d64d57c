#pragma once

// The orderer's TLS (General.TLS.*): server credentials for AtomicBroadcast and the
// SeekInfo binding to the client's TLS certificate under mutual TLS (protocol.md §10.1).

#include <grpcpp/security/server_credentials.h>

#include <memory>
#include <string>

#include "common/common.pb.h"
#include "config/orderer_config.h"
#include "ops/operations_server.h"

namespace grpc {
class ServerContext;
}

namespace fabnet::orderer {

struct OrdererTls {
  std::shared_ptr<grpc::ServerCredentials> credentials;  // insecure when TLS is off
  bool mutual = false;  // General.TLS.ClientAuthRequired: seeks must be bound
  std::string summary;  // for the start-up log
};

// Reads General.TLS.*; with Enabled every file must load (paths relative to the file's
// folder), else throws std::runtime_error naming the key: no plaintext fallback.
OrdererTls load_orderer_tls(const config::OrdererConfig& config);

// Fabric's deliver binding: under mutual TLS a seek's ChannelHeader.tls_cert_hash must
// be the SHA-256 of the client certificate of the stream it came on. "" when it holds
// (or there is nothing to check), else why not. An unparsable envelope is left to the
// request validator.
std::string seek_binding_refusal(bool mutual, const std::string& presented_hash,
                                 const common::Envelope& envelope);
// As above for a live call: the presented certificate is the call's.
std::string seek_binding_refusal(bool mutual, const grpc::ServerContext& context,
                                 const common::Envelope& envelope);

// Operations.TLS.* with paths resolved against the file's folder.
ops::OperationsTls operations_tls(const config::OrdererConfig& config);

}  // namespace fabnet::orderer
