#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "deliver/orderer_connector.h"

namespace grpc {
class ChannelCredentials;
}

namespace fabnet::deliver {

struct GrpcOrdererSettings {
  std::chrono::milliseconds conn_timeout{3000};  // peer.deliveryclient.connTimeout
  std::size_t max_message_size = 100 * 1024 * 1024;
  // Events of one stream posted to the loop and not yet handled; the reader waits beyond
  // it, so HTTP/2 flow control slows the orderer instead of the loop's queue growing.
  std::size_t max_events_in_flight = 64;
  // TLS towards the orderer: its org's TLS CAs, and a client certificate when the
  // orderer requires one (the daemon builds them, comm/tls_credentials.h). nullptr
  // dials plaintext.
  std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr;
};

// orderer.AtomicBroadcast/Deliver over gRPC (TLS when settings.credentials say so). One
// reader thread per stream dials (within conn_timeout), sends the seek and reads;
// every event is posted to `loop`, the thread that owns the deliver clients. Closing a
// stream (destroying its handle, on the loop) cancels the call at once; its thread is
// joined later, at the latest by the connector's destructor.
class GrpcOrdererConnector final : public OrdererConnector {
 public:
  GrpcOrdererConnector(asio::io_context& loop, GrpcOrdererSettings settings);
  ~GrpcOrdererConnector() override;

  std::unique_ptr<OrdererStream> open(const std::string& endpoint, std::string seek_envelope,
                                      EventHandler on_event) override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fabnet::deliver
