#include "sim/election_cluster.h"

#include <fmt/format.h>

#include <optional>
#include <stdexcept>

#include "election/invariants.h"

namespace fabnet::sim {

using election::ElectionEvent;
using election::LeaderElection;
using election::LeadershipMessage;

class ElectionCluster::Adapter final : public election::ElectionAdapter {
 public:
  Adapter(ElectionCluster& cluster, Member& member) : cluster_(cluster), member_(member) {}
  void gossip(const LeadershipMessage& message) override;
  LeadershipMessage create_message(bool is_declaration) override;
  bool is_in_view(const PeerId& peer) const override;
  std::size_t view_size() const override;
  void report_leader_metric(bool is_leader) override;

 private:
  ElectionCluster& cluster_;
  Member& member_;
};

struct ElectionCluster::Member {
  PeerId id;
  election::LeaderMode mode;
  bool crashed = false;
  std::unordered_set<PeerId> view;  // alive peers this one sees (self excluded)
  election::MessageFactory factory{"", 0};
  election::FreshnessFilter freshness;
  std::unique_ptr<Adapter> adapter;
  std::unique_ptr<LeaderElection> instance;
  std::vector<bool> callbacks;
  std::vector<bool> metrics;
  std::optional<LeadershipMessage> last_gossiped;
};

void ElectionCluster::Adapter::gossip(const LeadershipMessage& message) {
  cluster_.gossip_from(member_, message);
}
LeadershipMessage ElectionCluster::Adapter::create_message(bool is_declaration) {
  return member_.factory.make(is_declaration);
}
bool ElectionCluster::Adapter::is_in_view(const PeerId& peer) const {
  return member_.view.contains(peer);
}
std::size_t ElectionCluster::Adapter::view_size() const {
  return member_.view.size();
}
void ElectionCluster::Adapter::report_leader_metric(bool is_leader) {
  member_.metrics.push_back(is_leader);
}

ElectionCluster::ElectionCluster(runtime::VirtualScheduler& scheduler, ClusterOptions options)
    : scheduler_(scheduler), options_(std::move(options)), random_(options_.seed) {}

ElectionCluster::~ElectionCluster() {
  *alive_ = false;
}

ElectionCluster::Member& ElectionCluster::member(const PeerId& id) {
  auto it = members_.find(id);
  if (it == members_.end()) throw std::out_of_range(fmt::format("unknown peer {:?}", id));
  return *it->second;
}
const ElectionCluster::Member& ElectionCluster::member(const PeerId& id) const {
  return const_cast<ElectionCluster*>(this)->member(id);
}

void ElectionCluster::add_peer(const PeerId& id, election::LeaderMode mode) {
  if (members_.contains(id)) throw std::invalid_argument(fmt::format("duplicate peer {:?}", id));
  auto m = std::make_unique<Member>();
  m->id = id;
  m->mode = mode;
  Member& ref = *m;
  members_.emplace(id, std::move(m));
  order_.push_back(id);
  make_instance(ref);
  if (!side_of_.empty()) return rebuild_views();
  // Without a partition the newcomer simply joins every live view: O(n), where a
  // full rebuild per added peer would make building large clusters cubic.
  for (auto& [other_id, other] : members_) {
    if (other_id == id || other->crashed) continue;
    other->view.insert(id);
    ref.view.insert(other_id);
  }
}

void ElectionCluster::make_instance(Member& m) {
  const auto now_ns = static_cast<std::uint64_t>(scheduler_.now().count());
  m.factory = election::MessageFactory(m.id, options_.wall_clock_epoch_ns + now_ns);
  m.freshness = {};
  m.adapter = std::make_unique<Adapter>(*this, m);
  m.instance = std::make_unique<LeaderElection>(
      m.id, options_.timings, m.mode, scheduler_, *m.adapter, [this, &m](bool is_leader) {
        if (!m.callbacks.empty() && m.callbacks.back() == is_leader)
          cluster_violations_.push_back(
              fmt::format("peer {:?}: callback({}) twice in a row", m.id, is_leader));
        m.callbacks.push_back(is_leader);
        changes_.push_back({scheduler_.now(), m.id, is_leader});
      });
  m.instance->set_observer([this, &m](ElectionEvent event) {
    if (observer_) observer_(scheduler_.now(), m.id, event);
  });
}

void ElectionCluster::rebuild_views() {
  for (auto& [id, m] : members_) {
    m->view.clear();
    if (m->crashed) continue;
    for (auto& [other_id, other] : members_) {
      if (other_id == id || other->crashed) continue;
      if (!side_of_.empty() && side_of_[other_id] != side_of_[id]) continue;
      m->view.insert(other_id);
    }
  }
}

Duration ElectionCluster::next_delay() {
  if (options_.message_jitter <= Duration::zero()) return options_.message_delay;
  std::uniform_int_distribution<std::int64_t> extra(0, options_.message_jitter.count());
  return options_.message_delay + Duration(extra(random_));
}

void ElectionCluster::gossip_from(Member& sender, const LeadershipMessage& message) {
  if (sender.crashed || sender.instance->stopped())
    cluster_violations_.push_back(fmt::format("stopped peer {:?} sent a message", sender.id));
  sender.last_gossiped = message;
  for (const PeerId& target_id : sender.view) {
    ++messages_sent_;
    deliver_later(member(target_id), message);
  }
}

void ElectionCluster::deliver_later(Member& target, const LeadershipMessage& message) {
  std::weak_ptr<bool> guard = alive_;
  scheduler_.schedule(next_delay(), [this, guard, target = &target, message] {
    if (guard.expired() || target->crashed) return;
    if (!target->freshness.admit(message.pki_id, message.timestamp)) {
      ++messages_dropped_stale_;
      return;
    }
    ++messages_delivered_;
    target->instance->handle_message(message);
  });
}

void ElectionCluster::inject(const PeerId& to, const LeadershipMessage& message) {
  deliver_later(member(to), message);
}

const LeadershipMessage* ElectionCluster::last_gossiped(const PeerId& id) const {
  const Member& m = member(id);
  return m.last_gossiped ? &*m.last_gossiped : nullptr;
}

void ElectionCluster::start(const PeerId& id) {
  member(id).instance->start();
}
void ElectionCluster::start_all() {
  for (const PeerId& id : order_) start(id);
}
void ElectionCluster::stop(const PeerId& id) {
  member(id).instance->stop();
}
void ElectionCluster::stop_all() {
  for (const PeerId& id : order_) stop(id);
}
void ElectionCluster::yield(const PeerId& id) {
  member(id).instance->yield();
}

void ElectionCluster::crash(const PeerId& id) {
  Member& m = member(id);
  m.instance->stop();
  m.crashed = true;
  rebuild_views();
}

void ElectionCluster::restart(const PeerId& id) {
  Member& m = member(id);
  m.instance->stop();
  m.crashed = false;
  make_instance(m);
  rebuild_views();
  m.instance->start();
}

void ElectionCluster::partition(const std::vector<std::vector<PeerId>>& sides) {
  side_of_.clear();
  for (const PeerId& id : order_) side_of_[id] = -1;
  for (std::size_t i = 0; i < sides.size(); ++i)
    for (const PeerId& id : sides[i]) side_of_[member(id).id] = static_cast<int>(i);
  rebuild_views();
}

void ElectionCluster::heal() {
  side_of_.clear();
  rebuild_views();
}

LeaderElection& ElectionCluster::election(const PeerId& id) {
  return *member(id).instance;
}
const LeaderElection& ElectionCluster::election(const PeerId& id) const {
  return *member(id).instance;
}

std::vector<PeerId> ElectionCluster::leaders() const {
  std::vector<PeerId> result;
  for (const PeerId& id : order_) {
    const Member& m = member(id);
    if (!m.crashed && !m.instance->stopped() && m.instance->is_leader()) result.push_back(id);
  }
  return result;
}

const std::vector<bool>& ElectionCluster::callbacks(const PeerId& id) const {
  return member(id).callbacks;
}
const std::vector<bool>& ElectionCluster::metric_reports(const PeerId& id) const {
  return member(id).metrics;
}

std::vector<std::string> ElectionCluster::check_invariants() const {
  std::vector<std::string> violations = cluster_violations_;
  for (const PeerId& id : order_) {
    for (std::string& v : election::check_invariants(*member(id).instance))
      violations.push_back(std::move(v));
  }
  return violations;
}

}  // namespace fabnet::sim
