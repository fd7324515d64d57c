#pragma once

// Which stream carries traffic to each remote peer (protocol.md §4.3), as a unit free
// of gRPC, sockets and threads: GrpcComm calls it under its own mutex, tests drive it
// with fake streams and an injected clock.
//
// Rules:
//   - at most one connection per PKI-ID carries traffic;
//   - the newest inbound stream replaces an existing connection (§4.3), and a dial that
//     finishes while a connection exists yields to it;
//   - except for crossing dials: two peers that dial each other at once both keep the
//     stream dialled by the lower PKI-ID (gossip::id_less). By §4.3 alone each side
//     would keep the other's stream and close its own, losing both. "Crossing" means our
//     dial finished less than connTimeout ago; an older one is replaced as §4.3 says;
//   - a replaced (retired) stream stops sending, its queue moves to the successor, it is
//     still read, and it closes connTimeout later, when the remote has switched too.

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "comm/connection.h"

namespace fabnet::comm {

class ConnectionTable {
 public:
  using Clock = std::chrono::steady_clock;

  ConnectionTable(PeerId self, std::size_t send_buffer_size, Clock::duration conn_timeout,
                  std::function<Clock::time_point()> now = &Clock::now);

  // An inbound stream passed its handshake. Returns the connection that now carries
  // traffic to its PKI-ID: `connection`, or the crossing dial of ours that wins.
  std::shared_ptr<Connection> add_inbound(std::shared_ptr<Connection> connection);
  // Our dial to `endpoint` passed its handshake; `pending` (queued while dialling) goes
  // to whichever connection carries traffic afterwards, which is returned.
  std::shared_ptr<Connection> add_outbound(std::shared_ptr<Connection> connection,
                                           const std::string& endpoint,
                                           std::deque<MessagePtr> pending);

  // The connection carrying traffic to a PKI-ID, or to the peer last dialled at an endpoint.
  std::shared_ptr<Connection> find(const PeerId& pki_id) const;
  std::shared_ptr<Connection> find_by_endpoint(const std::string& endpoint) const;

  // Queues a message on a connection. Never blocks: a full queue (send_buffer_size) or
  // a closed connection drops it (§4.3), counted in dropped().
  void enqueue(Connection& connection, MessagePtr message);

  // A stream's reader ended. True if it was the one carrying traffic (it is removed
  // then); false for a retired or replaced stream.
  bool remove(const Connection& connection);

  // Retired streams whose connTimeout is up, taken out of the table: the caller closes
  // them (outside its lock). next_expiry() says when to call again.
  std::vector<std::shared_ptr<Connection>> take_expired();
  std::optional<Clock::time_point> next_expiry() const;

  // Every connection, active and retired, emptying the table (stop()).
  std::vector<std::shared_ptr<Connection>> take_all();

  std::size_t size() const { return active_.size(); }
  std::size_t retired_count() const { return retired_.size(); }
  std::size_t queued() const;  // messages waiting in the active connections' queues
  // Messages dropped by enqueue() and retirement, by reason: queue_full, connection_closed.
  const std::map<std::string, std::uint64_t>& dropped() const { return dropped_; }

 private:
  struct Active {
    std::shared_ptr<Connection> connection;
    Clock::time_point since;  // when it began carrying traffic
  };
  struct Retired {
    std::shared_ptr<Connection> connection;
    Clock::time_point close_at;
  };

  // Our own dial, finished less than connTimeout ago, to a peer whose PKI-ID is higher.
  bool keeps_own_dial(const Active& existing) const;
  void retire(const std::shared_ptr<Connection>& old, Connection* successor);
  void drop(const std::string& reason, std::uint64_t count = 1);

  const PeerId self_;
  const std::size_t send_buffer_size_;
  const Clock::duration conn_timeout_;
  const std::function<Clock::time_point()> now_;
  std::map<PeerId, Active> active_;               // at most one per PKI-ID
  std::map<std::string, PeerId> endpoint_peers_;  // dialled endpoint -> PKI-ID
  std::vector<Retired> retired_;                  // in retirement order, so by close_at
  std::map<std::string, std::uint64_t> dropped_;
};

}  // namespace fabnet::comm
