#include "comm/connection_table.h"

#include <algorithm>
#include <utility>

#include "gossip/peer_id.h"

namespace fabnet::comm {

ConnectionTable::ConnectionTable(PeerId self, std::size_t send_buffer_size,
                                 Clock::duration conn_timeout,
                                 std::function<Clock::time_point()> now)
    : self_(std::move(self)),
      send_buffer_size_(send_buffer_size),
      conn_timeout_(conn_timeout),
      now_(std::move(now)) {}

std::shared_ptr<Connection> ConnectionTable::add_inbound(std::shared_ptr<Connection> connection) {
  const PeerId& pki_id = connection->info->pki_id;
  auto it = active_.find(pki_id);
  if (it != active_.end() && keeps_own_dial(it->second)) {
    // Our dials crossed and ours wins the tie: the remote switches to ours.
    retire(connection, nullptr);
    return it->second.connection;
  }
  if (it == active_.end()) {
    it = active_.emplace(pki_id, Active{connection, now_()}).first;
  } else {
    // The newest inbound stream replaces an existing connection (§4.3).
    retire(it->second.connection, connection.get());
    it->second = Active{connection, now_()};
  }
  return connection;
}

std::shared_ptr<Connection> ConnectionTable::add_outbound(std::shared_ptr<Connection> connection,
                                                          const std::string& endpoint,
                                                          std::deque<MessagePtr> pending) {
  const PeerId& pki_id = connection->info->pki_id;
  endpoint_peers_[endpoint] = pki_id;
  auto it = active_.find(pki_id);
  if (it == active_.end()) {
    it = active_.emplace(pki_id, Active{connection, now_()}).first;
  } else if (!it->second.connection->outbound && gossip::id_less(self_, pki_id)) {
    // The peer dialled us meanwhile (our dials crossed) and ours wins the tie.
    retire(it->second.connection, connection.get());
    it->second = Active{connection, now_()};
  } else {
    // The peer connected to us meanwhile: use its connection, drop ours (§4.3).
    retire(connection, it->second.connection.get());
  }
  for (auto& message : pending) enqueue(*it->second.connection, std::move(message));
  return it->second.connection;
}

std::shared_ptr<Connection> ConnectionTable::find(const PeerId& pki_id) const {
  auto it = active_.find(pki_id);
  return it == active_.end() ? nullptr : it->second.connection;
}

std::shared_ptr<Connection> ConnectionTable::find_by_endpoint(const std::string& endpoint) const {
  auto it = endpoint_peers_.find(endpoint);
  return it == endpoint_peers_.end() ? nullptr : find(it->second);
}

void ConnectionTable::enqueue(Connection& connection, MessagePtr message) {
  {
    std::lock_guard lock(connection.mu);
    if (connection.closed) return drop("connection_closed");
    if (connection.queue.size() >= send_buffer_size_) return drop("queue_full");
    connection.queue.push_back(std::move(message));
  }
  connection.send_cv.notify_one();
}

bool ConnectionTable::remove(const Connection& connection) {
  const PeerId& pki_id = connection.info->pki_id;
  auto it = active_.find(pki_id);
  if (it == active_.end() || it->second.connection.get() != &connection) return false;
  active_.erase(it);
  std::erase_if(endpoint_peers_, [&](const auto& entry) { return entry.second == pki_id; });
  return true;
}

std::vector<std::shared_ptr<Connection>> ConnectionTable::take_expired() {
  const Clock::time_point now = now_();
  std::vector<std::shared_ptr<Connection>> expired;
  auto end = std::find_if(retired_.begin(), retired_.end(),
                          [&](const Retired& r) { return r.close_at > now; });
  for (auto it = retired_.begin(); it != end; ++it) expired.push_back(std::move(it->connection));
  retired_.erase(retired_.begin(), end);
  return expired;
}

std::optional<ConnectionTable::Clock::time_point> ConnectionTable::next_expiry() const {
  if (retired_.empty()) return std::nullopt;
  return retired_.front().close_at;
}

std::vector<std::shared_ptr<Connection>> ConnectionTable::take_all() {
  std::vector<std::shared_ptr<Connection>> all;
  for (auto& [id, active] : active_) all.push_back(std::move(active.connection));
  for (auto& retired : retired_) all.push_back(std::move(retired.connection));
  active_.clear();
  retired_.clear();
  endpoint_peers_.clear();
  return all;
}

std::size_t ConnectionTable::queued() const {
  std::size_t total = 0;
  for (const auto& [id, active] : active_) {
    std::lock_guard lock(active.connection->mu);
    total += active.connection->queue.size();
  }
  return total;
}

bool ConnectionTable::keeps_own_dial(const Active& existing) const {
  return existing.connection->outbound &&
         gossip::id_less(self_, existing.connection->info->pki_id) &&
         now_() - existing.since < conn_timeout_;
}

void ConnectionTable::retire(const std::shared_ptr<Connection>& old, Connection* successor) {
  std::deque<MessagePtr> carried;
  {
    std::lock_guard lock(old->mu);
    carried.swap(old->queue);
  }
  if (successor) {
    for (auto& message : carried) enqueue(*successor, std::move(message));
  } else {
    drop("connection_closed", carried.size());
  }
  retired_.push_back(Retired{old, now_() + conn_timeout_});
}

void ConnectionTable::drop(const std::string& reason, std::uint64_t count) {
  if (count > 0) dropped_[reason] += count;
}

}  // namespace fabnet::comm
