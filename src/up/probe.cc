#include "up/probe.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

namespace fabnet::up {
namespace {

std::optional<std::string> get(int port, const char* path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(0, 300'000);
  client.set_read_timeout(0, 700'000);
  auto response = client.Get(path);
  if (!response || response->status != 200) return std::nullopt;
  return response->body;
}

long long metric_height(const std::string& body, const std::string& channel) {
  const std::string prefix = "ledger_blockchain_height{channel=\"" + channel + "\"} ";
  const auto at = body.find(prefix);
  if (at == std::string::npos) return -1;
  return std::atoll(body.c_str() + at + prefix.size());
}

}  // namespace

long long orderer_height(const Layout& layout, const std::string& channel) {
  const Node& orderer = layout.nodes.front();
  const auto body = get(orderer.ops_port, "/metrics");
  return body ? metric_height(*body, channel) : -1;
}

bool orderer_serves(const Layout& layout) {
  return get(layout.nodes.front().ops_port, "/metrics").has_value();
}

Snapshot probe(const NetworkFile& net, const Layout& layout, const UpState& state, double t) {
  Snapshot s;
  s.t = t;
  s.channels = layout.channels;
  for (const auto& org : net.orgs) s.orgs.push_back(org.name);
  for (const auto& c : net.channels) s.channel_orgs[c.name] = c.orgs;

  for (const Node& node : layout.nodes) {
    const auto it = state.nodes.find(node.name);
    const ProcessState ps = it == state.nodes.end() ? ProcessState::kGone : state_of(it->second);
    if (!node.is_peer()) {
      const auto body =
          ps == ProcessState::kRunning ? get(node.ops_port, "/metrics") : std::nullopt;
      s.orderer_up = body.has_value();
      for (const auto& channel : layout.channels)
        s.orderer_height[channel] = body ? metric_height(*body, channel) : -1;
      continue;
    }
    PeerSample p;
    p.name = node.name;
    p.org = node.org;
    p.channels = node.channels;
    if (ps == ProcessState::kGone) {
      p.health = PeerSample::Health::kDown;
    } else if (ps == ProcessState::kStopped) {
      p.health = PeerSample::Health::kPaused;
    } else if (const auto body = get(node.ops_port, "/status")) {
      try {
        const auto j = nlohmann::json::parse(*body);
        p.pki_id = j.value("pki_id", "");
        for (const auto& [channel, c] : j.at("channels").items()) {
          PeerSample::Channel pc;
          if (c.contains("height") && c["height"].is_number())
            pc.height = c["height"].get<long long>();
          pc.is_leader = c.value("is_leader", false);
          if (c.contains("leader") && c["leader"].is_string())
            pc.believed_leader = c["leader"].get<std::string>();
          p.on[channel] = pc;
        }
        p.health = PeerSample::Health::kUp;
      } catch (const std::exception&) {
        p.health = PeerSample::Health::kSilent;
      }
    } else {
      p.health = PeerSample::Health::kSilent;
    }
    s.peers.push_back(std::move(p));
  }
  return s;
}

}  // namespace fabnet::up
